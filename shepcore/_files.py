"""Atomic file writers, the one home of "write, then rename".

A killed job must never leave a file that looks complete, so every output
of shepcore is written under a temporary name and renamed into place when
complete. :func:`atomic_path` is the mechanism; the other functions are
shorthands for the file kinds the package writes (text, .npy, .npz).

No GDAL here (every layer may use this module); the raster layer writes
its GDAL files through :func:`atomic_path` too.
"""

import contextlib
import os
import shutil

import numpy as np

#: Sidecars of an HFA file STEM.img: overviews (STEM.rrd), and the spill
#: files of each beyond 2 GB of pixels (STEM.ige, STEM.rde).
HFA_SIDECAR_EXTENSIONS = (".rrd", ".ige", ".rde")


def sidecars(name):
    """GDAL's sidecar file names of a file called ``name``: the PAM
    metadata/RAT (NAME.aux.xml) and, for an HFA file STEM.img, its
    overviews and spill files (STEM.rrd, STEM.ige, STEM.rde). Only an .img
    has the latter: segments.parquet must not claim segments.img's."""
    stem, ext = os.path.splitext(name)
    hfa = tuple(stem + e for e in HFA_SIDECAR_EXTENSIONS) if ext.lower() == ".img" else ()
    return (name + ".aux.xml",) + hfa


def remove_orphan_sidecars(folder):
    """Delete HFA sidecars (STEM.rrd, .ige, .rde) in ``folder`` whose STEM.img
    is gone, e.g. after a workflow deleted an intermediate .img it declared
    (the workflow cannot declare the .rrd: a small raster has none).
    Returns the deleted paths."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(os.listdir(folder)):
            stem, ext = os.path.splitext(entry)
            if ext.lower() in HFA_SIDECAR_EXTENSIONS and not os.path.exists(
                    os.path.join(folder, stem + ".img")):
                os.remove(os.path.join(folder, entry))
                removed.append(os.path.join(folder, entry))
    return removed


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path for writing ``path``; on success move it (and
    any sidecars such as GDAL's .aux.xml) onto ``path``; on failure delete it.

    The temporary file has the final file name inside a hidden folder beside
    ``path``, because formats such as HFA record their own file name inside
    the file: the bytes must not depend on the temporary name.
    """
    folder, name = os.path.split(os.path.abspath(path))
    tmp_dir = os.path.join(folder, f".{name}.partial")
    shutil.rmtree(tmp_dir, ignore_errors=True)  # left by a killed writer
    os.makedirs(tmp_dir)
    tmp = os.path.join(tmp_dir, name)
    try:
        yield tmp
        if name.lower().endswith(".img"):
            # HFA keeps everything in the file; GDAL's PAM sidecar would only
            # repeat LAYER_TYPE and COMPRESSION, and then outlive the file.
            with contextlib.suppress(OSError):
                os.remove(tmp + ".aux.xml")
        written = sorted(os.listdir(tmp_dir))
        for sidecar in sidecars(name):
            stale = os.path.join(folder, sidecar)
            if sidecar not in written and os.path.exists(stale):
                os.remove(stale)  # left by an earlier write of this path
        for entry in written:
            if entry != name:  # sidecars first: the main file marks completion
                os.replace(os.path.join(tmp_dir, entry), os.path.join(folder, entry))
        os.replace(tmp, os.path.join(folder, name))
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def write_text_atomic(path, text):
    """Write ``text`` (str) to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)


def save_npy(path, array):
    """``np.save`` of ``array`` to ``path`` (ending in .npy) atomically."""
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def save_npz(path, **arrays):
    """``np.savez`` (uncompressed) of ``arrays`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
