"""Plots of a run for the Snakemake report (matplotlib, Agg backend, PNG):
segment size distribution (log-log), pixels per tile, time per job. Each
function takes plain arrays and writes one PNG atomically."""

import numpy as np

from .._files import atomic_path

#: Picture size (inches) and resolution of every plot.
FIGSIZE = (7.0, 4.2)
DPI = 110


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return plt, fig, ax


def _save(plt, fig, out):
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)
    return out


def size_distribution(sizes, out, title="Segment sizes"):
    """Log-log histogram of segment sizes.

    sizes : (N,) pixel counts of the segments (> 0); bins double in size.
    """
    plt, fig, ax = _figure()
    sizes = np.asarray(sizes, np.float64)
    sizes = sizes[sizes > 0]
    if sizes.size:
        top = max(2.0, 2.0 ** np.ceil(np.log2(sizes.max() + 1)))
        edges = 2.0 ** np.arange(0, np.log2(top) + 1)
        counts, _ = np.histogram(sizes, bins=edges)
        keep = counts > 0
        ax.loglog(np.sqrt(edges[:-1] * edges[1:])[keep], counts[keep], "o-", color="#1f77b4")
    ax.set_xlabel("segment size (pixels, bins doubling)")
    ax.set_ylabel("number of segments")
    ax.set_title(f"{title}: {sizes.size} segments, median {np.median(sizes) if sizes.size else 0:g}"
                 " pixels")
    ax.grid(True, which="both", alpha=0.3)
    return _save(plt, fig, out)


def tile_pixels(names, segmented, null, out, title="Pixels per tile"):
    """Stacked bars of the segmented and null pixels of each tile's core.

    names : list of str; segmented, null : (T,) pixel counts.
    """
    plt, fig, ax = _figure()
    x = np.arange(len(names))
    seg = np.asarray(segmented, np.float64) / 1e6
    nul = np.asarray(null, np.float64) / 1e6
    ax.bar(x, seg, color="#2ca02c", label="segmented")
    ax.bar(x, nul, bottom=seg, color="#bbbbbb", label="null")
    ax.set_xticks(x, names, rotation=90 if len(names) > 12 else 0, fontsize=7)
    ax.set_ylabel("core pixels (millions)")
    ax.set_title(f"{title}: {len(names)} tiles")
    ax.legend()
    return _save(plt, fig, out)


def job_times(rules, seconds, out, title="Time per job"):
    """Every job's wall time, one row of dots per rule (longest total first),
    with the rule's job count and summed time.

    rules : list of str (one per job); seconds : (J,) wall seconds.
    """
    plt, fig, ax = _figure()
    seconds = np.asarray(seconds, np.float64)
    names = sorted(set(rules), key=lambda r: -sum(s for q, s in zip(rules, seconds,
                                                                     strict=True) if q == r))
    for i, name in enumerate(names):
        times = np.array([s for q, s in zip(rules, seconds, strict=True) if q == name])
        ax.plot(times, np.full(times.size, i), "o", color="#d62728", alpha=0.6)
        ax.annotate(f" {times.size} job{'s' if times.size > 1 else ''}, {times.sum():.1f} s",
                    (times.max(), i), va="center", fontsize=8)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("wall time per job (s)")
    ax.set_title(f"{title}: {len(rules)} jobs, {seconds.sum():.1f} s in all")
    ax.grid(True, axis="x", alpha=0.3)
    ax.margins(x=0.25)
    return _save(plt, fig, out)
