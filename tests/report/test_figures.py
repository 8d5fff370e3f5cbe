"""The report's figures (blmk_health.report._figures): each function on small hand-made data returns a
Figure with the expected title, axis words, panels and artists, draws exactly the numbers it is given
(bar lengths, confidence limits, the SII line), and draws what there is when values are blank.

The figures are inspected through their artists: bars are the axes' patches, confidence limits the
segments of the error-bar line collections, and the artists the tests look for carry a ``gid``
(``comparator``, ``benchmark``, ``sii_line``, ``deciles``, ``notes``, ``cluster_number``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import SchemaError
from blmk_health.report import _figures as figures

LUTON, MK, BEDFORD, CBEDS = "E06000032", "E06000042", "E06000055", "E06000056"
PLACES = {BEDFORD: "Bedford", CBEDS: "Central Bedfordshire", LUTON: "Luton", MK: "Milton Keynes"}
ICB = "Bedfordshire, Luton and Milton Keynes"
TIDY_COLUMNS = list(bh.report.INDICATOR_COLUMNS)


# ----------------------------------------------------------------------------------------------- helpers


def _row(
    indicator: str,
    name: str,
    level: str,
    code: str,
    area: str,
    sex: str,
    value: float,
    lower: float,
    upper: float,
    unit: str,
    status: str = "ok",
) -> dict[str, Any]:
    return {
        "indicator_id": indicator,
        "indicator_name": name,
        "level": level,
        "area_code": code,
        "area_name": area,
        "period": "2016-18",
        "sex": sex,
        "value": value,
        "lower": lower,
        "upper": upper,
        "confidence": "95%",
        "numerator": np.nan,
        "denominator": np.nan,
        "unit": unit,
        "method": "test",
        "status": status,
        "suppressed": False,
    }


@pytest.fixture
def tidy() -> pd.DataFrame:
    """A tidy table: DSR mortality (persons), life expectancy and HLE (by sex) for the places and the ICB."""
    rows = []
    dsr = {BEDFORD: (926.3, 898.9, 954.4), CBEDS: (831.3, 812.0, 850.9), LUTON: (1042.3, 1012.6, 1072.7)}
    dsr[MK] = (np.nan, np.nan, np.nan)
    name = "Mortality from all causes (directly standardised)"
    for code, (v, lo, hi) in dsr.items():
        status = "ok" if np.isfinite(v) else "blank: total count < 10"
        rows.append(
            _row(
                "mortality_all_causes_dsr",
                name,
                "place",
                code,
                PLACES[code],
                "Persons",
                v,
                lo,
                hi,
                "per 100,000 person-years",
                status,
            )
        )
    rows.append(
        _row(
            "mortality_all_causes_dsr",
            name,
            "icb",
            "QHG",
            ICB,
            "Persons",
            919.8,
            907.7,
            932.0,
            "per 100,000 person-years",
        )
    )
    for i, (code, area) in enumerate(PLACES.items()):
        for sex, base in (("Male", 79.0), ("Female", 83.0)):
            le = base + i * 0.5
            rows.append(
                _row(
                    "life_expectancy_at_birth",
                    "Life expectancy at birth",
                    "place",
                    code,
                    area,
                    sex,
                    le,
                    le - 0.5,
                    le + 0.5,
                    "years",
                )
            )
            hle, status = (le - 16, "ok") if code != LUTON else (np.nan, "blank: total population <= 5,000")
            rows.append(
                _row(
                    "healthy_life_expectancy_at_birth",
                    "Healthy life expectancy at birth",
                    "place",
                    code,
                    area,
                    sex,
                    hle,
                    hle - 1.5,
                    hle + 1.5,
                    "years",
                    status,
                )
            )
    for sex, le in (("Male", 79.5), ("Female", 83.0)):
        rows.append(
            _row(
                "life_expectancy_at_birth",
                "Life expectancy at birth",
                "icb",
                "QHG",
                ICB,
                sex,
                le,
                le - 0.25,
                le + 0.25,
                "years",
            )
        )
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def _registrations() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three practices in two places, three age groups each; the published quinary layout."""
    practices = pd.DataFrame(
        {
            "practice_code": ["P1", "P2", "P3"],
            "cluster_code": ["C1", "C1", "C2"],
            "cluster_name": ["North", "North", "South"],
            "place_code": [LUTON, LUTON, MK],
            "place_name": ["Luton", "Luton", "Milton Keynes"],
            "icb_code": ["QHG"] * 3,
            "icb_name": [ICB] * 3,
        }
    )
    rows = []
    for practice, size in (("P1", 10), ("P2", 20), ("P3", 40)):
        for sex in ("MALE", "FEMALE"):
            for j, age in enumerate(["0_4", "5_9", "95+"]):
                rows.append((pd.Timestamp("2019-04-01"), practice, sex, age, size * (j + 1)))
    columns = ["extract_date", "practice_code", "sex", "age_group_5", "number_of_patients"]
    return pd.DataFrame(rows, columns=columns), practices


def _visible_axes(fig: Any) -> list[Any]:
    return [ax for ax in fig.axes if ax.get_visible()]


def _title(ax: Any) -> str:
    """The panel's title (the report's titles sit on the left)."""
    return str(ax.get_title(loc="left") or ax.get_title())


def _notes(fig: Any) -> str:
    """The notes under the figure, with their line breaks undone."""
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts if t.get_gid() == "notes")


def _bars(ax: Any) -> list[Any]:
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


def _error_segments(ax: Any) -> np.ndarray[Any, Any]:
    """The (low, high) ends of every error bar on the axes, horizontal or vertical, sorted."""
    from matplotlib.collections import LineCollection

    ends = []
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            for segment in collection.get_segments():
                (x0, y0), (x1, y1) = segment[0], segment[-1]
                ends.append((min(x0, x1), max(x0, x1)) if y0 == y1 else (min(y0, y1), max(y0, y1)))
    return np.array(sorted(ends)).reshape(-1, 2)


def _pairs(lows: Any, highs: Any) -> np.ndarray[Any, Any]:
    return np.array(sorted(zip(lows, highs, strict=True))).reshape(-1, 2)


# ----------------------------------------------------------------------------------------------- pyramids


def test_registered_pyramid_bars_are_the_counts() -> None:
    reg, practices = _registrations()
    fig = figures.registered_pyramid(reg, practices, percent=False)
    axes = _visible_axes(fig)
    assert [_title(ax) for ax in axes] == ["BLMK", "Luton", "Milton Keynes"]
    assert fig.get_suptitle() == "Registered patients by sex and 5-year age group, 1 April 2019"
    assert fig.supxlabel is not None
    totals = [sum(abs(b.get_width()) for b in _bars(ax)) for ax in axes]
    assert totals == pytest.approx([reg["number_of_patients"].sum(), 2 * (30 + 60 + 90), 2 * (40 + 80 + 120)])
    assert all(len(_bars(ax)) == 2 * 3 for ax in axes)  # males and females in three groups
    males = [b.get_width() for b in _bars(axes[2])][:3]
    assert males == pytest.approx([-40, -80, -120])  # males to the left, in age order
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["0-4", "95+"]  # every other group labelled
    assert "Luton" in fig.get_label()
    assert "Totals" in fig.get_label()


def test_registered_pyramid_percentages_and_comparator() -> None:
    reg, practices = _registrations()
    fig = figures.registered_pyramid(reg, practices)
    axes = _visible_axes(fig)
    for ax in axes:
        assert sum(abs(b.get_width()) for b in _bars(ax)) == pytest.approx(100)
    comparators = [[line for line in ax.lines if line.get_gid() == "comparator"] for ax in axes]
    assert [len(c) for c in comparators] == [0, 2, 2]  # BLMK drawn on each place, not on itself
    blmk_males = [b.get_width() for b in _bars(axes[0])][:3]
    assert comparators[1][0].get_xdata() == pytest.approx(blmk_males)
    assert "Percentage" in fig.texts[0].get_text() or any("Percentage" in t.get_text() for t in fig.texts)
    assert len(fig.legends) == 1


def test_registered_pyramid_by_cluster() -> None:
    reg, practices = _registrations()
    fig = figures.registered_pyramid(reg, practices, level="cluster")
    assert [_title(ax) for ax in _visible_axes(fig)] == ["BLMK", "North", "South"]


def test_registered_pyramid_blank_counts_totals_and_unknown_practices() -> None:
    reg, practices = _registrations()
    reg = reg.astype({"number_of_patients": "float64"})
    reg.loc[0, "number_of_patients"] = np.nan  # a suppressed count
    extra = pd.DataFrame(
        {
            "extract_date": [pd.Timestamp("2019-04-01")] * 2,
            "practice_code": ["P9", "P1"],
            "sex": ["MALE", "ALL"],
            "age_group_5": ["0_4", "ALL"],
            "number_of_patients": [5.0, 999.0],
        }
    )
    fig = figures.registered_pyramid(pd.concat([reg, extra]), practices, percent=False)
    axes = _visible_axes(fig)
    total = reg["number_of_patients"].sum() + 5  # the ALL row is a total, left out; P9 counts in BLMK only
    assert sum(abs(b.get_width()) for b in _bars(axes[0])) == pytest.approx(total)
    notes = _notes(fig)
    assert "1 row without a count" in notes
    assert "P9" in notes
    assert "count in the total only" in notes


def test_registered_pyramid_latest_extract_and_single_ages() -> None:
    reg, practices = _registrations()
    older = reg.assign(extract_date=pd.Timestamp("2018-04-01"), number_of_patients=1)
    single = pd.DataFrame(
        {
            "extract_date": [pd.Timestamp("2019-04-01")] * 2,
            "practice_code": ["P1", "P1"],
            "sex": ["Male", "Female"],
            "age_group_5": ["7", "8"],
            "number_of_patients": [3, 4],
        }
    )
    fig = figures.registered_pyramid(pd.concat([reg, older, single]), practices, percent=False)
    blmk = _visible_axes(fig)[0]
    assert sum(abs(b.get_width()) for b in _bars(blmk)) == pytest.approx(reg["number_of_patients"].sum() + 7)
    assert "latest (01 April 2019)" in _notes(fig)


def test_resident_pyramid_groups_life_table_bands() -> None:
    rows = []
    for place in ("Luton", "Milton Keynes"):
        for sex in ("Male", "Female"):
            for band, n in (("0", 10), ("1-4", 40), ("5-9", 50), ("85-89", 20), ("90+", 5)):
                rows.append((place, sex, band, n))
    pop = pd.DataFrame(rows, columns=["place_name", "sex", "age_band", "population"])
    fig = figures.resident_pyramid(pop, percent=False, period="2016-18")
    axes = _visible_axes(fig)
    assert fig.get_suptitle().endswith(", 2016-18")
    assert [_title(ax) for ax in axes] == ["BLMK", "Luton", "Milton Keynes"]
    assert all(len(_bars(ax)) == 2 * 4 for ax in axes)  # 0-4, 5-9, 85-89, 90+
    assert [b.get_width() for b in _bars(axes[1])][:4] == pytest.approx([-50, -50, -20, -5])


def test_resident_pyramid_names_places_from_codes() -> None:
    pop = pd.DataFrame(
        {"place_code": [LUTON] * 2, "sex": ["Male", "Female"], "age_band": ["0", "0"], "population": [3, 4]}
    )
    places = pd.DataFrame({"place_code": [LUTON], "place_name": ["Luton"], "icb_name": [ICB]})
    fig = figures.resident_pyramid(pop, places)
    assert [_title(ax) for ax in _visible_axes(fig)] == ["BLMK", "Luton"]
    with pytest.raises(SchemaError, match="place_name or place_code"):
        figures.resident_pyramid(pop.drop(columns="place_code"))


def test_pyramid_with_nothing_to_draw() -> None:
    reg, practices = _registrations()
    fig = figures.registered_pyramid(reg.assign(number_of_patients=np.nan), practices)
    assert "No registered patients to draw" in fig.get_label()


def test_pyramid_bad_input() -> None:
    reg, practices = _registrations()
    with pytest.raises(SchemaError, match="number_of_patients"):
        figures.registered_pyramid(reg.drop(columns="number_of_patients"), practices)
    with pytest.raises(SchemaError, match="cluster_code"):
        figures.registered_pyramid(reg, practices.drop(columns="cluster_code"), level="cluster")
    with pytest.raises(SchemaError, match="registrations"):
        figures.registered_pyramid([1, 2], practices)


# ----------------------------------------------------------------------------------------------- indicator charts


def test_mortality_chart_bars_limits_and_benchmark(tidy: pd.DataFrame) -> None:
    fig = figures.mortality_chart(tidy)
    (ax,) = fig.axes
    assert fig.get_suptitle() == "Mortality from all causes (directly standardised), persons, 2016-18"
    assert ax.get_xlabel().startswith("Rate per 100,000 person-years")
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert sorted(labels, key=lambda name: -labels[name]) == [
        "Bedford",
        "Central Bedfordshire",
        "Luton",
        "Milton Keynes",
    ]
    bars = _bars(ax)
    assert sorted(b.get_width() for b in bars) == pytest.approx([831.3, 926.3, 1042.3])  # Milton Keynes is blank
    assert _error_segments(ax) == pytest.approx(_pairs([812.0, 898.9, 1012.6], [850.9, 954.4, 1072.7]))
    (benchmark,) = [line for line in ax.lines if line.get_gid() == "benchmark"]
    assert benchmark.get_xdata()[0] == pytest.approx(919.8)
    colours = {round(b.get_width(), 1): b.get_facecolor() for b in bars}
    from matplotlib.colors import to_rgba

    assert colours[831.3] == to_rgba(figures.COMPARISON_COLOURS["lower"])
    assert colours[926.3] == to_rgba(figures.COMPARISON_COLOURS["similar"])
    assert colours[1042.3] == to_rgba(figures.COMPARISON_COLOURS["higher"])
    assert any(t.get_text() == "No value: blank: total count < 10" for t in ax.texts)
    assert "Milton Keynes: blank: total count < 10" in _notes(fig)
    assert "Luton 1,042.3 (95% limits 1,012.6 to 1,072.7)" in fig.get_label()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1] == "BLMK: 919.8"


def test_area_chart_without_benchmark_or_rows(tidy: pd.DataFrame) -> None:
    no_icb = tidy[tidy["level"] != "icb"]
    fig = figures.area_chart(no_icb, "mortality_all_causes_dsr")
    assert not [line for line in fig.axes[0].lines if line.get_gid() == "benchmark"]
    blank_icb = tidy.copy()
    blank_icb.loc[blank_icb["level"] == "icb", ["value", "status"]] = [np.nan, "suppressed: small numbers"]
    fig = figures.area_chart(blank_icb, "mortality_all_causes_dsr")
    assert "no benchmark line" in _notes(fig)
    assert "No rows for the indicator 'nothing'" in figures.area_chart(tidy, "nothing").get_label()
    assert "No place rows for females" in figures.area_chart(tidy, "mortality_all_causes_dsr", sex="Female").get_label()
    with pytest.raises(SchemaError, match="status"):
        figures.area_chart(tidy.drop(columns="status"), "mortality_all_causes_dsr")


def test_area_chart_all_blank(tidy: pd.DataFrame) -> None:
    blank = tidy.assign(value=np.nan, lower=np.nan, upper=np.nan, status="skipped: no deaths table")
    fig = figures.mortality_chart(blank)
    assert _bars(fig.axes[0]) == []
    assert fig.axes[0].get_xlim() == pytest.approx((0, 1.12))


def test_life_expectancy_chart(tidy: pd.DataFrame) -> None:
    fig = figures.life_expectancy_chart(tidy)
    axes = fig.axes
    assert [_title(ax) for ax in axes] == ["Males", "Females"]
    assert fig.get_suptitle() == "Life expectancy and healthy life expectancy at birth, 2016-18"
    assert "Years from birth" in " ".join(t.get_text() for t in fig.texts)
    males = axes[0]
    labels = {t.get_text(): t.get_position()[1] for t in males.get_yticklabels()}
    assert sorted(labels, key=lambda name: -labels[name]) == [  # top to bottom
        "Bedford",
        "Central Bedfordshire",
        "Luton",
        "Milton Keynes",
        "BLMK",
    ]
    le = tidy[(tidy["indicator_id"] == "life_expectancy_at_birth") & (tidy["sex"] == "Male")]
    hle = tidy[(tidy["indicator_id"] == "healthy_life_expectancy_at_birth") & (tidy["sex"] == "Male")]
    shown = hle.dropna(subset=["value"])
    expected = _pairs([*le["lower"], *shown["lower"]], [*le["upper"], *shown["upper"]])
    assert _error_segments(males) == pytest.approx(expected)
    points = sorted(line.get_xdata()[0] for line in males.lines if line.get_marker() in ("o", "D"))
    assert points == pytest.approx(sorted([*le["value"], *hle["value"].dropna()]))
    notes = _notes(fig)
    assert "Luton (males): healthy life expectancy: blank: total population <= 5,000" in notes
    assert "BLMK (females): healthy life expectancy: not in the table for this area" in notes


def test_life_expectancy_chart_missing_pieces(tidy: pd.DataFrame) -> None:
    only_le = tidy[tidy["indicator_id"] == "life_expectancy_at_birth"]
    fig = figures.life_expectancy_chart(only_le)
    assert "healthy life expectancy is not drawn" in _notes(fig)
    fig = figures.life_expectancy_chart(tidy[tidy["indicator_id"] == "mortality_all_causes_dsr"])
    assert "No place rows" in fig.get_label()
    blank = tidy.assign(value=np.nan, lower=np.nan, upper=np.nan)
    fig = figures.life_expectancy_chart(blank)
    assert len(fig.axes) == 2


# ----------------------------------------------------------------------------------------------- the SII chart


def _deciles(groups: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Ten deciles per (place, sex) with life expectancy rising by ``slope`` from most to least deprived."""
    rows = []
    for (place, sex), slope in groups.items():
        for q in range(1, 11):
            value = 75 + slope * (q - 0.5) / 10
            rows.append((place, sex, q, 10_000 + 100 * q, value, 0.8, value - 1.6, value + 1.6, "ok"))
    columns = ["place_name", "sex", "quantile", "population", "value", "se", "lowercl", "uppercl", "statistic"]
    return pd.DataFrame(rows, columns=columns)


def test_sii_fits_match_sii_on_complete_groups() -> None:
    deciles = _deciles({("Luton", "Male"): 10.0, ("Luton", "Female"): 6.0})
    deciles.loc[(deciles["sex"] == "Female") & (deciles["quantile"] == 3), ["value", "se"]] = np.nan
    fits = figures.sii_fits(deciles)
    assert list(fits[["place_name", "sex"]].itertuples(index=False, name=None)) == [("Luton", "Male")]
    direct = bh.indicators.sii(
        deciles[deciles["sex"] == "Male"],
        "quantile",
        "population",
        value="value",
        se="se",
        by=["place_name", "sex"],
        intercept=True,
        seed=1,
    )
    assert fits["sii"].iloc[0] == pytest.approx(direct["sii"].iloc[0])
    assert fits["intercept"].iloc[0] == pytest.approx(direct["intercept"].iloc[0])
    assert fits["sii"].iloc[0] == pytest.approx(10.0, rel=0.05)
    empty = figures.sii_fits(deciles.assign(value=np.nan))
    assert empty.empty
    assert list(empty.columns)[-1] == "intercept"


def test_sii_chart_line_points_and_limits() -> None:
    deciles = _deciles({("Bedford", "Male"): 8.0, ("Bedford", "Female"): 5.0, ("Luton", "Male"): 10.0})
    fits = pd.DataFrame(
        {
            "place_name": ["Bedford", "Bedford", "Luton"],
            "sex": ["Male", "Female", "Male"],
            "sii": [8.0, 5.0, 10.0],
            "sii_lower95_0cl": [6.0, 3.0, 8.0],
            "sii_upper95_0cl": [10.0, 7.0, 12.0],
            "intercept": [75.0, 76.0, 74.0],
        }
    )
    fig = figures.sii_chart(deciles, fits)
    assert len(fig.axes) == 4  # 2 places x 2 sexes; Luton's women have no deciles
    titles = [_title(ax) for ax in fig.axes]
    assert titles == ["Bedford - Males", "Bedford - Females", "Luton - Males", "Luton - Females"]
    ax = fig.axes[0]
    (line,) = [line for line in ax.lines if line.get_gid() == "sii_line"]
    assert list(line.get_xdata()) == [0, 1]
    assert list(line.get_ydata()) == pytest.approx([75.0, 83.0])  # intercept, intercept + sii
    (points,) = [line for line in ax.lines if line.get_gid() == "deciles"]
    group = deciles[(deciles["place_name"] == "Bedford") & (deciles["sex"] == "Male")]
    shares = group["population"].to_numpy() / group["population"].sum()
    assert points.get_xdata() == pytest.approx(np.cumsum(shares) - shares / 2)
    assert points.get_ydata() == pytest.approx(group["value"])
    assert _error_segments(ax) == pytest.approx(_pairs(group["lowercl"], group["uppercl"]))
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(q) for q in range(1, 11)]
    assert any(t.get_text() == "SII 8.0 years (6.0 to 10.0)" for t in ax.texts)
    assert "Luton - Females: no deciles in the data" in _notes(fig)
    assert "SII 10.0 years" in fig.get_label()
    assert any("Life expectancy at birth (years)" in t.get_text() for t in fig.texts)


def test_sii_chart_incomplete_group_draws_points_without_a_line() -> None:
    deciles = _deciles({("Luton", "Male"): 10.0})
    deciles.loc[deciles["quantile"].isin([1, 2]), ["value", "se", "lowercl", "uppercl"]] = np.nan
    deciles.loc[deciles["quantile"].isin([1, 2]), "statistic"] = (
        "life expectancy at birth NA: total population <= 5,000"
    )
    fig = figures.sii_chart(deciles, figures.sii_fits(deciles))
    (ax,) = fig.axes
    assert not [line for line in ax.lines if line.get_gid() == "sii_line"]
    (points,) = [line for line in ax.lines if line.get_gid() == "deciles"]
    assert len(points.get_xdata()) == 8
    assert "no life expectancy for decile(s) 1, 2 (total population <= 5,000)" in _notes(fig)


def test_sii_chart_one_key_and_bad_input() -> None:
    deciles = _deciles({("Luton", "Male"): 10.0}).drop(columns="sex")
    fits = figures.sii_fits(deciles, by=["place_name"])
    fig = figures.sii_chart(deciles, fits, by=["place_name"])
    assert [_title(ax) for ax in fig.axes] == ["Luton"]
    with pytest.raises(SchemaError, match="one or two columns"):
        figures.sii_chart(deciles, fits, by=[])
    with pytest.raises(SchemaError, match="intercept"):
        figures.sii_chart(deciles, fits.drop(columns="intercept"), by=["place_name"])
    assert "No deciles" in figures.sii_chart(deciles.iloc[:0], fits, by=["place_name"]).get_label()


# ----------------------------------------------------------------------------------------------- maps


@pytest.fixture
def lsoas() -> Any:
    """Eight square small areas in two places, with national deciles (one missing)."""
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {
            "lsoa_code": [f"L{i}" for i in range(8)],
            "place_code": [LUTON] * 4 + [MK] * 4,
            "place_name": ["Luton"] * 4 + ["Milton Keynes"] * 4,
            "imd_decile": [1, 2, 3, None, 7, 8, 9, 10],
        },
        geometry=[box((i % 4) * 2000, (i // 4) * 2000, (i % 4 + 1) * 2000, (i // 4 + 1) * 2000) for i in range(8)],
        crs="EPSG:27700",
    )


def _legend_texts(ax: Any) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def test_places_map(lsoas: Any) -> None:
    fig = figures.places_map(lsoas)
    (ax,) = fig.axes
    assert fig.get_suptitle() == "The four places of BLMK"
    assert sorted(t.get_text() for t in ax.texts if t.get_gid() == "area_name") == ["Luton", "Milton Keynes"]
    assert _legend_texts(ax) == ["Luton", "Milton Keynes"]
    assert ax.get_legend().get_title().get_text().startswith("Place")
    assert fig.get_label() == "Map of the 2 places of BLMK, each named: Luton, Milton Keynes."


def test_deprivation_map(lsoas: Any) -> None:
    fig = figures.deprivation_map(lsoas)
    (ax,) = fig.axes
    labels = _legend_texts(ax)
    assert labels[0].startswith("1")
    assert "most deprived" in labels[0]
    assert labels[9].startswith("10")
    assert "least deprived" in labels[9]
    assert labels[10] == "No decile"
    assert "1 small area without a decile" in _notes(fig)
    assert "IMD 2019 decile (England)" in fig.get_suptitle()
    assert "1 in decile 1, 1 in decile 10" in fig.get_label()


def test_cluster_polygons_and_map(lsoas: Any) -> None:
    practices = pd.DataFrame(
        {
            "practice_code": ["P1", "P2", "P3"],
            "cluster_code": ["C1", "C2", "C3"],
            "cluster_name": ["North", "South", "West"],
            "place_code": [LUTON, LUTON, MK],
            "icb_code": ["QHG"] * 3,
        }
    )
    patients = pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P2", "P2", "P3", "P3", "P3"],
            "lsoa_code": ["L0", "L1", "L2", "L3", "L4", "L5", "L6"],  # L7 has nobody: unassigned
        }
    )
    polygons = figures.cluster_polygons(lsoas, patients, practices)
    assert list(polygons["cluster_code"]) == ["C1", "C2", "C3", "unassigned"]
    fig = figures.clusters_map(polygons, places=lsoas)
    (ax,) = fig.axes
    assert _legend_texts(ax) == ["1  North", "2  South", "3  West", "No registered patients"]
    assert sorted(t.get_text() for t in ax.texts if t.get_gid() == "cluster_number") == ["1", "2", "3"]
    assert "Map of 3 GP clusters" in fig.get_label()
    counted = patients.groupby(["practice_code", "lsoa_code"]).size().rename("patients").reset_index()
    again = figures.cluster_polygons(lsoas, counted, practices)
    assert list(again["patients"]) == list(polygons["patients"])


def test_spread_colours_put_neighbours_apart() -> None:
    cmap = figures._spread_colours(13)
    assert cmap.N == 13
    positions = [(i * 5) % 13 for i in range(13)]
    assert sorted(positions) == list(range(13))  # every colour once
    assert figures._spread_colours(1).N == 1


# ----------------------------------------------------------------------------------------------- every figure


def test_figures_stay_out_of_pyplot_and_on_the_synthetic_data() -> None:
    """Every figure on the synthetic BLMK: a described Figure each, none left open in pyplot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    data = bh.datasets.synthetic_blmk(scale=0.01)
    deaths = data.deaths.merge(data.lsoas[["lsoa_code", "imd_local_decile", "place_name"]], on="lsoa_code")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deciles too small for a life expectancy are blank, with a warning
        _, deciles = bh.indicators.le_gap(
            deaths,
            "deaths",
            "person_years",
            "age_band",
            "imd_local_decile",
            by=["place_name", "sex"],
            seed=1,
            return_deciles=True,
        )
    made = [
        figures.registered_pyramid(data.registrations, data.practices),
        figures.resident_pyramid(data.population, data.places, period="2016-18"),
        figures.sii_chart(deciles, figures.sii_fits(deciles)),
        figures.places_map(data.lsoas),
        figures.clusters_map(figures.cluster_polygons(data.lsoas, data.patients, data.practices), places=data.lsoas),
        figures.deprivation_map(data.lsoas, column="imd_local_decile"),
    ]
    assert all(fig.get_label() for fig in made)
    assert plt.get_fignums() == before
