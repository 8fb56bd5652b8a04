import sys
import time

from shepcore.pipeline import classify, resources
from shepcore.pipeline.config import (
    ConfigError,
    keep_intermediate,
    load_schema,
    load_scenes,
    scene_inputs,
    vector_format,
)
from shepcore._files import remove_orphan_sidecars
from shepcore.pipeline.report import scene_summary_line
from shepcore.raster.env import RasterError
from shepcore.raster.write import NO_COLOUR_TABLE, output_path

#: When this run started, for the summary lines printed at its end.
RUN_STARTED = time.time()

SCHEMA_PATH = f"{workflow.basedir}/schemas/config.schema.yaml"

# The config is validated once (against the schema, then every scene's
# inputs), with one-line errors naming the key or file, before any job runs.
try:
    SCENES = load_scenes(config, load_schema(SCHEMA_PATH))
except (ConfigError, RasterError) as err:
    sys.exit(f"shepcore: error: {err}")

RESULTS = config.get("results", "results")
SCENE_DIR = f"{RESULTS}/{{scene}}"


wildcard_constraints:
    scene="|".join(sorted(SCENES)) or "NO_SCENE",
    row=r"r\d{3}",
    tile=r"r\d{3}c\d{3}",
    ext=r"\.(img|tif)",
    table_ext=r"parquet|csv",
    vector_file=r"segments\.gpkg|segments_polygons\.parquet",


#: Polygon file of each outputs.vector kind, in the scene's folder.
VECTOR_FILES = {"gpkg": "segments.gpkg", "parquet": "segments_polygons.parquet"}


def final_outputs():
    """Every scene's products and its report plots."""
    out = []
    for name in SCENES:
        out += scene_products(name) + classification_outputs(name) + report_plots(name)
    return out


def scene_products(scene):
    """A scene's segment raster, summary and report tables, and the optional
    table, polygons, colour sidecars and quicklooks."""
    settings = SCENES[scene].settings
    outputs = settings["outputs"]
    base = f"{RESULTS}/{scene}"
    out = [segments_path(scene), f"{base}/summary.json"]
    if outputs["table"] != "none":
        out.append(f"{base}/segments.{outputs['table']}")
    if vector_format(settings):
        out.append(f"{base}/{VECTOR_FILES[vector_format(settings)]}")
    if (
        settings["output"]["format"] in NO_COLOUR_TABLE
        and settings["colour_table"]["mode"] != "none"
    ):
        out += [f"{base}/segments.clr", f"{base}/segments.qml"]
    if outputs["quicklook"]:
        out += [
            f"{base}/quicklook/scene_boundaries.png",
            f"{base}/quicklook/crop_boundaries.png",
            f"{base}/quicklook/segments_coloured.png",
        ]
    return out


def report_plots(scene):
    """The plots of a scene in the Snakemake report."""
    base = f"{RESULTS}/{scene}/report"
    return [f"{base}/{n}.png" for n in ("segment_sizes", "tile_pixels", "job_times")]


def products_of_scene(wildcards):
    """Every product of the wildcards' scene (the plots job waits for them,
    so that every job's benchmark is there to plot)."""
    return scene_products(wildcards.scene)


def summary_lines():
    """One line per finished scene: segments, tiles, times, outputs."""
    wall = time.time() - RUN_STARTED
    lines = [scene_summary_line(n, f"{RESULTS}/{n}", wall) for n in SCENES]
    return [line for line in lines if line]


def tidy_work_folders():
    """Delete the overviews and spill files (.rrd, .ige, .rde) of the
    intermediates Snakemake deleted (the stitched raster): a rule cannot
    declare them, a small raster has none."""
    for name in SCENES:
        remove_orphan_sidecars(f"{RESULTS}/{name}/work")


def segments_path(scene):
    """Final segment raster of a scene (extension by output format)."""
    fmt = SCENES[scene].settings["output"]["format"]
    return output_path(f"{RESULTS}/{scene}/segments", fmt)


def segments_file(wildcards):
    """Final segment raster of the wildcards' scene."""
    return segments_path(wildcards.scene)


def scene_config(wildcards):
    """Effective settings {section: {key: value}} of the wildcards' scene,
    without the classification section (its rules take their own params, so
    a change there does not rerun the statistics)."""
    settings = SCENES[wildcards.scene].settings
    return {k: v for k, v in settings.items() if k != "classification"}


def intermediate(path):
    """temp() unless tiling.keep_intermediate is set (global config)."""
    return path if keep_intermediate(config) else temp(path)


def mosaic_params(wildcards):
    """How the config describes the scene's mosaic (inputs, stacking,
    bands, nodata)."""
    return scene_inputs(config, wildcards.scene)


def mosaic_inputs(wildcards):
    """Input rasters of the scene."""
    return scene_inputs(config, wildcards.scene)["inputs"]


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


def tile_window(wildcards):
    """The Tile (window and core) of the wildcards' tile."""
    return SCENES[wildcards.scene].tile(wildcards.tile)


def tile_grid_layout(wildcards):
    """The scene's tile grid as {shape: (tile rows, tile cols), overlap}."""
    return SCENES[wildcards.scene].grid_layout


def seam_tile_names(wildcards):
    """Names of the tiles of the tile row and of the row below it."""
    scene = SCENES[wildcards.scene]
    i = int(wildcards.row[1:])
    return [t.name for t in scene.tiles if t.grid_row in (i, i + 1)]


def seam_labels(wildcards):
    """Label files of the tile row and of the row below it."""
    names = seam_tile_names(wildcards)
    return [f"{RESULTS}/{wildcards.scene}/labels/{n}.npy" for n in names]


def seam_pieces(wildcards):
    """Core-piece files of the tile row and of the row below it."""
    names = seam_tile_names(wildcards)
    return [f"{RESULTS}/{wildcards.scene}/labels/{n}.pieces.npz" for n in names]


def all_seams(wildcards):
    """Seam pair files of every tile row of the scene."""
    rows = SCENES[wildcards.scene].tile_rows
    return [f"{RESULTS}/{wildcards.scene}/seams/{r}.npy" for r in rows]


def all_pieces(wildcards):
    """Core-piece files of every tile of the scene, in tile index order."""
    tiles = SCENES[wildcards.scene].tiles
    return [f"{RESULTS}/{wildcards.scene}/labels/{t.name}.pieces.npz" for t in tiles]


def all_labels(wildcards):
    """Label files of every tile of the scene."""
    tiles = SCENES[wildcards.scene].tiles
    return [f"{RESULTS}/{wildcards.scene}/labels/{t.name}.npy" for t in tiles]


def all_tiles(wildcards):
    """Every Tile of the scene, in tile index order."""
    return SCENES[wildcards.scene].tiles


def of_scene(resource):
    """A resource function of the wildcards' scene from ``resource(scene)``
    (one of shepcore.pipeline.resources: memory or threads of a job)."""

    def value(wildcards):
        return resource(SCENES[wildcards.scene])

    return value


def job_runtime(rule):
    """Runtime limit (minutes) of a job of ``rule``, growing with the pixels
    it handles (shepcore.pipeline.resources.runtime_min)."""

    def runtime(wildcards):
        return resources.runtime_min(SCENES[wildcards.scene], rule)

    return runtime


def output_format(wildcards):
    """GDAL driver of the scene's segment raster."""
    return SCENES[wildcards.scene].settings["output"]["format"]


def scene_bands(wildcards):
    """Number of bands of the scene's mosaic."""
    return SCENES[wildcards.scene].mosaic.bands


def row_core_window(wildcards):
    """(row, col, rows, cols) of the cores of a tile row, full width."""
    scene = SCENES[wildcards.scene]
    tiles = scene.tiles_in_row(wildcards.row)
    return (tiles[0].core_row, 0, tiles[0].core_rows, scene.mosaic.cols)


def all_row_core_windows(wildcards):
    """(row, col, rows, cols) of every tile row's cores, in row order."""
    scene = SCENES[wildcards.scene]
    return [
        (t[0].core_row, 0, t[0].core_rows, scene.mosaic.cols)
        for t in (scene.tiles_in_row(r) for r in scene.tile_rows)
    ]


def all_stats_parts(wildcards):
    """Partial-statistics folders of every tile row of the scene."""
    rows = SCENES[wildcards.scene].tile_rows
    return [f"{RESULTS}/{wildcards.scene}/work/stats/{r}" for r in rows]


def stats_mem_mb(wildcards):
    """Memory of a statistics job: its budget plus interpreter and GDAL."""
    return resources.STATS_JOB_MB


def quicklook_bands(wildcards):
    """Bands shown in the scene quicklook: the colour-table bands."""
    from shepcore.pipeline.attributes import colour_bands

    scene = SCENES[wildcards.scene]
    return colour_bands(scene.settings, scene.mosaic.bands)


# -- classification (rules/classify.smk) ------------------------------------


def classification_outputs(scene):
    """Class raster, class table, accuracy report and class quicklook of a
    scene whose classification names a training file; [] otherwise."""
    settings = SCENES[scene].settings
    if not classify.enabled(settings):
        return []
    base = f"{RESULTS}/{scene}"
    fmt = settings["output"]["format"]
    out = [output_path(f"{base}/classes", fmt), f"{base}/classes.parquet"]
    out.append(f"{base}/accuracy.json")
    if settings["outputs"]["quicklook"]:
        out.append(f"{base}/quicklook/classes.png")
    return out


def classes_file(wildcards):
    """Class raster of the wildcards' scene (extension by output format)."""
    fmt = SCENES[wildcards.scene].settings["output"]["format"]
    return output_path(f"{RESULTS}/{wildcards.scene}/classes", fmt)


def training_file(wildcards):
    """Training vector file of the wildcards' scene."""
    return SCENES[wildcards.scene].settings["classification"]["training"]


def _classification_params(wildcards, rule):
    scene = SCENES[wildcards.scene]
    return classify.rule_params(scene.settings, scene.mosaic.bands, rule)


def training_params(wildcards):
    """Training samples, class field and names, features (resolved), folds."""
    return _classification_params(wildcards, "training_table")


def train_params(wildcards):
    """Classifier, number of trees or stages, seed."""
    return _classification_params(wildcards, "train")


def class_map_params(wildcards):
    """Class colours."""
    return _classification_params(wildcards, "class_map")


def accuracy_params(wildcards):
    """Classifier settings and folds of the cross-validation."""
    return _classification_params(wildcards, "accuracy")
