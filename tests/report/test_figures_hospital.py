"""The report's hospital figure (blmk_health.report._figures_hospital): the trend chart draws exactly the
values it is given, with their limits, names the change in its legend, and says what is blank."""

from __future__ import annotations

import numpy as np
import pandas as pd

from blmk_health.report import _figures_hospital as hospital


def _trend(luton_2018: float = 118.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": ["Luton", "Luton", "BLMK", "BLMK"],
            "period": ["2017/18", "2018/19", "2017/18", "2018/19"],
            "value": [120.0, luton_2018, 100.0, 104.0],
            "lowercl": [112.0, luton_2018 - 8, 98.0, 102.0],
            "uppercl": [128.0, luton_2018 + 8, 102.0, 106.0],
            "change": [np.nan, (luton_2018 / 120 - 1) * 100, np.nan, 4.0],
            "change_lowercl": [np.nan, -9.0, np.nan, 1.5],
            "change_uppercl": [np.nan, 7.0, np.nan, 6.6],
        }
    )


def _chart(trend: pd.DataFrame) -> object:
    return hospital.trend_chart(trend, area="area", benchmark="BLMK", title="Emergency spells", ylabel="Per 1,000")


def test_trend_chart_draws_the_values_and_limits_it_is_given() -> None:
    fig = _chart(_trend())
    ax = fig.axes[0]
    drawn = [line.get_ydata().tolist() for line in ax.get_lines() if len(line.get_ydata()) == 2]
    assert [120.0, 118.0] in drawn
    assert [100.0, 104.0] in drawn
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert labels == ["Luton: -1.7% (-9.0% to +7.0%)", "BLMK: +4.0% (+1.5% to +6.6%)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Financial year 2017/18", "Financial year 2018/19"]
    assert ax.get_ylabel() == "Per 1,000"
    assert fig.get_label().startswith("Rates by financial year (2017/18 to 2018/19) for 2 areas.")
    assert "BLMK: 100.0 in 2017/18, 104.0 in 2018/19." in fig.get_label()


def test_trend_chart_names_blank_values_and_says_when_there_is_nothing() -> None:
    fig = _chart(_trend(luton_2018=np.nan))
    assert "No value for Luton in some year." in fig.get_label()
    empty = _chart(_trend().assign(value=np.nan))
    assert empty.get_label() == "Emergency spells: No area has a value in any year."
