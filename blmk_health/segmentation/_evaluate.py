"""How well a risk score predicts: discrimination (c-statistic with DeLong limits), calibration, top-k yield."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._confidence import parse_level
from blmk_health.errors import DomainError, InputError
from blmk_health.indicators.ci import z_value

__all__ = ["RiskEvaluation", "evaluate_scores"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RiskEvaluation:
    """The performance of a risk score against observed outcomes (see :func:`evaluate_scores`).

    Attributes
    ----------
    n, events : int
        Patients and patients with the outcome.
    c_statistic, c_lower, c_upper : float
        The c-statistic (area under the ROC curve) and its confidence limits (DeLong's method).
    confidence : float
        The confidence level of the limits.
    brier : float
        Mean squared difference between predicted risk and outcome (NaN when the scores are not
        probabilities).
    calibration_slope, calibration_intercept : float
        Slope of a logistic regression of the outcome on the log-odds of the predicted risk (1 when
        calibrated; below 1 means predictions too extreme), and the intercept with that slope fixed at 1
        ("calibration in the large": 0 when the average risk is right). NaN for non-probability scores,
        and when the logistic recalibration cannot be estimated (scores that separate the outcomes
        perfectly, a constant score, too few patients).
    top : pandas.DataFrame
        Per top share of patients by score (``share``): ``flagged``, ``events_flagged``, ``sensitivity``
        (share of all events among the flagged) and ``ppv`` (share of the flagged with the event).
    calibration : pandas.DataFrame
        Per tenth of predicted risk: ``n``, ``mean_predicted``, ``observed`` and Wilson limits of the
        observed proportion (``lower``, ``upper``).
    probabilities : bool
        Whether the scores are probabilities (all within 0 to 1).
    """

    n: int
    events: int
    c_statistic: float
    c_lower: float
    c_upper: float
    confidence: float
    brier: float
    calibration_slope: float
    calibration_intercept: float
    top: pd.DataFrame
    calibration: pd.DataFrame
    probabilities: bool

    def to_frame(self) -> pd.DataFrame:
        """The measures as a tidy table: ``measure``, ``value``, ``lower``, ``upper``."""
        rows: list[tuple[str, float, float, float]] = [
            ("patients", float(self.n), np.nan, np.nan),
            ("events", float(self.events), np.nan, np.nan),
            ("c_statistic", self.c_statistic, self.c_lower, self.c_upper),
            ("brier_score", self.brier, np.nan, np.nan),
            ("calibration_slope", self.calibration_slope, np.nan, np.nan),
            ("calibration_intercept", self.calibration_intercept, np.nan, np.nan),
        ]
        for _, row in self.top.iterrows():
            label = f"top_{row['share'] * 100:g}pct"
            rows.append((f"sensitivity_{label}", float(row["sensitivity"]), np.nan, np.nan))
            rows.append((f"ppv_{label}", float(row["ppv"]), np.nan, np.nan))
        return pd.DataFrame(rows, columns=["measure", "value", "lower", "upper"])

    def plot(self, ax: Any = None, *, title: str = "Calibration of the risk model") -> Any:
        """A calibration plot: observed against mean predicted risk per tenth of risk, with the diagonal.

        Returns the matplotlib Figure.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5.5, 5))
        else:
            fig = ax.figure
        cal = self.calibration
        top = float(np.nanmax(np.r_[cal["mean_predicted"], cal["upper"], 0.01])) * 1.05
        ax.plot([0, top], [0, top], color="#767676", linestyle="--", linewidth=1, label="Perfect calibration")
        ax.errorbar(
            cal["mean_predicted"],
            cal["observed"],
            yerr=[cal["observed"] - cal["lower"], cal["upper"] - cal["observed"]],
            fmt="o",
            color="#005eb8",
            ecolor="#41b6e6",
            capsize=3,
            label="Tenths of predicted risk (95% CI)",
        )
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("Mean predicted risk")
        ax.set_ylabel("Observed proportion with the outcome")
        ax.set_title(title)
        note = (
            f"c-statistic {self.c_statistic:.3f} ({self.c_lower:.3f} to {self.c_upper:.3f}); "
            f"slope {self.calibration_slope:.2f}, intercept {self.calibration_intercept:.2f}"
        )
        ax.text(0.02, 0.98, note, transform=ax.transAxes, va="top", fontsize=8)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return fig


def evaluate_scores(
    outcome: Any,
    scores: Any,
    *,
    tops: Sequence[float] = (0.02, 0.2),
    confidence: float = 0.95,
    bins: int = 10,
) -> RiskEvaluation:
    """The c-statistic, Brier score, calibration and top-share yield of risk scores against outcomes.

    - **c-statistic**: the probability that a random patient with the outcome scores higher than one
      without (ties count a half), with DeLong's (1988) confidence limits from its structural components
      (computed with midranks in O(n log n), Sun and Xu 2014).
    - **Brier score**, **calibration slope** and **calibration intercept** (logistic recalibration,
      statsmodels): for scores that are probabilities (0 to 1) only; NaN otherwise, so that an external
      score on another scale (e.g. an ACG resource band) is still judged on discrimination and yield.
    - **top shares**: sensitivity and positive predictive value when the top ``round(n x share)``
      patients by score are flagged (halves rounded up; ties broken by row order).

    Parameters
    ----------
    outcome : sequence of bool or 0/1
        Whether each patient had the outcome (e.g. an emergency admission in the next 12 months).
    scores : sequence of float
        The patients' scores, higher meaning higher risk.
    tops : sequence of float, default (0.02, 0.2)
        Shares of patients flagged (the 2% and the 20% of the tiers).
    confidence : float, default 0.95
        Level of the c-statistic's limits.
    bins : int, default 10
        Groups of equal size by predicted risk for the calibration table.

    Returns
    -------
    RiskEvaluation

    Raises
    ------
    InputError
        Lengths differ, fewer than two patients, or bad ``tops`` / ``bins``.
    DomainError
        Outcomes other than 0/1, missing or infinite scores, or outcomes of only one kind.

    Examples
    --------
    >>> import blmk_health as bh
    >>> result = bh.segmentation.evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> result.c_statistic
    0.75
    """
    y, s = _checked(outcome, scores)
    level = parse_level(confidence)
    z = z_value(level)
    auc, se = _delong(y, s)
    probabilities = bool(np.all((s >= 0) & (s <= 1)))
    brier = float(np.mean((s - y) ** 2)) if probabilities else np.nan
    slope, intercept = _calibration(y, s) if probabilities else (np.nan, np.nan)
    return RiskEvaluation(
        n=len(y),
        events=int(y.sum()),
        c_statistic=auc,
        c_lower=max(0.0, auc - z * se),
        c_upper=min(1.0, auc + z * se),
        confidence=level,
        brier=brier,
        calibration_slope=slope,
        calibration_intercept=intercept,
        top=_top_shares(y, s, tops),
        calibration=_calibration_table(y, s, bins, z_value(0.95)),
        probabilities=probabilities,
    )


def _checked(outcome: Any, scores: Any) -> tuple[FloatArray, FloatArray]:
    try:
        y = np.asarray(pd.Series(np.asarray(outcome)).astype(float), dtype=float)
    except (TypeError, ValueError):
        msg = "outcome: must be 0/1 (or True/False) for every patient, not text"
        raise DomainError(msg) from None
    s = np.asarray(pd.to_numeric(pd.Series(np.asarray(scores)), errors="coerce"), dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        msg = f"outcome and scores: expected one value per patient in each, got {y.shape} and {s.shape}"
        raise InputError(msg)
    if len(y) < 2:
        msg = "outcome: at least two patients are needed"
        raise InputError(msg)
    if not np.all(np.isin(y, (0.0, 1.0))):
        msg = "outcome: must be 0/1 (or True/False) for every patient, without missing values"
        raise DomainError(msg)
    if not np.all(np.isfinite(s)):
        msg = f"scores: {int((~np.isfinite(s)).sum())} scores are missing or infinite; score every patient"
        raise DomainError(msg)
    if y.min() == y.max():
        msg = "outcome: all patients have the same outcome, so discrimination cannot be measured"
        raise DomainError(msg)
    return y, s


def _delong(y: FloatArray, s: FloatArray) -> tuple[float, float]:
    """The c-statistic and its DeLong standard error (midrank form)."""
    from scipy.stats import rankdata

    pos, neg = s[y == 1], s[y == 0]
    m, n = len(pos), len(neg)
    tz = rankdata(np.r_[pos, neg])
    tx, ty = rankdata(pos), rankdata(neg)
    auc = float((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    var = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (np.var(v01, ddof=1) / n if n > 1 else 0.0)
    return auc, float(np.sqrt(var))


def _calibration(y: FloatArray, s: FloatArray) -> tuple[float, float]:
    """Calibration slope and calibration-in-the-large intercept by logistic regression (statsmodels)."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM  # not statsmodels.api: 0.16 s to import, not 0.6

    p = np.clip(s, 1e-10, 1 - 1e-10)
    logit = np.log(p / (1 - p))
    family = families.Binomial()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        slope_fit = GLM(y, np.column_stack([np.ones(len(logit)), logit]), family=family).fit()
        offset_fit = GLM(y, np.ones((len(y), 1)), family=family, offset=logit).fit()
    slope, intercept = float(slope_fit.params[1]), float(offset_fit.params[0])
    if caught or not (np.isfinite(slope) and np.isfinite(intercept)):
        return np.nan, np.nan  # not estimable: perfect separation, a constant score or too few patients
    return slope, intercept


def _top_shares(y: FloatArray, s: FloatArray, tops: Sequence[float]) -> pd.DataFrame:
    if isinstance(tops, (str, bytes)) or not all(
        isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t <= 1 for t in tops
    ):
        msg = f"tops: expected shares above 0 and at most 1, such as (0.02, 0.2), got {tops!r}"
        raise InputError(msg)
    order = np.argsort(-s, kind="stable")
    ranked = y[order]
    cum = np.cumsum(ranked)
    rows = []
    for share in tops:
        k = int(np.floor(len(y) * share + 0.5))
        hit = float(cum[k - 1]) if k else 0.0
        rows.append(
            {
                "share": float(share),
                "flagged": k,
                "events_flagged": int(hit),
                "sensitivity": hit / float(y.sum()),
                "ppv": hit / k if k else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _calibration_table(y: FloatArray, s: FloatArray, bins: int, z: float) -> pd.DataFrame:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        msg = f"bins: expected a whole number of 2 or more, got {bins!r}"
        raise InputError(msg)
    order = np.argsort(s, kind="stable")
    groups = np.array_split(order, min(bins, len(s)))
    rows = []
    for k, members in enumerate(groups, start=1):
        n = len(members)
        observed = float(y[members].mean())
        centre = (observed + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(observed * (1 - observed) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        rows.append(
            {
                "group": k,
                "n": n,
                "mean_predicted": float(s[members].mean()),
                "observed": observed,
                "lower": max(0.0, centre - half),
                "upper": min(1.0, centre + half),
            }
        )
    return pd.DataFrame(rows)
