"""Figures of the report's "Primary care" section: practices against the BLMK value, areas on a map, and
the workforce against its plan.

Like :mod:`blmk_health.report._figures`, every function takes plain data and returns a matplotlib Figure
(Agg, outside pyplot) with its title, notes and a plain-words description (``fig.get_label()``, the alt
text); blank values are named, never drawn as zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.geo import choropleth
from blmk_health.report._figures import (
    BENCHMARK_COLOUR,
    BOUNDARY_SOURCE,
    LE_COLOUR,
    _finish,
    _indicator_rows,
    _map_figure,
    _message_figure,
    _new_figure,
    _period_text,
    _place_polygons,
    _plural,
    _style,
    _top_legend,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["area_map", "practice_chart", "trajectory_chart"]

_PLAN_COLOUR, _TARGET_COLOUR = "#35b779", "#b5422f"


def practice_chart(
    table: pd.DataFrame, indicator_id: str, *, xlabel: str, ylabel: str, title: str | None = None
) -> Figure:
    """Each practice's value against its size (the numerator), with the ICB's value as a line.

    The layout of a funnel plot without its limits: small practices scatter widely, so a practice far
    from the line matters more when it is large. Practices with no value are counted in a note.
    """
    rows = _indicator_rows(table, indicator_id)
    practices = rows[rows["level"] == "practice"]
    bench = rows[rows["level"] == "icb"].head(1)
    name = str(rows["indicator_name"].iloc[0]) if len(rows) else indicator_id
    title = title or f"{name}, by practice{_period_text(practices)}"
    shown = practices.dropna(subset=["value", "numerator"])
    if shown.empty:
        return _message_figure(title, "No practice has a value in the table.")
    with _style():
        fig = _new_figure(3.8)
        ax = fig.add_subplot()
        ax.scatter(shown["numerator"], shown["value"], s=16, color=LE_COLOUR, alpha=0.75, linewidths=0, zorder=3)
        handles: list[Any] = [ax.collections[0]]
        ax.collections[0].set_label(f"Practice ({_plural(len(shown), 'practice')})")
        if len(bench) and pd.notna(bench["value"].iloc[0]):
            level = float(bench["value"].iloc[0])
            line = ax.axhline(level, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1, label=f"BLMK: {level:,.0f}")
            handles.append(line)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(axis="both", color="#e6e6e6", linewidth=0.6)
        _top_legend(fig, handles, ncols=len(handles))
        blank = practices[practices["value"].isna()]
        notes = []
        if len(blank):
            reasons = sorted({str(s).removeprefix("blank: ").removeprefix("suppressed: ") for s in blank["status"]})
            notes.append(f"{_plural(len(blank), 'practice')} without a value ({'; '.join(reasons)}).")
        description = (
            f"{name} of {_plural(len(shown), 'practice')} plotted against their registered patients; values "
            f"from {shown['value'].min():,.0f} to {shown['value'].max():,.0f}."
        )
        return _finish(fig, title, notes, description)


def area_map(
    areas: Any,
    table: pd.DataFrame,
    indicator_id: str,
    *,
    level: str,
    legend_title: str,
    places: Any = None,
    title: str | None = None,
    source: str | None = BOUNDARY_SOURCE,
) -> Figure:
    """A map of areas (GP clusters or places) coloured by an indicator's value at that level.

    ``areas`` is a GeoDataFrame with ``<level>_code`` (e.g. :func:`~blmk_health.report._figures.cluster_polygons`,
    or small areas with ``place_code``, dissolved here). Areas without a value are hatched grey.
    """
    rows = _indicator_rows(table, indicator_id)
    values = rows[(rows["level"] == level) & (rows["sex"] == "Persons")][["area_code", "value"]]
    key = f"{level}_code"
    gdf = _place_polygons(areas) if level == "place" else areas.copy()
    gdf = gdf.merge(values, left_on=key, right_on="area_code", how="left")
    name = str(rows["indicator_name"].iloc[0]) if len(rows) else indicator_id
    title = title or f"{name}, by {level}{_period_text(rows)}"
    if gdf["value"].notna().sum() == 0:
        return _message_figure(title, f"No {level} has a value in the table.")
    outlines = _place_polygons(places) if places is not None and level != "place" else None
    with _style():
        fig, ax = _map_figure(gdf, legend_width=1.6)
        choropleth(
            gdf,
            "value",
            ax=ax,
            scheme="quantiles",
            k=min(5, int(gdf["value"].notna().sum())),
            legend_title=legend_title,
            outlines=outlines,
            missing_label="No value",
            source=source,
        )
        shown = gdf["value"].dropna()
        description = (
            f"Map of {_plural(len(shown), level)} of BLMK coloured by {name}, from {shown.min():,.2f} to "
            f"{shown.max():,.2f}."
        )
        return _finish(fig, title, [], description)


def trajectory_chart(
    trajectory: pd.DataFrame, *, series: str, unit: str, title: str, plan_label: str = "Earlier plan"
) -> Figure:
    """A workforce series over time: actual, then planned, against an earlier plan and the target.

    ``trajectory`` is the output of ``bh.indicators.workforce_trajectory`` for one series (``period``,
    ``value``, ``kind``, ``plan``, ``target``, ``variance_from_plan``, ``variance_from_target``).
    """
    rows = trajectory.reset_index(drop=True)
    x = np.arange(len(rows))
    actual = rows["kind"].astype(str) == "actual"
    with _style():
        fig = _new_figure(3.6)
        ax = fig.add_subplot()
        handles = [ax.plot(x[actual], rows["value"][actual], "-o", color=LE_COLOUR, label="Actual", ms=4, zorder=3)[0]]
        planned = (~actual).to_numpy() | _last_actual(actual)
        handles.append(
            ax.plot(x[planned], rows["value"][planned], "--o", color=LE_COLOUR, mfc="white", label="Planned", ms=4)[0]
        )
        if rows["plan"].notna().any():
            has = rows["plan"].notna()
            handles.append(ax.plot(x[has], rows["plan"][has], ":s", color=_PLAN_COLOUR, label=plan_label, ms=3)[0])
        notes = _variance_notes(rows, unit, plan_label)
        targets = rows["target"].notna().to_numpy()
        if targets.any():
            (target_point,) = ax.plot(x[targets], rows["target"][targets], "*", color=_TARGET_COLOUR, ms=11, zorder=4)
            target_point.set_label(f"Target: {float(rows['target'][targets].iloc[-1]):,.1f}")
            handles.append(target_point)
        ax.set_xticks(x, rows["period"].astype(str), rotation=0, fontsize=8)
        ax.set_ylabel(unit)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
        _top_legend(fig, handles, ncols=len(handles))
        last = rows.iloc[-1]
        description = (
            f"{series} from {rows['period'].iloc[0]} ({rows['value'].iloc[0]:,.1f}) to {last['period']} "
            f"({last['value']:,.1f}, {last['kind']})."
        )
        return _finish(fig, title, notes, description)


def _last_actual(actual: pd.Series) -> np.ndarray[Any, Any]:
    """The last actual point, so that the planned line starts where the actual one ends."""
    out = np.zeros(len(actual), dtype=bool)
    positions = np.flatnonzero(actual.to_numpy())
    if len(positions) and positions[-1] + 1 < len(actual):
        out[positions[-1]] = True
    return out


def _variance_notes(rows: pd.DataFrame, unit: str, plan_label: str) -> list[str]:
    notes = []
    with_target = rows.dropna(subset=["variance_from_target"])
    if len(with_target):
        last = with_target.iloc[-1]
        notes.append(f"{last['period']}: {last['variance_from_target']:+,.1f} {unit} against the target.")
    against_plan = rows.dropna(subset=["variance_from_plan"])
    planned = against_plan[against_plan["kind"].astype(str) == "planned"]
    if len(planned):
        first = planned.iloc[0]
        variance = first["variance_from_plan"]
        notes.append(f"{first['period']}: {variance:+,.1f} {unit} against the dotted line ({plan_label}).")
    return notes
