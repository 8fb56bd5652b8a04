"""Workflow configuration: one-line config checks, per-scene settings, and
every scene as the workflow needs it at parse time (mosaic header facts
and tile grid).

Plain Python (no Snakemake import), so it is unit-testable and usable from
any driver. Reads raster headers only.
"""

import copy
import difflib
import os
from dataclasses import dataclass
from functools import cached_property

import yaml

from ..raster.vrt import MosaicLayout, mosaic_layout
from ..tiles.grid import grid_shape, tile_grid
from . import classify

SECTIONS = ("segmentation", "tiling", "output", "stats", "colour_table", "outputs",
            "classification")


class ConfigError(ValueError):
    """A configuration problem; the message is one line naming the key."""


@dataclass(frozen=True)
class Scene:
    """Everything the workflow needs to know about a scene before any job."""

    name: str
    settings: dict  # section -> {key: value}, defaults filled in
    mosaic: MosaicLayout
    tiles: list  # of Tile, row-major

    @property
    def tile_rows(self):
        """Names of the tile rows, e.g. ['r000', 'r001']."""
        return [f"r{i:03d}" for i in range(grid_shape(self.tiles)[0])]

    @property
    def grid_layout(self):
        """{"shape": (tile rows, tile cols), "overlap": pixels} of the grid."""
        return {"shape": grid_shape(self.tiles), "overlap": self.settings["tiling"]["overlap"]}

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


def load_config_file(path):
    """The YAML config file ``path`` as a dict.

    Raises
    ------
    ConfigError
        One line naming the file (and the line and column of a YAML error):
        missing, unreadable, not YAML, or not a mapping.
    """
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file (run from the folder holding "
                          "config/, or pass --configfile)") from None
    except OSError as err:
        raise ConfigError(f"config file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1} column {mark.column + 1}" if mark else ""
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        context, cmark = getattr(err, "context", None), getattr(err, "context_mark", None)
        if context:
            what += f" ({context}" + (f" started at line {cmark.line + 1}" if cmark else "") + ")"
        raise ConfigError(f"config file {path}{where}: not valid YAML: {what}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"config file {path}: expected a mapping of keys (scenes:, ...), "
                          f"got {type(doc).__name__}")
    return doc


def check_config_file(path, required=True):
    """Refuse a broken config file before Snakemake reads it, in one line;
    a missing file only when ``required`` (no --configfile given)."""
    if required or os.path.exists(path):
        load_config_file(path)


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
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        msg = _unexpected_keys(err.instance, err.schema)
    elif err.validator == "oneOf":
        msg = f"{err.instance!r} is not valid: {_describe(err.schema)}"
    else:
        msg = err.message
    raise ConfigError(f"config key {where}: {msg}")


def _unexpected_keys(instance, schema):
    """'input' was unexpected; did you mean 'inputs'? (or the known keys)."""
    known = sorted(schema.get("properties", {}))
    extra = [k for k in instance if k not in known]
    parts = []
    for key in extra:
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        parts.append(f"{key!r} was unexpected; {hint}")
    return "; ".join(parts)


def _describe(schema):
    """Short text of a property's description, for oneOf errors."""
    return schema.get("description", "see config/README.md").rstrip(".")


def schema_defaults(schema, section):
    """{key: default} of one config section in the schema."""
    props = schema["$defs"][section]["properties"]
    return {k: copy.deepcopy(v["default"]) for k, v in props.items() if "default" in v}


def merged_settings(config, schema, scene):
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


def load_scenes(config, schema):
    """Check the config and every scene's inputs; return {name: Scene}.

    Raises ConfigError or RasterError with one line.
    """
    check_config(config, schema)
    check_writable(config.get("results", "results"))
    scenes = {}
    for name, entry in config["scenes"].items():
        if "keep_intermediate" in (entry.get("tiling") or {}):
            raise ConfigError(f"config key scenes/{name}/tiling/keep_intermediate: only the "
                              "global tiling section sets it (intermediate files are kept or "
                              "deleted for the whole run)")
        settings = merged_settings(config, schema, name)
        tiling = settings["tiling"]
        if tiling["overlap"] >= tiling["tile_size"]:
            raise ConfigError(
                f"config key scenes/{name}/tiling: overlap ({tiling['overlap']}) must be "
                f"smaller than tile_size ({tiling['tile_size']})"
            )
        mosaic = mosaic_layout(**scene_inputs(config, name), scene=name)
        _check_band_lists(name, settings, mosaic.bands, entry.get("bands"))
        if classify.enabled(settings):  # reads the training file's vectors, not pixels
            try:
                classify.check_settings(name, settings, mosaic)
            except ValueError as err:
                raise ConfigError(str(err)) from None
        tiles = tile_grid(mosaic.rows, mosaic.cols, tiling["tile_size"], tiling["overlap"])
        scenes[name] = Scene(name=name, settings=settings, mosaic=mosaic, tiles=tiles)
    return scenes


def keep_intermediate(config):
    """tiling/keep_intermediate of the global section (default False)."""
    return bool((config.get("tiling") or {}).get("keep_intermediate", False))


def scene_inputs(config, scene):
    """How the config describes a scene's mosaic: {inputs, stack_bands,
    bands, nodata}."""
    entry = config["scenes"][scene]
    return {"inputs": entry["inputs"], "stack_bands": entry.get("stack_bands", False),
            "bands": entry.get("bands"), "nodata": entry.get("nodata")}


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


def _check_band_lists(scene, settings, nbands, selected=None):
    """stats.bands and colour_table.rgb_bands must name bands of the mosaic,
    which counts the bands the scene's ``bands`` selected (``selected``, a
    list of input band numbers, or None)."""
    for section, key in (("stats", "bands"), ("colour_table", "rgb_bands")):
        value = settings[section][key]
        if not isinstance(value, list):
            continue
        for b in value:
            if 1 <= b <= nbands:
                continue
            msg = (f"config key scenes/{scene}/{section}/{key}: band {b} out of range "
                   f"1..{nbands} of the scene's mosaic")
            if selected:
                msg += (f"; these numbers count the bands selected by scenes/{scene}/bands "
                        f"({selected}: mosaic band 1 is input band {selected[0]})")
                if all(x in selected for x in value):
                    msg += f"; did you mean {[selected.index(x) + 1 for x in value]}?"
            raise ConfigError(msg)


def vector_format(settings):
    """'gpkg', 'parquet' or None from outputs.vector (true means 'gpkg')."""
    value = settings["outputs"]["vector"]
    if value is True:
        return "gpkg"
    return None if value in (False, None, "none") else value
