#!/usr/bin/env bash
# Idempotent set-up: Debian GDAL, a .venv with numpy, the GDAL bindings
# matching gdal-config, and shepcore with its test and workflow extras.
# A second call only checks a stamp and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.shepcore-installed"

need_apt=()
command -v gdal-config >/dev/null 2>&1 || need_apt+=(libgdal-dev)
command -v gdalinfo >/dev/null 2>&1 || need_apt+=(gdal-bin)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

want="$(gdal-config --version) $(sha256sum pyproject.toml | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
    exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip -q --disable-pip-version-check"
$PIP install --upgrade pip setuptools wheel
$PIP install numpy
if ! "$VENV/bin/python" -c "from osgeo import gdal_array" 2>/dev/null; then
    echo "setup: building GDAL $(gdal-config --version) Python bindings (about 30 s)" >&2
    $PIP install --no-build-isolation "gdal==$(gdal-config --version)"
fi
$PIP install -e ".[test,workflow]"
echo "$want" > "$STAMP"
