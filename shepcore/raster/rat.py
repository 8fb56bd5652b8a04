"""Raster attribute tables (RAT) of segment rasters: the one RAT writer,
column listings, whole-column and row reads, and the colour table held in
RGBA columns. Row i describes segment i; row 0 is null."""

import contextlib
import os
from dataclasses import dataclass

import numpy as np

from .env import RasterError, gdal_env
from .read import open_raster

#: RAT rows per read or write call when columns are copied or streamed.
RAT_CHUNK_ROWS = 1 << 18
#: Rows read in one call by :func:`read_rat_rows` may include this many
#: unwanted rows between two wanted ones (fewer, larger reads).
RAT_READ_GAP = 4096
#: Column usage (GFU_ suffix) chosen from the column name when none is given.
DEFAULT_USAGES = {"Histogram": "PixelCount", "Red": "Red", "Green": "Green",
                  "Blue": "Blue", "Alpha": "Alpha", "Opacity": "Alpha"}
_INT32 = (-(2**31), 2**31)
#: Bytes an HFA (.img) file can address (32-bit offsets): its RAT must fit
#: below this with the pixels (overviews go to the .rrd, see write.py).
HFA_IMG_LIMIT = 2**31
#: Bytes per row of a RAT column in an HFA file by type (a String column is
#: estimated at this width; segment rasters rarely carry long strings).
_HFA_COLUMN_BYTES = {"Integer": 4, "Real": 8, "String": 16}


@dataclass(frozen=True)
class RatColumn:
    """One RAT column: ``type`` 'Integer', 'Real' or 'String'; ``usage`` a
    GFU_ name suffix such as 'Generic', 'PixelCount', 'Red', 'Alpha'."""

    name: str
    type: str
    usage: str


def rat_column_type(values):
    """RAT column type for an array: Integer when it fits 32 bits."""
    if values.dtype.kind in "iub":
        if values.size == 0 or (values.min() >= _INT32[0] and values.max() < _INT32[1]):
            return "Integer"
        return "Real"
    if values.dtype.kind == "f":
        return "Real"
    return "String"


def _type_names(g):
    return {g.GFT_Integer: "Integer", g.GFT_Real: "Real", g.GFT_String: "String"}


def _usage_names(g):
    return {getattr(g, n): n[4:] for n in dir(g) if n.startswith("GFU_") and n != "GFU_MaxCount"}


def _check_values(col, values, path):
    """values as an array fit for ``col``; an Integer column refuses values
    beyond 32 bits."""
    values = np.asarray(values)
    if col.type == "Integer" and values.size and (values.min() < _INT32[0]
                                                  or values.max() >= _INT32[1]):
        raise RasterError(f"{path}: RAT column {col.name}: values outside the "
                          "32-bit integer range")
    return values


class _TableWriter:
    """Rows into the columns of a RAT. GDAL 3.6's ``WriteArray`` with a
    start row > 0 writes garbage into an in-memory table, so numeric columns
    of one are gathered whole and written once; a table in the file (HFA)
    takes chunks directly."""

    def __init__(self, rat, nrows, in_memory, path):
        self.rat, self.nrows, self.path = rat, nrows, path
        self.buffers = {} if in_memory else None

    def put(self, i, col, start, values):
        values = _check_values(col, values, self.path)
        if col.type == "String":  # WriteArray of strings crashes GDAL 3.6's bindings
            for k, v in enumerate(values):
                self.rat.SetValueAsString(start + k, i, v.decode() if isinstance(v, bytes)
                                          else str(v))
            return
        dtype = np.int32 if col.type == "Integer" else np.float64
        if self.buffers is None:
            self.rat.WriteArray(np.ascontiguousarray(values, dtype), i, start)
            return
        if i not in self.buffers:
            self.buffers[i] = np.zeros(self.nrows, dtype)
        self.buffers[i][start:start + len(values)] = values

    def close(self):
        for i, values in sorted((self.buffers or {}).items()):
            self.rat.WriteArray(values, i)


def write_rat(g, band, path, nrows, columns, chunks=(), *, in_memory=True):
    """Write a RAT of ``nrows`` rows onto ``band`` (the one RAT writer).

    Parameters
    ----------
    g : the osgeo.gdal module (inside :func:`gdal_env`)
    band : gdal.Band
    path : str
        Named in errors.
    nrows : int
    columns : list of (RatColumn, source)
        ``source`` is an (nrows,) array, a callable ``read(start, stop)``
        returning those rows (copied in chunks of :data:`RAT_CHUNK_ROWS`),
        or None for a column that ``chunks`` supplies.
    chunks : iterable of (start, {name: values})
        In row order, covering all rows, for the columns whose source is None.
    in_memory : bool
        Build the table in memory and attach it at the end (any format);
        False writes into the band's own table as it goes (HFA), so a large
        table never has to be in memory: a table already in the file keeps
        its columns and rows and gets ``columns`` after them.
    """
    _check_hfa_room(band, path, nrows, columns)
    rat = None if in_memory else band.GetDefaultRAT()
    if rat is None:
        rat = g.RasterAttributeTable()
        in_memory = True
        rat.SetTableType(g.GRTT_THEMATIC)
    base = rat.GetColumnCount()
    for col, _ in columns:
        rat.CreateColumn(col.name, getattr(g, "GFT_" + col.type), getattr(g, "GFU_" + col.usage))
    if rat.GetRowCount() != nrows:
        rat.SetRowCount(nrows)
    table = _TableWriter(rat, nrows, in_memory, path)
    streamed = {}
    for i, (col, source) in enumerate(columns, start=base):
        if source is None:
            streamed[col.name] = (i, col)
            continue
        values = None if callable(source) else np.asarray(source)
        if values is not None and len(values) < nrows:
            raise RasterError(f"{path}: RAT column {col.name} has {len(values)} "
                              f"rows, expected {nrows}")
        for start in range(0, nrows, RAT_CHUNK_ROWS):
            stop = min(nrows, start + RAT_CHUNK_ROWS)
            table.put(i, col, start, source(start, stop) if values is None
                      else values[start:stop])
    covered = 0
    for start, chunk in chunks:
        if start != covered:
            raise RasterError(f"{path}: RAT chunk starts at row {start}, expected {covered}")
        lengths = {len(v) for v in chunk.values()}
        if len(lengths) != 1 or set(chunk) != set(streamed):
            raise RasterError(f"{path}: RAT chunk at row {start} has columns of unequal "
                              "length or a different set of columns")
        length = lengths.pop()
        if covered + length > nrows:
            raise RasterError(f"{path}: new RAT columns have more than {nrows} rows "
                              f"(the segment raster's RAT rows)")
        for name, values in chunk.items():
            i, col = streamed[name]
            table.put(i, col, start, values)
        covered += length
    if streamed and covered != nrows:
        raise RasterError(f"{path}: new RAT columns have {covered} rows, expected {nrows} "
                          "(the segment raster's RAT rows)")
    table.close()
    if in_memory:
        band.SetDefaultRAT(rat)


def _check_hfa_room(band, path, nrows, columns):
    """Raise a RasterError naming ``path`` when the new RAT columns would not
    fit in an HFA file (:data:`HFA_IMG_LIMIT`); GDAL's own failure only says
    "GDAL error" part-way through the table. No-op for other formats."""
    ds = band.GetDataset()
    if ds is None or ds.GetDriver().ShortName != "HFA":
        return
    ds.FlushCache()  # the pixels written so far count
    files = ds.GetFileList() or []
    used = os.path.getsize(files[0]) if files and os.path.exists(files[0]) else 0
    need = nrows * sum(_HFA_COLUMN_BYTES[col.type] for col, _ in columns)
    if used + need > HFA_IMG_LIMIT:
        raise RasterError(
            f"{path}: the raster attribute table does not fit: an HFA (.img) file holds at "
            f"most {HFA_IMG_LIMIT / 2**30:.0f} GiB, it has {used / 2**30:.2f} GiB and "
            f"{len(columns)} more columns of {nrows} rows need {need / 2**30:.2f} GiB; "
            "write GeoTIFF (output format GTiff or COG) or fewer statistics")


def rat_columns(path):
    """Row count and columns of the RAT of a segment raster's band 1.

    Returns
    -------
    nrows : int
        0 when the band has no RAT.
    columns : list of RatColumn
    """
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            return 0, []
        types, usages = _type_names(g), _usage_names(g)
        cols = [RatColumn(rat.GetNameOfCol(i), types.get(rat.GetTypeOfCol(i), "String"),
                          usages.get(rat.GetUsageOfCol(i), "Generic"))
                for i in range(rat.GetColumnCount())]
        return rat.GetRowCount(), cols


def _column_index(rat, column, path):
    names = [rat.GetNameOfCol(i) for i in range(rat.GetColumnCount())]
    if column not in names:
        raise RasterError(f"{path}: no RAT column {column!r} (columns: {', '.join(names)})")
    return names.index(column)


def read_rat(path, columns=None):
    """Whole RAT columns of band 1 as a dict name -> (nrows,) array (string
    columns as bytes). ``columns``: names to read; None = all."""
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            if columns:
                raise RasterError(f"{path}: no raster attribute table")
            return {}
        if columns is None:
            columns = [rat.GetNameOfCol(i) for i in range(rat.GetColumnCount())]
        return {c: np.asarray(rat.ReadAsArray(_column_index(rat, c, path))) for c in columns}


def _read_range(ds, rat, col, start, length):
    """Rows ``start`` .. ``start + length`` of RAT column number ``col``.

    GDAL 3.6 reads wrong values from an in-memory table (a GeoTIFF's, held
    in its .aux.xml) at a start row > 0, as it writes them wrongly; such a
    column is read whole and sliced (the table is in memory anyway). HFA
    tables live in the file and are read by range."""
    if start == 0 or ds.GetDriver().ShortName == "HFA":
        return np.asarray(rat.ReadAsArray(col, start, length))
    return np.asarray(rat.ReadAsArray(col))[start:start + length]


def read_rat_rows(path, column, rows):
    """Values of one RAT column at the given rows, reading only the row
    ranges needed (rows closer than :data:`RAT_READ_GAP` share one read).

    Parameters
    ----------
    path : str
    column : str
    rows : (K,) array of int
        Sorted ascending, each in 0..nrows-1.

    Returns
    -------
    values : (K,) ndarray (float64, int32 or bytes, as the column)
    """
    with rat_rows(path) as read:
        return read(column, rows)


@contextlib.contextmanager
def rat_rows(path):
    """Yield ``read(column, rows)`` (as :func:`read_rat_rows`) on one open
    dataset, for reading many columns or batches of rows. A table held in
    memory (GeoTIFF) is read by whole columns, each once (see
    :func:`_read_range`)."""
    with gdal_env(path, map_errors=False) as g:
        with gdal_env(path):
            ds = open_raster(g, path)
            rat = ds.GetRasterBand(1).GetDefaultRAT()
            if rat is None:
                raise RasterError(f"{path}: no raster attribute table")
        nrows = rat.GetRowCount()
        whole = ds.GetDriver().ShortName != "HFA"
        cache = {}

        def read(column, rows):
            rows = np.asarray(rows, np.int64)
            with gdal_env(path):
                col = _column_index(rat, column, path)
                if rows.size and (rows[0] < 0 or rows[-1] >= nrows
                                  or np.any(np.diff(rows) < 0)):
                    raise RasterError(f"{path}: RAT rows must be sorted and within "
                                      f"0..{nrows - 1}")
                if not rows.size:
                    return np.asarray(rat.ReadAsArray(col, 0, 1))[:0]
                if whole:
                    if col not in cache:
                        cache[col] = np.asarray(rat.ReadAsArray(col))
                    return cache[col][rows]
                cuts = np.flatnonzero(np.diff(rows) > RAT_READ_GAP) + 1
                parts = []
                for group in np.split(rows, cuts):
                    start = int(group[0])
                    block = _read_range(ds, rat, col, start, int(group[-1]) - start + 1)
                    parts.append(block[group - start])
                return np.concatenate(parts)

        yield read


def rat_reader(path, col, nrows):
    """read(start, stop) of RAT column number ``col`` of ``path``; rows past
    the table's ``nrows`` read as 0 / empty."""

    def read(start, stop):
        with gdal_env(path) as g:
            ds = open_raster(g, path)
            rat = ds.GetRasterBand(1).GetDefaultRAT()
            have = max(0, min(stop, nrows) - start)
            values = _read_range(ds, rat, col, start, have) if have else None
            if have == stop - start:
                return values
            pad = np.zeros(stop - start - have, values.dtype if values is not None else
                           np.float64)
            return pad if values is None else np.concatenate([values, pad])

    return read


def read_rgba(path):
    """The colour table held in a segment raster's RAT, found by column
    usage (Red, Green, Blue, optional Alpha): (4, N + 1) uint8 rows red,
    green, blue, alpha (255 without an Alpha column), or None without one."""
    with gdal_env(path) as g:
        ds = open_raster(g, path)
        rat = ds.GetRasterBand(1).GetDefaultRAT()
        if rat is None:
            return None
        usage = {rat.GetUsageOfCol(i): i for i in range(rat.GetColumnCount())}
        wanted = [g.GFU_Red, g.GFU_Green, g.GFU_Blue]
        if not all(u in usage for u in wanted):
            return None
        cols = [np.asarray(rat.ReadAsArray(usage[u])) for u in wanted]
        alpha = (np.asarray(rat.ReadAsArray(usage[g.GFU_Alpha])) if g.GFU_Alpha in usage
                 else np.full(len(cols[0]), 255))
        return np.stack([*cols, alpha]).astype(np.uint8)
