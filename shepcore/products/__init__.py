"""The products layer: what users look at, made from segment rasters and
their statistics: colour tables (:mod:`.colour`), quicklook pictures
(:mod:`.quicklook`), polygons (:mod:`.vector`), subsets (:mod:`.subset`),
attribute tables (:mod:`.table`) and run summaries (:mod:`.summary`);
object-based classification: features (:mod:`.features`), classes
(:mod:`.classes`), training tables (:mod:`.training`), the classifier
(:mod:`.classify`), its accuracy (:mod:`.accuracy`), class maps
(:mod:`.classmap`) and their quicklook (:mod:`.class_quicklook`).
GDAL work goes through the raster layer."""
