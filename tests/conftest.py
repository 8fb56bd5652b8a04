"""Shared fixtures: where the real test scenes are, and dtype lists."""

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

#: Image dtypes every stage is parametrized over (style guide, section 3.2).
DTYPES = [np.uint8, np.int16, np.uint16, np.float32, np.float64]
FLOAT_DTYPES = [np.float32, np.float64]


def scenes_path():
    """$SHEPCORE_SCENES, else <repo>/../shared/data/scenes."""
    env = os.environ.get("SHEPCORE_SCENES")
    return Path(env) if env else REPO.parent / "shared" / "data" / "scenes"


@pytest.fixture(scope="session")
def scenes_dir():
    """Folder of the real scenes listed in its SOURCES.md. Missing scenes are
    a failure, not a skip: the suite must not pass without them."""
    path = scenes_path()
    if not path.is_dir():
        pytest.fail(
            f"real test scenes not found at {path}; set SHEPCORE_SCENES to the folder "
            "holding RGB.byte.tif, mosaic_cog1.tif, LC81070352015122LGN00_B*.tif, ...",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def scene(scenes_dir):
    """scene(name) -> Path of one scene file; fails clearly if it is missing."""

    def get(name):
        path = scenes_dir / name
        if not path.is_file():
            pytest.fail(f"real test scene {path} is missing", pytrace=False)
        return path

    return get
