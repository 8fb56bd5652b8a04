"""The attribute table of a segment raster as a file pandas reads:
Parquet (pyarrow) or CSV, one row per segment, ``segment_id`` first.
Written in row chunks, so memory follows the chunk, not the segment count
(a mosaic of millions of segments)."""

import numpy as np

from .._files import atomic_path
from ..raster.rat import rat_columns, rat_rows

#: Rows per chunk (and Parquet row group).
CHUNK_ROWS = 1 << 18


def table_kind(path):
    """'parquet' or 'csv' from the extension of ``path``; ValueError else."""
    ext = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if ext not in ("parquet", "csv"):
        raise ValueError(f"{path}: unknown table format {ext!r} (use .parquet or .csv)")
    return ext


def write_table(segments, out, kind):
    """The raster's RAT as a table, one row per segment (row 0, null, left
    out): Parquet (``kind`` 'parquet') or CSV. Column ``segment_id`` first.
    The RAT is read CHUNK_ROWS rows at a time. Returns the number of rows."""
    nrows, columns = rat_columns(segments)
    names = [c.name for c in columns]
    with rat_rows(segments) as read:
        chunks = ((start, {name: read(name, np.arange(start, min(nrows, start + CHUNK_ROWS)))
                           for name in names})
                  for start in range(1, nrows, CHUNK_ROWS))
        return _write(chunks, out, kind)


def write_columns(columns, out, kind):
    """Columns {name: (N + 1,) array}, row i = segment i, as a table of rows
    1..N with ``segment_id`` first (Parquet or CSV, atomically). Returns N."""
    n = len(next(iter(columns.values()))) if columns else 0
    chunks = ((start, {name: np.asarray(v)[start:start + CHUNK_ROWS]
                       for name, v in columns.items()})
              for start in range(1, n, CHUNK_ROWS))
    return _write(chunks, out, kind)


def _write(chunks, out, kind):
    """Write (start row, {name: values}) chunks as one table; returns rows."""
    total = 0
    with atomic_path(out) as tmp:
        writer = None
        for start, chunk in chunks:
            table = {"segment_id": np.arange(start, start + len(next(iter(chunk.values()))),
                                             dtype=np.int64)}
            for name, values in chunk.items():
                table[name] = values.astype(str) if values.dtype.kind == "S" else values
            if writer is None:
                writer = (_ParquetWriter if kind == "parquet" else _CsvWriter)(tmp, table)
            writer.write(table)
            total += len(table["segment_id"])
        if writer is None:  # no segment: an empty table with the header only
            writer = (_ParquetWriter if kind == "parquet" else _CsvWriter)(
                tmp, {"segment_id": np.zeros(0, np.int64)})
        writer.close()
    return total


class _ParquetWriter:
    def __init__(self, path, first):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.table(first).schema
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, table):
        self.writer.write_table(self.pa.table(table, schema=self.schema))

    def close(self):
        self.writer.close()


class _CsvWriter:
    def __init__(self, path, first):
        self.f = open(path, "w")
        self.f.write(",".join(first) + "\n")

    def write(self, table):
        cols = list(table.values())
        for i in range(len(cols[0])):
            self.f.write(",".join(repr(c[i].item()) if c.dtype.kind == "f" else str(c[i])
                                  for c in cols) + "\n")

    def close(self):
        self.f.close()
