"""shepcore.products.table: the RAT as Parquet or CSV, one row per segment,
written in row chunks (memory bounded for millions of segments) with the
same content as one whole table."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from shepcore import raster
from shepcore.products import table as tbl


@pytest.fixture()
def segments(tmp_path):
    labels = (np.arange(60 * 50, dtype=np.uint32) % 1000 + 1).reshape(60, 50)
    path = raster.write_segments(str(tmp_path / "s.img"), labels)
    n = 1001
    cols = {"mean": np.linspace(0, 1, n), "count": np.arange(n, dtype=np.int64),
            "name": np.array([f"s{i}" for i in range(n)])}
    return raster.add_rat_columns(path, cols, str(tmp_path / "a.img")), cols


@pytest.mark.parametrize("chunk", [1 << 18, 7, 1000])
def test_parquet_in_chunks_equals_the_rat(segments, tmp_path, monkeypatch, chunk):
    path, cols = segments
    monkeypatch.setattr(tbl, "CHUNK_ROWS", chunk)
    out = str(tmp_path / "t.parquet")
    assert tbl.write_table(path, out, "parquet") == 1000
    got = pq.read_table(out).to_pydict()
    assert got["segment_id"] == list(range(1, 1001))
    assert list(got) == ["segment_id", "Histogram", "mean", "count", "name"]
    assert got["mean"] == cols["mean"][1:].tolist()
    assert got["count"] == cols["count"][1:].tolist()
    assert got["name"] == cols["name"][1:].tolist()
    assert got["Histogram"] == [3.0] * 1000


def test_csv_in_chunks_equals_one_chunk(segments, tmp_path, monkeypatch):
    path, _ = segments
    whole = str(tmp_path / "whole.csv")
    tbl.write_table(path, whole, "csv")
    monkeypatch.setattr(tbl, "CHUNK_ROWS", 13)
    parts = str(tmp_path / "parts.csv")
    tbl.write_table(path, parts, "csv")
    with open(whole) as a, open(parts) as b:
        assert a.read() == b.read()


def test_no_segments_gives_a_header_only_table(tmp_path):
    path = raster.write_segments(str(tmp_path / "z.img"), np.zeros((4, 4), np.uint32))
    out = str(tmp_path / "z.parquet")
    assert tbl.write_table(path, out, "parquet") == 0
    assert pq.read_table(out).num_rows == 0
