"""The report's primary-care figures (blmk_health.report._figures_primary): the practice scatter, the
area maps and the workforce trajectory draw exactly the numbers they are given, say what is blank, and
describe themselves in words; and the area chart of a value without limits does not compare it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.report import _figures as figures
from blmk_health.report import _figures_primary as primary

LUTON, MK = "E06000032", "E06000042"


def _row(level: str, code: str, name: str, value: float, numerator: float, status: str = "ok") -> dict[str, Any]:
    return {
        "indicator_id": "patients_per_gp_fte",
        "indicator_name": "Registered patients per GP (FTE, fully qualified)",
        "level": level,
        "area_code": code,
        "area_name": name,
        "period": "April 2019",
        "sex": "Persons",
        "value": value,
        "lower": np.nan,
        "upper": np.nan,
        "confidence": "95%",
        "numerator": numerator,
        "denominator": numerator / value if np.isfinite(value) else np.nan,
        "unit": "patients per GP FTE",
        "method": "test",
        "status": status,
        "suppressed": False,
    }


@pytest.fixture
def table() -> pd.DataFrame:
    """Three practices (one without a workforce return), two clusters, two places and the ICB."""
    rows = [
        _row("practice", "P1", "Practice one", 1_800.0, 9_000),
        _row("practice", "P2", "Practice two", 3_100.0, 4_650),
        _row("practice", "P3", "Practice three", np.nan, 6_000, status="blank: no workforce return"),
        _row("cluster", "C1", "North", 1_800.0, 9_000),
        _row("cluster", "C2", "South", 3_100.0, 4_650),
        _row("place", LUTON, "Luton", 1_800.0, 9_000),
        _row("place", MK, "Milton Keynes", 3_100.0, 4_650),
        _row("icb", "QHG", "Bedfordshire, Luton and Milton Keynes", 2_184.0, 13_650),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def lsoas() -> Any:
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {
            "lsoa_code": [f"L{i}" for i in range(4)],
            "place_code": [LUTON, LUTON, MK, MK],
            "place_name": ["Luton", "Luton", "Milton Keynes", "Milton Keynes"],
            "cluster_code": ["C1", "C1", "C2", "C3"],
        },
        geometry=[box(i * 2000, 0, (i + 1) * 2000, 2000) for i in range(4)],
        crs="EPSG:27700",
    )


def _notes(fig: Any) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts if t.get_gid() == "notes")


def test_practice_chart_draws_each_practice_against_its_list(table: pd.DataFrame) -> None:
    fig = primary.practice_chart(table, "patients_per_gp_fte", xlabel="Registered patients", ylabel="Per GP FTE")
    (ax,) = fig.axes
    points = ax.collections[0].get_offsets()
    assert sorted(map(tuple, np.asarray(points))) == [(4_650, 3_100.0), (9_000, 1_800.0)]
    (line,) = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert line.get_ydata()[0] == pytest.approx(2_184.0)
    assert ax.get_xlabel() == "Registered patients"
    assert ax.get_ylabel() == "Per GP FTE"
    assert fig.get_suptitle().startswith("Registered patients per GP (FTE, fully qualified), by practice, April 2019")
    assert _notes(fig) == "1 practice without a value (no workforce return)."
    assert "of 2 practices" in fig.get_label()
    assert "from 1,800 to 3,100" in fig.get_label()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Practice (2 practices)", "BLMK: 2,184"]


def test_practice_chart_without_values(table: pd.DataFrame) -> None:
    blank = table.assign(value=np.nan)
    fig = primary.practice_chart(blank, "patients_per_gp_fte", xlabel="x", ylabel="y")
    assert "No practice has a value" in fig.get_label()


def test_area_map_colours_each_area_by_its_value(table: pd.DataFrame, lsoas: Any) -> None:
    clusters = bh.geo.dissolve_areas(lsoas, "cluster_code")
    fig = primary.area_map(
        clusters, table, "patients_per_gp_fte", level="cluster", legend_title="Per GP FTE", places=lsoas
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1] == "No value"  # C3 has no row
    assert ax.get_legend().get_title().get_text() == "Per GP FTE"
    assert "Map of 2 clusters of BLMK coloured by Registered patients per GP" in fig.get_label()
    assert "from 1,800.00 to 3,100.00" in fig.get_label()
    places = primary.area_map(lsoas, table, "patients_per_gp_fte", level="place", legend_title="Per GP FTE")
    assert "Map of 2 places" in places.get_label()
    nothing = primary.area_map(
        clusters, table.assign(value=np.nan), "patients_per_gp_fte", level="cluster", legend_title="x"
    )
    assert "No cluster has a value" in nothing.get_label()


def test_trajectory_chart_reproduces_the_blmk_variances() -> None:
    reference = bh.datasets.blmk_gp_workforce_trajectory()
    trajectory = bh.indicators.workforce_trajectory(
        reference.actuals, plan=reference.plan, target=reference.target, by="workforce"
    )
    gp = trajectory[trajectory["workforce"] == "GP FTE excluding registrars"]
    fig = primary.trajectory_chart(gp, series="GP FTE", unit="GP FTE", title="t", plan_label="May 2018 trajectory")
    (ax,) = fig.axes
    actual, planned, plan, target = ax.lines[:4]
    assert list(actual.get_ydata()) == [416.1, 422.3, 427.9, 429.0, 429.3]
    # the planned line starts where the actual one ends
    assert list(planned.get_ydata()) == [429.3, 435.3, 450.5, 452.4, 453.9, 470.1, 507.9, 523.1, 538.4]
    assert list(plan.get_ydata()) == [424.3, 426.3, 428.0, 438.7, 450.6, 537.8]
    assert list(target.get_xdata()) == [12]
    assert list(target.get_ydata()) == [537.5]
    assert [t.get_text() for t in ax.get_xticklabels()][::4] == ["Sep-17", "Sep-18", "Sep-19", "Sep-20"]
    notes = _notes(fig)
    assert "Sep-20: +0.9 GP FTE against the target." in notes
    assert "Dec-18: -3.4 GP FTE against the dotted line (May 2018 trajectory)." in notes
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Actual", "Planned", "May 2018 trajectory", "Target: 537.5"]
    assert fig.get_label().startswith("GP FTE from Sep-17 (416.1) to Sep-20 (538.4, planned).")


def test_trajectory_chart_actuals_only() -> None:
    rows = bh.indicators.workforce_trajectory(
        pd.DataFrame({"period": ["Sep-17", "Sep-18"], "value": [10.0, 12.0], "kind": ["actual", "actual"]})
    )
    fig = primary.trajectory_chart(rows, series="Nurses", unit="FTE", title="t")
    (ax,) = fig.axes
    assert list(ax.lines[0].get_ydata()) == [10.0, 12.0]
    assert list(ax.lines[1].get_ydata()) == []  # nothing planned
    assert _notes(fig) == ""


def test_area_chart_of_values_without_limits_does_not_compare(table: pd.DataFrame) -> None:
    fig = figures.area_chart(table, "patients_per_gp_fte", level="cluster")
    (ax,) = fig.axes
    from matplotlib.colors import to_rgba

    bars = [p for p in ax.patches if p.get_width() > 0]
    assert {b.get_facecolor() for b in bars} == {to_rgba(figures.COMPARISON_COLOURS["not compared"])}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Not compared (no confidence limits)", "BLMK: 2,184.0"]
    assert ax.get_xlabel() == "Patients per GP FTE"  # no mention of confidence limits
    assert "by area:" in fig.get_label()


def test_area_chart_digits() -> None:
    rows = pd.DataFrame(
        [
            {**_row("cluster", "C1", "North", 0.62, 100), "lower": 0.55, "upper": 0.70, "unit": "ratio"},
            {**_row("icb", "QHG", "BLMK", 0.64, 300), "lower": 0.60, "upper": 0.68, "unit": "ratio"},
        ]
    )
    fig = figures.area_chart(rows, "patients_per_gp_fte", level="cluster", digits=2)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0.62" in texts
    assert "North 0.62 (95% limits 0.55 to 0.70)" in fig.get_label()
    assert [t.get_text() for t in fig.legends[0].get_texts()][-1] == "BLMK: 0.64"
