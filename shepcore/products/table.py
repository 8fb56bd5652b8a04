"""The attribute table of a segment raster as a file pandas reads:
Parquet (pyarrow) or CSV, one row per segment, ``segment_id`` first."""

import numpy as np

from .._files import atomic_path
from ..raster.rat import read_rat


def table_kind(path):
    """'parquet' or 'csv' from the extension of ``path``; ValueError else."""
    ext = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if ext not in ("parquet", "csv"):
        raise ValueError(f"{path}: unknown table format {ext!r} (use .parquet or .csv)")
    return ext


def write_table(segments, out, kind):
    """The raster's RAT as a table, one row per segment (row 0, null, left
    out): Parquet (``kind`` 'parquet') or CSV. Column ``segment_id`` first.
    Returns the number of rows."""
    return write_columns(read_rat(segments), out, kind)


def write_columns(columns, out, kind):
    """Columns {name: (N + 1,) array}, row i = segment i, as a table of rows
    1..N with ``segment_id`` first (Parquet or CSV, atomically). Returns N."""
    n = len(next(iter(columns.values()))) if columns else 0
    table = {"segment_id": np.arange(1, n, dtype=np.int64)}
    for name, values in columns.items():
        values = np.asarray(values)[1:]
        table[name] = values.astype(str) if values.dtype.kind == "S" else values
    with atomic_path(out) as tmp:
        if kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table(table), tmp)
        else:
            _write_csv(table, tmp)
    return max(n - 1, 0)


def _write_csv(table, path):
    names = list(table)
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        cols = [table[k] for k in names]
        for i in range(len(cols[0])):
            f.write(",".join(repr(c[i].item()) if c.dtype.kind == "f" else str(c[i])
                             for c in cols) + "\n")
