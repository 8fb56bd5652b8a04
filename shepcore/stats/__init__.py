"""The statistics layer: per-segment statistics of image bands and segment shapes, as RAT columns.

The work is a map-reduce over windows of the segment raster, so that it
runs in a fixed memory budget whatever the raster size and segment count,
and spreads over jobs:

* :func:`partial_statistics` / :func:`write_partials` (map, one window at
  a time): the segment window and the image bands are read once; per band
  one pass takes the aggregates that combine exactly (pixel and value
  counts, exact integer sums, minima, maxima, edge counts) and one more
  orders each segment's values (counted into a dense histogram over the
  segment's own range, or sorted). Segments that lie wholly inside the
  window (known from the RAT ``Histogram`` column) get their order
  statistics there; the others carry their values on: integer bands as
  (value, count) histogram entries, float bands (the exact path) as every
  sorted value.
* :func:`combine_partials` / :func:`iter_column_chunks` (reduce): segment
  IDs are split into ranges ("partitions") sized to the budget; each range
  reads its rows from every partial, merges the aggregates and streams the
  carried entries of its segments in (segment, value) order, in chunks of
  bounded size, through the order-statistics kernel.
* :func:`segment_statistics` runs both in one process (partials go to a
  temporary folder) and returns the columns; :func:`write_segment_statistics`
  streams them into a new copy of the segment raster.

Every result is a function of the set of pixels only: the same numbers,
bit for bit, whatever the windows, their order, the memory budget or the
path (histogram entries or values) the carried values take.
See :func:`segment_statistics` for the definitions.

Modules: :mod:`.spec` (what to compute), :mod:`.partial` (map),
:mod:`.combine` (reduce), :mod:`.order` (sorted pairs and histogram
entries, their merge, the order-statistics stream), :mod:`.store`
(partial files), :mod:`.api` (whole computations).
"""

from .api import segment_statistics, write_segment_statistics
from .combine import combine_partials, iter_column_chunks
from .partial import (
    StatsPartial,
    load_partial,
    partial_statistics,
    stats_windows,
    write_partials,
)
from .spec import DEFAULT_STATISTICS, SPATIAL, SPATIAL_GROUPS, STATISTICS

__all__ = [
    "DEFAULT_STATISTICS", "SPATIAL", "SPATIAL_GROUPS", "STATISTICS", "StatsPartial",
    "combine_partials", "iter_column_chunks", "load_partial", "partial_statistics",
    "segment_statistics", "stats_windows", "write_partials", "write_segment_statistics",
]
