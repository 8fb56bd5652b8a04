"""Check shepcore's layering (docs/architecture.md) with the ast module.

Every module of the package belongs to a layer, told by its path:

    core      shepcore/*.py (segmentation, model, synthetic, _validate,
              _config, _files, nulls) and shepcore/_kernels/
    raster    shepcore/raster/     the only layer that imports GDAL (osgeo, pyogrio)
    tiles     shepcore/tiles/
    stats     shepcore/stats/
    products  shepcore/products/
    pipeline  shepcore/pipeline/
    cli       shepcore/cli/ (the shepcore command), shepcore/__main__.py

A module may import from its own layer and from the layers listed for it
in ALLOWED, never upward, and the import graph of the package has no
cycle. Imports inside functions count too (a lazy import is still a
dependency). ``shepcore/__init__.py`` names its public functions as
strings for lazy loading and imports none of them, so it is exempt.

Exit status 0 when clean; otherwise one line per problem and status 1.
"""

import ast
import sys
from pathlib import Path

PACKAGE = "shepcore"
#: The package folder checked (the first command-line argument overrides it).
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

#: Layers each layer may import (besides itself).
ALLOWED = {
    "core": set(),
    "raster": {"core"},
    "tiles": {"core"},
    "stats": {"core", "raster"},
    "products": {"core", "raster", "stats"},
    "pipeline": {"core", "raster", "tiles", "stats", "products"},
    "cli": {"core", "raster", "tiles", "stats", "products", "pipeline"},
}
SUBPACKAGE_LAYERS = {"_kernels": "core", "raster": "raster", "tiles": "tiles",
                     "stats": "stats", "products": "products", "pipeline": "pipeline"}
CLI_MODULES = {"cli", "__main__"}
#: Third-party modules only one layer may import.
RESERVED = {"osgeo": "raster", "pyogrio": "raster"}
#: Longest module outside _kernels/ (lines).
MAX_LINES = 400


def module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module):
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in SUBPACKAGE_LAYERS:
        return SUBPACKAGE_LAYERS[parts[1]]
    if parts[1] in CLI_MODULES:
        return "cli"
    return "core"


def imports_of(path, module):
    """(imported module, line) for every import statement of the file."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_pkg else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            # "from . import x" / "from .pkg import mod": the names may be modules.
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return out


def main():
    global ROOT
    if len(sys.argv) > 1:
        ROOT = Path(sys.argv[1]).resolve()
    files = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p): p for p in files}
    problems, graph = [], {}
    for module, path in modules.items():
        layer = layer_of(module)
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES and ".__init__" not in module and "._kernels" not in module:
            problems.append(f"{path}: {lines} lines (limit {MAX_LINES} outside _kernels/)")
        if module == PACKAGE:
            continue
        deps = set()
        for target, line in imports_of(path, module):
            top = target.split(".")[0]
            if top in RESERVED and RESERVED[top] != layer:
                problems.append(f"{path}:{line}: {layer} module imports {target} "
                                f"(only the {RESERVED[top]} layer may)")
            if top != PACKAGE or target not in modules or target == PACKAGE:
                continue
            other = layer_of(target)
            if other != layer and other not in ALLOWED[layer]:
                problems.append(f"{path}:{line}: {layer} module {module} imports "
                                f"{target} ({other} layer)")
            deps.add(target)
        graph[module] = deps
    problems += cycles(graph)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"layers ok: {len(modules)} modules, no upward imports, no cycles")


def cycles(graph):
    """One line per import cycle found (depth-first search)."""
    state, stack, found = {}, [], []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                found.append("import cycle: " + " -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


if __name__ == "__main__":
    main()
