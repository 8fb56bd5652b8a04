"""A synthetic mosaic of many files for the scale benchmark, written piece
by piece (never the whole mosaic in memory) and kept for reruns.

Usage: python benchmarks/scale_mosaic.py SIZE FOLDER [--file 4000]

SIZE x SIZE x 3 uint16 pixels as (SIZE / FILE)^2 tiled DEFLATE GeoTIFFs of
FILE x FILE on one grid (30 m pixels, UTM 18N), nodata 0:
- Voronoi regions of about 1600 x 1600 pixels (one jittered seed per cell,
  spectra drawn per region), textured by a finer Voronoi of about 25 x 25
  pixel cells, each offset by a normal draw of sd 1500 (about 1600 cells,
  so about as many segments, per megapixel: fields and parcels rather
  than a few uniform regions), Gaussian noise of sd 400 per pixel (seeded
  per file), values clipped to 1..65535;
- a null collar along the outer edge of the mosaic, 200 to 1000 pixels
  wide (it waves along the edge);
- the files of three corners all null (the first corner only for mosaics
  of 4 x 4 files or fewer).
Files already there (with a .done marker) are kept.
"""

import argparse
import os
import sys
import time

import numpy as np

CELL = 1600          # Voronoi cell (pixels)
FINE = 25            # texture cell (pixels)
FINE_SD = 1500.0     # texture offsets, band units
NOISE = 400.0        # band units
STRIP = 500          # rows written at a time
SEED = 14
PIXEL = 30.0
ORIGIN = (500000.0, 5000000.0)
UTM18N = ('PROJCS["WGS 84 / UTM zone 18N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID['
          '"WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
          '0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER['
          '"latitude_of_origin",0],PARAMETER["central_meridian",-75],PARAMETER['
          '"scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER['
          '"false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32618"]]')


def null_files(nfiles):
    """(row, col) of the all-null files."""
    last = nfiles - 1
    return {(0, 0)} if nfiles <= 4 else {(0, 0), (0, last), (last, 0)}


def collar_width(position, size):
    """Collar width (pixels) at ``position`` along an edge of ``size``."""
    return 600 + 400 * np.sin(2 * np.pi * 3 * position / size)


def file_paths(size, folder, file_size=4000):
    n = size // file_size
    return [os.path.join(folder, f"scene_r{i:02d}c{j:02d}.tif")
            for i in range(n) for j in range(n)]


def write_file(path, size, i, j, file_size, spectra, texture):
    from osgeo import gdal

    from shepcore.synthetic import voronoi_regions

    gdal.UseExceptions()
    grid = (size // CELL, size // CELL)
    n = size // file_size
    tmp = path + ".partial.tif"
    ds = gdal.GetDriverByName("GTiff").Create(
        tmp, file_size, file_size, 3, gdal.GDT_UInt16,
        options=["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"])
    ds.SetGeoTransform((ORIGIN[0] + j * file_size * PIXEL, PIXEL, 0.0,
                        ORIGIN[1] - i * file_size * PIXEL, 0.0, -PIXEL))
    ds.SetProjection(UTM18N)
    for b in range(3):
        ds.GetRasterBand(b + 1).SetNoDataValue(0)
    rng = np.random.default_rng((SEED, i, j))
    for r0 in range(0, file_size, STRIP):
        rows = min(STRIP, file_size - r0)
        if (i, j) in null_files(n):
            data = np.zeros((3, rows, file_size), np.uint16)
        else:
            gr, gc = i * file_size + r0, j * file_size
            regions = voronoi_regions(size, size, grid, SEED, (gr, gc, rows, file_size))
            fine = voronoi_regions(size, size, (size // FINE, size // FINE), SEED + 1,
                                   (gr, gc, rows, file_size))
            rr = np.arange(gr, gr + rows)[:, None]
            cc = np.arange(gc, gc + file_size)[None, :]
            collar = ((rr < collar_width(cc, size)) | (size - 1 - rr < collar_width(cc, size))
                      | (cc < collar_width(rr, size)) | (size - 1 - cc < collar_width(rr, size)))
            data = np.empty((3, rows, file_size), np.uint16)
            for b in range(3):
                band = (spectra[regions, b] + texture[fine, b]
                        + rng.normal(0.0, NOISE, regions.shape))
                band = np.clip(np.rint(band), 1, 65535)
                band[collar] = 0
                data[b] = band
        for b in range(3):
            ds.GetRasterBand(b + 1).WriteArray(data[b], 0, r0)
    ds = None
    os.replace(tmp, path)


def make_mosaic(size, folder, file_size=4000):
    """Write the mosaic's files into ``folder`` (kept ones are skipped);
    returns their paths."""
    os.makedirs(folder, exist_ok=True)
    n = size // file_size
    if n * file_size != size:
        raise SystemExit(f"size {size} is not a multiple of the file size {file_size}")
    nreg = (size // CELL) ** 2
    rng = np.random.default_rng(SEED)
    spectra = rng.uniform(1000, 20000, (nreg, 3))
    spectra[:, 0] = rng.permutation(np.linspace(1000, 20000, nreg, endpoint=False))
    texture = np.random.default_rng(SEED + 1).normal(0.0, FINE_SD, ((size // FINE) ** 2, 3))
    paths = file_paths(size, folder, file_size)
    t = time.perf_counter()
    for k, path in enumerate(paths):
        if os.path.exists(path):
            continue
        write_file(path, size, k // n, k % n, file_size, spectra, texture)
        print(f"  {os.path.basename(path)} ({k + 1}/{len(paths)}, "
              f"{time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", type=int)
    ap.add_argument("folder")
    ap.add_argument("--file", type=int, default=4000)
    args = ap.parse_args()
    paths = make_mosaic(args.size, args.folder, args.file)
    print(f"{len(paths)} files in {args.folder}")


if __name__ == "__main__":
    main()
