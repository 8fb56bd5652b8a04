"""Quicklook PNG of a class raster with a legend: the map in its colour
table at display size (nearest neighbour, from overviews where the file
has them), and beside it one swatch per class with its name and share of
the classified pixels. Text is drawn with Pillow's built-in font."""

import numpy as np

from ..raster.display import display_size, read_display, write_png
from ..raster.rat import read_rat, read_rgba
from .quicklook import display_shape

#: Legend layout, pixels.
SWATCH, ROW, PAD, FONT_SIZE = 18, 26, 12, 15
BACKGROUND = (255, 255, 255, 255)


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def legend_image(entries, height, title="Classes"):
    """(4, height, W) uint8 RGBA legend: ``entries`` is a list of
    (name, (r, g, b), share of pixels 0..1)."""
    from PIL import Image, ImageDraw

    font = _font(FONT_SIZE)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    labels = [f"{name}  {100 * share:.1f} %" for name, _, share in entries]
    text_w = max([probe.textlength(t, font=font) for t in labels + [title]] + [0])
    width = int(PAD + SWATCH + PAD + text_w + PAD)
    height = max(height, PAD + ROW * (len(entries) + 1) + PAD)
    img = Image.new("RGBA", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.text((PAD, PAD), title, fill=(0, 0, 0, 255), font=font)
    for i, ((_, rgb, _), text) in enumerate(zip(entries, labels, strict=True)):
        y = PAD + ROW * (i + 1)
        draw.rectangle([PAD, y, PAD + SWATCH - 1, y + SWATCH - 1],
                       fill=tuple(int(c) for c in rgb) + (255,), outline=(0, 0, 0, 255))
        draw.text((PAD + SWATCH + PAD, y + 1), text, fill=(0, 0, 0, 255), font=font)
    return np.asarray(img, np.uint8).transpose(2, 0, 1)


def class_quicklook(classes_path, out_path):
    """PNG of a class raster (its RAT colours; null pixels transparent) with
    a legend of the classes that have pixels, in code order."""
    shape = display_shape(*display_size(classes_path))
    codes = read_display(classes_path, [1], shape, "NearestNeighbour")[0][0]
    rgba = read_rgba(classes_path)
    rat = read_rat(classes_path, ["class_name", "Histogram"])
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in rat["class_name"]]
    counts = np.asarray(rat["Histogram"], np.float64)
    total = counts[1:].sum() or 1.0
    entries = [(names[c], rgba[:3, c], counts[c] / total) for c in range(1, len(names))
               if counts[c] > 0]
    mapped = rgba[:, codes]
    legend = legend_image(entries, mapped.shape[1])
    height = max(mapped.shape[1], legend.shape[1])
    out = np.zeros((4, height, mapped.shape[2] + legend.shape[2]), np.uint8)
    out[:, :mapped.shape[1], :mapped.shape[2]] = mapped
    out[:, :legend.shape[1], mapped.shape[2]:] = legend
    return write_png(out_path, out)
