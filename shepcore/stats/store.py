"""Storage of statistics partials: a plain uncompressed ``.npz`` file.

The file is what ``np.savez`` writes (``np.load`` reads it), plus a JSON
``meta`` member stored as uint8 bytes. Combining reads row ranges of its
members straight from the file (seek + ``np.fromfile``), so that only the
rows of one segment-ID partition are in memory at a time; no member is
memory-mapped, so the resident size does not grow with the files.
"""

import json
import struct
import zipfile

import numpy as np

from .._files import save_npz


def save_partial(path, meta, arrays):
    """Write ``meta`` (JSON-able dict) and ``arrays`` to ``path`` atomically."""
    payload = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    payload.update(arrays)
    save_npz(path, **payload)
    return str(path)


def _member_index(path):
    """name -> (data offset, dtype, shape) for every stored member, or None
    when a member is compressed or otherwise not directly readable."""
    index = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                return None
            fh.seek(info.header_offset)
            local = fh.read(30)
            if local[:4] != b"PK\x03\x04":
                return None
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            if fortran or dtype.hasobject or not shape:
                return None
            index[info.filename[:-4]] = (fh.tell(), dtype, shape)
    return index


class PartialReader:
    """Row-range reads of the arrays of a partial held in memory (a dict) or
    in a file written by :func:`save_npz`."""

    def __init__(self, source):
        if isinstance(source, dict):
            self.path = None
            self._arrays = source
            self._index = None
            return
        self.path = str(source)
        try:
            self._index = _member_index(self.path)
        except (OSError, zipfile.BadZipFile, ValueError) as err:
            raise ValueError(f"{self.path}: not a statistics partial ({err})") from None
        self._arrays = None
        if self._index is None:  # e.g. np.savez_compressed: load it whole
            with np.load(self.path) as data:
                self._arrays = {k: data[k] for k in data.files}

    def names(self):
        return set(self._arrays) if self._index is None else set(self._index)

    def meta(self):
        """The JSON meta member as a dict."""
        if "meta" not in self.names():
            raise ValueError(f"{self.path}: not a statistics partial (no meta member)")
        return json.loads(self.read("meta").tobytes().decode())

    def read(self, name, start=0, stop=None):
        """Rows start..stop-1 of member ``name`` (a copy for files)."""
        if self._index is None:
            arr = self._arrays[name]
            return arr[start:stop]
        offset, dtype, shape = self._index[name]
        stop = shape[0] if stop is None else stop
        row = int(np.prod(shape[1:], dtype=np.int64))
        count = max(0, stop - start)
        if count == 0:
            return np.empty((0, *shape[1:]), dtype)
        with open(self.path, "rb") as fh:
            fh.seek(offset + start * row * dtype.itemsize)
            out = np.fromfile(fh, dtype, count * row)
        if out.size != count * row:
            raise ValueError(f"{self.path}: member {name} is truncated")
        return out.reshape((count, *shape[1:]))
