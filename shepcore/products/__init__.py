"""The products layer: what users look at, made from segment rasters and
their statistics: colour tables (:mod:`.colour`), quicklook pictures
(:mod:`.quicklook`), polygons (:mod:`.vector`), subsets (:mod:`.subset`),
attribute tables (:mod:`.table`) and run summaries (:mod:`.summary`).
GDAL work goes through the raster layer."""
