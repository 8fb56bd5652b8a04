"""Classification inputs (issue 13): training vectors read with OGR and
reprojected with OSR, samples put onto the segment grid (points, polygons
burnt with gdal.Rasterize), the training table's labelling rules and its
one-line errors."""

import json

import numpy as np
import pytest
from classify_scene import LABELS, box, centre, hand_segments, point, write_geojson

from shepcore.products.training import (
    label_segments,
    load_training_table,
    save_training_table,
    training_table,
)
from shepcore.raster import RasterError
from shepcore.raster.rasterize import pixel_of, point_segments, polygon_segment_pixels
from shepcore.raster.vectors import POINT, POLYGON, FieldError, read_training_samples

EPSG = "urn:ogc:def:crs:EPSG::32618"  # the hand-made raster's CRS (UTM 18N)


@pytest.fixture()
def segments(tmp_path):
    return hand_segments(tmp_path)


def hand_training(tmp_path, name="t.geojson"):
    """Points and polygons on the hand-made raster (see test below)."""
    feats = [
        (point(*centre(0, 0)), {"class": "a"}), (point(*centre(1, 1)), {"class": "a"}),
        (point(*centre(0, 5)), {"class": "b"}),
        (point(*centre(4, 1)), {"class": "a"}), (point(*centre(4, 2)), {"class": "b"}),
        (point(*centre(4, 3)), {"class": "a"}),           # null pixel
        (point(500.0, 500.0), {"class": "b"}),            # outside
        (box(1050, 1940, 1070, 1970), {"class": "b"}),    # 6 of segment 4's 9 pixels
        (box(1040, 1980, 1060, 2000), {"class": "a"}),    # 4 of segment 2's 12 pixels
        (None, {"class": "a"}),                           # no geometry
        (point(*centre(0, 2)), {"class": None}),          # no class
    ]
    return write_geojson(tmp_path / name, feats, crs=EPSG)


def test_pixel_of_inverts_the_geotransform():
    gt = (1000.0, 10.0, 2.0, 2000.0, 1.0, -10.0)
    rows, cols = np.array([0.5, 3.25]), np.array([0.5, 7.0])
    x = gt[0] + cols * gt[1] + rows * gt[2]
    y = gt[3] + cols * gt[4] + rows * gt[5]
    r, c = pixel_of(gt, x, y)
    np.testing.assert_allclose(r, rows)
    np.testing.assert_allclose(c, cols)


def test_read_samples_points_polygons_and_skipped(tmp_path):
    s = read_training_samples(hand_training(tmp_path), "class", "")
    assert s.field_type == "string" and len(s) == 9
    assert list(s.kinds) == [POINT] * 7 + [POLYGON] * 2
    assert s.skipped == {"no_geometry": 1, "no_class": 1}
    assert s.polygons[0] is None and isinstance(s.polygons[-1], bytes)
    np.testing.assert_allclose(s.xy[0], centre(0, 0))
    np.testing.assert_allclose(s.envelopes[7], [1050, 1940, 1070, 1970])


def test_reprojection_with_osr(tmp_path):
    """WGS 84 lon/lat points land where OSR puts them in UTM 18N (x east,
    y north whatever the CRS's axis order)."""
    from osgeo import osr
    from wfutil import UTM18N

    path = write_geojson(tmp_path / "ll.geojson", [(point(-75.0, 10.0), {"class": 3})])
    s = read_training_samples(path, "class", UTM18N)
    assert s.reprojected and not s.crs_assumed and s.field_type == "integer"
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.ImportFromWkt(UTM18N)
    for srs in (src, dst):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(-75.0, 10.0)
    np.testing.assert_allclose(s.xy[0], [x, y])
    assert x == pytest.approx(500000.0) and 1.1e6 < y < 1.2e6
    same = read_training_samples(write_geojson(tmp_path / "u.geojson", [(
        point(1.0, 2.0), {"class": 1})], crs=EPSG), "class", UTM18N)
    assert not same.reprojected and list(same.xy[0]) == [1.0, 2.0]


@pytest.mark.parametrize("case, match, error", [
    ("missing", "no such file", RasterError),
    ("garbage", "not a vector file OGR can read", RasterError),
    ("no_field", "no field 'class' for class_field", FieldError),
    ("real_field", "field 'class' is of type Real", FieldError),
    ("line", "Line String geometry; training samples are points or polygons", RasterError),
    ("layer", "no layer 'other'", RasterError),
])
def test_vector_errors_are_one_line(tmp_path, case, match, error):
    path, layer = tmp_path / "v.geojson", None
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    if case == "garbage":
        path.write_text('{"type": "Feat')
    elif case == "no_field":
        write_geojson(path, [(point(0, 0), {"klass": "a"})])
    elif case == "real_field":
        write_geojson(path, [(point(0, 0), {"class": 1.5})])
    elif case == "line":
        write_geojson(path, [(line, {"class": "a"})])
    elif case == "layer":
        write_geojson(path, [(point(0, 0), {"class": "a"})])
        layer = "other"
    with pytest.raises(error, match=match) as info:
        read_training_samples(str(path), "class", "", layer)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_point_segments(segments):
    xy = np.array([centre(0, 0), centre(5, 7), centre(4, 3), (999.0, 1995.0),
                   (1080.0, 1995.0), (np.nan, 0.0), (1000.0, 2000.0)])
    # last: the raster's corner belongs to pixel (0, 0); x = 1080 is the right edge
    np.testing.assert_array_equal(point_segments(segments, xy), [1, 4, 0, -1, -1, -1, 1])


@pytest.mark.parametrize("strip_pixels", [1 << 22, 8, 1])
def test_polygon_segment_pixels(segments, monkeypatch, strip_pixels):
    """Pixel centres inside each polygon, per segment, whatever the strips."""
    from osgeo import ogr

    import shepcore.raster.windows as windows

    monkeypatch.setattr(windows, "STRIP_PIXELS", strip_pixels)
    boxes = [(1050, 1940, 1070, 1970), (1040, 1980, 1060, 2000), (1022, 1932, 1042, 1958),
             (0, 0, 10, 10)]
    wkb = [ogr.CreateGeometryFromJson(json.dumps(box(*b))).ExportToWkb() for b in boxes]
    seg, poly, pix = polygon_segment_pixels(segments, wkb, np.array(boxes, float))
    # polygon 2: pixel centres of rows 4-5, cols 2 (segment 3) and 3 (null);
    # polygon 3 misses the raster
    got = {(int(s), int(p)): int(n) for s, p, n in zip(seg, poly, pix, strict=True)}
    assert got == {(4, 0): 6, (2, 1): 4, (3, 2): 2, (0, 2): 2}


def test_labelling_rules_and_report(segments, tmp_path):
    """Points vote for the segment under them, a polygon covering more than
    half of a segment's pixels votes once, ties are conflicts; samples
    outside or on null are counted."""
    ids, codes, votes, classes, rep = label_segments(segments, hand_training(tmp_path),
                                                     "class")
    assert classes.names == ("a", "b") and classes.codes == (1, 2)
    np.testing.assert_array_equal(ids, [1, 2, 4])          # 3: one a, one b
    np.testing.assert_array_equal(codes, [1, 2, 2])
    np.testing.assert_array_equal(votes, [2, 1, 1])
    assert rep["points"] == {"total": 7, "outside_raster": 1, "on_null_pixels": 1,
                             "on_segments": 5}
    assert rep["polygons"] == {"total": 2, "covering_no_pixel": 0, "only_null_pixels": 0,
                               "labelling_segments": 1}
    assert rep["segments_conflicting"] == 1 and rep["segments_partly_covered"] == 1
    assert rep["skipped_features"] == {"no_geometry": 1, "no_class": 1}
    assert [c["segments"] for c in rep["classes"]] == [1, 2]


def test_training_table_columns_and_round_trip(segments, tmp_path):
    table, classes, features, rep = training_table(segments, hand_training(tmp_path),
                                                   "class", min_per_class=1)
    assert features == ["B1_mean", "B1_stddev", "area", "compactness"]
    np.testing.assert_array_equal(table["segment_id"], [1, 2, 4])
    np.testing.assert_array_equal(table["B1_mean"], [10.0, 20.0, 40.0])
    np.testing.assert_allclose(table["compactness"], 4 * np.sqrt([12, 12, 9]) / ([12, 12, 9]
                                                                                  + np.r_[4.0]))
    assert list(table["class_name"]) == ["a", "b", "b"]
    path = tmp_path / "training.parquet"
    save_training_table(path, table, classes, features, rep)
    t2, c2, f2, r2 = load_training_table(path)
    assert c2 == classes and f2 == features and r2 == rep
    for k, v in table.items():
        np.testing.assert_array_equal(t2[k], v)


def test_training_table_errors(segments, tmp_path):
    train = hand_training(tmp_path)
    with pytest.raises(ValueError, match="class 'a' has 1 labelled segment, fewer than folds"):
        training_table(segments, train, "class", min_per_class=2)
    one = write_geojson(tmp_path / "one.geojson", [(point(*centre(0, 0)), {"class": "a"}),
                                                   (point(*centre(5, 7)), {"class": "a"})],
                        crs=EPSG)
    with pytest.raises(ValueError, match="1 class on labelled segments .a.; at least 2"):
        training_table(segments, one, "class", min_per_class=1)
    off = write_geojson(tmp_path / "off.geojson", [(point(*centre(4, 3)), {"class": "a"}),
                                                   (point(0.0, 0.0), {"class": "b"})],
                        crs=EPSG)
    with pytest.raises(ValueError, match=r"no training sample falls on a segment .* \(1 points "
                                         "outside the raster, 1 on null pixels"):
        training_table(segments, off, "class")
    with pytest.raises(ValueError, match="'B7_mean' not a column of the statistics"):
        training_table(segments, train, "class", ["B7_mean"], min_per_class=1)


def test_integer_classes_keep_their_codes(tmp_path):
    labels = np.where(LABELS > 0, LABELS, 0)
    segs = hand_segments(tmp_path, labels)
    path = write_geojson(tmp_path / "i.geojson", [
        (point(*centre(0, 0)), {"class": 11}), (point(*centre(0, 5)), {"class": 300}),
        (point(*centre(4, 1)), {"class": 11})], crs=EPSG)
    table, classes, _, _ = training_table(segs, path, "class", min_per_class=1,
                                          class_names={300: "forest"})
    assert classes.codes == (11, 300) and classes.names == ("11", "forest")
    assert classes.dtype == np.uint16
    np.testing.assert_array_equal(table["class"], [11, 300, 11])
