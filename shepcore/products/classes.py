"""Land-cover classes: the values of the training file's class field, the
codes they get in the class raster, their names and colours."""

from dataclasses import dataclass

import numpy as np

#: Largest class code (the class raster is uint8 or uint16; 0 = null).
MAX_CODE = 65535
#: Default class colours (Tableau 10), by class order, repeating.
PALETTE = ((78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79),
           (237, 201, 72), (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172))


@dataclass(frozen=True)
class ClassTable:
    """The classes of a classification, in ascending order of their values.

    Attributes
    ----------
    values : tuple of int or tuple of str
        Class values as in the training file's class field.
    codes : tuple of int
        Pixel value of each class in the class raster (1..65535). Integer
        values in 1..65535 keep their value; otherwise (strings, or any
        integer outside that range) the classes are numbered 1..K in order.
    names : tuple of str
        Class names: the string values, or for integers the configured
        name (``class_names``) else the value as text.
    """

    values: tuple
    codes: tuple
    names: tuple

    def __len__(self):
        return len(self.codes)

    @property
    def dtype(self):
        """numpy dtype of the class raster: uint8 up to code 255, else uint16."""
        return np.dtype(np.uint8 if max(self.codes) <= 255 else np.uint16)

    def code_of(self, labels):
        """(S,) int64 codes of class values ``labels``; 0 for a value that is
        not one of the classes."""
        labels = np.asarray(labels)
        lookup = dict(zip(self.values, self.codes, strict=True))
        return np.fromiter((lookup.get(v.item() if hasattr(v, "item") else v, 0)
                            for v in labels), np.int64, len(labels))

    def names_by_code(self):
        """(max code + 1,) object array: the name of each code, '' elsewhere."""
        out = np.full(max(self.codes) + 1, "", object)
        out[list(self.codes)] = self.names
        return out

    def to_dict(self):
        """JSON-ready {'values', 'codes', 'names'} lists."""
        return {"values": list(self.values), "codes": list(self.codes),
                "names": list(self.names)}

    @classmethod
    def from_dict(cls, d):
        return cls(tuple(d["values"]), tuple(int(c) for c in d["codes"]),
                   tuple(str(n) for n in d["names"]))


def class_table(labels, class_names=None):
    """The :class:`ClassTable` of the distinct values of ``labels``.

    Parameters
    ----------
    labels : (S,) array of int or str
    class_names : dict of int to str, optional
        Names of integer classes; keys not among the values are ignored.

    Raises
    ------
    ValueError
        More than 65535 classes, or class names for string classes.
    """
    labels = np.asarray(labels)
    integer = labels.dtype.kind in "iu"
    values = sorted({v.item() if hasattr(v, "item") else v for v in labels})
    if len(values) > MAX_CODE:
        raise ValueError(f"classes: {len(values)} classes, at most {MAX_CODE}")
    if class_names and not integer:
        raise ValueError("class_names: only for an integer class_field (string classes are "
                         "their own names)")
    names = {int(k): str(v) for k, v in (class_names or {}).items()}
    if integer and values and 1 <= values[0] and values[-1] <= MAX_CODE:
        codes = [int(v) for v in values]
    else:
        codes = list(range(1, len(values) + 1))
    text = [names.get(v, str(v)) if integer else str(v) for v in values]
    return ClassTable(tuple(int(v) if integer else str(v) for v in values), tuple(codes),
                      tuple(text))


def class_colours(classes, colours=None):
    """(max code + 1, 4) uint8 RGBA table of a :class:`ClassTable`.

    Row 0 (null) and unused codes are transparent; class k (in class order)
    gets :data:`PALETTE` [k mod 10] unless ``colours`` names it.

    Parameters
    ----------
    colours : dict of str to (3,) ints 0..255, optional
        Colour by class name.

    Raises
    ------
    ValueError
        A colour for a name that is not a class, or values outside 0..255.
    """
    colours = {str(k): v for k, v in (colours or {}).items()}
    for name, rgb in colours.items():
        if name not in classes.names:
            raise ValueError(f"colours: no class named {name!r} (classes: "
                             f"{', '.join(classes.names)})")
        if len(rgb) != 3 or not all(0 <= int(c) <= 255 for c in rgb):
            raise ValueError(f"colours: {name}: expected [red, green, blue] in 0..255")
    table = np.zeros((max(classes.codes) + 1, 4), np.uint8)
    for k, (code, name) in enumerate(zip(classes.codes, classes.names, strict=True)):
        table[code, :3] = colours.get(name, PALETTE[k % len(PALETTE)])
        table[code, 3] = 255
    return table
