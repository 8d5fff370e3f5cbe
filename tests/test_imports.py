"""``import blmk_health`` stays light: heavy optional libraries are imported inside the functions that use them.

Each public module of the package (``blmk_health``, ``blmk_health.testing``, every subpackage and their
public modules) is imported in a fresh interpreter, one after the other; after each import the test
looks for the heavy libraries in ``sys.modules``, so a failure names the module that pulled one in.

Allowed at import: numpy, pandas, PyArrow and narwhals (every table goes through them) and
``scipy.special`` (the exact normal, chi-square and beta quantiles of the confidence intervals).
Not allowed: the modelling, plotting, geometry and optional frame-backend libraries below, nor
``scipy.stats`` (about as slow to import as pandas, and not needed by the intervals).

The import time of ``blmk_health`` is measured and shown (``pytest -rP``), never asserted.
"""

from __future__ import annotations

import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Libraries that no public module may import at module level.
HEAVY = (
    "statsmodels",
    "sklearn",
    "matplotlib",
    "folium",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "fiona",
    "pyspark",
    "polars",
    "duckdb",
    "dask",
    "scipy.stats",
)

_SCRIPT = """
import importlib, json, sys, time
sys.path.insert(0, {root!r})
heavy = {heavy!r}
found, timings = {{}}, {{}}
for name in {modules!r}:
    start = time.perf_counter()
    importlib.import_module(name)
    timings[name] = time.perf_counter() - start
    for lib in heavy:
        if lib in sys.modules and lib not in [h for seen in found.values() for h in seen]:
            found.setdefault(name, []).append(lib)
print(json.dumps({{"found": found, "timings": timings, "loaded": len(sys.modules)}}))
"""


def _package_dir() -> Path:
    """The folder of the ``blmk_health`` under test (found without importing it)."""
    spec = importlib.util.find_spec("blmk_health")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations)))


def public_modules(package_dir: Path) -> list[str]:
    """``blmk_health`` and its public modules and subpackages, recursively (no ``_private`` part, no
    ``__main__``), parents before children, read from the file tree without importing anything."""
    names = ["blmk_health"]

    def walk(folder: Path, prefix: str) -> None:
        for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            names.append(f"{prefix}.{info.name}")
            if info.ispkg:
                walk(folder / info.name, f"{prefix}.{info.name}")

    walk(package_dir, "blmk_health")
    return names


def import_report(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> dict[str, object]:
    """Import ``modules`` in order in a fresh interpreter; which heavy libraries each one pulled in, and timings."""
    script = _SCRIPT.format(root=str(_package_dir().parent), heavy=heavy, modules=modules)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"importing {modules} failed:\n{result.stderr}")
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_public_modules_are_found() -> None:
    modules = public_modules(_package_dir())
    assert modules[0] == "blmk_health"
    assert {"blmk_health.datasets", "blmk_health.geo", "blmk_health.indicators", "blmk_health.io"} <= set(modules)
    assert not any(part.startswith("_") for name in modules for part in name.split(".")[1:])


def test_import_does_not_load_heavy_libraries(record_property: pytest.RecordProperty) -> None:
    report = import_report(public_modules(_package_dir()))
    timings = report["timings"]
    assert isinstance(timings, dict)
    seconds = timings["blmk_health"]
    record_property("import_blmk_health_seconds", round(seconds, 3))
    print(f"import blmk_health: {seconds:.2f} s ({report['loaded']} modules loaded in all)")
    assert report["found"] == {}, f"heavy libraries imported at module level (module: libraries): {report['found']}"


def test_the_check_catches_a_heavy_import(tmp_path: Path) -> None:
    """The check names the module whose import pulled a heavy library in, and only that one."""
    (tmp_path / "fake_heavy.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "light_mod.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "heavy_mod.py").write_text("import light_mod\nimport fake_heavy\n", encoding="utf-8")
    (tmp_path / "after_mod.py").write_text("import fake_heavy\n", encoding="utf-8")
    script = _SCRIPT.format(root=str(tmp_path), heavy=("fake_heavy",), modules=["light_mod", "heavy_mod", "after_mod"])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])["found"]
    assert found == {"heavy_mod": ["fake_heavy"]}
