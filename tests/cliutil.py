"""Running the real ``shepcore`` command in a subprocess: ``python -m
shepcore`` and the installed console script (``shepcore`` next to
sys.executable; where the package was installed before it had one, the
console script's entry point ``shepcore.cli:main`` is run the same way
the script would run it)."""

import subprocess
import sys
from pathlib import Path

CONSOLE_SCRIPT = Path(sys.executable).parent / "shepcore"


def entry_points():
    """{name: argv prefix} of both ways to start the command."""
    script = ([str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else
              [sys.executable, "-c", "import sys; from shepcore.cli import main; "
               "sys.argv[0] = 'shepcore'; main()"])
    return {"module": [sys.executable, "-m", "shepcore"], "console_script": script}


def shepcore(*args, entry="module", check=True, cwd=None):
    """Run ``shepcore ARGS``; return the CompletedProcess (text output)."""
    cmd = entry_points()[entry] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"shepcore {' '.join(map(str, args))} failed "
                             f"({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def one_error_line(proc):
    """The single ``shepcore: error:`` line of a failed run (asserts that
    it is one line, status 1, no traceback)."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) >= 1 and lines[-1].startswith("shepcore: error: "), proc.stderr
    errors = [line for line in lines if line.startswith("shepcore: error")]
    assert len(errors) == 1, proc.stderr
    return lines[-1]
