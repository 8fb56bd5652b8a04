"""Atomic writes of small files (no GDAL): write under a temporary name in
the same folder, then rename, so a killed job never leaves a file that
looks complete."""

import os


def write_text_atomic(path, text):
    """Write ``text`` to ``path`` atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
