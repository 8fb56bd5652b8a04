"""The tiles layer: the tile grid of a mosaic (:mod:`.grid`), matching
segments across seams (:mod:`.seams`) and joining tiles into one labelling
(:mod:`.stitch`). numpy in, numpy out; no files."""
