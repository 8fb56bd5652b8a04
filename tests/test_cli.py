"""The ``shepcore`` command line (issue 12, item 1) through its real entry
points in a subprocess: ``--help`` of every subcommand, and one bad input
each, which exits 1 with one ``shepcore: error:`` line."""

import numpy as np
import pytest
from cliutil import entry_points, one_error_line, shepcore
from naive_stats import GT, UTM, write_image

from shepcore import raster
from shepcore.cli import COMMANDS


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 3-band image and a segment raster without statistics, same grid."""
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    image = rng.integers(1, 200, (3, 40, 50)).astype(np.uint8)
    img = write_image(d / "img.tif", image, geotransform=GT, projection=UTM)
    labels = (np.arange(40)[:, None] // 10 * 5 + np.arange(50)[None] // 10 + 1).astype(np.uint32)
    seg = raster.write_segments(str(d / "seg.img"), labels, geotransform=GT, projection=UTM)
    return d, img, seg


@pytest.mark.parametrize("entry", sorted(entry_points()))
def test_top_level_help_lists_every_command(entry):
    out = shepcore("--help", entry=entry).stdout
    for name in COMMANDS:
        assert name in out
    assert shepcore("--version", entry=entry).stdout.startswith("shepcore ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    proc = shepcore(command, "--help")
    assert proc.stdout.startswith(f"usage: shepcore {command}"), proc.stdout
    assert proc.stderr == ""


def test_no_command_and_unknown_command_are_one_line():
    assert "required: COMMAND" in one_error_line(shepcore(check=False))
    line = one_error_line(shepcore("segmnt", "a", "b", check=False))
    assert "invalid choice: 'segmnt'" in line


def bad_inputs(d, img, seg):
    """(command line, expected text of the error line) per subcommand."""
    return {
        "segment": ([d / "missing.tif", d / "out.img"], "missing.tif: no such file"),
        "stats": ([seg, img], "nothing to write: give --out OUT"),
        "subset": ([seg, d / "sub.img", "--window", 30, 0, 20, 10], "outside the raster"),
        "colour": ([seg, d / "c.img", "--mode", "stats"], "give the image (--image)"),
        "polygonize": ([seg, d / "p.shp"], "unknown polygon format '.shp'"),
        "classify": ([seg, d / "none.gpkg", d / "c.img", "--class-field", "class"],
                     "none.gpkg"),
        "info": ([img], "a segment raster has 1 band, this one has 3"),
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_one_bad_input_per_command(files, command):
    args, expected = bad_inputs(*files)[command]
    line = one_error_line(shepcore(command, *args, check=False))
    assert line.startswith(f"shepcore: error: {command}: ") and expected in line, line


@pytest.mark.parametrize("args, expected", [
    (["segment", "a.tif", "b.img", "--connectivity", "6"], "invalid choice: 6"),
    (["segment", "a.tif", "b.png"], "unknown raster extension"),
    (["segment", "a.tif", "b.img", "--format", "COG"], "--format COG writes .tif files"),
    (["subset", "a.img", "b.img"], "one of the arguments --window --bounds --mask is required"),
    (["stats", "a.img", "b.tif", "--bands", "0,1", "--table", "t.csv"], "band numbers >= 1"),
])
def test_usage_errors_are_one_line(args, expected):
    line = one_error_line(shepcore(*args, check=False))
    assert expected in line, line
