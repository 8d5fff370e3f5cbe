"""Tests of the 2% / 18% / 80% tiers: ``assign_tiers`` and ``tier_plan``.

Expected tiers come from hand-worked examples or from :func:`reference_tiers`, a plain-Python
sort-and-cut written here from the docstring's rules (sizes by ``fractions.Fraction`` with halves
rounded up, ties by ``tie_break`` ascending, overrides first, overflow shrinking the last tier).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.segmentation._tiers import tier_plan
from tests.helpers import Backend, to_pandas

DEFAULT = (0.02, 0.18, 0.80)
LABELS = ("complex", "high_need", "healthy")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

assign_tiers = bh.segmentation.assign_tiers


# ------------------------------------------------------------------------------ reference implementation


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def nominal_sizes(n: int, shares: Sequence[float]) -> list[int]:
    """Tier sizes of a group of ``n``: tiers 0..k hold round(n x cumulative share), halves up, exactly."""
    cuts, total = [0], Fraction(0)
    for share in shares:
        total += Fraction(str(share))  # the decimal the caller wrote: Fraction("0.1") == 1/10
        cuts.append(math.floor(n * total + Fraction(1, 2)))
    assert cuts[-1] == n, "shares in these tests add to exactly 1"
    return [b - a for a, b in itertools.pairwise(cuts)]


def reference_tiers(
    data: pd.DataFrame,
    score: str,
    *,
    shares: Sequence[float] = DEFAULT,
    labels: Sequence[str] = LABELS,
    within: Sequence[str] = (),
    overrides: Mapping[str, str] | None = None,
    tie_break: str = "patient_id",
    adult_age: int | None = None,
    age: str = "age",
    missing_tier: bool = False,
) -> pd.DataFrame:
    """Tier, override flag and tied flag of each row of ``data`` (same order), by sort-and-cut."""
    k = len(labels)
    overrides = dict(overrides or {})
    records = data.to_dict("records")
    tier: list[str | None] = [None] * len(records)
    forced_flag = [False] * len(records)
    tied = [False] * len(records)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, row in enumerate(records):
        groups.setdefault(tuple(row[g] for g in within), []).append(i)
    for members in groups.values():

        def adult(i: int) -> bool:
            return adult_age is None or (not _missing(records[i][age]) and records[i][age] >= adult_age)

        ranked = [i for i in members if adult(i) and not _missing(records[i][score])]
        sizes = nominal_sizes(len(ranked), shares)
        index: dict[int, int] = {}
        for i in ranked:
            chosen = [
                labels.index(label)
                for column, label in overrides.items()
                if not _missing(records[i][column]) and bool(records[i][column])
            ]
            if chosen:
                index[i] = min(chosen)
                forced_flag[i] = True
        by_score = sorted(
            (i for i in ranked if i not in index), key=lambda i: (-records[i][score], records[i][tie_break])
        )
        position = 0
        for j in range(k - 1):
            room = max(sizes[j] - sum(1 for t in index.values() if t == j), 0)
            for i in by_score[position : position + room]:
                index[i] = j
            position += room
        for i in by_score[position:]:
            index[i] = k - 1
        for i, j in index.items():
            tier[i] = labels[j]
            # a tie at a cut: placed by score, sharing the score with another placed by score in another tier
            tied[i] = not forced_flag[i] and any(
                records[o][score] == records[i][score] and index[o] != j and not forced_flag[o]
                for o in ranked
                if o != i
            )
        if missing_tier:
            for i in members:
                if adult(i) and _missing(records[i][score]):
                    tier[i] = "missing"
    return pd.DataFrame({"tier": tier, "tier_override": forced_flag, "tier_tied": tied}, index=data.index)


def labels_of(out: Any, column: str = "tier") -> list[str | None]:
    """The tier column of a result as a list, with None for no tier (pandas 3 text shows it as NaN)."""
    values = to_pandas(out)[column].tolist()
    return [None if _missing(v) else v for v in values]


def with_reference(data: pd.DataFrame, score: str, **kwargs: Any) -> pd.DataFrame:
    """``data`` with the reference tiers added, as ``assign_tiers`` should return it."""
    return pd.concat([data, reference_tiers(data, score, **kwargs)], axis=1)


def test_reference_agrees_with_the_hand_examples() -> None:
    """The reference itself against the docstring's examples (so that it cannot share a mistake)."""
    assert nominal_sizes(1000, DEFAULT) == [20, 180, 800]
    assert nominal_sizes(30, DEFAULT) == [1, 5, 24]
    assert nominal_sizes(25, DEFAULT) == [1, 4, 20]
    assert nominal_sizes(24, DEFAULT) == [0, 5, 19]
    people = pd.DataFrame(
        {
            "patient_id": range(1, 11),
            "risk": [0.9, 0.1, 0.5, 0.5, 0.05, 0.3, 0.2, 0.15, 0.12, 0.11],
            "care_home": [False, True] + [False] * 8,
        }
    )
    ref = reference_tiers(people, "risk", shares=(0.1, 0.2, 0.7))
    assert labels_of(ref) == ["complex", "healthy", "high_need", "high_need"] + ["healthy"] * 6
    ref = reference_tiers(people, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"})
    assert labels_of(ref)[:4] == ["high_need", "complex", "high_need", "healthy"]


# --------------------------------------------------------------------------------------------- tier_plan


def test_tier_plan_keeps_labels_shares_and_exact_cumulative_shares() -> None:
    plan = tier_plan((0.1, 0.2, 0.7), ("a", "b", "c"))
    assert plan.labels == ("a", "b", "c")
    assert plan.shares == (0.1, 0.2, 0.7)
    # 0.1 + 0.2 != 0.3 in floating point; the plan's cumulative shares are exact
    assert 0.1 + 0.2 != 0.3
    assert plan.cumulative == (Fraction(1, 10), Fraction(3, 10), Fraction(1))


@pytest.mark.parametrize(
    ("n", "shares", "cuts"),
    [
        (1000, DEFAULT, [20, 200, 1000]),
        (30, DEFAULT, [1, 6, 30]),
        (25, DEFAULT, [1, 5, 25]),  # 0.02 x 25 = 0.5 rounds up
        (24, DEFAULT, [0, 5, 24]),  # 0.48 rounds down
        (75, DEFAULT, [2, 15, 75]),  # 1.5 up; 0.2 x 75 = 15 exactly
        (74, DEFAULT, [1, 15, 74]),  # 1.48 down; 14.8 up
        (0, DEFAULT, [0, 0, 0]),
        (15, (0.01, 0.09, 0.90), [0, 2, 15]),  # 0.01 + 0.09 is 0.09999999999999999 in floating point
        (50, (0.04, 0.25, 0.71), [2, 15, 50]),  # 50 x (0.04 + 0.25) is 14.499999999999998 in floating point
        (10**9 + 25, (0.02, 0.98), [20_000_001, 10**9 + 25]),  # 20,000,000.5 rounds up
    ],
)
def test_tier_plan_cut_rounds_halves_up_exactly(n: int, shares: tuple[float, ...], cuts: list[int]) -> None:
    plan = tier_plan(shares, [f"t{i}" for i in range(len(shares))])
    assert [plan.cut(n, k) for k in range(len(shares))] == cuts


@SETTINGS
@given(
    n=st.one_of(st.integers(0, 200), st.integers(0, 10**7)),
    cuts=st.lists(st.integers(1, 999_999), min_size=1, max_size=5, unique=True),
)
def test_tier_plan_cut_matches_exact_rounding_for_six_decimal_shares(n: int, cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), 10**6]
    shares = [(b - a) / 10**6 for a, b in itertools.pairwise(bounds)]
    plan = tier_plan(shares, [f"t{i}" for i in range(len(shares))])
    expected = [math.floor(n * Fraction(b, 10**6) + Fraction(1, 2)) for b in bounds[1:]]
    assert [plan.cut(n, k) for k in range(len(shares))] == expected


@pytest.mark.parametrize(
    ("shares", "labels", "error", "words"),
    [
        ((0.02, 0.18, 0.79), LABELS, DomainError, "add to 1"),
        ((0.02, 0.18, 0.81), LABELS, DomainError, "add to 1"),
        ((0.02, 0.18, 0.7999), LABELS, DomainError, "add to 1"),
        ((0.333, 0.333, 0.333), LABELS, DomainError, "add to 1"),
        ((0.5, -0.1, 0.6), LABELS, DomainError, "above 0"),
        ((0.0, 0.2, 0.8), LABELS, DomainError, "above 0"),
        ((1.5, -0.5), ("a", "b"), DomainError, "above 0"),
        ((1.0,), ("all",), InputError, "two or more"),
        (1.0, ("all",), InputError, "two or more"),
        ((0.2, "0.8"), ("a", "b"), DomainError, "number"),
        ((True, 0.0), ("a", "b"), DomainError, "number"),
        ((0.02, 0.18, 0.80), ("complex", "healthy"), InputError, "3 labels"),
        ((0.02, 0.18, 0.80), ("complex", "high_need", "healthy", "other"), InputError, "3 labels"),
        ((0.02, 0.18, 0.80), ("complex", "complex", "healthy"), InputError, "distinct"),
        ((0.02, 0.18, 0.80), ("complex", "", "healthy"), InputError, "non-empty"),
        ((0.5, 0.5), "ab", InputError, "labels"),
    ],
)
def test_tier_plan_rejects_bad_shares_and_labels(shares: Any, labels: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        tier_plan(shares, labels)
    frame = pd.DataFrame({"patient_id": [1, 2], "risk": [0.1, 0.2]})
    with pytest.raises(error, match=words):
        assign_tiers(frame, "risk", shares=shares, labels=labels)


def test_tier_plan_accepts_shares_adding_to_one_only_up_to_float_rounding() -> None:
    # ten times 0.1 is 0.9999999999999999 in floating point: still adding to 1
    assert sum([0.1] * 10) != 1.0
    plan = tier_plan([0.1] * 10, [str(i) for i in range(10)])
    assert plan.cumulative[-1] == 1
    assert [plan.cut(15, k) for k in range(10)] == [2, 3, 5, 6, 8, 9, 11, 12, 14, 15]
    assert tier_plan((0.5, 0.5), ("a", "b")).cumulative == (Fraction(1, 2), Fraction(1))
    with pytest.raises(DomainError, match="add to 1"):
        tier_plan((1, 0.5), ("a", "b"))


# ------------------------------------------------------------------------------------ sizes by hand


def _distinct(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` patients with distinct scores, in a shuffled row order and with shuffled ids."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"patient_id": rng.permutation(n) + 100, "risk": rng.permutation(n) / n + 0.001})


@pytest.mark.parametrize(
    ("n", "shares", "sizes"),
    [
        (1000, DEFAULT, (20, 180, 800)),
        (30, DEFAULT, (1, 5, 24)),
        (25, DEFAULT, (1, 4, 20)),  # 0.02 x 25 = 0.5 rounds up to 1
        (24, DEFAULT, (0, 5, 19)),  # 0.48 -> 0
        (75, DEFAULT, (2, 13, 60)),  # cumulative 0.2 x 75 = 15 exactly
        (74, DEFAULT, (1, 14, 59)),
        (76, DEFAULT, (2, 13, 61)),  # 15.2 -> 15
        (1, DEFAULT, (0, 0, 1)),
        (2, DEFAULT, (0, 0, 2)),  # 0.4 -> 0
        (3, DEFAULT, (0, 1, 2)),  # 0.6 -> 1
        (4, (0.1, 0.2, 0.7), (0, 1, 3)),  # 0.4 -> 0, 1.2 -> 1
        (5, (0.1, 0.2, 0.7), (1, 1, 3)),  # 0.5 -> 1, 1.5 -> 2
        (14, (0.1, 0.2, 0.7), (1, 3, 10)),  # 1.4 -> 1, 4.2 -> 4
        (15, (0.1, 0.2, 0.7), (2, 3, 10)),  # 1.5 -> 2, 4.5 -> 5
        (25, (0.1, 0.2, 0.7), (3, 5, 17)),  # 2.5 -> 3, 7.5 -> 8
        (14, (0.01, 0.09, 0.90), (0, 1, 13)),  # 1.4 -> 1
        (15, (0.01, 0.09, 0.90), (0, 2, 13)),  # 0.15 -> 0, 1.5 -> 2 (float cumulative below 0.1)
        (50, (0.04, 0.25, 0.71), (2, 13, 35)),  # 14.5 -> 15 (float product 14.499999999999998)
        (15, (0.1, 0.1, 0.1, 0.1, 0.6), (2, 1, 2, 1, 9)),  # 1.5, 3, 4.5, 6 -> 2, 3, 5, 6
        (5, (0.1, 0.1, 0.1, 0.1, 0.6), (1, 0, 1, 0, 3)),  # 0.5, 1, 1.5, 2 -> 1, 1, 2, 2
    ],
)
def test_tier_sizes_by_hand(n: int, shares: tuple[float, ...], sizes: tuple[int, ...]) -> None:
    labels = LABELS if len(shares) == 3 else tuple(f"t{i}" for i in range(len(shares)))
    data = _distinct(n)
    out = assign_tiers(data, "risk", shares=shares, labels=labels)
    counts = out["tier"].value_counts()
    assert tuple(int(counts.get(label, 0)) for label in labels) == sizes
    assert out["tier"].notna().all()
    # the tiers are consecutive runs of the ranking: top scores in the top tier
    ranked = out.sort_values("risk", ascending=False)["tier"].tolist()
    assert ranked == [label for label, size in zip(labels, sizes, strict=True) for _ in range(size)]
    assert not out["tier_override"].any()
    assert not out["tier_tied"].any()


def test_result_keeps_rows_index_and_columns() -> None:
    data = pd.DataFrame({"patient_id": [5, 3, 1], "risk": [0.1, 0.2, 0.3], "x": ["a", "b", "c"]}, index=[10, 20, 30])
    out = assign_tiers(data, "risk")
    assert list(out.columns) == ["patient_id", "risk", "x", "tier", "tier_override", "tier_tied"]
    assert list(out.index) == [10, 20, 30]
    assert out["patient_id"].tolist() == [5, 3, 1]
    assert labels_of(out) == ["healthy", "healthy", "high_need"]  # N = 3: 0 / 1 / 2
    assert out["tier_override"].dtype == bool
    assert out["tier_tied"].dtype == bool
    pd.testing.assert_frame_equal(
        data, pd.DataFrame({"patient_id": [5, 3, 1], "risk": [0.1, 0.2, 0.3], "x": ["a", "b", "c"]}, index=[10, 20, 30])
    )


def test_empty_table_gives_empty_tiers() -> None:
    out = assign_tiers(
        pd.DataFrame({"patient_id": pd.Series([], dtype="int64"), "risk": pd.Series([], dtype=float)}), "risk"
    )
    assert len(out) == 0
    assert list(out.columns) == ["patient_id", "risk", "tier", "tier_override", "tier_tied"]


# ----------------------------------------------------------------------------- property: the reference


@st.composite
def tier_cases(draw: st.DrawFn, max_n: int = 3000) -> dict[str, Any]:
    """A random tiering problem: N, 2-5 shares in thousandths adding to exactly 1, few score values
    (heavy ties), groups, overrides, optionally adults only and missing scores."""
    n = draw(st.one_of(st.integers(1, 60), st.integers(1, max_n)))
    k = draw(st.integers(2, 5))
    cuts = draw(st.lists(st.integers(1, 999), min_size=k - 1, max_size=k - 1, unique=True))
    bounds = [0, *sorted(cuts), 1000]
    shares = tuple((b - a) / 1000 for a, b in itertools.pairwise(bounds))
    rules = draw(st.lists(st.tuples(st.integers(0, k - 1), st.sampled_from([0.005, 0.02, 0.1, 0.4])), max_size=2))
    return {
        "n": n,
        "shares": shares,
        "values": draw(st.integers(1, 6)),
        "groups": draw(st.integers(0, 3)),
        "rules": rules,
        "adults": draw(st.booleans()),
        "missing": draw(st.sampled_from([0.0, 0.0, 0.05])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def _case_frame(case: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The patients of a case and the keyword arguments of ``assign_tiers`` (the reference's too)."""
    rng = np.random.default_rng(case["seed"])
    n, k = case["n"], len(case["shares"])
    levels = np.round(rng.random(case["values"]), 3)
    data = pd.DataFrame({"patient_id": rng.permutation(n) * 7 + 3, "risk": rng.choice(levels, n)})
    if case["missing"]:
        risk = data["risk"].astype("Float64")
        risk[rng.random(n) < case["missing"]] = pd.NA
        data["risk"] = risk
    labels = tuple(f"t{i}" for i in range(k))
    kwargs: dict[str, Any] = {"shares": case["shares"], "labels": labels}
    if case["groups"]:
        data["grp"] = rng.choice(["a", "b", "c"][: case["groups"]], n)
        kwargs["within"] = ["grp"]
    overrides = {}
    for i, (j, p) in enumerate(case["rules"]):
        flag = rng.random(n) < p
        data[f"o{i}"] = flag if i == 0 else flag.astype("int64")  # boolean, and 0/1
        overrides[f"o{i}"] = labels[j]
    if overrides:
        kwargs["overrides"] = overrides
    if case["adults"]:
        data["age"] = rng.integers(10, 30, n).astype(float)
        data.loc[rng.random(n) < 0.05, "age"] = np.nan
        kwargs["adult_age"] = 18
    if case["missing"]:
        kwargs["missing_tier"] = True
    return data, kwargs


def _call(data: Any, kwargs: dict[str, Any]) -> Any:
    options = dict(kwargs)
    if options.pop("missing_tier", False):
        options["missing"] = "tier"
    if options.pop("adult_age", None) is not None:
        options["population"] = "adults"
    return assign_tiers(data, "risk", **options)


@SETTINGS
@given(case=tier_cases())
def test_tiers_match_the_reference_sort_and_cut(case: dict[str, Any]) -> None:
    data, kwargs = _case_frame(case)
    out = _call(data, kwargs)
    expected = reference_tiers(data, "risk", **kwargs)
    assert labels_of(out) == labels_of(expected)
    assert out["tier_override"].tolist() == expected["tier_override"].tolist()
    assert out["tier_tied"].tolist() == expected["tier_tied"].tolist()
    # the sizes on their own: without overrides every group's tiers have exactly the nominal sizes
    if not case["rules"]:
        keys = kwargs.get("within", [])
        for _, group in out.groupby(keys) if keys else [(None, out)]:
            ranked = group["tier"].notna() & (group["tier"] != "missing")
            counts = group.loc[ranked, "tier"].value_counts()
            got = [int(counts.get(label, 0)) for label in kwargs["labels"]]
            assert got == nominal_sizes(int(ranked.sum()), case["shares"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tier_cases(max_n=400), kind=st.sampled_from(["pandas", "polars"]), order_seed=st.integers(0, 1000))
def test_tiers_do_not_depend_on_row_order(case: dict[str, Any], kind: str, order_seed: int) -> None:
    data, kwargs = _case_frame(case)
    shuffled = data.sample(frac=1, random_state=order_seed).reset_index(drop=True)
    if kind == "polars":
        first, second = (to_pandas(_call(pl.from_pandas(d), kwargs)) for d in (data, shuffled))
    else:
        first, second = _call(data, kwargs), _call(shuffled, kwargs)
    columns = ["patient_id", "tier", "tier_override", "tier_tied"]
    first = first[columns].sort_values("patient_id").reset_index(drop=True)
    second = second[columns].sort_values("patient_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second)


# --------------------------------------------------------------------------------- ties, by hand


TIES = pd.DataFrame(
    {
        "patient_id": [7, 3, 5, 1, 10, 2, 4, 6, 8, 9],
        "risk": [0.9, 0.9, 0.5, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1],
        "nhs": ["b", "z", "c", "d", "e", "f", "g", "h", "i", "a"],
    }
)
# shares 0.1 / 0.2 / 0.7 of 10: 1 / 2 / 7. 0.9 is shared by 3 and 7: 3 (lower id) is complex, 7 high need;
# 0.5 is shared by 1 and 5 for the last high-need place: 1 has it, 5 is healthy.
TIES_TIERS = ["high_need", "complex", "healthy", "high_need"] + ["healthy"] * 6
TIES_TIED = [True, True, True, True, False, False, False, False, False, False]


def test_ties_are_broken_by_tie_break_ascending() -> None:
    out = assign_tiers(TIES, "risk", shares=(0.1, 0.2, 0.7))
    assert labels_of(out) == TIES_TIERS
    # tied: a score shared with a patient of another tier (2 and 4, 8 and 9 share a score within a tier)
    assert out["tier_tied"].tolist() == TIES_TIED


def test_ties_are_broken_by_another_tie_break_column() -> None:
    # by nhs: 7 ("b") before 3 ("z"), 5 ("c") before 1 ("d")
    out = assign_tiers(TIES, "risk", shares=(0.1, 0.2, 0.7), tie_break="nhs")
    assert labels_of(out) == ["complex", "high_need", "high_need", "healthy"] + ["healthy"] * 6
    assert out["tier_tied"].tolist() == TIES_TIED


def test_all_equal_scores_give_the_lowest_ids_the_top_tiers() -> None:
    data = pd.DataFrame({"patient_id": [9, 4, 1, 7, 2, 10, 3, 8, 6, 5], "risk": [1] * 10})
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7))
    tiers = dict(zip(out["patient_id"], out["tier"], strict=True))
    assert [tiers[i] for i in range(1, 11)] == ["complex", "high_need", "high_need"] + ["healthy"] * 7
    assert out["tier_tied"].all()


def test_ties_on_every_backend(backend: Backend) -> None:
    expected = TIES.assign(tier=TIES_TIERS, tier_override=False, tier_tied=TIES_TIED)
    out = assign_tiers(backend(TIES), "risk", shares=(0.1, 0.2, 0.7))
    backend.assert_matches(out, expected, by="patient_id")


def _mixed_case() -> tuple[pd.DataFrame, dict[str, Any]]:
    """240 patients in 3 practices, 5 score values, two overrides, adults only with some ages missing."""
    rng = np.random.default_rng(20240601)
    n = 240
    data = pd.DataFrame(
        {
            "patient_id": rng.permutation(n) + 1,
            "practice": rng.choice(["E1", "E2", "E3"], n),
            "risk": rng.choice([0.05, 0.1, 0.2, 0.4, 0.8], n),
            "care_home": rng.random(n) < 0.03,
            "frail": (rng.random(n) < 0.1).astype("int64"),
            "age": rng.integers(5, 90, n).astype(float),
        }
    )
    data.loc[rng.random(n) < 0.05, "age"] = np.nan
    kwargs = {
        "within": ["practice"],
        "shares": (0.05, 0.15, 0.8),
        "labels": LABELS,
        "overrides": {"care_home": "complex", "frail": "high_need"},
        "adult_age": 18,
    }
    return data, kwargs


def test_overrides_groups_and_adults_on_every_backend(backend: Backend) -> None:
    data, kwargs = _mixed_case()
    expected = with_reference(data, "risk", **kwargs)
    assert expected["tier_override"].any()
    assert expected["tier_tied"].any()
    assert expected["tier"].isna().any()
    out = assign_tiers(
        backend(data),
        "risk",
        within="practice",
        shares=(0.05, 0.15, 0.8),
        overrides={"care_home": "complex", "frail": "high_need"},
        population="adults",
    )
    backend.assert_matches(out, expected, by="patient_id")


def test_missing_tier_on_every_backend(backend: Backend) -> None:
    data = pd.DataFrame(
        {
            "patient_id": [4, 2, 6, 1, 3, 5, 8, 7],
            "risk": pd.array([0.3, None, 0.9, 0.5, None, 0.5, 0.1, 0.2], dtype="Float64"),
        }
    )
    # 6 scored: shares 0.2 / 0.3 / 0.5 -> cuts round(1.2) = 1, round(3.0) = 3: 1 / 2 / 3
    expected = data.assign(
        tier=["healthy", "missing", "complex", "high_need", "missing", "high_need", "healthy", "healthy"],
        tier_override=False,
        tier_tied=False,
    )
    out = assign_tiers(backend(data), "risk", shares=(0.2, 0.3, 0.5), missing="tier")
    backend.assert_matches(out, expected, by="patient_id")


# --------------------------------------------------------------------------------------------- within


def test_each_group_is_cut_separately() -> None:
    # group a: 10 patients (0.1/0.2/0.7 -> 1/2/7); group b: 5 patients (0.5 -> 1, 1.5 -> 2: 1/1/3)
    data = pd.DataFrame(
        {
            "patient_id": range(1, 16),
            "g": ["a"] * 10 + ["b"] * 5,
            "risk": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.01, 0.02, 0.03, 0.04, 0.05],
        }
    )
    out = assign_tiers(data, "risk", within="g", shares=(0.1, 0.2, 0.7))
    assert labels_of(out) == (
        ["healthy"] * 7 + ["high_need", "high_need", "complex"] + ["healthy"] * 3 + ["high_need", "complex"]
    )
    # without groups the low scores of b are all healthy: 15 -> 1.5 -> 2, 4.5 -> 5
    whole = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7))
    assert labels_of(whole) == ["healthy"] * 5 + ["high_need"] * 3 + ["complex"] * 2 + ["healthy"] * 5


def test_within_several_columns() -> None:
    data = pd.DataFrame(
        {
            "patient_id": range(1, 9),
            "icb": ["x"] * 4 + ["y"] * 4,
            "place": ["p", "p", "q", "q"] * 2,
            "risk": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        }
    )
    out = assign_tiers(data, "risk", within=["icb", "place"], shares=(0.5, 0.5), labels=("top", "rest"))
    assert labels_of(out) == ["rest", "top"] * 4


def test_small_groups_leave_tiers_empty() -> None:
    # a group of 2 with three tiers: 0.04 -> 0, 0.4 -> 0: both healthy; a group of 3: 0.6 -> 1 high need
    data = pd.DataFrame(
        {"patient_id": range(1, 6), "g": ["two", "two", "three", "three", "three"], "risk": [0.9, 0.8, 0.3, 0.2, 0.1]}
    )
    out = assign_tiers(data, "risk", within="g")
    assert labels_of(out) == ["healthy", "healthy", "high_need", "healthy", "healthy"]


# ------------------------------------------------------------------------------------------- overrides


def _twenty(**flags: list[int]) -> pd.DataFrame:
    """Patients 1..20, patient 1 with the highest score; ``flags`` name the patients whose column is true."""
    data = pd.DataFrame({"patient_id": range(1, 21), "risk": [float(20 - i) for i in range(20)]})
    for column, ids in flags.items():
        data[column] = data["patient_id"].isin(ids)
    return data


def _tiers_by_id(out: pd.DataFrame) -> dict[str, list[int]]:
    return {label: sorted(out.loc[out["tier"] == label, "patient_id"].tolist()) for label in out["tier"].unique()}


def test_care_home_override_takes_a_place_of_the_complex_tier() -> None:
    # 20 patients, 0.1 / 0.2 / 0.7: 2 / 4 / 14. Patient 15 (a care home) takes one complex place,
    # patient 1 (top score) the other; patient 2 moves down to high need, and 6 to healthy.
    out = assign_tiers(_twenty(care_home=[15]), "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"})
    tiers = _tiers_by_id(out)
    assert tiers["complex"] == [1, 15]
    assert tiers["high_need"] == [2, 3, 4, 5]
    assert tiers["healthy"] == [*range(6, 15), *range(16, 21)]
    assert out.loc[out["tier_override"], "patient_id"].tolist() == [15]


def test_override_of_a_patient_already_in_the_tier_changes_nothing_but_the_flag() -> None:
    out = assign_tiers(_twenty(care_home=[1]), "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"})
    plain = assign_tiers(_twenty(care_home=[1]), "risk", shares=(0.1, 0.2, 0.7))
    assert labels_of(out) == labels_of(plain)
    assert _tiers_by_id(out)["complex"] == [1, 2]
    assert out["tier_override"].tolist() == [True] + [False] * 19


def test_overflowing_overrides_grow_the_tier_and_shrink_the_last() -> None:
    # 10 patients, 1 / 2 / 7; three care-home residents with the lowest scores all go to complex
    data = pd.DataFrame(
        {"patient_id": range(1, 11), "risk": [float(10 - i) for i in range(10)], "care_home": [False] * 7 + [True] * 3}
    )
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"})
    tiers = _tiers_by_id(out)
    assert tiers == {"complex": [8, 9, 10], "high_need": [1, 2], "healthy": [3, 4, 5, 6, 7]}
    shares = bh.segmentation.tier_shares(out, shares=(0.1, 0.2, 0.7))
    assert shares["n"].tolist() == [3, 2, 5]
    assert shares["nominal_n"].tolist() == [1, 2, 7]
    assert shares["difference"].tolist() == [2, 0, -2]
    assert shares["overridden"].tolist() == [3, 0, 0]


def test_overflow_of_a_middle_tier_leaves_the_top_tier_by_score() -> None:
    # 1 / 2 / 7 with four patients placed in high need: complex still the top score, healthy shrinks
    data = _twenty().head(10).assign(frail=lambda d: d["patient_id"].isin([3, 7, 8, 9]))
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides={"frail": "high_need"})
    assert _tiers_by_id(out) == {"complex": [1], "high_need": [3, 7, 8, 9], "healthy": [2, 4, 5, 6, 10]}


def test_with_several_overrides_the_highest_tier_wins() -> None:
    # 20 patients, 2 / 4 / 14. 18 is both a care home and frail (complex wins); 19 frail only (high need)
    data = _twenty(care_home=[18], frail=[18, 19])
    for overrides in ({"care_home": "complex", "frail": "high_need"}, {"frail": "high_need", "care_home": "complex"}):
        out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides=overrides)
        assert _tiers_by_id(out) == {
            "complex": [1, 18],
            "high_need": [2, 3, 4, 19],
            "healthy": [*range(5, 18), 20],
        }
        assert sorted(out.loc[out["tier_override"], "patient_id"]) == [18, 19]


def test_override_columns_may_be_zero_one() -> None:
    data = _twenty(care_home=[15]).assign(care_home=lambda d: d["care_home"].astype("int64"))
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"})
    assert _tiers_by_id(out)["complex"] == [1, 15]


def test_override_of_a_patient_without_a_score_keeps_the_missing_tier() -> None:
    """``missing="tier"`` puts every patient without a score in the "missing" tier, out of ``N``;
    overrides take places of the fixed sizes of the ``N`` ranked patients, so an unscored patient is
    not placed by an override (and not flagged as one)."""
    data = _twenty(care_home=[5]).head(10)
    data["risk"] = data["risk"].astype("Float64")
    data.loc[data["patient_id"] == 5, "risk"] = pd.NA
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"}, missing="tier")
    # 9 scored: cuts round(0.9) = 1, round(2.7) = 3: 1 / 2 / 6, all by score
    assert _tiers_by_id(out) == {
        "complex": [1],
        "high_need": [2, 3],
        "healthy": [4, 6, 7, 8, 9, 10],
        "missing": [5],
    }
    assert not out["tier_override"].any()


def test_override_counts_only_scored_patients() -> None:
    data = _twenty(care_home=[5, 8]).head(10)
    data["risk"] = data["risk"].astype("Float64")
    data.loc[data["patient_id"] == 5, "risk"] = pd.NA
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"}, missing="tier")
    # N = 9: 1 / 2 / 6; care home 8 takes the complex place, 1 and 2 are high need
    assert _tiers_by_id(out) == {
        "high_need": [1, 2],
        "healthy": [3, 4, 6, 7, 9, 10],
        "missing": [5],
        "complex": [8],
    }
    assert out.loc[out["tier_override"], "patient_id"].tolist() == [8]


def test_override_to_an_unknown_tier_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'very_high'") as caught:
        assign_tiers(_twenty(care_home=[1]), "risk", overrides={"care_home": "very_high"})
    assert not isinstance(caught.value, (SchemaError, DomainError))


def test_override_column_must_be_boolean() -> None:
    data = _twenty().assign(care_home=["yes"] * 20)
    with pytest.raises(SchemaError, match="care_home"):
        assign_tiers(data, "risk", overrides={"care_home": "complex"})
    with pytest.raises(SchemaError, match="nursing"):
        assign_tiers(_twenty(), "risk", overrides={"nursing": "complex"})


# ----------------------------------------------------------------------------------------- population


def test_adults_only_ranks_from_adult_age() -> None:
    # ages 17 (no tier) and 18 (ranked); the children have the highest scores but are out of N
    data = pd.DataFrame(
        {
            "patient_id": range(1, 13),
            "age": [17, 17, 18, 40, 50, 60, 70, 80, 18, 30, 45, 55],
            "risk": [0.99, 0.98, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05],
            "care_home": [True] + [False] * 11,
        }
    )
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), population="adults", overrides={"care_home": "complex"})
    # 10 adults: 1 / 2 / 7
    assert labels_of(out)[:2] == [None, None]
    assert _tiers_by_id(out.iloc[2:]) == {"complex": [3], "high_need": [4, 5], "healthy": [6, 7, 8, 9, 10, 11, 12]}
    assert out["tier_override"].tolist() == [False] * 12
    everyone = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), population="all")
    # 12 patients: 1.2 -> 1, 3.6 -> 4
    assert _tiers_by_id(everyone) == {"complex": [1], "high_need": [2, 3, 4], "healthy": list(range(5, 13))}


def test_adult_age_argument() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 3, 4], "age": [15, 16, 30, 40], "risk": [0.9, 0.8, 0.2, 0.1]})
    # adult_age 16: ages 16, 30 and 40 ranked (15 not); 3 x 0.5 = 1.5 -> 2 on top
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("top", "rest"), population="adults", adult_age=16)
    assert labels_of(out) == [None, "top", "top", "rest"]
    out = assign_tiers(data, "risk", shares=(0.4, 0.6), labels=("top", "rest"), population="adults", adult_age=16)
    assert labels_of(out) == [None, "top", "rest", "rest"]  # 1.2 -> 1
    # adult_age 17: age 16 is out too; 2 x 0.5 = 1
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("top", "rest"), population="adults", adult_age=17)
    assert labels_of(out) == [None, None, "top", "rest"]
    # population "all" ignores the age column altogether (it need not exist)
    out = assign_tiers(data.drop(columns="age"), "risk", shares=(0.5, 0.5), labels=("top", "rest"), adult_age=99)
    assert labels_of(out) == ["top", "top", "rest", "rest"]


def test_adults_need_the_age_column() -> None:
    data = pd.DataFrame({"patient_id": [1, 2], "risk": [0.9, 0.8]})
    with pytest.raises(SchemaError, match="age"):
        assign_tiers(data, "risk", population="adults")
    data["age"] = ["40", "50"]
    with pytest.raises(SchemaError, match="age"):
        assign_tiers(data, "risk", population="adults")


def test_patients_of_unknown_age_get_no_tier() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 3, 4], "age": [np.nan, 30.0, 40.0, 50.0], "risk": [0.9, 0.8, 0.3, 0.2]})
    out = assign_tiers(data, "risk", shares=(0.4, 0.6), labels=("top", "rest"), population="adults")
    # 3 ranked: 1.2 -> 1
    assert labels_of(out) == [None, "top", "rest", "rest"]
    lazy = to_pandas(
        assign_tiers(
            pl.from_pandas(data).lazy(), "risk", shares=(0.4, 0.6), labels=("top", "rest"), population="adults"
        )
    )
    assert labels_of(lazy) == [None, "top", "rest", "rest"]


def test_child_sharing_an_adult_score_is_not_tied() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 3], "age": [10, 30, 40], "risk": [0.5, 0.5, 0.1]})
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("top", "rest"), population="adults")
    assert labels_of(out) == [None, "top", "rest"]
    assert out["tier_tied"].tolist() == [False, False, False]


# ------------------------------------------------------------------------------------- missing scores


def test_missing_scores_raise_naming_the_column_and_rows() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 3, 4], "risk": [0.1, np.nan, np.nan, 0.4]})
    with pytest.raises(DomainError, match=r"'risk'.* 2 rows"):
        assign_tiers(data, "risk")
    data = pd.DataFrame({"patient_id": [1, 2], "risk": pd.array([0.1, None], dtype="Float64")})
    with pytest.raises(DomainError, match=r"'risk'.* 1 row\b"):
        assign_tiers(data, "risk")
    with pytest.raises(DomainError, match="'risk'"):
        assign_tiers(pl.DataFrame({"patient_id": [1, 2], "risk": [0.1, None]}), "risk")


def test_missing_tier_is_not_counted_in_n() -> None:
    risk = pd.array([0.9, None, 0.8, 0.7, 0.6, None, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], dtype="Float64")
    data = pd.DataFrame({"patient_id": range(1, 13), "risk": risk})
    out = assign_tiers(data, "risk", shares=(0.1, 0.2, 0.7), missing="tier")
    # 10 scored: 1 / 2 / 7 (with 12 it would be 1.2 -> 1 and 3.6 -> 4)
    assert _tiers_by_id(out) == {
        "complex": [1],
        "missing": [2, 6],
        "high_need": [3, 4],
        "healthy": [5, 7, 8, 9, 10, 11, 12],
    }
    assert not out["tier_override"].any()
    assert not out["tier_tied"].any()


def test_missing_tier_with_adults_leaves_children_without_a_tier() -> None:
    data = pd.DataFrame(
        {"patient_id": [1, 2, 3, 4], "age": [10, 30, 40, 50], "risk": pd.array([None, None, 0.5, 0.4], dtype="Float64")}
    )
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("top", "rest"), population="adults", missing="tier")
    assert labels_of(out) == [None, "missing", "top", "rest"]


def test_pandas_nan_scores_are_missing_scores() -> None:
    """In a pandas float column NaN is the missing value: ``missing="tier"`` places it in the missing tier,
    as it does for the same table converted to Polars or Arrow (where it becomes null)."""
    data = pd.DataFrame({"patient_id": [1, 2, 3], "risk": [0.9, np.nan, 0.1]})
    options: dict[str, Any] = {"shares": (0.5, 0.5), "labels": ("top", "rest"), "missing": "tier"}
    expected = ["top", "missing", "rest"]  # 2 scored: 1 / 1
    assert labels_of(assign_tiers(pl.from_pandas(data), "risk", **options)) == expected
    assert labels_of(assign_tiers(data, "risk", **options)) == expected


def test_polars_nan_scores_are_missing_scores() -> None:
    data = pl.DataFrame({"patient_id": [1, 2, 3], "risk": [0.9, float("nan"), 0.1]})
    with pytest.raises(DomainError, match=r"'risk'.*NaN"):
        assign_tiers(data, "risk")
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("high", "low"), missing="tier")
    assert out["tier"].to_list() == ["high", "missing", "low"]


def test_missing_as_a_label_only_clashes_with_the_missing_tier() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 3, 4], "risk": [0.4, 0.3, 0.2, 0.1]})
    labels = ("missing", "rest")
    out = assign_tiers(data, "risk", shares=(0.5, 0.5), labels=labels)
    assert labels_of(out) == ["missing", "missing", "rest", "rest"]
    with pytest.raises(InputError, match="missing"):
        assign_tiers(data, "risk", shares=(0.5, 0.5), labels=labels, missing="tier")


# ------------------------------------------------------------------------------------------- bad input


def test_tie_break_values_must_differ() -> None:
    data = pd.DataFrame({"patient_id": [1, 2, 2, 3], "risk": [0.4, 0.3, 0.2, 0.1]})
    with pytest.raises(DomainError, match=r"tie_break.*'patient_id'.*4 rows.*3 distinct"):
        assign_tiers(data, "risk")
    data["patient_id"] = [1, 2, 3, 4]
    assert len(assign_tiers(data, "risk")) == 4


def test_tie_break_values_must_be_present() -> None:
    data = pd.DataFrame({"patient_id": [1.0, np.nan, 3.0], "risk": [0.4, 0.3, 0.2]})
    with pytest.raises(DomainError, match=r"tie_break.*'patient_id'.*missing"):
        assign_tiers(data, "risk")
    data = pd.DataFrame({"nhs": ["a", None, "c"], "risk": [0.4, 0.3, 0.2]})
    with pytest.raises(DomainError, match="'nhs'"):
        assign_tiers(data, "risk", tie_break="nhs")
    with pytest.raises(SchemaError, match="patient_id"):
        assign_tiers(data, "risk")


def test_score_must_be_numeric() -> None:
    data = pd.DataFrame({"patient_id": [1, 2], "risk": ["high", "low"]})
    with pytest.raises(SchemaError, match="'risk'"):
        assign_tiers(data, "risk")
    with pytest.raises(SchemaError, match="'score'"):
        assign_tiers(data, "score")
    # whole-number scores are numeric
    data["risk"] = [3, 1]
    assert labels_of(assign_tiers(data, "risk", shares=(0.5, 0.5), labels=("a", "b"))) == ["a", "b"]


def test_added_columns_must_not_overwrite_input_columns() -> None:
    data = pd.DataFrame({"patient_id": [1, 2], "risk": [0.2, 0.1], "tier": ["x", "y"]})
    with pytest.raises(SchemaError, match="'tier'"):
        assign_tiers(data, "risk")
    out = assign_tiers(data, "risk", name="segment")
    assert list(out.columns) == ["patient_id", "risk", "tier", "segment", "segment_override", "segment_tied"]
    assert labels_of(out) == ["x", "y"]
    with pytest.raises(SchemaError, match="tier_tied"):
        assign_tiers(data.drop(columns="tier").assign(tier_tied=False), "risk")
    with pytest.raises(SchemaError, match="segment_override"):
        assign_tiers(data.assign(segment_override=False), "risk", name="segment")


def test_unknown_options_are_input_errors() -> None:
    data = pd.DataFrame({"patient_id": [1, 2], "risk": [0.2, 0.1], "age": [30, 40]})
    with pytest.raises(InputError, match="population"):
        assign_tiers(data, "risk", population="adult")
    with pytest.raises(InputError, match="missing"):
        assign_tiers(data, "risk", missing="drop")
    with pytest.raises(InputError, match="adult_age"):
        assign_tiers(data, "risk", population="adults", adult_age=-1)
    with pytest.raises(SchemaError, match="practice"):
        assign_tiers(data, "risk", within="practice")
