"""Error reporting for workflow jobs: a known problem (bad input, bad
parameter) becomes one line on the job's stderr and in its log, and a
non-zero exit, instead of a traceback."""

import contextlib
import sys
import traceback

from ..raster.env import RasterError, limit_job_cache

# A job's memory must not grow with the raster: GDAL's block cache defaults
# to 5 % of RAM (1.2 GB here). Set before GDAL is first used; a user's
# GDAL_CACHEMAX wins.
limit_job_cache()

#: Exceptions that describe a problem with the user's data or settings.
USER_ERRORS = (ValueError, TypeError, RasterError, FileNotFoundError, PermissionError)


@contextlib.contextmanager
def job_errors(log_path, job):
    """Send stderr to ``log_path`` for the block; on a user error print one
    line ``shepcore: error: <job>: <message>`` to the log and to the
    terminal's stderr and exit with status 1. Other errors keep their
    traceback in the log and print its last line to the terminal."""
    terminal = sys.stderr
    with open(log_path, "w") as log:
        sys.stderr = log
        try:
            yield
        except USER_ERRORS as err:
            line = f"shepcore: error: {job}: {err}"
            print(line, file=log)
            print(line, file=terminal)
            raise SystemExit(1) from None
        except Exception as err:
            traceback.print_exc(file=log)
            print(f"shepcore: internal error: {job}: {type(err).__name__}: {err} "
                  f"(traceback in {log_path})", file=terminal)
            raise SystemExit(1) from None
        finally:
            sys.stderr = terminal
