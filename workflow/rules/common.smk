import sys

from snakemake.utils import validate

from shepcore.io import RasterError, output_path
from shepcore.scenes import ConfigError, load_schema, plan_scenes
from shepcore import scenes as scene_rules

SCHEMA_PATH = f"{workflow.basedir}/schemas/config.schema.yaml"

# One-line errors for bad config or inputs, before any job runs.
try:
    SCHEMA = load_schema(SCHEMA_PATH)
    SCENES = plan_scenes(config, SCHEMA)
except (ConfigError, RasterError) as err:
    sys.exit(f"shepcore: error: {err}")
validate(config, schema=SCHEMA_PATH, set_default=False)

RESULTS = config.get("results", "results")
SCENE_DIR = f"{RESULTS}/{{scene}}"


wildcard_constraints:
    scene="|".join(sorted(SCENES)) or "NO_SCENE",
    row=r"r\d{3}",
    tile=r"r\d{3}c\d{3}",
    ext=r"\.(img|tif)",
    table_ext=r"parquet|csv",


def final_outputs():
    """Every scene's segment raster, summary, report tables and the optional
    table, polygons and quicklooks."""
    out = []
    for name, plan in SCENES.items():
        outputs = plan.settings["outputs"]
        base = f"{RESULTS}/{name}"
        out += [segments_path(name), f"{base}/summary.json"]
        if outputs["table"] != "none":
            out.append(f"{base}/segments.{outputs['table']}")
        if outputs["vector"]:
            out.append(f"{base}/segments.gpkg")
        if outputs["quicklook"]:
            out += [
                f"{base}/quicklook/scene_boundaries.png",
                f"{base}/quicklook/segments_coloured.png",
            ]
    return out


def segments_path(scene):
    """Final segment raster of a scene (extension by output format)."""
    fmt = SCENES[scene].settings["output"]["format"]
    return output_path(f"{RESULTS}/{scene}/segments", fmt)


def segments_file(wildcards):
    """Final segment raster of the wildcards' scene."""
    return segments_path(wildcards.scene)


def scene_settings(wildcards):
    """Effective settings (segmentation, tiling, output) of the scene."""
    return SCENES[wildcards.scene].settings


def intermediate(path):
    """temp() unless tiling.keep_intermediate is set (global config)."""
    keep = (config.get("tiling") or {}).get("keep_intermediate", False)
    return path if keep else temp(path)


def mosaic_params(wildcards):
    """The scene's mosaic plan as plain values."""
    entry = config["scenes"][wildcards.scene]
    return {
        "inputs": entry["inputs"],
        "stack_bands": entry.get("stack_bands", False),
        "bands": entry.get("bands"),
        "nodata": entry.get("nodata"),
    }


def mosaic_inputs(wildcards):
    """Input rasters of the scene."""
    return config["scenes"][wildcards.scene]["inputs"]


def model_params(wildcards):
    """k-means settings of the scene plus the null value."""
    seg = SCENES[wildcards.scene].settings["segmentation"]
    keys = (
        "num_clusters",
        "max_spectral_diff",
        "spectral_diff_percentile",
        "fixed_init",
        "seed",
        "sample_pixels",
    )
    return {k: seg[k] for k in keys} | {"nodata": SCENES[wildcards.scene].mosaic.nodata}


def segment_params(wildcards):
    """Per-tile segmentation settings of the scene."""
    seg = SCENES[wildcards.scene].settings["segmentation"]
    return {k: seg[k] for k in ("min_segment_size", "connectivity")}


def tile_dict(wildcards):
    """The tile window of the wildcards' tile as a dict."""
    return SCENES[wildcards.scene].tile(wildcards.tile).__dict__


def row_tiles(wildcards):
    """Tile windows of the wildcards' tile row as dicts."""
    return [t.__dict__ for t in SCENES[wildcards.scene].tiles_in_row(wildcards.row)]


def tile_row_dir(wildcards):
    """Folder of split tile images holding the wildcards' tile."""
    return f"{RESULTS}/{wildcards.scene}/tiles/{wildcards.tile[:4]}"


def seam_labels(wildcards):
    """Label files of the tile row and of the row below it."""
    plan = SCENES[wildcards.scene]
    i = int(wildcards.row[1:])
    names = [t.name for t in plan.tiles if t.grid_row in (i, i + 1)]
    return [f"{RESULTS}/{wildcards.scene}/labels/{n}.npy" for n in names]


def all_seams(wildcards):
    """Seam pair files of every tile row of the scene."""
    rows = SCENES[wildcards.scene].tile_rows
    return [f"{RESULTS}/{wildcards.scene}/seams/{r}.npy" for r in rows]


def all_core_flags(wildcards):
    """Core-presence files of every tile of the scene."""
    tiles = SCENES[wildcards.scene].tiles
    return [f"{RESULTS}/{wildcards.scene}/labels/{t.name}.core.npy" for t in tiles]


def all_labels(wildcards):
    """Label files of every tile of the scene."""
    tiles = SCENES[wildcards.scene].tiles
    return [f"{RESULTS}/{wildcards.scene}/labels/{t.name}.npy" for t in tiles]


def all_tile_dicts(wildcards):
    """Every tile window of the scene as dicts."""
    return [t.__dict__ for t in SCENES[wildcards.scene].tiles]


def segment_mem_mb(wildcards):
    """Memory of a tile job (see shepcore.scenes.segment_memory_mb)."""
    return scene_rules.segment_memory_mb(SCENES[wildcards.scene])


def segment_runtime(wildcards):
    """Runtime limit of a tile job in minutes."""
    return scene_rules.segment_runtime_min(SCENES[wildcards.scene])


def segment_threads(wildcards):
    """Threads of a tile job."""
    return scene_rules.segment_threads(SCENES[wildcards.scene])


def assemble_mem_mb(wildcards):
    """Memory of the assemble job: two tiles' labels, LUT and histogram."""
    plan = SCENES[wildcards.scene]
    return 500 + scene_rules.largest_tile_pixels(plan) * 16 // 2**20


def output_format(wildcards):
    """GDAL driver of the scene's segment raster."""
    return SCENES[wildcards.scene].settings["output"]["format"]


def scene_bands(wildcards):
    """Number of bands of the scene's mosaic."""
    return SCENES[wildcards.scene].mosaic.bands


def row_core_window(wildcards):
    """(row, col, rows, cols) of the cores of a tile row, full width."""
    plan = SCENES[wildcards.scene]
    tiles = plan.tiles_in_row(wildcards.row)
    return (tiles[0].core_row, 0, tiles[0].core_rows, plan.mosaic.cols)


def all_stats_parts(wildcards):
    """Partial-statistics folders of every tile row of the scene."""
    rows = SCENES[wildcards.scene].tile_rows
    return [f"{RESULTS}/{wildcards.scene}/work/stats/{r}" for r in rows]


def stats_mem_mb(wildcards):
    """Memory of a statistics job: its budget plus interpreter and GDAL."""
    return 1200


def quicklook_bands(wildcards):
    """Bands shown in the scene quicklook: the colour-table bands."""
    from shepcore.attributes import colour_bands

    plan = SCENES[wildcards.scene]
    return colour_bands(plan.settings, plan.mosaic.bands)
