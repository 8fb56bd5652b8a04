"""`make run`: run the workflow on config/config.yaml (the demo scene by
default) and print where each scene's result is."""

import argparse
import json
import os
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cores", default="2")
    args = ap.parse_args()
    snakemake = os.path.join(os.path.dirname(sys.executable), "snakemake")
    rc = subprocess.call([snakemake, "--cores", str(args.cores)], cwd=REPO)
    if rc != 0:
        sys.exit(rc)
    with open(os.path.join(REPO, "config", "config.yaml")) as f:
        config = yaml.safe_load(f)
    results = os.path.join(REPO, config.get("results", "results"))
    for scene in config["scenes"]:
        with open(os.path.join(results, scene, "summary.json")) as f:
            summary = json.load(f)
        print(f"{scene}: {summary['num_segments']} segments in {summary['num_tiles']} tiles "
              f"-> {summary['segments_file']}")


if __name__ == "__main__":
    main()
