"""Choropleths render (PNG written, non-empty, close to a stored baseline); explore gives a folium map.

The baseline image is stored in ``baseline/``. A test run never writes it: a missing baseline fails, and
``BLMK_UPDATE_BASELINES=1 pytest tests/geo/test_maps.py`` (re)writes it, skipping the comparison.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from shapely.geometry import box

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.testing.compare import compare_images

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, SchemaError
from tests.helpers import env_flag, require_module, skip_or_fail

BASELINE = Path(__file__).parent / "baseline" / "choropleth_small.png"
UPDATE_BASELINES = "BLMK_UPDATE_BASELINES"


def squares(n: int = 4, missing: bool = True) -> gpd.GeoDataFrame:
    """An n x n grid of 1 km squares with a value and a place for each half."""
    cells = [(i, j) for j in range(n) for i in range(n)]
    values = np.arange(len(cells), dtype=float)
    if missing:
        values[3] = np.nan
    return gpd.GeoDataFrame(
        {
            "code": [f"A{k:02d}" for k in range(len(cells))],
            "value": values,
            "place_code": ["L" if i < n // 2 else "M" for i, _ in cells],
            "kind": ["x" if k % 2 else "y" for k in range(len(cells))],
        },
        geometry=[box(500000 + i * 1000, 220000 + j * 1000, 501000 + i * 1000, 221000 + j * 1000) for i, j in cells],
        crs="EPSG:27700",
    )


def _render(ax: plt.Axes, path: Path) -> None:
    ax.figure.savefig(path, dpi=40)
    plt.close(ax.figure)
    assert path.stat().st_size > 1000


@pytest.mark.parametrize(("n", "scheme"), [(2, "quantiles"), (4, "fisher_jenks"), (12, "equal_interval"), (6, None)])
def test_renders_at_every_scale(tmp_path: Path, n: int, scheme: str | None) -> None:
    """Places (4 areas), clusters (16) and LSOA-like grids (144), classed and continuous."""
    ax = bh.geo.choropleth(squares(n), "value", scheme=scheme, k=5, title="Value")
    assert ax.get_title() == "Value"
    _render(ax, tmp_path / "map.png")


def test_categorical_all_missing_and_outline_options(tmp_path: Path) -> None:
    gdf = squares(4)
    _render(bh.geo.choropleth(gdf, "kind", outlines=None, legend=False), tmp_path / "a.png")
    empty = gdf.assign(value=np.nan)
    _render(bh.geo.choropleth(empty, "value", outlines="place_code"), tmp_path / "b.png")
    outlines = bh.geo.dissolve_areas(gdf, "place_code")
    _, ax = plt.subplots()
    assert bh.geo.choropleth(gdf.to_crs("EPSG:4326"), "value", ax=ax, outlines=outlines, cmap="cividis") is ax
    _render(ax, tmp_path / "c.png")
    single = gdf.assign(value=1.0)
    _render(bh.geo.choropleth(single, "value"), tmp_path / "d.png")


def check_baseline(image: Path, baseline: Path) -> None:
    """Compare a rendered image with its stored baseline, which only ``BLMK_UPDATE_BASELINES`` (re)writes."""
    if env_flag(UPDATE_BASELINES):
        baseline.parent.mkdir(exist_ok=True)
        baseline.write_bytes(image.read_bytes())
        skip_or_fail(f"{UPDATE_BASELINES} is set: wrote {baseline}; run again without it to compare")
    if not baseline.exists():
        pytest.fail(
            f"baseline image {baseline} is missing; create it with "
            f"{UPDATE_BASELINES}=1 pytest tests/geo/test_maps.py::test_matches_baseline",
            pytrace=False,
        )
    assert baseline.stat().st_size < 50_000
    assert compare_images(str(baseline), str(image), tol=10) is None


def test_matches_baseline(tmp_path: Path) -> None:
    ax = bh.geo.choropleth(squares(4), "value", k=4, title="Baseline", legend=True)
    out = tmp_path / "choropleth_small.png"
    ax.figure.savefig(out, dpi=40)
    plt.close(ax.figure)
    check_baseline(out, BASELINE)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A rendered image (its content does not matter where no baseline is compared)."""
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG rendered")
    return path


def test_baseline_is_never_written_by_a_plain_run(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = image.parent / "baseline" / "missing.png"
    monkeypatch.delenv(UPDATE_BASELINES, raising=False)
    with pytest.raises(pytest.fail.Exception, match=f"missing; create it with {UPDATE_BASELINES}=1"):
        check_baseline(image, missing)
    assert not missing.exists()
    monkeypatch.setenv(UPDATE_BASELINES, "0")
    with pytest.raises(pytest.fail.Exception, match="missing"):
        check_baseline(image, missing)
    assert not missing.exists()


def test_baseline_is_written_when_asked(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = image.parent / "baseline" / "new.png"
    monkeypatch.setenv(UPDATE_BASELINES, "1")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="wrote"):
        check_baseline(image, baseline)
    assert baseline.read_bytes() == image.read_bytes()
    monkeypatch.setenv("CI", "true")  # CI never regenerates its own baselines
    with pytest.raises(pytest.fail.Exception, match="nothing may skip"):
        check_baseline(image, baseline)


def test_bad_input() -> None:
    gdf = squares(2)
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        bh.geo.choropleth(gdf.drop(columns="geometry"), "value")
    with pytest.raises(SchemaError, match="'rate' not found"):
        bh.geo.choropleth(gdf, "rate")
    with pytest.raises(DomainError, match="not a mapclassify scheme"):
        bh.geo.choropleth(gdf, "value", scheme="rainbow")
    with pytest.raises(DomainError, match="k:"):
        bh.geo.choropleth(gdf, "value", k=1)
    with pytest.raises(SchemaError, match="outlines: column 'ward'"):
        bh.geo.choropleth(gdf, "value", outlines="ward")
    with pytest.raises(SchemaError, match="outlines: expected"):
        bh.geo.choropleth(gdf, "value", outlines=3)
    plt.close("all")


def test_explore() -> None:
    require_module("folium", "explore needs the optional extra blmk-health[folium]")
    gdf = squares(3)
    m = bh.geo.explore(gdf, "value", k=3)
    assert type(m).__name__ == "Map"
    assert type(bh.geo.explore(gdf, "kind")).__name__ == "Map"
    assert type(bh.geo.explore(gdf.assign(value=gdf["value"].fillna(0)), "value", scheme=None)).__name__ == "Map"
