"""Config mistakes through a real snakemake (issue 12, item 4): a key typo
names the likely key, broken YAML and a missing config file are one line
naming the file and line, before any job."""

import pytest
from wfutil import run_snakemake

#: Real snakemake parses (about 2 s each).
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("text, expected", [
    ("scenes:\n  a:\n    input: [x.tif]\n",
     "shepcore: error: config key scenes/a: 'input' was unexpected; did you mean 'inputs'?"),
    ("scenes:\n  a:\n    inputs: [x.tif\n  b: 1\n",
     "shepcore: error: config file config/config.yaml, line 4 column 4: not valid YAML: "
     "expected ',' or ']', but got ':' (while parsing a flow sequence started at line 3)"),
    (None, "shepcore: error: config file config/config.yaml: no such file"),
])
def test_config_mistakes_are_one_line(tmp_path, text, expected):
    (tmp_path / "config").mkdir()
    if text is not None:
        (tmp_path / "config" / "config.yaml").write_text(text)
    proc = run_snakemake(tmp_path, "-n", check=False)
    assert proc.returncode == 1
    lines = [x for x in proc.stderr.splitlines() if x.startswith("shepcore")]
    assert len(lines) == 1 and lines[0].startswith(expected), proc.stderr
    assert "Traceback" not in proc.stderr
