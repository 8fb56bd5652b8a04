"""Why a segment below min_segment_size survives the elimination: the codes
used by SegmentationResult.small_reason, the seam repair and summary.json.
``min_segment_size`` is not a hard floor: a small segment stays when no
neighbour may take it."""

import numpy as np

#: Reason code -> name.
SURVIVOR_REASONS = {1: "only_null_neighbours", 2: "no_larger_neighbour",
                    3: "beyond_max_spectral_diff"}


def count_reasons(codes):
    """{reason name: count} of an array or sequence of reason codes (0 =
    not a survivor, ignored)."""
    codes = np.asarray(codes, np.int64).ravel()
    counts = np.bincount(codes, minlength=len(SURVIVOR_REASONS) + 1)
    return {name: int(counts[code]) for code, name in SURVIVOR_REASONS.items()}
