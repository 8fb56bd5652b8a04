"""Helpers for the workflow tests: real GeoTIFFs and real snakemake runs in
a temporary working directory (each with its own config/config.yaml)."""

import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "workflow" / "Snakefile"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
UTM18N = 'PROJCS["WGS 84 / UTM zone 18N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-75],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32618"]]'  # noqa: E501


def write_geotiff(path, image, *, origin=(500000.0, 4000000.0), pixel=30.0, nodata=None,
                  projection=UTM18N):
    """Write image (B, R, C) as a GeoTIFF with a north-up geotransform."""
    from osgeo import gdal, gdal_array

    gdal.UseExceptions()
    image = np.asarray(image)
    gtype = gdal_array.NumericTypeCodeToGDALTypeCode(image.dtype)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), image.shape[2], image.shape[1],
                                              image.shape[0], gtype)
    ds.SetGeoTransform((origin[0], pixel, 0.0, origin[1], 0.0, -pixel))
    ds.SetProjection(projection)
    for b in range(image.shape[0]):
        band = ds.GetRasterBand(b + 1)
        band.WriteArray(image[b])
        if nodata is not None:
            band.SetNoDataValue(nodata)
    ds = None
    return str(path)


def make_workdir(root, config):
    """A working directory with ``config`` as its config/config.yaml."""
    root = Path(root)
    (root / "config").mkdir(parents=True, exist_ok=True)
    config = {"results": str(root / "results"), **config}
    with open(root / "config" / "config.yaml", "w") as f:
        yaml.safe_dump(config, f)
    return root


def snakemake_cmd(workdir, *args, cores=2):
    """The snakemake command line for ``workdir``."""
    return [str(SNAKEMAKE), "--snakefile", str(SNAKEFILE), "--directory", str(workdir),
            "--cores", str(cores), "--quiet", *args]


def run_snakemake(workdir, *args, cores=2, check=True):
    """Run snakemake; return the CompletedProcess (text output)."""
    proc = subprocess.run(snakemake_cmd(workdir, *args, cores=cores), capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def rule_started(work, scene, rule):
    """True once a job of ``rule`` has started in scene ``scene`` of the run
    in ``work`` (its log file, or a log in its log folder, exists)."""
    logs = Path(work) / "results" / scene / "logs"
    return (logs / f"{rule}.log").exists() or (logs / rule).is_dir() and any(
        (logs / rule).iterdir()) or any(logs.glob(f"{rule}.*.log"))


def kill_run_when_started(work, scene, rule, *, cores=2, timeout=300):
    """Start snakemake in ``work`` and SIGKILL its whole process group as
    soon as a job of ``rule`` has started (:func:`rule_started`, polled
    every 10 ms); fails if the run ends first."""
    import os
    import signal
    import time

    proc = subprocess.Popen(snakemake_cmd(work, cores=cores), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not rule_started(work, scene,
                                                                              rule):
        time.sleep(0.01)
    assert proc.poll() is None, f"the run ended before {rule} started"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def read_labels(path):
    """A segment raster as (rows, cols) uint32."""
    from shepcore.raster import read_raster

    return read_raster(str(path))[0][0]


def benchmark_files(results, scene, rule):
    """Benchmark files of ``rule`` (per-tile rules have one per tile)."""
    base = os.path.join(results, scene, "benchmarks")
    return sorted(glob.glob(f"{base}/{rule}/*.tsv") + glob.glob(f"{base}/{rule}.tsv"))


def best_match_agreement(labels, reference):
    """Share of non-null pixels where ``labels`` agree with ``reference``
    after mapping every segment to the reference segment it overlaps most."""
    valid = (labels > 0) & (reference > 0)
    a = labels[valid].astype(np.int64)
    b = reference[valid].astype(np.int64)
    span = int(b.max()) + 1
    keys, counts = np.unique(a * span + b, return_counts=True)
    src = keys // span
    order = np.lexsort((-counts, src))
    src, counts = src[order], counts[order]
    first = np.ones(len(src), bool)
    first[1:] = src[1:] != src[:-1]
    return counts[first].sum() / valid.sum()


def boundary_density(labels, tiles):
    """(density on seam lines, density elsewhere): the share of adjacent
    non-null pixel pairs whose labels differ, across seam lines vs across
    every other pixel line."""
    h = (labels[:, 1:] != labels[:, :-1]) & (labels[:, 1:] > 0) & (labels[:, :-1] > 0)
    hv = (labels[:, 1:] > 0) & (labels[:, :-1] > 0)
    v = (labels[1:] != labels[:-1]) & (labels[1:] > 0) & (labels[:-1] > 0)
    vv = (labels[1:] > 0) & (labels[:-1] > 0)
    seam_cols = sorted({t.core_col - 1 for t in tiles if t.core_col > 0})
    seam_rows = sorted({t.core_row - 1 for t in tiles if t.core_row > 0})
    on = h[:, seam_cols].sum() + v[seam_rows].sum()
    on_n = hv[:, seam_cols].sum() + vv[seam_rows].sum()
    off = h.sum() + v.sum() - on
    off_n = hv.sum() + vv.sum() - on_n
    return on / max(on_n, 1), off / max(off_n, 1)
