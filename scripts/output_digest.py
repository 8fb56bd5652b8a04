"""Run the workflow on the demo scene and on every .test/ case from a clean
results folder and print the SHA-256 of each product (segment raster and
its sidecar, table, polygons, quicklooks), as JSON.

Used to show that a change of code layout leaves every output byte for
byte the same:

    python scripts/output_digest.py > before.json
    ... change ...
    python scripts/output_digest.py --compare before.json

The demo runs in a temporary working directory with ``outputs.vector`` on,
so that its polygons are covered too.
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCTS = ("segments.*", "quicklook/*.png")


def demo_workdir(root):
    """A working directory running config/config.yaml with polygons on."""
    with open(os.path.join(REPO, "config", "config.yaml")) as f:
        config = yaml.safe_load(f)
    for scene in config["scenes"].values():
        scene["inputs"] = [os.path.join(REPO, p) for p in scene["inputs"]]
    config["results"] = "results"
    config.setdefault("outputs", {})["vector"] = True
    os.makedirs(os.path.join(root, "config"))
    with open(os.path.join(root, "config", "config.yaml"), "w") as f:
        yaml.safe_dump(config, f)
    return root


def run(workdir, cores):
    shutil.rmtree(os.path.join(workdir, "results"), ignore_errors=True)
    snakemake = os.path.join(os.path.dirname(sys.executable), "snakemake")
    proc = subprocess.run([snakemake, "--snakefile",
                           os.path.join(REPO, "workflow", "Snakefile"), "--directory", workdir,
                           "--cores", str(cores), "--quiet"], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"snakemake failed in {workdir}:\n{proc.stderr[-3000:]}")


def digests(workdir):
    """{scene/product: sha256} of the products under workdir/results."""
    out = {}
    for scene_dir in sorted(glob.glob(os.path.join(workdir, "results", "*"))):
        for pattern in PRODUCTS:
            for path in sorted(glob.glob(os.path.join(scene_dir, pattern))):
                with open(path, "rb") as f:
                    key = os.path.relpath(path, os.path.join(workdir, "results"))
                    out[key] = hashlib.sha256(f.read()).hexdigest()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", help="JSON printed by an earlier run")
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    result = {}
    with tempfile.TemporaryDirectory(prefix="shepdigest_") as tmp:
        cases = {"demo": demo_workdir(os.path.join(tmp, "demo"))}
        for case in sorted(glob.glob(os.path.join(REPO, ".test", "config_*"))):
            cases[os.path.basename(case)] = case
        for name, workdir in cases.items():
            run(workdir, args.cores)
            result[name] = digests(workdir)
    if not args.compare:
        json.dump(result, sys.stdout, indent=1)
        print()
        return
    with open(args.compare) as f:
        before = json.load(f)
    differ = [f"{case}/{key}" for case in sorted(set(before) | set(result))
              for key in sorted(set(before.get(case, {})) | set(result.get(case, {})))
              if before.get(case, {}).get(key) != result.get(case, {}).get(key)]
    total = sum(len(v) for v in result.values())
    if differ:
        print(f"{len(differ)} of {total} products differ:\n  " + "\n  ".join(differ))
        sys.exit(1)
    print(f"all {total} products byte-identical")


if __name__ == "__main__":
    main()
