"""How well a risk score predicts: ``bh.segmentation.evaluate_scores`` and ``RiskEvaluation``.

Every expected value comes from somewhere other than the code under test: c-statistics counted pair by
pair on tiny data (ties count a half) and compared with scikit-learn's ``roc_auc_score``; DeLong's
standard error from a slow O(m x n) implementation of the placement values written here; Brier scores,
top-share yields and calibration tables worked by hand (Wilson limits from statsmodels'
``proportion_confint``); calibration slope and intercept from a Newton-Raphson logistic fit written here,
and checked against what they must be when outcomes are drawn from the scores themselves.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from blmk_health.errors import DomainError, InputError
from blmk_health.segmentation import RiskEvaluation, evaluate_scores

#: Two-sided normal quantiles, written out (95% and 90%).
Z95 = 1.959963984540054
Z90 = 1.6448536269514722


def psi(x: float, y: float) -> float:
    """DeLong's kernel: 1 if the patient with the outcome scores higher, a half for a tie."""
    return 1.0 if x > y else 0.5 if x == y else 0.0


def slow_delong(outcome: Any, scores: Any) -> tuple[float, float]:
    """The c-statistic and DeLong standard error from the placement values, pair by pair."""
    y = np.asarray(outcome, dtype=float)
    s = np.asarray(scores, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    m, n = len(pos), len(neg)
    table = np.array([[psi(x, z) for z in neg] for x in pos])  # m x n
    v10 = table.mean(axis=1)  # for each patient with the outcome
    v01 = table.mean(axis=0)  # for each patient without
    auc = table.sum() / (m * n)
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    return float(auc), float(np.sqrt(var))


def newton_logistic(y: Any, x: Any, offset: Any = 0.0) -> np.ndarray:
    """Maximum-likelihood coefficients of a logistic regression of ``y`` on the columns of ``x``."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta + offset)))
        step = np.linalg.solve(x.T @ (x * (p * (1 - p))[:, None]), x.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return beta


def logit(p: Any) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def drawn_from(risk: np.ndarray, seed: int) -> np.ndarray:
    """Outcomes drawn with the given risks."""
    return (np.random.default_rng(seed).random(len(risk)) < risk).astype(int)


# ------------------------------------------------------------------------------------ c-statistic


def test_docstring_example_by_hand() -> None:
    # Positives 0.35 and 0.8 against negatives 0.1 and 0.4: pairs 1, 0, 1, 1 -> 3/4.
    result = evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert isinstance(result, RiskEvaluation)
    assert result.c_statistic == 0.75
    assert result.n == 4
    assert result.events == 2
    # Placements: V10 = (0.5, 1), V01 = (1, 0.5); both sample variances 0.125, so
    # var = 0.125/2 + 0.125/2 = 0.125, se = 0.353553...; lower = 0.75 - 1.959964 x 0.353553.
    assert result.c_lower == pytest.approx(0.75 - Z95 * np.sqrt(0.125), rel=1e-12)
    assert result.c_lower == pytest.approx(0.057048, abs=1e-6)
    assert result.c_upper == 1.0  # 0.75 + 0.69 is cut at 1
    assert result.confidence == 0.95


def test_ties_count_a_half() -> None:
    # Positives 0.8, 0.5; negatives 0.5, 0.2, 0.8.
    # 0.8: beats 0.5 and 0.2, ties 0.8 -> 2.5; 0.5: ties 0.5, beats 0.2, loses to 0.8 -> 1.5. 4 of 6.
    result = evaluate_scores([1, 1, 0, 0, 0], [0.8, 0.5, 0.5, 0.2, 0.8])
    assert result.c_statistic == pytest.approx(4 / 6, rel=1e-14)
    # All scores tied: every pair a half.
    assert evaluate_scores([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]).c_statistic == 0.5


def test_perfect_and_reversed_scores() -> None:
    assert evaluate_scores([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]).c_statistic == 1.0
    assert evaluate_scores([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]).c_statistic == 0.0


def test_limits_are_cut_at_zero() -> None:
    # The docstring example with the outcomes swapped: 0.4 beats 0.35 only, 1 of 4 pairs; the standard
    # error is the same 0.353553, so 0.25 - 0.69 is cut at 0 and the upper limit is 0.25 + 0.69.
    result = evaluate_scores([1, 1, 0, 0], [0.1, 0.4, 0.35, 0.8])
    assert result.c_statistic == 0.25
    assert result.c_lower == 0.0
    assert result.c_upper == pytest.approx(0.25 + Z95 * np.sqrt(0.125), rel=1e-12)


def test_boolean_outcomes_and_series_equal_zero_one() -> None:
    scores = [0.1, 0.4, 0.35, 0.8, 0.5]
    a = evaluate_scores([0, 0, 1, 1, 0], scores)
    b = evaluate_scores([False, False, True, True, False], scores)
    c = evaluate_scores(pd.Series([0, 0, 1, 1, 0], index=[9, 8, 7, 6, 5]), pd.Series(scores, index=list("abcde")))
    for other in (b, c):
        assert other.c_statistic == a.c_statistic == pytest.approx(4 / 6)  # 0.35 beats 1 of 3, 0.8 all 3
        assert other.brier == a.brier


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_c_statistic_equals_sklearn_on_random_data_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random(700), 2)  # many ties
    outcome = (rng.random(700) < 0.2 + 0.5 * scores).astype(int)
    result = evaluate_scores(outcome, scores)
    assert result.c_statistic == pytest.approx(roc_auc_score(outcome, scores), rel=1e-12)


# ---------------------------------------------------------------------------------- DeLong limits


@pytest.mark.parametrize(("seed", "n", "digits"), [(0, 60, 1), (1, 200, 2), (2, 400, 3), (3, 31, 6)])
def test_delong_standard_error_equals_a_slow_implementation(seed: int, n: int, digits: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random(n), digits)  # coarse rounding makes ties
    outcome = (rng.random(n) < 0.15 + 0.6 * scores).astype(int)
    auc, se = slow_delong(outcome, scores)
    result = evaluate_scores(outcome, scores)
    assert result.c_statistic == pytest.approx(auc, rel=1e-12)
    assert result.c_lower == pytest.approx(max(0.0, auc - Z95 * se), rel=1e-10)
    assert result.c_upper == pytest.approx(min(1.0, auc + Z95 * se), rel=1e-10)
    assert 0 < result.c_lower < auc < result.c_upper < 1  # not cut, so the standard error itself is checked


def test_confidence_level_changes_the_limits() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(150)
    outcome = (rng.random(150) < scores).astype(int)
    auc, se = slow_delong(outcome, scores)
    result = evaluate_scores(outcome, scores, confidence=0.9)
    assert result.confidence == 0.9
    assert result.c_lower == pytest.approx(auc - Z90 * se, rel=1e-10)
    assert result.c_upper == pytest.approx(auc + Z90 * se, rel=1e-10)
    assert evaluate_scores(outcome, scores, confidence=95).confidence == 0.95  # a percentage


# ------------------------------------------------------------------------------------------ Brier


def test_brier_by_hand() -> None:
    # (0.1-0)^2 + (0.4-0)^2 + (0.35-1)^2 + (0.8-1)^2 = 0.01 + 0.16 + 0.4225 + 0.04 = 0.6325; / 4.
    result = evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert result.brier == pytest.approx(0.158125, rel=1e-12)
    assert result.probabilities
    # Scores of exactly 0 and 1 are still probabilities: (0-0)^2 + (1-1)^2 + (0.5-1)^2 = 0.25; / 3.
    edges = evaluate_scores([0, 1, 1], [0.0, 1.0, 0.5])
    assert edges.probabilities
    assert edges.brier == pytest.approx(0.25 / 3, rel=1e-12)


@pytest.mark.parametrize("outside", [1.0001, -0.0001, 3.0])
def test_scores_outside_zero_to_one_get_no_brier_or_calibration(outside: float) -> None:
    result = evaluate_scores([0, 1, 0, 1], [0.1, 0.6, 0.2, outside])
    assert not result.probabilities
    assert np.isnan(result.brier)
    assert np.isnan(result.calibration_slope)
    assert np.isnan(result.calibration_intercept)
    # Discrimination is still measured: the odd score ranks by its value.
    expected = roc_auc_score([0, 1, 0, 1], [0.1, 0.6, 0.2, outside])
    assert result.c_statistic == pytest.approx(expected, rel=1e-12)


def test_score_on_another_scale_is_judged_on_discrimination_and_yield() -> None:
    # An external score such as a resource band 1-5: c-statistic and top shares, no Brier.
    outcome = [0, 0, 1, 0, 1, 1, 0, 1, 0, 0]
    bands = [1, 2, 5, 1, 4, 3, 2, 5, 3, 1]
    result = evaluate_scores(outcome, bands, tops=(0.2,))
    assert result.c_statistic == pytest.approx(roc_auc_score(outcome, bands), rel=1e-12)
    assert np.isnan(result.brier)
    # Top 2 by band: the two 5s (rows 2 and 7), both with the outcome.
    assert result.top["events_flagged"].tolist() == [2]
    assert result.top["sensitivity"].tolist() == [0.5]


# ------------------------------------------------------------------------------------ calibration


def test_calibration_equals_an_independent_logistic_fit() -> None:
    rng = np.random.default_rng(11)
    risk = 1 / (1 + np.exp(-rng.normal(-1.5, 1.0, 3000)))
    outcome = drawn_from(risk * 0.8, 12)  # slightly miscalibrated
    result = evaluate_scores(outcome, risk)
    x = logit(risk)
    slope = newton_logistic(outcome, np.column_stack([np.ones_like(x), x]))[1]
    intercept = newton_logistic(outcome, np.ones((len(x), 1)), offset=x)[0]
    assert result.calibration_slope == pytest.approx(slope, rel=1e-6)
    assert result.calibration_intercept == pytest.approx(intercept, rel=1e-6)
    assert intercept < 0  # risks 0.8 of the scores: the scores are too high on average


def test_calibrated_scores_have_slope_one_and_intercept_zero() -> None:
    # Outcomes drawn from the scores themselves: the slope's and intercept's standard errors at this n
    # are about 0.02 (1 / sqrt(n var(logit) p(1-p)) with n = 20,000, var(logit) = 1, p(1-p) ~ 0.13);
    # tolerances of 0.06 are three of them, and the seed fixes the draw.
    rng = np.random.default_rng(2024)
    risk = 1 / (1 + np.exp(-rng.normal(-2.0, 1.0, 20_000)))
    outcome = drawn_from(risk, 2025)
    result = evaluate_scores(outcome, risk)
    assert result.calibration_slope == pytest.approx(1.0, abs=0.06)
    assert result.calibration_intercept == pytest.approx(0.0, abs=0.06)
    # Brier of calibrated scores: E[(p - Y)^2] = E[p(1 - p)], to sampling error.
    assert result.brier == pytest.approx(np.mean(risk * (1 - risk)), abs=0.005)


def test_too_extreme_predictions_have_slope_below_one() -> None:
    # Predictions with the log-odds doubled: the true risks have half the log-odds, so the slope is 1/2.
    rng = np.random.default_rng(7)
    true_logit = rng.normal(-1.5, 1.0, 20_000)
    outcome = drawn_from(1 / (1 + np.exp(-true_logit)), 8)
    extreme = 1 / (1 + np.exp(-2 * true_logit))
    result = evaluate_scores(outcome, extreme)
    assert result.calibration_slope < 1
    assert result.calibration_slope == pytest.approx(0.5, abs=0.03)
    # Doubling the log-odds keeps the order, so discrimination is unchanged.
    assert result.c_statistic == pytest.approx(evaluate_scores(outcome, 1 / (1 + np.exp(-true_logit))).c_statistic)


def test_calibration_table_by_hand() -> None:
    # Sorted by score: 0.1 (0), 0.35 (1) | 0.4 (0), 0.8 (1).
    result = evaluate_scores([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], bins=2)
    cal = result.calibration
    assert list(cal.columns) == ["group", "n", "mean_predicted", "observed", "lower", "upper"]
    assert cal["group"].tolist() == [1, 2]
    assert cal["n"].tolist() == [2, 2]
    assert cal["mean_predicted"].tolist() == pytest.approx([0.225, 0.6], rel=1e-12)
    assert cal["observed"].tolist() == [0.5, 0.5]
    lower, upper = proportion_confint(1, 2, alpha=0.05, method="wilson")
    assert cal["lower"].tolist() == pytest.approx([lower, lower], rel=1e-9)
    assert cal["upper"].tolist() == pytest.approx([upper, upper], rel=1e-9)


def test_calibration_table_groups_of_equal_size_and_wilson_limits() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(105)
    outcome = (rng.random(105) < scores).astype(int)
    cal = evaluate_scores(outcome, scores).calibration
    assert cal["n"].tolist() == [11] * 5 + [10] * 5
    order = np.argsort(scores)
    start = 0
    for _, row in cal.iterrows():
        members = order[start : start + int(row["n"])]
        start += int(row["n"])
        events = int(outcome[members].sum())
        assert row["mean_predicted"] == pytest.approx(scores[members].mean(), rel=1e-12)
        assert row["observed"] == pytest.approx(events / len(members), rel=1e-12)
        lower, upper = proportion_confint(events, len(members), alpha=0.05, method="wilson")
        assert row["lower"] == pytest.approx(lower, rel=1e-9, abs=1e-12)
        assert row["upper"] == pytest.approx(upper, rel=1e-9, abs=1e-12)


def test_fewer_patients_than_bins_gives_one_group_each() -> None:
    cal = evaluate_scores([0, 1, 0], [0.2, 0.9, 0.5], bins=10).calibration
    assert cal["n"].tolist() == [1, 1, 1]
    assert cal["mean_predicted"].tolist() == [0.2, 0.5, 0.9]
    assert cal["observed"].tolist() == [0.0, 0.0, 1.0]
    assert cal.loc[0, "lower"] == 0.0
    assert cal.loc[2, "upper"] == 1.0


# ------------------------------------------------------------------------------------- top shares

# Ten patients; by score, highest first: 0.9 (1), 0.8 (0), 0.7 (1), 0.6 (0), 0.5 (1), 0.4 (0),
# 0.3 (1), 0.2 (0), 0.1 (0), 0.05 (0). Four events.
TOP_SCORES = [0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.4, 0.5, 0.05]
TOP_OUTCOME = [1, 0, 0, 1, 1, 0, 0, 0, 1, 0]


@pytest.mark.parametrize(
    ("share", "flagged", "hits"),
    [
        (0.04, 0, 0),  # 0.4 patients round to none
        (0.06, 1, 1),  # 0.6 round to one
        (0.1, 1, 1),
        (0.2, 2, 1),
        (0.3, 3, 2),
        (0.5, 5, 3),
        (0.74, 7, 4),  # 7.4 -> 7
        (0.76, 8, 4),  # 7.6 -> 8
        (1.0, 10, 4),
    ],
)
def test_top_share_yield_by_hand(share: float, flagged: int, hits: int) -> None:
    top = evaluate_scores(TOP_OUTCOME, TOP_SCORES, tops=(share,)).top
    assert list(top.columns) == ["share", "flagged", "events_flagged", "sensitivity", "ppv"]
    row = top.iloc[0]
    assert row["share"] == share
    assert row["flagged"] == flagged
    assert row["events_flagged"] == hits
    assert row["sensitivity"] == pytest.approx(hits / 4, rel=1e-12)
    if flagged:
        assert row["ppv"] == pytest.approx(hits / flagged, rel=1e-12)
    else:
        assert np.isnan(row["ppv"])


def test_top_shares_default_to_two_and_twenty_percent() -> None:
    rng = np.random.default_rng(4)
    scores = rng.random(1000)
    outcome = (rng.random(1000) < scores**2).astype(int)
    top = evaluate_scores(outcome, scores).top
    assert top["share"].tolist() == [0.02, 0.2]
    assert top["flagged"].tolist() == [20, 200]
    ranked = outcome[np.argsort(-scores)]
    assert top["events_flagged"].tolist() == [ranked[:20].sum(), ranked[:200].sum()]
    assert top["sensitivity"].tolist() == pytest.approx(
        [ranked[:20].sum() / outcome.sum(), ranked[:200].sum() / outcome.sum()]
    )
    assert top["ppv"].tolist() == pytest.approx([ranked[:20].mean(), ranked[:200].mean()])


def test_ties_at_the_cut_are_broken_by_row_order() -> None:
    # Top 2 of 4: 0.9, then the first of the two 0.5s in row order.
    first_has_event = evaluate_scores([1, 1, 0, 0], [0.5, 0.9, 0.5, 0.1], tops=(0.5,)).top
    assert first_has_event["events_flagged"].tolist() == [2]
    second_has_event = evaluate_scores([0, 1, 1, 0], [0.5, 0.9, 0.5, 0.1], tops=(0.5,)).top
    assert second_has_event["events_flagged"].tolist() == [1]


@pytest.mark.parametrize("bad", [(0,), (1.5,), (-0.1,), (True,), "0.2", ("0.2",)])
def test_bad_tops(bad: Any) -> None:
    with pytest.raises(InputError, match="tops: expected shares above 0 and at most 1"):
        evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.3, 0.6], tops=bad)


@pytest.mark.parametrize("bad", [1, 0, True, 2.5, "10"])
def test_bad_bins(bad: Any) -> None:
    with pytest.raises(InputError, match="bins: expected a whole number of 2 or more"):
        evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.3, 0.6], bins=bad)


# ------------------------------------------------------------------------------------------ errors


def test_lengths_must_match() -> None:
    with pytest.raises(InputError, match=r"outcome and scores: expected one value per patient .* \(3,\) and \(2,\)"):
        evaluate_scores([0, 1, 0], [0.1, 0.2])


def test_at_least_two_patients() -> None:
    with pytest.raises(InputError, match="outcome: at least two patients are needed"):
        evaluate_scores([1], [0.5])


@pytest.mark.parametrize("outcome", [[0, 0, 0], [1, 1, 1], [True, True, True]])
def test_one_class_only_raises(outcome: list[Any]) -> None:
    with pytest.raises(DomainError, match="outcome: all patients have the same outcome"):
        evaluate_scores(outcome, [0.1, 0.2, 0.3])


@pytest.mark.parametrize("bad", [np.nan, None, np.inf, -np.inf])
def test_missing_or_infinite_scores_raise(bad: Any) -> None:
    with pytest.raises(DomainError, match="scores: 1 scores are missing or infinite"):
        evaluate_scores([0, 1, 1], [0.1, bad, 0.3])


@pytest.mark.parametrize("bad", [2, -1, 0.5, np.nan, None])
def test_outcomes_other_than_zero_and_one_raise(bad: Any) -> None:
    with pytest.raises(DomainError, match="outcome: must be 0/1"):
        evaluate_scores([0, 1, bad], [0.1, 0.2, 0.3])


def test_text_outcomes_raise_a_domain_error() -> None:
    # Text is not 0/1: the library's error naming the argument, not a bare ValueError from pandas.
    with pytest.raises(DomainError, match="outcome: must be 0/1"):
        evaluate_scores(["yes", "no", "yes"], [0.1, 0.2, 0.3])


def test_bad_confidence() -> None:
    with pytest.raises(DomainError, match="confidence"):
        evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.3, 0.6], confidence=1.5)


# ------------------------------------------------------------------------------- the result object


def test_to_frame_values() -> None:
    result = evaluate_scores(TOP_OUTCOME, TOP_SCORES, tops=(0.1, 0.3))
    table = result.to_frame()
    assert list(table.columns) == ["measure", "value", "lower", "upper"]
    assert table["measure"].tolist() == [
        "patients",
        "events",
        "c_statistic",
        "brier_score",
        "calibration_slope",
        "calibration_intercept",
        "sensitivity_top_10pct",
        "ppv_top_10pct",
        "sensitivity_top_30pct",
        "ppv_top_30pct",
    ]
    value = dict(zip(table["measure"], table["value"], strict=True))
    assert value["patients"] == 10
    assert value["events"] == 4
    # 0.9 beats 6, 0.7 beats 5 (not 0.8), 0.5 beats 4, 0.3 beats 3: 18 of 24 pairs.
    assert value["c_statistic"] == pytest.approx(18 / 24, rel=1e-12)
    squares = [(s - y) ** 2 for s, y in zip(TOP_SCORES, TOP_OUTCOME, strict=True)]
    assert value["brier_score"] == pytest.approx(sum(squares) / 10, rel=1e-12)
    assert value["calibration_slope"] == result.calibration_slope
    assert value["calibration_intercept"] == result.calibration_intercept
    assert value["sensitivity_top_10pct"] == 0.25  # top 1: the 0.9, an event
    assert value["ppv_top_10pct"] == 1.0
    assert value["sensitivity_top_30pct"] == pytest.approx(2 / 4)  # top 3: 0.9, 0.8, 0.7
    assert value["ppv_top_30pct"] == pytest.approx(2 / 3)
    c_row = table.set_index("measure").loc["c_statistic"]
    assert (c_row["lower"], c_row["upper"]) == (result.c_lower, result.c_upper)
    others = table[table["measure"] != "c_statistic"]
    assert others["lower"].isna().all()
    assert others["upper"].isna().all()


def test_result_is_frozen() -> None:
    result = evaluate_scores([0, 1], [0.1, 0.9])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.c_statistic = 1.0  # type: ignore[misc]


# -------------------------------------------------------------------------------------------- plot


@pytest.fixture
def evaluation() -> RiskEvaluation:
    rng = np.random.default_rng(9)
    risk = rng.random(400) * 0.5
    return evaluate_scores(drawn_from(risk, 10), risk)


def test_plot_returns_a_labelled_figure(evaluation: RiskEvaluation) -> None:
    fig = evaluation.plot()
    try:
        assert isinstance(fig, Figure)
        (ax,) = fig.axes
        assert ax.get_title() == "Calibration of the risk model"
        assert ax.get_xlabel() == "Mean predicted risk"
        assert ax.get_ylabel() == "Observed proportion with the outcome"
        # The points are the calibration table's.
        points = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(points) == 1
        np.testing.assert_allclose(
            np.asarray(points[0].get_xdata(), dtype=float), evaluation.calibration["mean_predicted"]
        )
        np.testing.assert_allclose(np.asarray(points[0].get_ydata(), dtype=float), evaluation.calibration["observed"])
        notes = " ".join(text.get_text() for text in ax.texts)
        assert f"c-statistic {evaluation.c_statistic:.3f}" in notes
    finally:
        plt.close(fig)


def test_plot_on_given_axes_with_a_title(evaluation: RiskEvaluation) -> None:
    fig, (left, right) = plt.subplots(1, 2)
    try:
        assert evaluation.plot(right, title="Held-out patients") is fig
        assert right.get_title() == "Held-out patients"
        assert left.get_title() == ""
        assert not left.get_lines()
    finally:
        plt.close(fig)
