"""What a statistics computation computes: the statistic and spatial names,
what each band needs, and the validated settings (:class:`StatsSpec`)
shared by every partial of one computation."""

import re
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from ..raster import grid, rat, read

#: Band statistics; a percentile is written 'p' + number, e.g. 'p90', 'p2.5'.
STATISTICS = ("count", "min", "max", "mean", "stddev", "median", "mode")
DEFAULT_STATISTICS = ("count", "min", "max", "mean", "stddev")
#: Spatial columns (names are the RAT column names).
SPATIAL = ("pixel_count", "area", "centroid_x", "centroid_y", "bbox_xmin", "bbox_ymin",
           "bbox_xmax", "bbox_ymax", "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1",
           "edge_pixels")
#: Shorthands accepted in ``spatial``.
SPATIAL_GROUPS = {
    "centroid": ("centroid_x", "centroid_y"),
    "bbox": ("bbox_xmin", "bbox_ymin", "bbox_xmax", "bbox_ymax",
             "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1"),
}
#: Spatial columns that hold counts (int64, never the missing value).
COUNT_COLUMNS = ("pixel_count", "edge_pixels")

_PCT = re.compile(r"^p(\d+(?:\.\d*)?|\.\d+)$")


def _parse_statistics(statistics):
    """[(token, kind, q)] with kind in STATISTICS or 'pct' (q in 0..100)."""
    if isinstance(statistics, str):
        statistics = [statistics]
    out = []
    for token in statistics:
        if not isinstance(token, str):
            raise TypeError(f"statistics: expected names, got {token!r}")
        if token in STATISTICS:
            out.append((token, token, 50.0 if token == "median" else None))
            continue
        m = _PCT.match(token)
        if not m:
            raise ValueError(f"statistics: unknown statistic {token!r} (choose from "
                             f"{', '.join(STATISTICS)} or a percentile such as 'p90')")
        q = float(m.group(1))
        if not 0.0 <= q <= 100.0:
            raise ValueError(f"statistics: percentile {token!r} outside 0..100")
        out.append((token, "pct", q))
    return out


def _parse_spatial(spatial):
    if isinstance(spatial, str):
        spatial = [spatial]
    out = []
    for name in spatial:
        names = SPATIAL_GROUPS.get(name, (name,))
        for n in names:
            if n not in SPATIAL:
                raise ValueError(f"spatial: unknown spatial statistic {name!r} (choose from "
                                 f"{', '.join(SPATIAL)}, centroid, bbox)")
            if n not in out:
                out.append(n)
    return out


def band_needs(dtype, stats, histograms=True):
    """What one band needs: exact integer sums ('exact'), percentiles
    ('qs'), mode, moments in value order (float bands), any order
    statistic at all ('pairs'), and whether the values of segments that
    span windows travel as histogram entries ('hist': integer bands, unless
    ``histograms`` is off) or one by one (the exact sort path)."""
    dtype = np.dtype(dtype)
    exact = dtype.kind in "iu" and dtype.itemsize <= 4
    kinds = {kind for _, kind, _ in stats}
    qs = sorted({q for _, kind, q in stats if q is not None})
    moments = not exact and bool(kinds & {"mean", "stddev"})
    pairs = bool(qs) or "mode" in kinds or moments
    return {"exact": exact, "qs": qs, "mode": "mode" in kinds, "moments": moments,
            "pairs": pairs, "hist": pairs and exact and bool(histograms)}


@dataclass(frozen=True)
class StatsSpec:
    """Validated settings shared by every partial of one computation."""

    bands: tuple
    stats: tuple
    spatial: tuple
    template: str
    nodata: tuple
    dtypes: tuple
    rows: int
    cols: int
    geotransform: tuple
    rat_rows: int
    hist_column: str | None
    histograms: bool = True

    def to_json(self):
        return {"bands": list(self.bands), "stats": [list(s) for s in self.stats],
                "spatial": list(self.spatial), "template": self.template,
                "nodata": list(self.nodata), "dtypes": list(self.dtypes),
                "rows": self.rows, "cols": self.cols,
                "geotransform": list(self.geotransform), "rat_rows": self.rat_rows,
                "hist_column": self.hist_column, "histograms": self.histograms}

    @classmethod
    def from_json(cls, d):
        return cls(tuple(d["bands"]), tuple(tuple(s) for s in d["stats"]),
                   tuple(d["spatial"]), d["template"], tuple(d["nodata"]),
                   tuple(d["dtypes"]), d["rows"], d["cols"], tuple(d["geotransform"]),
                   d["rat_rows"], d["hist_column"], bool(d.get("histograms", True)))

    def band_needs(self):
        """What each band needs (see :func:`band_needs`), in band order."""
        return [band_needs(dt, self.stats, self.histograms) for dt in self.dtypes]

    def band_column(self, band, token):
        return self.template.format(band=band, stat=token)

    def column_names(self):
        names = list(self.spatial)
        names += [self.band_column(b, tok) for b in self.bands for tok, _, _ in self.stats]
        return names


def make_spec(segments_path, image_path, bands, statistics, spatial, nodata,
              column_template, histograms=True):
    """Validate the settings of a computation against the rasters (headers
    and RAT only); returns a :class:`StatsSpec`. ``histograms=False``
    (private, for tests) sends integer bands down the exact sort path."""
    stats = _parse_statistics(statistics)
    spatial = _parse_spatial(spatial)
    if not isinstance(column_template, str):
        raise TypeError(f"column_template must be a str, got {column_template!r}")
    nodata = v.check_nodata(nodata)
    read.band_details(segments_path, segments=True)  # one unsigned-integer band
    seg = read.raster_info(segments_path)
    if stats:
        if image_path is None:
            raise ValueError("image_path: required for band statistics "
                             f"({', '.join(t for t, _, _ in stats)})")
        grid.check_same_grid(segments_path, image_path)
        image_bands, _ = read.band_details(image_path)
        band_list = read.check_bands(bands, len(image_bands), image_path)
        for b in band_list:
            dt = image_bands[b - 1][0]
            if dt.kind in "iu" and dt.itemsize > 4:
                raise TypeError(f"{image_path}: band {b} is {dt}; 64-bit integer images "
                                "are not supported")
        dtypes = tuple(image_bands[b - 1][0].str for b in band_list)
        nd = tuple(image_bands[b - 1][1] if nodata is None else nodata for b in band_list)
    else:
        band_list, dtypes, nd = [], (), ()
    if stats and "{stat}" not in column_template:
        raise ValueError(f"column_template: {column_template!r} must contain '{{stat}}'")
    try:
        names = [column_template.format(band=b, stat=t) for b in band_list for t, _, _ in stats]
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"column_template: {column_template!r} is not a valid template with "
                         f"fields 'band' and 'stat' ({err!r})") from None
    all_names = list(spatial) + names
    if len(set(all_names)) != len(all_names):
        raise ValueError(f"column_template: {column_template!r} gives duplicate column names "
                         "(use '{band}' when there are several bands)")
    rat_rows, cols = rat.rat_columns(segments_path)
    hist = next((c.name for c in cols if c.usage == "PixelCount"), None)
    return StatsSpec(tuple(band_list), tuple(stats), tuple(spatial), column_template, nd, dtypes,
                     seg.rows, seg.cols, tuple(seg.geotransform), rat_rows, hist,
                     bool(histograms))
