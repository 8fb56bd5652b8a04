"""Workflow configuration: one-line config checks, per-scene settings, and
the parse-time plan of every scene (mosaic header facts and tile grid).

Plain Python (no Snakemake import), so it is unit-testable and usable from
any driver. Reads raster headers only.
"""

import copy
import math
from dataclasses import dataclass
from functools import cached_property

import yaml

from .mosaic import MosaicPlan, plan_mosaic
from .tiling import Tile, grid_shape, tile_grid

SECTIONS = ("segmentation", "tiling", "output", "stats", "colour_table", "outputs")


class ConfigError(ValueError):
    """A configuration problem; the message is one line naming the key."""


@dataclass(frozen=True)
class ScenePlan:
    """Everything the workflow needs to know about a scene before any job."""

    name: str
    settings: dict  # section -> {key: value}, defaults filled in
    mosaic: MosaicPlan
    tiles: list  # of Tile, row-major

    @property
    def tile_rows(self):
        """Names of the tile rows, e.g. ['r000', 'r001']."""
        return [f"r{i:03d}" for i in range(grid_shape(self.tiles)[0])]

    def tile(self, name):
        """The Tile called ``name``."""
        return self._by_name[name]

    def tiles_in_row(self, row):
        """Tiles of tile row ``row`` ('r002')."""
        i = int(row[1:])
        return [t for t in self.tiles if t.grid_row == i]

    @cached_property
    def _by_name(self):
        # Built once: Snakemake asks for one tile per job while it parses,
        # and a dict per call made that quadratic in the number of tiles.
        return {t.name: t for t in self.tiles}


def load_schema(path):
    """The JSON schema (YAML file) as a dict."""
    with open(path) as f:
        return yaml.safe_load(f)


def check_config(config, schema):
    """Raise ConfigError naming the first offending key, if any."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    if err.validator == "oneOf":
        msg = f"{err.instance!r} is not valid: {_describe(err.schema)}"
    else:
        msg = err.message
    raise ConfigError(f"config key {where}: {msg}")


def _describe(schema):
    """Short text of a property's description, for oneOf errors."""
    return schema.get("description", "see config/README.md").rstrip(".")


def schema_defaults(schema, section):
    """{key: default} of one config section in the schema."""
    props = schema["$defs"][section]["properties"]
    return {k: copy.deepcopy(v["default"]) for k, v in props.items() if "default" in v}


def scene_settings(config, schema, scene):
    """Effective settings of ``scene``: schema defaults, then the config's
    global sections, then the scene's own overrides."""
    entry = config["scenes"][scene]
    out = {}
    for section in SECTIONS:
        merged = schema_defaults(schema, section)
        merged.update(config.get(section) or {})
        merged.update(entry.get(section) or {})
        out[section] = merged
    return out


def plan_scenes(config, schema):
    """Check the config and every scene's inputs; return {name: ScenePlan}.

    Raises ConfigError or io.RasterError with one line.
    """
    check_config(config, schema)
    check_writable(config.get("results", "results"))
    plans = {}
    for name, entry in config["scenes"].items():
        settings = scene_settings(config, schema, name)
        tiling = settings["tiling"]
        if tiling["overlap"] >= tiling["tile_size"]:
            raise ConfigError(
                f"config key scenes/{name}/tiling: overlap ({tiling['overlap']}) must be "
                f"smaller than tile_size ({tiling['tile_size']})"
            )
        mosaic = plan_mosaic(entry["inputs"], entry.get("stack_bands", False),
                             entry.get("bands"), entry.get("nodata"), scene=name)
        _check_band_lists(name, settings, mosaic.bands)
        tiles = tile_grid(mosaic.rows, mosaic.cols, tiling["tile_size"], tiling["overlap"])
        plans[name] = ScenePlan(name=name, settings=settings, mosaic=mosaic, tiles=tiles)
    return plans


def check_writable(folder):
    """Raise ConfigError unless files can be created in ``folder`` (or, if it
    does not exist yet, in its nearest existing parent). Tries for real:
    permission bits say nothing for root, read-only mounts or immutable
    folders."""
    import os
    import tempfile

    probe = os.path.abspath(folder)
    while not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe or (os.path.exists(probe) and not os.path.isdir(probe)):
            raise ConfigError(f"config key results: {folder} is not a folder")
        probe = parent
    try:
        fd, path = tempfile.mkstemp(dir=probe, prefix=".shepcore-write-test")
        os.close(fd)
        os.remove(path)
    except OSError as err:
        raise ConfigError(f"config key results: cannot write to {probe} "
                          f"({err.strerror})") from None


def _check_band_lists(scene, settings, nbands):
    """stats.bands and colour_table.rgb_bands must name bands of the mosaic."""
    for section, key in (("stats", "bands"), ("colour_table", "rgb_bands")):
        value = settings[section][key]
        if isinstance(value, list):
            for b in value:
                if not 1 <= b <= nbands:
                    raise ConfigError(f"config key scenes/{scene}/{section}/{key}: band {b} "
                                      f"out of range 1..{nbands} of the scene's mosaic")


def stats_bands(plan: ScenePlan):
    """1-based mosaic bands to compute statistics for."""
    bands = plan.settings["stats"]["bands"]
    return list(range(1, plan.mosaic.bands + 1)) if bands == "all" else list(bands)


def tile_pixels(tile: Tile):
    """Pixels in a tile window (overlap included)."""
    return tile.rows * tile.cols


def largest_tile_pixels(plan: ScenePlan):
    """Pixels of the scene's largest tile (edge tiles are the largest)."""
    return max(tile_pixels(t) for t in plan.tiles)


def segment_memory_mb(plan: ScenePlan):
    """Memory (MB) one tile segmentation job needs, from the largest tile.

    Per pixel: the tile image (bands x item size), the cluster image
    (2 bytes), the labels (4), pixel lists of small segments (up to 8), and
    numpy/numba working space (~10); plus 400 MB for the interpreter,
    numba and the model.
    """
    per_pixel = plan.mosaic.bands * plan.mosaic.dtype.itemsize + 24
    return 400 + math.ceil(largest_tile_pixels(plan) * per_pixel / 2**20)


def segment_threads(plan: ScenePlan):
    """Threads of a tile job: 1 up to 64 Mpixel per tile (the default 4096
    tiles, edge tiles included), 2 up to 256 Mpixel, else 4. Clumping and
    elimination are serial, so tiles gain more from running as several jobs
    at once than from threads inside one job."""
    px = largest_tile_pixels(plan)
    return 1 if px <= 2**26 else 2 if px <= 2**28 else 4


def segment_runtime_min(plan: ScenePlan):
    """Runtime limit (minutes) of a tile job: 10 + 1 per megapixel."""
    return 10 + math.ceil(largest_tile_pixels(plan) / 1e6)
