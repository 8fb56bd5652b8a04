"""The tile grid of a mosaic: overlapping tiles and the cores that partition
the mosaic exactly (docs/algorithm.md, "Large rasters: tiles and stitching").

Pure Python on raster sizes: cheap enough to run while Snakemake parses.
"""

from dataclasses import dataclass

#: Smallest overlap (pixels): the seam needs a pixel of overlap on each side.
#: The config schema's tiling/overlap minimum is the same number.
MIN_OVERLAP = 2


@dataclass(frozen=True)
class Tile:
    """One tile. All offsets and sizes are pixels of the mosaic (int).

    ``row, col, rows, cols`` is the tile window including its overlap;
    ``core_*`` the part whose labels go into the final raster.
    """

    name: str
    index: int
    grid_row: int
    grid_col: int
    row: int
    col: int
    rows: int
    cols: int
    core_row: int
    core_col: int
    core_rows: int
    core_cols: int


def axis_spans(length, tile_size, overlap):
    """Tile spans [(start, stop)] and core spans along one axis.

    Tiles step by ``tile_size - overlap`` and overlap their neighbours by
    exactly ``overlap`` pixels; the last tile grows (to less than
    2 * tile_size - overlap) instead of leaving a sliver; a length up to
    ``tile_size`` is one tile. Cores split each overlap at its middle.
    """
    if length <= 0:
        raise ValueError(f"length must be > 0, got {length}")
    if tile_size <= 0:
        raise ValueError(f"tile_size must be > 0, got {tile_size}")
    if not MIN_OVERLAP <= overlap < tile_size:
        raise ValueError(f"overlap must be in [{MIN_OVERLAP}, tile_size), got {overlap}")
    stride = tile_size - overlap
    n = max(1, (length - overlap) // stride)
    starts = [i * stride for i in range(n)]
    stops = [s + tile_size for s in starts[:-1]] + [length]
    half = overlap // 2
    core_starts = [0] + [s + half for s in starts[1:]]
    core_stops = core_starts[1:] + [length]
    return list(zip(starts, stops, strict=True)), list(zip(core_starts, core_stops, strict=True))


def tile_grid(rows, cols, tile_size, overlap):
    """All tiles of a rows x cols mosaic in row-major order (list of Tile).

    Names are ``r{grid_row:03d}c{grid_col:03d}``.
    """
    row_spans, row_cores = axis_spans(rows, tile_size, overlap)
    col_spans, col_cores = axis_spans(cols, tile_size, overlap)
    tiles = []
    for i, ((r0, r1), (cr0, cr1)) in enumerate(zip(row_spans, row_cores, strict=True)):
        for j, ((c0, c1), (cc0, cc1)) in enumerate(zip(col_spans, col_cores, strict=True)):
            tiles.append(Tile(
                name=f"r{i:03d}c{j:03d}", index=len(tiles), grid_row=i, grid_col=j,
                row=r0, col=c0, rows=r1 - r0, cols=c1 - c0,
                core_row=cr0, core_col=cc0, core_rows=cr1 - cr0, core_cols=cc1 - cc0,
            ))
    return tiles


def grid_shape(tiles):
    """(number of tile rows, number of tile columns) of a tile list."""
    return max(t.grid_row for t in tiles) + 1, max(t.grid_col for t in tiles) + 1
