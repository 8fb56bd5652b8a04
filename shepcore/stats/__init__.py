"""The statistics layer: per-segment statistics of image bands and segment shapes, as RAT columns.

The work is a map-reduce over windows of the segment raster, so that it
runs in a fixed memory budget whatever the raster size and segment count,
and spreads over jobs:

* :func:`partial_statistics` (map, one window): per-segment aggregates that
  combine exactly (pixel and value counts, exact integer sums, minima,
  maxima, edge counts), final order statistics for the segments that lie
  wholly inside the window (known from the RAT ``Histogram`` column), and
  the sorted (segment, value) pairs of the other segments.
* :func:`combine_partials` / :func:`iter_column_chunks` (reduce): segment
  IDs are split into ranges ("partitions") sized to the budget; each range
  reads its rows from every partial, merges the aggregates and streams the
  carried value pairs of its segments in (segment, value) order, in chunks
  of bounded size, through the order-statistics kernel.
* :func:`segment_statistics` runs both in one process (partials go to a
  temporary folder) and returns the columns; :func:`write_segment_statistics`
  streams them into a new copy of the segment raster.

Every result is a function of the set of pixels only: the same numbers,
bit for bit, whatever the windows, their order or the memory budget.
See :func:`segment_statistics` for the definitions.

Modules: :mod:`.spec` (what to compute), :mod:`.partial` (map),
:mod:`.combine` (reduce), :mod:`.order` (sorted value pairs and the
order-statistics stream), :mod:`.store` (partial files), :mod:`.api`
(whole computations).
"""

from .api import segment_statistics, write_segment_statistics
from .combine import combine_partials, iter_column_chunks
from .partial import StatsPartial, load_partial, partial_statistics, stats_windows
from .spec import DEFAULT_STATISTICS, SPATIAL, SPATIAL_GROUPS, STATISTICS

__all__ = [
    "DEFAULT_STATISTICS", "SPATIAL", "SPATIAL_GROUPS", "STATISTICS", "StatsPartial",
    "combine_partials", "iter_column_chunks", "load_partial", "partial_statistics",
    "segment_statistics", "stats_windows", "write_segment_statistics",
]
