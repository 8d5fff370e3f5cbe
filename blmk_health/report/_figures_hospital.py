"""Figures of the report's "Hospital activity" section: the trend of a rate over financial years.

Like :mod:`blmk_health.report._figures`, every function takes plain data and returns a matplotlib Figure
(Agg, outside pyplot) with its title, notes and a plain-words description (``fig.get_label()``, the alt
text); blank values are named, never drawn as zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.report._figures import BENCHMARK_COLOUR, _finish, _message_figure, _new_figure, _style, _top_legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["trend_chart"]

#: Colours of the areas (colour-blind safe, after Okabe and Ito), the benchmark in its own colour.
_AREA_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")


def trend_chart(trend: pd.DataFrame, *, area: str, benchmark: str, title: str, ylabel: str) -> Figure:
    """A rate by financial year for each area and the benchmark, with 95% confidence limits.

    Parameters
    ----------
    trend : pandas.DataFrame
        One row per area and year: ``area`` (names), ``period`` (e.g. ``"2017/18"``), ``value``,
        ``lowercl``, ``uppercl``, and ``change`` (the % change from the year before, if known).
    area : str
        The column naming the areas.
    benchmark : str
        The name of the benchmark area (drawn in black, last in the legend).
    title, ylabel : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    shown = trend.dropna(subset=["value"])
    if shown.empty:
        return _message_figure(title, "No area has a value in any year.")
    periods = sorted(shown["period"].astype(str).unique())
    names = [n for n in dict.fromkeys(trend[area].astype(str)) if n != benchmark] + [benchmark]
    x = {p: i for i, p in enumerate(periods)}
    with _style():
        fig = _new_figure(3.6)
        ax = fig.add_subplot()
        handles: list[Any] = []
        for i, name in enumerate(names):
            rows = shown[shown[area].astype(str) == name].sort_values("period")
            if rows.empty:
                continue
            colour = BENCHMARK_COLOUR if name == benchmark else _AREA_COLOURS[i % len(_AREA_COLOURS)]
            offset = (i - (len(names) - 1) / 2) * 0.04
            xs = np.array([x[str(p)] for p in rows["period"]]) + offset
            values = rows["value"].to_numpy(dtype=float)
            errors = np.vstack([values - rows["lowercl"].to_numpy(dtype=float), rows["uppercl"].to_numpy() - values])
            width = 2.2 if name == benchmark else 1.4
            drawn = ax.errorbar(
                xs, values, yerr=errors, color=colour, marker="o", markersize=4, linewidth=width, capsize=3
            )
            drawn.set_label(_label(name, rows))
            handles.append(drawn)
        ax.set_xticks(range(len(periods)), [f"Financial year {p}" for p in periods])
        ax.set_xlim(-0.5, len(periods) - 0.5)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
        _top_legend(fig, handles, ncols=min(3, len(handles)))
        notes = [
            "Bars: 95% confidence limits. Legend: the change from the first to the last year, with its 95% limits."
        ]
        blank = sorted(set(trend.loc[trend["value"].isna(), area].astype(str)))
        if blank:
            notes.append(f"No value for {', '.join(blank)} in some year.")
        return _finish(fig, title, notes, _description(shown, area, benchmark, periods))


def _label(name: str, rows: pd.DataFrame) -> str:
    last = rows.iloc[-1]
    change = last.get("change")
    if change is None or pd.isna(change):
        return name
    return f"{name}: {change:+.1f}% ({last['change_lowercl']:+.1f}% to {last['change_uppercl']:+.1f}%)"


def _description(shown: pd.DataFrame, area: str, benchmark: str, periods: list[str]) -> str:
    bench = shown[shown[area].astype(str) == benchmark].sort_values("period")
    text = f"Rates by financial year ({periods[0]} to {periods[-1]}) for {shown[area].nunique()} areas."
    if len(bench) >= 2:
        first, last = bench["value"].iloc[0], bench["value"].iloc[-1]
        text += f" {benchmark}: {first:,.1f} in {bench['period'].iloc[0]}, {last:,.1f} in {bench['period'].iloc[-1]}."
    return text
