"""The tiled path on an image in memory: the same steps as the workflow's
jobs (one model for the whole image, each tile segmented on its own, seams
matched, stitched and repaired), without files or Snakemake. For images
that fit in memory; the workflow runs the same functions on mosaics that
do not."""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from ..model import fit_model
from ..nulls import valid_pixels, valid_samples
from ..sampling import sample_grid
from ..segmentation import segment
from .grid import grid_shape, tile_grid
from .pieces import tile_pieces
from .seams import row_seam_pairs
from .stitch import relabel_core, stitch_tiles


@dataclass
class TiledResult:
    """What :func:`segment_tiled` returns.

    labels : (R, C) uint32, IDs 1..N, 0 = null; model : SpectralModel;
    num_segments : int; tiles : list of Tile; report : dict (the seam
    figures of summary.json).
    """

    labels: np.ndarray
    model: object
    num_segments: int
    tiles: list
    report: dict = field(default_factory=dict)


def fit_on_grid(image, *, nodata=None, sample_pixels=1_000_000, **fit_args):
    """fit_model on about ``sample_pixels`` non-null pixels of a regular grid
    over ``image`` (B, R, C), as the workflow's model job samples a mosaic."""
    img = v.as_band_stack(image)

    def read(rows, cols):
        return img[:, rows][:, :, cols].reshape(img.shape[0], -1).T

    samples = sample_grid(img.shape[1], img.shape[2], sample_pixels, read,
                          lambda x: valid_samples(x, nodata))
    return fit_model(samples, nodata=nodata, **fit_args)


def segment_tiled(image, *, tile_size=4096, overlap=1024, model=None, min_segment_size=50,
                  connectivity=4, nodata=None, sample_pixels=1_000_000, **fit_args):
    """Segment ``image`` (B, R, C) tile by tile and stitch the tiles.

    Parameters as :func:`shepcore.segment` and the workflow's ``tiling``
    section; ``fit_args`` (num_clusters, max_spectral_diff,
    spectral_diff_percentile, fixed_init, seed) go to :func:`fit_model`
    when no ``model`` is given. Returns a :class:`TiledResult` whose labels
    equal the workflow's segment raster for the same image and settings.
    """
    img = v.as_band_stack(image)
    connectivity = v.check_connectivity(connectivity)
    if model is None:
        model = fit_on_grid(img, nodata=nodata, sample_pixels=sample_pixels, **fit_args)
    eight = connectivity == 8
    tiles = tile_grid(img.shape[1], img.shape[2], tile_size, overlap)
    shape = grid_shape(tiles)
    labels, pieces = [], []
    for t in tiles:
        tile_img = img[:, t.row:t.row + t.rows, t.col:t.col + t.cols]
        lab, info, _ = segment_tile(tile_img, model, t, shape, overlap, min_segment_size,
                                    connectivity)
        labels.append(lab)
        pieces.append(info)
    pairs = [row_seam_pairs(tiles, i, lambda t: labels[t.index],
                            lambda t: pieces[t.index].to_label()) for i in range(shape[0])]
    limit = model.max_spectral_diff
    lut, offsets, n, report = stitch_tiles(
        tiles, np.concatenate(pairs), lambda t: pieces[t.index], min_size=min_segment_size,
        limit2=np.inf if np.isinf(limit) else limit**2, eight=eight)
    out = np.zeros(img.shape[1:], np.uint32)
    for t in tiles:
        out[t.core_row:t.core_row + t.core_rows, t.core_col:t.core_col + t.core_cols] = \
            relabel_core(labels[t.index], t, lut, offsets[t.index])
    return TiledResult(out, model, n, tiles, report)


def segment_tile(tile_img, model, tile, shape, overlap, min_segment_size, connectivity):
    """One tile (the workflow's tile job does the same): (labels (R, C)
    uint32 with core pieces split, TilePieces, timings {stage: s}). An
    all-null tile (e.g. a collar corner) has no segments."""
    import time

    if not valid_pixels(tile_img, model.nodata).any():
        labels = np.zeros(tile_img.shape[1:], np.uint32)
        reasons, timings = np.zeros(1, np.uint8), {}
    else:
        res = segment(tile_img, model=model, min_segment_size=min_segment_size,
                      connectivity=connectivity)
        labels, reasons, timings = res.labels, res.small_reason, res.timings
    t = time.perf_counter()
    info = tile_pieces(labels, tile_img, tile, shape, overlap, connectivity == 8, reasons)
    timings["pieces"] = time.perf_counter() - t
    return labels, info, timings
