"""The package's layering (docs/architecture.md) is enforced by
scripts/check_layers.py: it passes on the package and fails on an upward
import, a cycle, GDAL outside raster/ and an over-long module."""

import shutil
import subprocess
import sys

import pytest
from conftest import REPO

SCRIPT = REPO / "scripts" / "check_layers.py"


def check(package):
    return subprocess.run([sys.executable, str(SCRIPT), str(package)], capture_output=True,
                          text=True)


def test_the_package_is_layered():
    proc = check(REPO / "shepcore")
    assert proc.returncode == 0, proc.stdout
    assert "no upward imports, no cycles" in proc.stdout


@pytest.mark.parametrize("module, line, expected", [
    ("raster/read.py", "from ..pipeline import config", "raster module shepcore.raster.read "
     "imports shepcore.pipeline.config (pipeline layer)"),
    ("segmentation.py", "from .stats import api", "core module shepcore.segmentation imports "
     "shepcore.stats.api (stats layer)"),
    ("products/colour.py", "from osgeo import gdal", "products module imports osgeo.gdal "
     "(only the raster layer may)"),
    ("tiles/grid.py", "from . import stitch", "import cycle"),
])
def test_a_violation_fails_the_check(tmp_path, module, line, expected):
    package = tmp_path / "shepcore"
    shutil.copytree(REPO / "shepcore", package, ignore=shutil.ignore_patterns("__pycache__"))
    target = package / module
    target.write_text(target.read_text() + f"\n\ndef _planted():\n    {line}\n")
    if module == "tiles/grid.py":  # close the loop: stitch imports grid already?
        stitch = package / "tiles" / "stitch.py"
        stitch.write_text(stitch.read_text() + "\n\ndef _loop():\n    from . import grid\n")
    proc = check(package)
    assert proc.returncode == 1 and expected in proc.stdout, proc.stdout


def test_an_overlong_module_fails_the_check(tmp_path):
    package = tmp_path / "shepcore"
    shutil.copytree(REPO / "shepcore", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "products" / "long.py").write_text("x = 1\n" * 401)
    proc = check(package)
    assert proc.returncode == 1 and "long.py: 401 lines (limit 400" in proc.stdout
