"""Progress lines for long steps: plain text, one line per step, on stderr
(a workflow job's log, the terminal for the command line). Library
functions take an optional ``progress`` callable and stay silent without
one; the callers (workflow scripts, ``shepcore`` commands) pass these."""

import sys


def percent_printer(what, step=10, stream=None):
    """A ``progress(fraction)`` callable that prints ``<what>: 30 %`` each
    time ``fraction`` (0..1) passes a multiple of ``step`` percent (at most
    100 // step + 1 lines, always ending with 100 %)."""
    state = {"next": 0}

    def progress(fraction):
        pct = int(max(0.0, min(1.0, float(fraction))) * 100 + 1e-9)
        if pct >= state["next"]:
            print(f"{what}: {pct // step * step} %", file=stream or sys.stderr, flush=True)
            state["next"] = (pct // step + 1) * step
        return True

    return progress


def step_printer(what, stream=None):
    """A ``progress(i, n, detail='')`` callable printing ``<what> i of n``
    (1-based) with an optional detail, e.g. ``statistics window 2 of 9``."""

    def progress(i, n, detail=""):
        tail = f": {detail}" if detail else ""
        print(f"{what} {i + 1} of {n}{tail}", file=stream or sys.stderr, flush=True)

    return progress
