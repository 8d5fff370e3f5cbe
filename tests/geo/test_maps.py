"""Choropleths fit for a board paper: legends in words, discrete classes for deciles and categories,
named places, a source note, a north arrow and a scale bar; the stored baseline image; explore.

The tests look at the drawn figure (legend texts and colours, the texts and patches found by their
``gid``), so that each fails when its feature is missing. Exact assertions use hand-made geometries;
the synthetic BLMK small areas are used only for properties that hold on any map of the four places.

The baseline image is stored in ``baseline/``. A test run never writes it: a missing baseline fails, and
``BLMK_UPDATE_BASELINES=1 pytest tests/geo/test_maps.py`` (re)writes it, skipping the comparison.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
from matplotlib.testing.compare import compare_images

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, SchemaError
from tests.helpers import env_flag, require_module, skip_or_fail

BASELINE = Path(__file__).parent / "baseline" / "choropleth_small.png"
UPDATE_BASELINES = "BLMK_UPDATE_BASELINES"
DECILES = ["1 (most deprived)", *map(str, range(2, 10)), "10 (least deprived)"]
OS_NOTE = "Contains OS data © Crown copyright and database right 2011"
KM = 1000.0


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


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


#: Four made-up places laid out like BLMK (in km): Bedford in the north, Milton Keynes in the west,
#: Central Bedfordshire across the middle and south, Luton a small town in a notch of its southern edge.
PLACES = {
    "Bedford": box(10, 30, 32, 45),
    "Milton Keynes": box(0, 14, 12, 30),
    "Central Bedfordshire": box(12, 4, 36, 30).difference(box(20, 4, 26, 10)),
    "Luton": box(20, 4, 26, 10),
}


def blmk_like() -> gpd.GeoDataFrame:
    """The places of :data:`PLACES` cut into 1 km small areas, each with a decile from its position."""
    rows = []
    for code, (name, place) in enumerate(PLACES.items()):
        x0, y0, x1, y1 = (int(v) for v in place.bounds)
        for x, y in itertools.product(range(x0, x1), range(y0, y1)):
            cell = box(x, y, x + 1, y + 1)
            if place.contains(cell.centroid):
                rows.append(
                    {"place_code": f"P{code}", "place_name": name, "imd_decile": 1 + (x + 2 * y) % 10, "g": cell}
                )
    frame = pd.DataFrame(rows)
    geometry = gpd.GeoSeries(frame.pop("g")).scale(KM, KM, origin=(0, 0)).translate(480000, 210000)
    return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs="EPSG:27700")


def places_of(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return areas.dissolve(by="place_code", aggfunc="first", as_index=False)


def legend_texts(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def legend_colours(ax: Any) -> list[str]:
    return [to_hex(h.get_facecolor()) for h in ax.get_legend().legend_handles]


def by_gid(ax: Any, gid: str) -> list[Any]:
    return ax.findobj(lambda artist: artist.get_gid() == gid)


def drawn_colours(ax: Any) -> set[str]:
    """The fill colours of the areas drawn (every polygon collection)."""
    return {to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}


def _render(ax: Any, path: Path) -> None:
    ax.figure.savefig(path, dpi=40)
    plt.close(ax.figure)
    assert path.stat().st_size > 1000


# --------------------------------------------------------------------------------------- rendering


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
    ax = bh.geo.choropleth(empty, "value", outlines="place_code")
    assert legend_texts(ax) == ["Suppressed"]
    _render(ax, tmp_path / "b.png")
    outlines = bh.geo.dissolve_areas(gdf, "place_code")
    _, ax = plt.subplots()
    assert bh.geo.choropleth(gdf.to_crs("EPSG:4326"), "value", ax=ax, outlines=outlines, cmap="cividis") is ax
    _render(ax, tmp_path / "c.png")
    single = gdf.assign(value=1.0)
    ax = bh.geo.choropleth(single, "value")
    assert legend_texts(ax) == ["1"]
    _render(ax, tmp_path / "d.png")


def test_new_figure_is_a4_text_width_and_shaped_to_the_area() -> None:
    ax = bh.geo.choropleth(blmk_like(), "imd_decile", classes="deciles")
    width, height = ax.figure.get_size_inches()
    assert width == pytest.approx(6.3)  # 16 cm
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    position = ax.get_position()
    box_aspect = position.height * height / (position.width * width)
    assert box_aspect == pytest.approx((y1 - y0) / (x1 - x0), rel=0.02)  # no white band around the map


# ------------------------------------------------------------------------------------ legend title


def test_legend_title_in_words() -> None:
    gdf = squares(4)
    ax = bh.geo.choropleth(gdf, "value", legend_title="Emergency admissions per 1,000")
    assert ax.get_legend().get_title().get_text() == "Emergency admissions\nper 1,000"  # wrapped to the column
    assert ax.get_legend().get_title().get_fontweight() == "bold"


@pytest.mark.parametrize(
    ("column", "title"),
    [
        ("imd_decile", "IMD decile"),
        ("value", "Value"),
        ("gp_fte_per_10k", "GP fte per 10k"),
        ("list-size", "List size"),
        ("__", "__"),
    ],
)
def test_legend_title_without_words_is_a_readable_column_name(column: str, title: str) -> None:
    gdf = squares(2).rename(columns={"value": column})
    ax = bh.geo.choropleth(gdf, column, classes="values")
    assert ax.get_legend().get_title().get_text() == title


def test_colour_bar_title_and_missing_entry() -> None:
    ax = bh.geo.choropleth(
        squares(4).assign(value=lambda d: d["value"] * 1000), "value", scheme=None, legend_title="Patients"
    )
    (bar,) = by_gid(ax, "colour_bar")
    assert bar.get_title(loc="left") == "Patients"
    assert "10,000" in [t.get_text() for t in bar.get_yticklabels()]  # thousands separators
    assert legend_texts(ax) == ["Suppressed"]
    assert ax.get_legend().legend_handles[0].get_hatch() == "///"
    complete = squares(4, missing=False)
    ax = bh.geo.choropleth(complete, "value", scheme=None, cmap=matplotlib.colormaps["cividis"], fmt="{:.0f}")
    assert ax.get_legend() is None
    (bar,) = by_gid(ax, "colour_bar")
    assert bar.get_title(loc="left") == "Value"


# ------------------------------------------------------------------------------- discrete classes


def test_deciles_one_class_each_in_fixed_colours_with_words() -> None:
    gdf = blmk_like()
    gdf.loc[gdf.index[:3], "imd_decile"] = np.nan  # suppressed: the column is float now
    ax = bh.geo.choropleth(gdf, "imd_decile", classes="deciles", legend_title="Deprivation decile (IMD 2019)")
    assert legend_texts(ax) == [*DECILES, "Suppressed"]
    viridis = [to_hex(matplotlib.colormaps["viridis"](p)) for p in np.linspace(0, 1, 10)]
    assert legend_colours(ax)[:10] == viridis
    assert drawn_colours(ax) >= set(viridis)
    # a map with only three deciles keeps all ten entries and the same colours
    few = blmk_like().assign(imd_decile=lambda d: 8 + d["imd_decile"] % 3)
    ax = bh.geo.choropleth(few, "imd_decile", classes="deciles")
    assert legend_texts(ax) == DECILES
    assert legend_colours(ax) == viridis
    assert drawn_colours(ax) & set(viridis) == set(viridis[7:])


def test_quintiles() -> None:
    gdf = squares(2).assign(q=[1, 3, 5, 5])
    ax = bh.geo.choropleth(gdf, "q", classes="quintiles")
    assert legend_texts(ax) == ["1 (most deprived)", "2", "3", "4", "5 (least deprived)"]


def test_integer_columns_with_few_values_get_a_class_per_value() -> None:
    gdf = blmk_like()
    ax = bh.geo.choropleth(gdf, "imd_decile")  # classes="auto": int64 1..10, not quantiles
    assert legend_texts(ax) == [str(d) for d in range(1, 11)]
    gdf["patients"] = np.arange(len(gdf)) * 1000  # a wide range of integers: classed by the scheme
    ax = bh.geo.choropleth(gdf, "patients", k=4)
    texts = legend_texts(ax)
    assert len(texts) == 4
    assert texts[0].startswith("0 – ")
    assert "," in texts[-1]  # thousands separators
    ax = bh.geo.choropleth(gdf, "imd_decile", classes="scheme", k=5)  # forced to the scheme
    assert len(legend_texts(ax)) == 5
    assert " – " in legend_texts(ax)[0]


def test_mapping_of_value_to_label_in_its_order() -> None:
    gdf = squares(2).assign(tier=[3, 1, 1, 2])
    labels = {1: "High risk", 2: "Rising risk", 3: "Low risk", 4: "Not assessed"}
    ax = bh.geo.choropleth(gdf, "tier", classes=labels, legend_title="Risk tier")
    assert legend_texts(ax) == list(labels.values())
    with pytest.raises(DomainError, match=r"classes: column 'tier' has 1 value\(s\) that are not keys.*5"):
        bh.geo.choropleth(gdf.assign(tier=[1, 2, 3, 5]), "tier", classes=labels)


def test_categories_in_a_stable_order() -> None:
    gdf = squares(2).assign(area=["b", "a", None, "c"])
    ax = bh.geo.choropleth(gdf, "area", outlines=None)
    assert legend_texts(ax) == ["a", "b", "c", "Suppressed"]
    shuffled = gdf.iloc[::-1].copy()
    assert legend_texts(bh.geo.choropleth(shuffled, "area", outlines=None)) == ["a", "b", "c", "Suppressed"]
    ordered = gdf.assign(area=pd.Categorical(gdf["area"], categories=["c", "b", "a", "z"]))
    ax = bh.geo.choropleth(ordered, "area", outlines=None)
    assert legend_texts(ax) == ["c", "b", "a", "z", "Suppressed"]  # the categorical order, every category
    assert legend_texts(bh.geo.choropleth(gdf, "area", classes={"c": "Cee", "a": "Ay", "b": "Bee"})) == [
        "Cee",
        "Ay",
        "Bee",
        "Suppressed",
    ]
    flags = squares(2).assign(flag=[True, False, True, True])
    assert legend_texts(bh.geo.choropleth(flags, "flag")) == ["False", "True"]


def test_scheme_classes_labels() -> None:
    gdf = squares(4, missing=False)  # values 0..15
    ax = bh.geo.choropleth(gdf, "value", k=4, scheme="fisher_jenks")
    assert legend_texts(ax) == ["0 – 3", "3 – 7", "7 – 11", "11 – 15"]  # whole numbers
    ax = bh.geo.choropleth(gdf, "value", k=4)
    assert legend_texts(ax) == ["0.0 – 3.8", "3.8 – 7.5", "7.5 – 11.2", "11.2 – 15.0"]  # quantiles: 3.75, ...
    ax = bh.geo.choropleth(gdf.assign(value=gdf["value"] / 10), "value", k=4, scheme="equal_interval")
    assert legend_texts(ax) == ["0.0 – 0.4", "0.4 – 0.8", "0.8 – 1.1", "1.1 – 1.5"]
    ax = bh.geo.choropleth(gdf, "value", k=2, fmt="{:.2f}")
    assert legend_texts(ax) == ["0.00 – 7.50", "7.50 – 15.00"]
    tied = gdf.assign(value=[0.0] * 10 + [1.5, 2.5, 3.5, 4.5, 5.5, 6.5])
    texts = legend_texts(bh.geo.choropleth(tied, "value", k=5))
    assert texts[0] == "0.0"  # the tied quantiles merge: no empty "0.0 – 0.0" class
    assert len(texts) == len(set(texts))


def test_missing_values_hatched_grey_in_every_kind_of_legend() -> None:
    gdf = blmk_like()
    gdf.loc[gdf.index[:2], "imd_decile"] = np.nan
    for classes in ("deciles", "values", "scheme"):
        ax = bh.geo.choropleth(gdf, "imd_decile", classes=classes, missing_label="Fewer than 8 patients")
        handle = ax.get_legend().legend_handles[-1]
        assert legend_texts(ax)[-1] == "Fewer than 8 patients"
        assert handle.get_hatch() == "///"
        assert to_hex(handle.get_facecolor()) == "#e0e0e0"
        assert any(coll.get_hatch() == "///" for coll in ax.collections)


# ---------------------------------------------------------------------------------- place names


def _name_boxes(ax: Any) -> dict[str, Any]:
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return {t.get_text().replace("\n", " "): t.get_window_extent(renderer) for t in by_gid(ax, "area_name")}


def _assert_named_inside_without_overlap(ax: Any, places: gpd.GeoDataFrame) -> None:
    boxes = _name_boxes(ax)
    assert sorted(boxes) == sorted(places["place_name"])
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"the names {a!r} and {b!r} overlap"
    for text in by_gid(ax, "area_name"):
        name = text.get_text().replace("\n", " ")
        shape = places.loc[places["place_name"] == name].geometry.iloc[0]
        assert shape.contains(Point(text.get_position())), f"{name!r} is not written inside its area"
        assert text.get_path_effects(), "names need a halo to be read over the colours"


def test_place_names_inside_their_places_without_overlap() -> None:
    areas = blmk_like()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = bh.geo.choropleth(areas, "imd_decile", classes="deciles", area_names="place_name")
    _assert_named_inside_without_overlap(ax, places_of(areas))


def test_names_of_the_mapped_areas_or_of_given_outlines() -> None:
    areas = blmk_like()
    places = places_of(areas)
    ax = bh.geo.choropleth(places.assign(rate=[1.0, 2.0, 3.0, 4.0]), "rate", area_names="place_name")
    _assert_named_inside_without_overlap(ax, places)
    ax = bh.geo.choropleth(areas, "imd_decile", outlines=places[["place_name", "geometry"]], area_names="place_name")
    _assert_named_inside_without_overlap(ax, places)
    assert not by_gid(bh.geo.choropleth(areas, "imd_decile"), "area_name")  # only when asked


def test_names_of_the_four_places_on_the_synthetic_map() -> None:
    lsoas = bh.datasets.synthetic_blmk(scale=0.01).lsoas
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = bh.geo.choropleth(lsoas, "imd_decile", classes="deciles", area_names="place_name", source=OS_NOTE)
    boxes = _name_boxes(ax)
    assert sorted(boxes) == sorted(lsoas["place_name"].unique())
    assert len(boxes) == 4
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"the names {a!r} and {b!r} overlap"
    assert len(legend_texts(ax)) == 10


def test_a_name_that_cannot_be_placed_is_left_out_with_a_warning() -> None:
    tiny = gpd.GeoDataFrame(
        {"v": [1.0, 2.0, 3.0, 4.0], "name": ["A long name for a tiny area", "Another long name here", "Far", "Away"]},
        geometry=[
            box(10000, 10000, 10050, 10050),
            box(10050, 10000, 10100, 10050),
            box(0, 0, 3000, 3000),
            box(17000, 17000, 20000, 20000),
        ],
        crs="EPSG:27700",
    )
    with pytest.warns(UserWarning, match=r"area_names: 1 name\(s\) could not be placed.*'Another long name here'"):
        ax = bh.geo.choropleth(tiny, "v", area_names="name")
    assert {t.get_text() for t in by_gid(ax, "area_name")} == {"A long name for a tiny area", "Far", "Away"}


# ------------------------------------------------------------------- source, north arrow, scale bar


def test_source_note_small_under_the_map_and_within_the_figure() -> None:
    note = (
        "Source: English indices of deprivation 2019 (MHCLG); ONS LSOA 2011 boundaries. "
        "Contains OS data © Crown copyright and database right 2011. Contains public sector information "
        "licensed under the Open Government Licence v3.0."
    )
    ax = bh.geo.choropleth(blmk_like(), "imd_decile", classes="deciles", source=note, title="Deprivation")
    (text,) = by_gid(ax, "source")
    assert " ".join(text.get_text().split()) == note
    assert "\n" in text.get_text()  # wrapped
    assert text.get_fontsize() < 8
    ax.figure.canvas.draw()
    extent, figure = text.get_window_extent(), ax.figure.bbox
    assert extent.y1 <= ax.get_window_extent().y0 + 1  # under the map
    assert figure.x0 <= extent.x0  # not cut off
    assert extent.x1 <= figure.x1
    assert extent.y0 >= figure.y0
    assert not by_gid(bh.geo.choropleth(blmk_like(), "imd_decile"), "source")
    _, narrow = plt.subplots(figsize=(2.5, 3))  # a caller's small axes: the note wraps to fit
    bh.geo.choropleth(blmk_like(), "imd_decile", ax=narrow, legend=False, source=note)
    narrow.figure.canvas.draw()
    (text,) = by_gid(narrow, "source")
    assert text.get_window_extent().x1 <= narrow.figure.bbox.x1


def test_north_arrow() -> None:
    ax = bh.geo.choropleth(squares(4), "value")
    (arrow,) = by_gid(ax, "north_arrow")
    assert arrow.get_text() == "N"
    assert arrow.arrow_patch is not None
    assert arrow.xy[1] > arrow.xyann[1]  # it points up
    assert not by_gid(bh.geo.choropleth(squares(4), "value", north_arrow=False), "north_arrow")
    assert len(by_gid(bh.geo.choropleth(squares(4).to_crs("EPSG:4326"), "value"), "north_arrow")) == 1


def test_scale_bar_in_metres_and_kilometres() -> None:
    ax = bh.geo.choropleth(squares(4), "value")  # about 4.4 km across: a 500 m bar
    bars = [a for a in by_gid(ax, "scale_bar") if hasattr(a, "get_width")]
    labels = [a.get_text() for a in by_gid(ax, "scale_bar") if hasattr(a, "get_text")]
    assert len(bars) == 2
    assert sum(b.get_width() for b in bars) == pytest.approx(500)
    assert labels == ["0", "250", "500 m"]
    ax = bh.geo.choropleth(blmk_like(), "imd_decile")  # 36 km across: a 5 km bar
    labels = [a.get_text() for a in by_gid(ax, "scale_bar") if hasattr(a, "get_text")]
    assert labels == ["0", "2.5", "5 km"]
    assert not by_gid(bh.geo.choropleth(squares(4), "value", scale_bar=False), "scale_bar")
    assert not by_gid(bh.geo.choropleth(squares(4).to_crs("EPSG:4326"), "value"), "scale_bar")  # degrees
    assert not by_gid(bh.geo.choropleth(squares(4).to_crs("EPSG:2263"), "value"), "scale_bar")  # US feet


def test_draws_on_a_given_axes(tmp_path: Path) -> None:
    areas = blmk_like()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5))
    assert (
        bh.geo.choropleth(areas, "imd_decile", classes="deciles", ax=left, legend=False, area_names="place_name")
        is left
    )
    assert bh.geo.choropleth(areas, "place_name", ax=right, outlines=None, source=OS_NOTE) is right
    assert left.get_legend() is None
    assert legend_texts(right) == sorted(PLACES)
    assert len(by_gid(left, "area_name")) == 4
    fig.savefig(tmp_path / "two.png", dpi=40)


# ---------------------------------------------------------------------------------------- baseline


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
    """A small board-paper map: deciles with a suppressed area, place names, source, arrow and scale bar."""
    areas = blmk_like()
    areas.loc[areas.index[:4], "imd_decile"] = np.nan
    ax = bh.geo.choropleth(
        areas,
        "imd_decile",
        classes="deciles",
        title="Baseline",
        legend_title="Deprivation decile",
        area_names="place_name",
        source=OS_NOTE,
    )
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


# --------------------------------------------------------------------------------------- bad input


def test_bad_input() -> None:
    gdf = squares(2)
    with pytest.raises(SchemaError, match="GeoDataFrame"):
        bh.geo.choropleth(gdf.drop(columns="geometry"), "value")
    with pytest.raises(SchemaError, match="'rate' not found"):
        bh.geo.choropleth(gdf, "rate")
    with pytest.raises(DomainError, match="gdf: the GeoDataFrame has no rows"):
        bh.geo.choropleth(gdf.iloc[:0], "value")
    with pytest.raises(DomainError, match="not a mapclassify scheme"):
        bh.geo.choropleth(gdf, "value", scheme="rainbow")
    with pytest.raises(DomainError, match="k:"):
        bh.geo.choropleth(gdf, "value", k=1)
    with pytest.raises(SchemaError, match="outlines: column 'ward'"):
        bh.geo.choropleth(gdf, "value", outlines="ward")
    with pytest.raises(SchemaError, match="outlines: expected"):
        bh.geo.choropleth(gdf, "value", outlines=3)
    with pytest.raises(DomainError, match="cmap: 'rainbowish' is not a matplotlib colour map"):
        bh.geo.choropleth(gdf, "value", cmap="rainbowish")
    with pytest.raises(DomainError, match="fmt: expected a format string"):
        bh.geo.choropleth(gdf, "value", fmt="{:q}")
    with pytest.raises(DomainError, match="fmt: expected a format string"):
        bh.geo.choropleth(gdf, "value", fmt=3)  # type: ignore[arg-type]


def test_bad_classes() -> None:
    gdf = squares(2).assign(decile=[1, 5, 10, 11])
    with pytest.raises(DomainError, match=r"classes: expected one of 'auto', 'values', 'deciles'.*got 'tertiles'"):
        bh.geo.choropleth(gdf, "decile", classes="tertiles")
    with pytest.raises(DomainError, match="classes: the mapping of value -> label is empty"):
        bh.geo.choropleth(gdf, "decile", classes={})
    with pytest.raises(
        DomainError,
        match=r"classes='deciles': column 'decile' has 1 value\(s\) that are not whole numbers from 1 to 10 "
        r"\(first offending values: 11\)",
    ):
        bh.geo.choropleth(gdf, "decile", classes="deciles")
    with pytest.raises(DomainError, match=r"not whole numbers from 1 to 5 \(first offending values: 2.5\)"):
        bh.geo.choropleth(gdf.assign(decile=[1.0, 2.5, 3.0, np.nan]), "decile", classes="quintiles")
    with pytest.raises(DomainError, match="classes: 'deciles' needs a numeric column"):
        bh.geo.choropleth(gdf, "kind", classes="deciles")


def test_bad_furniture() -> None:
    gdf = squares(2).assign(place_name=["Luton", "Milton Keynes", "Luton", "Bedford"])  # places L, M, L, M
    with pytest.raises(SchemaError, match="area_names: expected the name of a column"):
        bh.geo.choropleth(gdf, "value", area_names=3)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="area_names: column 'town' not found in gdf"):
        bh.geo.choropleth(gdf, "value", area_names="town")
    with pytest.raises(SchemaError, match="area_names: column 'place_name' not found in the outlines GeoDataFrame"):
        bh.geo.choropleth(gdf, "value", area_names="place_name", outlines=bh.geo.dissolve_areas(gdf, "place_code"))
    with pytest.raises(DomainError, match=r"area_names: column 'place_name' has more than one name in 1 outline"):
        bh.geo.choropleth(gdf, "value", area_names="place_name")  # place M is called two things
    with pytest.raises(DomainError, match="source: expected text"):
        bh.geo.choropleth(gdf, "value", source=["OS"])  # type: ignore[arg-type]


def test_explore() -> None:
    require_module("folium", "explore needs the optional extra blmk-health[folium]")
    gdf = squares(3)
    m = bh.geo.explore(gdf, "value", k=3)
    assert type(m).__name__ == "Map"
    assert type(bh.geo.explore(gdf, "kind")).__name__ == "Map"
    assert type(bh.geo.explore(gdf.assign(value=gdf["value"].fillna(0)), "value", scheme=None)).__name__ == "Map"
    assert type(bh.geo.explore(gdf, "value", scheme="max_breaks", k=3)).__name__ == "Map"
