"""What a finished run reports (issue 12, item 4): job times from benchmark
files, pixels per tile and the one summary line per scene."""

import json

import numpy as np

from shepcore import raster
from shepcore.pipeline.report import benchmark_times, scene_summary_line, tile_core_pixels
from shepcore.tiles.grid import tile_grid

HEADER = "s\th:m:s\tmax_rss\n"


def test_benchmark_times_and_summary_line(tmp_path):
    scene = tmp_path / "demo"
    (scene / "benchmarks" / "segment_tile").mkdir(parents=True)
    (scene / "benchmarks" / "segment_tile" / "r000c000.tsv").write_text(HEADER + "1.5\t0\t10\n")
    (scene / "benchmarks" / "segment_tile" / "r000c001.tsv").write_text(HEADER + "2.5\t0\t10\n")
    (scene / "benchmarks" / "table.parquet.tsv").write_text(HEADER + "0.5\t0\t10\n")
    rules, seconds = benchmark_times(scene / "benchmarks")
    assert rules == ["segment_tile", "segment_tile", "table"] and list(seconds) == [1.5, 2.5, 0.5]
    assert scene_summary_line("demo", str(scene), 3.0) is None
    (scene / "summary.json").write_text(json.dumps({"num_segments": 12, "num_tiles": 2}))
    for name in ("segments.img", "segments.rrd", "segments.parquet", "segments.tif.aux.xml"):
        (scene / name).write_text("")
    line = scene_summary_line("demo", str(scene), 125.0)
    assert line == (f"shepcore: demo: 12 segments in 2 tiles, wall time 2 min 05 s (jobs 4.5 s); "
                    f"outputs in {scene}/: segments.img, segments.parquet")


def test_tile_core_pixels(tmp_path):
    labels = np.zeros((60, 70), np.uint32)
    labels[:30] = 1
    path = raster.write_segments(str(tmp_path / "s.img"), labels)
    tiles = tile_grid(60, 70, 40, 10)
    names, seg, null = tile_core_pixels(path, tiles)
    assert names == [t.name for t in tiles]
    assert seg.sum() == 30 * 70 and (seg + null).sum() == 60 * 70
