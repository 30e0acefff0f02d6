"""Engine tests are plain functions on pydantic specs: no database, no Django.

The repository root and this folder go on sys.path so `estimator` and the shared specs in
`engine_specs.py` import under `--import-mode=importlib`, with or without pytest-django.
"""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for path in (str(HERE.parents[1]), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture
def speed_resolve():
    """bench/speed_resolve.py, the bench's rules for what a row's build ran (imported from bench/, not a package)."""
    bench = str(HERE.parents[1] / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import speed_resolve

    return speed_resolve
