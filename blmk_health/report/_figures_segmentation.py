"""Figures of the report's "Population segmentation" section: the 2/18/80 pyramid, calibration, fairness.

Like :mod:`blmk_health.report._figures`, every function takes plain data and returns a matplotlib Figure
(Agg, outside pyplot) with its title, notes and a plain-words description (``fig.get_label()``, the alt
text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.report._figures import _finish, _message_figure, _new_figure, _style, _top_legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TIER_COLOURS", "TIER_NAMES", "calibration_chart", "fixed", "pyramid_chart", "tier_mix_chart"]

#: Tier colours (colour-blind safe, after Okabe and Ito) and names in words.
TIER_COLOURS = {"complex": "#d55e00", "high_need": "#e69f00", "healthy": "#0072b2"}
TIER_NAMES = {"complex": "Complex needs", "high_need": "High needs", "healthy": "Generally healthy"}
_MEASURES = {
    "share": "Registered patients",
    "admitted_share": "Patients with an emergency admission the next year",
    "bed_days_share": "Emergency bed days in the year before",
}


def pyramid_chart(profile: pd.DataFrame, *, title: str) -> Figure:
    """The tiers as a pyramid (left) and each tier's share of patients and of emergency use (right).

    Parameters
    ----------
    profile : pandas.DataFrame
        One row per tier (``tier``: complex, high_need, healthy) with ``n`` and, as fractions, ``share``,
        ``admitted_share`` and ``bed_days_share`` (missing columns are left out).
    title : str
    """
    rows = profile.set_index("tier").reindex(list(TIER_COLOURS)).dropna(subset=["n"])
    if rows.empty:
        return _message_figure(title, "No patient has a tier.")
    measures = [m for m in _MEASURES if m in rows.columns]
    with _style():
        fig = _new_figure(3.4)
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.5])
        _draw_pyramid(left, rows)
        y = np.arange(len(measures))
        start = np.zeros(len(measures))
        handles = []
        for tier, row in rows.iterrows():
            values = np.array([float(row[m]) * 100 for m in measures])
            bars = right.barh(y, values, left=start, color=TIER_COLOURS[str(tier)], edgecolor="white", height=0.6)
            bars.set_label(TIER_NAMES[str(tier)])
            handles.append(bars)
            for k, value in enumerate(values):
                if value >= 6:
                    right.text(start[k] + value / 2, y[k], f"{value:.0f}%", ha="center", va="center", color="white")
            start += values
        right.set_yticks(y, [_MEASURES[m] for m in measures])
        right.invert_yaxis()
        right.set_xlim(0, 100)
        right.set_xlabel("Share held by each tier (%)")
        _top_legend(fig, handles, ncols=3)
        notes = [
            "Left: the tiers, not to scale, with their patients. Right: each tier's share of the registered "
            "patients and of the emergency use of the whole system.",
        ]
        return _finish(fig, title, notes, _pyramid_text(rows, measures))


def _draw_pyramid(ax: Any, rows: pd.DataFrame) -> None:
    """Three bands of a triangle, top tier at the apex, each labelled with its share and size."""
    from matplotlib.patches import Polygon

    heights = {"complex": (0.72, 1.0), "high_need": (0.36, 0.72), "healthy": (0.0, 0.36)}
    for tier, row in rows.iterrows():
        low, high = heights[str(tier)]
        corners = [(-(1 - low), low), (1 - low, low), (1 - high, high), (-(1 - high), high)]
        ax.add_patch(Polygon(corners, closed=True, facecolor=TIER_COLOURS[str(tier)], edgecolor="white"))
        text = f"{TIER_NAMES[str(tier)]}\n{float(row['share']) * 100:.1f}% ({int(row['n']):,})"
        middle = (low + high) / 2
        ax.text(1 - middle + 0.12, middle, text, ha="left", va="center", fontsize=8)
    ax.set_xlim(-1.05, 2.3)
    ax.set_ylim(0, 1.02)
    ax.set_axis_off()


def _pyramid_text(rows: pd.DataFrame, measures: list[str]) -> str:
    parts = []
    for tier, row in rows.iterrows():
        shares = ", ".join(f"{_MEASURES[m].lower()} {float(row[m]) * 100:.1f}%" for m in measures)
        parts.append(f"{TIER_NAMES[str(tier)]}: {int(row['n']):,} patients; {shares}.")
    return "The population in three tiers by predicted risk. " + " ".join(parts)


def calibration_chart(evaluation: Any, *, title: str) -> Figure:
    """Observed against predicted risk by tenth of predicted risk, with 95% limits and the diagonal."""
    cal = evaluation.calibration
    with _style():
        fig = _new_figure(3.6, width=5.2)
        ax = fig.add_subplot()
        top = float(np.nanmax(np.r_[cal["mean_predicted"], cal["upper"], 0.01])) * 100 * 1.05
        ax.plot([0, top], [0, top], color="#767676", linestyle="--", linewidth=1)
        observed = cal["observed"].to_numpy(dtype=float) * 100
        errors = np.vstack([observed - cal["lower"] * 100, cal["upper"] * 100 - observed])
        ax.errorbar(cal["mean_predicted"] * 100, observed, yerr=errors, fmt="o", color="#0072b2", capsize=3)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("Mean predicted risk of an emergency admission (%)")
        ax.set_ylabel("Patients admitted (%)")
        ax.grid(color="#e6e6e6", linewidth=0.6)
        notes = [
            "Each point: a tenth of the patients by predicted risk, with the 95% limits of the share admitted. "
            "Dashed line: perfect calibration.",
            f"c-statistic {evaluation.c_statistic:.3f} ({evaluation.c_lower:.3f} to {evaluation.c_upper:.3f}); "
            f"calibration slope {fixed(evaluation.calibration_slope)}, "
            f"intercept {fixed(evaluation.calibration_intercept)}.",
        ]
        text = (
            f"Calibration of the risk model: predicted against observed risk in ten groups; c-statistic "
            f"{evaluation.c_statistic:.3f}, calibration slope {evaluation.calibration_slope:.2f}."
        )
        return _finish(fig, title, notes, text)


def fixed(value: float) -> str:
    """Two decimals, without a minus sign on a value that rounds to zero."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def tier_mix_chart(mix: pd.DataFrame, group: str, *, title: str, ylabel: str) -> Figure:
    """Stacked bars: the share of each group's patients in the complex and high-need tiers.

    ``mix`` has one row per group and tier: ``group`` (labels, in drawing order), ``tier`` and ``share``
    (a fraction of the group's patients).
    """
    wide = mix.pivot_table(index=group, columns="tier", values="share", aggfunc="sum", sort=False).fillna(0.0)
    if wide.empty:
        return _message_figure(title, "No group has tiered patients.")
    with _style():
        fig = _new_figure(3.2)
        ax = fig.add_subplot()
        x = np.arange(len(wide))
        bottom = np.zeros(len(wide))
        handles = []
        for tier in ("complex", "high_need"):
            if tier not in wide.columns:
                continue
            values = wide[tier].to_numpy(dtype=float) * 100
            bars = ax.bar(x, values, bottom=bottom, color=TIER_COLOURS[tier], width=0.7, edgecolor="white")
            bars.set_label(TIER_NAMES[tier])
            handles.append(bars)
            bottom += values
        ax.axhline(20, color="black", linewidth=1, linestyle="--")
        ax.set_xticks(x, [str(v) for v in wide.index])
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.6)
        _top_legend(fig, handles, ncols=2)
        notes = ["Dashed line: 20%, the share of the whole system in the two tiers by construction."]
        highest = str(wide.index[int(np.argmax(bottom))])
        text = (
            f"The share of patients in the complex and high-need tiers by {group.replace('_', ' ')}: from "
            f"{bottom.min():.1f}% to {bottom.max():.1f}% (highest: {highest})."
        )
        return _finish(fig, title, notes, text)
