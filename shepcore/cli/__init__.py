"""The ``shepcore`` command line (also ``python -m shepcore``).

Subcommands follow GDAL habits: input first, output second, ``--help``
everywhere; progress lines go to stderr, the result line to stdout; bad
input exits with status 1 and one line ``shepcore: error: ...``. Each
subcommand lives in its own module (``segment``, ``stats``, ``subset``,
``colour``, ``polygonize``, ``classify``, ``info``) with ``add_parser(subparsers)`` and
``run(args)``; heavy modules are imported in ``run`` only, so ``--help``
is fast.
"""

import argparse
import importlib
import sys

#: Subcommands, in the order ``shepcore --help`` lists them.
COMMANDS = ("segment", "stats", "subset", "colour", "polygonize", "classify", "info")
#: Exceptions that describe a problem with the user's input.
USER_ERRORS = (ValueError, TypeError, OSError)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``shepcore: error:`` line, exit 1."""

    def error(self, message):
        self.exit(1, f"shepcore: error: {self.prog.split(' ', 1)[-1]}: {message} "
                     f"(see '{self.prog} --help')\n")


def int_list(text):
    """'4,3,2' -> [4, 3, 2] (1-based band numbers)."""
    try:
        values = [int(v) for v in str(text).replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected band numbers like 4,3,2, got {text!r}") \
            from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected band numbers >= 1 like 4,3,2, got {text!r}")
    return values


def number(text):
    """A real number (nodata, limits)."""
    try:
        return float(text) if any(c in str(text).lower() for c in ".ein") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_format(parser, help_extra=""):
    """--format HFA|GTiff|COG (default: by the output's extension)."""
    parser.add_argument("--format", choices=("HFA", "GTiff", "COG"), default=None,
                        help="output format (default: HFA for .img, GTiff for .tif). COG: a "
                             "Cloud Optimized GeoTIFF (.tif); like GTiff it keeps the RAT in "
                             f"OUT.aux.xml{help_extra}")


def output_format(path, fmt):
    """The output format: ``fmt`` checked against the extension of ``path``."""
    ext = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    by_ext = {"img": "HFA", "tif": "GTiff", "tiff": "GTiff"}
    if fmt is None:
        if ext not in by_ext:
            raise ValueError(f"{path}: unknown raster extension; use .img (HFA) or .tif "
                             "(GTiff, or --format COG)")
        return by_ext[ext]
    want = {"HFA": ("img",), "GTiff": ("tif", "tiff"), "COG": ("tif", "tiff")}[fmt]
    if ext not in want:
        raise ValueError(f"{path}: --format {fmt} writes .{want[0]} files")
    return fmt


def build_parser():
    """The argument parser with every subcommand."""
    from .. import __version__

    parser = Parser(prog="shepcore", description="Shepherd et al. (2019) segmentation of "
                    "large rasters, and the products made from a segment raster.",
                    epilog="Run 'shepcore COMMAND --help' for a command's options. The "
                    "Snakemake workflow (workflow/Snakefile) runs the same steps on "
                    "mosaics of any size.")
    parser.add_argument("--version", action="version", version=f"shepcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv=None):
    """Run ``shepcore`` with ``argv`` (default: the command line)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except USER_ERRORS as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"shepcore: error: {args.command}: {msg}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print("shepcore: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
