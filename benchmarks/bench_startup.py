"""Job start-up and the demo run: what a user waits for on small scenes.

Usage: python benchmarks/bench_startup.py [--repeats 5] [--cores 2]

Prints
  (a) a no-op workflow job: a real Snakemake ``script:`` job that enters
      ``job_errors``, imports the tile job's modules and calls one cached
      numba kernel (process start, imports, numba cache load), as Snakemake's
      benchmark file measures it, best and median of ``--repeats`` runs;
      and the same in-process breakdown (imports, first kernel call);
  (b) ``make run``'s job on the demo scene (config/config.yaml, warm numba
      cache, clean results folder): wall time, then per rule the job count,
      summed seconds and CPU seconds from the benchmark files.

Measured on the project's 2-core machine; see README "Performance".
"""

import argparse
import csv
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")

NOOP_SNAKEFILE = """
rule noop:
    output: "noop.done"
    log: "noop.log"
    benchmark: "noop.tsv"
    script: "noop.py"
"""
NOOP_SCRIPT = """
from shepcore.pipeline.errors import job_errors

with job_errors(snakemake.log[0], "noop"):
    import numpy as np

    from shepcore._kernels.relabel import count_pixels
    from shepcore.pipeline.tiles import segment_tile_file  # noqa: F401

    count_pixels(np.zeros((4, 4), np.uint32), 3)
    open(snakemake.output[0], "w").close()
"""
BREAKDOWN = """
import time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
from shepcore.pipeline.errors import job_errors  # noqa: F401
from shepcore.pipeline.tiles import segment_tile_file  # noqa: F401
from shepcore._kernels.relabel import count_pixels
t2 = time.perf_counter()
count_pixels(np.zeros((4, 4), np.uint32), 3)
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f}")
"""


def rule_table(results):
    """{rule: [jobs, seconds, cpu seconds]} from Snakemake's benchmark files."""
    table = defaultdict(lambda: [0, 0.0, 0.0])
    for tsv in glob.glob(f"{results}/*/benchmarks/**/*.tsv", recursive=True):
        rule = tsv.split(f"{os.sep}benchmarks{os.sep}", 1)[1].split(os.sep)[0].split(".")[0]
        with open(tsv) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        table[rule][0] += 1
        table[rule][1] += float(row["s"])
        table[rule][2] += float(row["cpu_time"])
    return table


def noop_job(repeats):
    work = tempfile.mkdtemp(prefix="shep_noop_")
    with open(os.path.join(work, "Snakefile"), "w") as f:
        f.write(textwrap.dedent(NOOP_SNAKEFILE))
    with open(os.path.join(work, "noop.py"), "w") as f:
        f.write(NOOP_SCRIPT)
    job, wall = [], []
    for _ in range(repeats):
        for name in ("noop.done", "noop.tsv"):
            if os.path.exists(os.path.join(work, name)):
                os.remove(os.path.join(work, name))
        t = time.perf_counter()
        subprocess.run([SNAKEMAKE, "--cores", "1", "--quiet", "--directory", work,
                        "--snakefile", os.path.join(work, "Snakefile")], check=True,
                       capture_output=True)
        wall.append(time.perf_counter() - t)
        with open(os.path.join(work, "noop.tsv")) as f:
            job.append(float(next(csv.DictReader(f, delimiter="\t"))["s"]))
    parts = [subprocess.run([sys.executable, "-c", BREAKDOWN], check=True, capture_output=True,
                            text=True).stdout.split() for _ in range(repeats)]
    shutil.rmtree(work)
    best = min(range(repeats), key=lambda i: sum(map(float, parts[i])))
    numpy_s, shep_s, first_s = (float(x) for x in parts[best])
    print(f"(a) no-op job (Snakemake benchmark 's'): best {min(job):.2f} s, median "
          f"{statistics.median(job):.2f} s over {repeats}; whole snakemake call best "
          f"{min(wall):.2f} s")
    print(f"    in-process: numpy {numpy_s:.3f} s, shepcore job modules + numba {shep_s:.3f} s, "
          f"first cached kernel call {first_s:.3f} s")


def demo_run(cores):
    with open(os.path.join(REPO, "config", "config.yaml")) as f:
        config = yaml.safe_load(f)
    for scene in config["scenes"].values():
        scene["inputs"] = [os.path.join(REPO, p) for p in scene["inputs"]]
        training = scene.get("classification", {}).get("training")
        if training:
            scene["classification"]["training"] = os.path.join(REPO, training)
    work = tempfile.mkdtemp(prefix="shep_demo_")
    config["results"] = os.path.join(work, "results")
    os.makedirs(os.path.join(work, "config"))
    with open(os.path.join(work, "config", "config.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    t = time.perf_counter()
    subprocess.run([SNAKEMAKE, "--snakefile", os.path.join(REPO, "workflow", "Snakefile"),
                    "--directory", work, "--cores", str(cores), "--quiet"], check=True,
                   capture_output=True)
    wall = time.perf_counter() - t
    table = rule_table(config["results"])
    shutil.rmtree(work)
    jobs = sum(v[0] for v in table.values())
    print(f"(b) demo scene (make run's job), --cores {cores}, warm cache: wall {wall:.1f} s, "
          f"{jobs} jobs")
    print(f"    {'rule':14s} {'jobs':>4s} {'sum s':>7s} {'cpu s':>7s}")
    for rule, (n, s, cpu) in sorted(table.items(), key=lambda kv: -kv[1][1]):
        print(f"    {rule:14s} {n:4d} {s:7.2f} {cpu:7.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    noop_job(args.repeats)
    demo_run(args.cores)  # once to warm the numba cache of a fresh checkout
    demo_run(args.cores)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
