"""The 2% / 18% / 80% tiers: rank by a risk score within groups and cut by population share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from blmk_health._frames import (
    TMP,
    Frame,
    as_list,
    back_to_caller,
    ingest,
    text_column,
    window_frame,
    windows_back,
    with_computed_columns,
    with_ordered_rank,
)
from blmk_health._inputs import check_whole_number
from blmk_health._validation import (
    Check,
    check_choice,
    check_values,
    reject_clashes,
    require_columns,
    require_numeric,
)
from blmk_health.errors import DomainError, InputError, SchemaError

__all__ = ["TierPlan", "assign_tiers", "tier_plan"]

#: Largest denominator of a share (shares are exact to six decimal places).
_DENOMINATOR = 10**6


@dataclass(frozen=True)
class TierPlan:
    """The checked tiering choices: labels, shares and each cumulative share as an exact fraction."""

    labels: tuple[str, ...]
    shares: tuple[float, ...]
    cumulative: tuple[Fraction, ...]

    def cut(self, n: Any, k: int) -> Any:
        """The number of patients in tiers 0..k of a group of ``n``: ``round(n x cumulative share)``,
        halves rounded up, in whole-number arithmetic (``n`` a number or a narwhals expression)."""
        share = self.cumulative[k]
        if share == 1:
            return n
        p, q = share.numerator, share.denominator
        return (n * (2 * p) + q) // (2 * q)


def tier_plan(shares: Any, labels: Any) -> TierPlan:
    """Check ``shares`` (positive, adding to 1) and ``labels`` (distinct text, one per share)."""
    if isinstance(shares, (str, bytes)) or not isinstance(shares, Sequence) or len(shares) < 2:
        msg = f"shares: expected two or more population shares such as (0.02, 0.18, 0.80), got {shares!r}"
        raise InputError(msg)
    values: list[float] = []
    for share in shares:
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            msg = f"shares: each share must be a number above 0 and at most 1, got {share!r} in {tuple(shares)!r}"
            raise DomainError(msg)
        values.append(float(share))
    if abs(sum(values) - 1.0) > 1e-9:
        msg = f"shares: must add to 1, but {tuple(shares)!r} add to {sum(values):.6g}"
        raise DomainError(msg)
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or len(labels) != len(values):
        msg = f"labels: expected {len(values)} labels, one per share, got {labels!r}"
        raise InputError(msg)
    if any(not isinstance(label, str) or not label for label in labels) or len(set(labels)) != len(labels):
        msg = f"labels: must be distinct, non-empty text, got {labels!r}"
        raise InputError(msg)
    exact = [Fraction(repr(v)).limit_denominator(_DENOMINATOR) for v in values]
    cumulative = [sum(exact[: k + 1], Fraction(0)) for k in range(len(exact))]
    cumulative[-1] = Fraction(1)
    return TierPlan(tuple(labels), tuple(values), tuple(cumulative))


def assign_tiers(
    data: Any,
    score: str,
    within: str | Sequence[str] | None = None,
    shares: Sequence[float] = (0.02, 0.18, 0.80),
    labels: Sequence[str] = ("complex", "high_need", "healthy"),
    overrides: Mapping[str, str] | None = None,
    tie_break: str = "patient_id",
    population: str = "all",
    *,
    age: str = "age",
    adult_age: int = 18,
    missing: str = "raise",
    name: str = "tier",
) -> Any:
    """Place each patient in a tier by ranking a risk score within groups and cutting by population share.

    The "2% / 18% / 80%" segmentation of the BLMK plans: within each ``within`` group (the whole table,
    or each ICB, place, cluster or practice), patients are ranked from the highest score down and the
    first tier takes the top ``shares[0]``, the next the following ``shares[1]``, and so on.

    **Tier sizes are fixed.** In a group of ``N`` ranked patients, tiers ``0..k`` together hold
    ``round(N x (shares[0] + ... + shares[k]))`` patients (halves rounded up, in exact arithmetic), so
    tier ``k`` holds that number minus the patients of the tiers above it, and every patient is in
    exactly one tier. With the default shares and ``N = 1,000``: 20, 180 and 800; ``N = 30``: 1, 5 and 24.

    **Ties** at a cut are broken by ``tie_break`` (ascending; a patient id): the same data always give
    the same tiers, whatever the row order or backend. ``<name>_tied`` marks patients placed by score
    whose score is shared by a patient placed by score in another tier of their group, and
    :func:`tier_shares` reports the realised shares.

    **Overrides** are applied first: ``{"care_home": "complex"}`` places every patient whose
    ``care_home`` is true in the complex tier (with several, the highest tier wins). They take places
    of the tier's fixed size, and the remaining places are filled by score; when more patients are
    placed in a tier than it holds, it overflows and the lowest tier shrinks. :func:`tier_shares`
    reports the effect.

    Parameters
    ----------
    data : DataFrame
        One row per patient (pandas, Polars, PyArrow, DuckDB, PySpark, ...). The work is window
        functions with explicit ordering, lazily on lazy frames; nothing is collected but one check
        query.
    score : str
        The risk score column (higher is higher risk), e.g. a :class:`RiskModel` prediction or a
        licensed tool's score.
    within : str or list of str, optional
        Columns of the groups to rank within (e.g. ``"practice_code"``, as the unplanned-admissions
        enhanced service did); ``None`` ranks the whole table together.
    shares : sequence of float, default (0.02, 0.18, 0.80)
        Population share of each tier, top tier first; each above 0, adding to 1.
    labels : sequence of str, default ("complex", "high_need", "healthy")
        The tiers' names, top tier first.
    overrides : dict, optional
        ``{column: label}``: patients whose boolean (or 0/1) ``column`` is true go to tier ``label``.
    tie_break : str, default "patient_id"
        A column with a different value for every patient, ordering patients with equal scores.
    population : {"all", "adults"}, default "all"
        Rank every patient, or only those aged ``adult_age`` and over (the enhanced service's 2% of the
        adult list); younger patients get no tier (missing).
    age : str, default "age"
        The age column, used with ``population="adults"``.
    adult_age : int, default 18
        The youngest age ranked with ``population="adults"``.
    missing : {"raise", "tier"}, default "raise"
        Missing scores (null or NaN) raise; with ``"tier"`` those patients go to a tier named
        ``"missing"`` and are not counted in ``N`` (also when an override names them: a tier needs a
        score).
    name : str, default "tier"
        Name of the tier column; ``<name>_override`` (placed by an override) and ``<name>_tied`` are added
        with it.

    Returns
    -------
    DataFrame
        ``data`` (same kind, same rows) with the tier (text), ``<name>_override`` and ``<name>_tied``
        (booleans).

    Raises
    ------
    SchemaError
        A column is missing, the score is not numeric, or an added column would overwrite one.
    DomainError
        Shares that are not above 0 or do not add to 1; missing scores (with ``missing="raise"``);
        missing or repeated ``tie_break`` values.
    InputError
        Labels that do not match the shares, an override to an unknown tier, unknown options.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> people = pd.DataFrame(
    ...     {
    ...         "patient_id": range(1, 11),
    ...         "risk": [0.9, 0.1, 0.5, 0.5, 0.05, 0.3, 0.2, 0.15, 0.12, 0.11],
    ...         "care_home": [False, True] + [False] * 8,
    ...     }
    ... )
    >>> out = bh.segmentation.assign_tiers(people, "risk", shares=(0.1, 0.2, 0.7))
    >>> out["tier"].tolist()
    ['complex', 'healthy', 'high_need', 'high_need', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy']
    >>> out = bh.segmentation.assign_tiers(
    ...     people, "risk", shares=(0.1, 0.2, 0.7), overrides={"care_home": "complex"}
    ... )
    >>> out.loc[out["tier"] != "healthy", ["patient_id", "tier", "tier_override"]]
       patient_id       tier  tier_override
    0           1  high_need          False
    1           2    complex           True
    2           3  high_need          False
    """
    plan = tier_plan(shares, labels)
    check_choice(population, "population", ("all", "adults"))
    check_choice(missing, "missing", ("raise", "tier"))
    frame = ingest(data, "data")
    groups = as_list(within, "within")
    rules = dict(overrides or {})
    _check_inputs(frame, score, groups, rules, plan, tie_break, population, age, missing, name)
    adult = check_whole_number(adult_age, "adult_age", 0, 130) if population == "adults" else None
    spec = _Spec(score, groups, rules, plan, tie_break, age, adult, missing == "tier", name)
    needed = list(dict.fromkeys([score, *groups, *rules, tie_break, *([age] if adult is not None else [])]))
    out = with_computed_columns(frame, needed, lambda table: _tiers_numpy(table, spec), lambda: _ranked(frame, spec))
    return back_to_caller(out, frame)


@dataclass(frozen=True)
class _Spec:
    """The checked arguments of :func:`assign_tiers`."""

    score: str
    groups: list[str]
    rules: dict[str, str]
    plan: TierPlan
    tie_break: str
    age: str
    adult: int | None
    missing_tier: bool
    name: str


def _tiers_numpy(table: pd.DataFrame, spec: _Spec) -> dict[str, Any]:
    """The same tiers as :func:`_ranked`, by one numpy sort (eager pandas and PyArrow input)."""
    plan, k, n = spec.plan, len(spec.plan.labels), len(table)
    score = pd.to_numeric(table[spec.score]).to_numpy(dtype=float, na_value=np.nan)
    adult = np.ones(n, dtype=bool)
    if spec.adult is not None:
        ages = pd.to_numeric(table[spec.age]).to_numpy(dtype=float, na_value=np.nan)
        adult = ~np.isnan(ages) & (ages >= spec.adult)
    ok = adult & ~np.isnan(score)
    override = np.full(n, k, dtype=np.int64)
    for column, label in spec.rules.items():
        flag = table[column].astype(object).where(table[column].notna(), False).astype(bool).to_numpy()
        override = np.where(flag, np.minimum(override, plan.labels.index(label)), override)
    group = np.zeros(n, dtype=np.int64)
    for column in spec.groups:
        codes, uniques = pd.factorize(table[column], use_na_sentinel=False)
        group = group * len(uniques) + codes
    n_groups = int(group.max()) + 1 if n else 0
    placed = ok & (override < k)
    by_score = ok & ~placed
    reach = _reach(
        plan, np.bincount(group, weights=ok, minlength=n_groups).astype(np.int64), group, placed, override, n_groups
    )
    tier = np.where(placed, override, -1)
    order = _score_order(np.flatnonzero(by_score), table[spec.tie_break], score, group, n_groups)
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(order) else np.zeros(0, dtype=np.int64)
    rank = np.arange(1, len(order) + 1) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    sorted_tier = np.minimum((rank[:, None] > reach[g]).sum(axis=1), k - 1) if len(order) else rank
    tier[order] = sorted_tier
    tied = np.zeros(n, dtype=bool)
    if len(order):
        s = score[order]
        runs = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (s[1:] != s[:-1])])
        lengths = np.diff(np.r_[runs, len(order)])
        spread = np.maximum.reduceat(sorted_tier, runs) != np.minimum.reduceat(sorted_tier, runs)
        tied[order] = np.repeat(spread, lengths)
    if spec.missing_tier:
        tier = np.where(adult & np.isnan(score), k, tier)
    return {
        spec.name: text_column([*plan.labels, "missing", None], np.where(tier < 0, k + 1, tier)),
        f"{spec.name}_override": placed,
        f"{spec.name}_tied": tied,
    }


def _score_order(
    rows: npt.NDArray[np.int64],
    ties: pd.Series,
    score: npt.NDArray[np.float64],
    group: npt.NDArray[np.int64],
    n_groups: int,
) -> npt.NDArray[np.int64]:
    """``rows`` sorted by group, then score (highest first), then tie-break (ascending): three stable sorts,
    the last on small whole numbers (numpy's radix sort)."""
    tie = (
        ties.to_numpy()[rows]
        if pd.api.types.is_numeric_dtype(ties) and not isinstance(ties.dtype, pd.CategoricalDtype)
        else None
    )
    if tie is None:
        tie = pd.factorize(ties.iloc[rows], sort=True)[0]
    if len(tie) > 1 and not bool(np.all(tie[1:] > tie[:-1])):
        rows = rows[np.argsort(tie, kind="stable")]
    rows = rows[np.argsort(-score[rows], kind="stable")]
    small = group[rows].astype(np.int16) if n_groups < 2**15 else group[rows]
    return rows[np.argsort(small, kind="stable")]


def _reach(
    plan: TierPlan,
    counts: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    placed: npt.NDArray[np.bool_],
    override: npt.NDArray[np.int64],
    n_groups: int,
) -> npt.NDArray[np.int64]:
    """(groups, tiers - 1): the last rank of each tier among the patients placed by score."""
    k = len(plan.labels)
    reach = np.zeros((n_groups, k - 1), dtype=np.int64)
    total = np.zeros(n_groups, dtype=np.int64)
    for j in range(k - 1):
        size = plan.cut(counts, j) - (plan.cut(counts, j - 1) if j else 0)
        forced = np.bincount(group[placed & (override == j)], minlength=n_groups)
        total = total + np.maximum(size - forced, 0)
        reach[:, j] = total
    return reach


def _check_inputs(
    frame: Frame,
    score: str,
    groups: list[str],
    rules: dict[str, str],
    plan: TierPlan,
    tie_break: str,
    population: str,
    age: str,
    missing: str,
    name: str,
) -> None:
    wanted = [("score", score), *(("within", g) for g in groups), ("tie_break", tie_break)]
    wanted += [("overrides", c) for c in rules]
    if population == "adults":
        wanted.append(("age", age))
    require_columns(frame, wanted)
    require_numeric(frame, [("score", score)] + ([("age", age)] if population == "adults" else []))
    reject_clashes(frame.columns, [name, f"{name}_override", f"{name}_tied"], "data")
    for column, label in rules.items():
        if label not in plan.labels:
            msg = f"overrides: {column!r} -> {label!r}, but the tiers are {', '.join(map(repr, plan.labels))}"
            raise InputError(msg)
        dtype = frame.schema[column]
        if dtype != nw.Boolean and not dtype.is_numeric():
            msg = f"overrides: column {column!r} must be boolean (or 0/1) but is {dtype}"
            raise SchemaError(msg)
    if missing == "tier" and "missing" in plan.labels:
        msg = "labels: 'missing' is the tier of missing scores with missing='tier'; name the tiers otherwise"
        raise InputError(msg)
    checks = [Check.missing("tie_break", tie_break, "is missing", "every patient needs a tie-break value")]
    if missing == "raise":
        checks.append(Check.missing("score", score, "is missing", "give every patient a score, or pass missing='tier'"))
    if missing == "raise" and frame.schema[score].is_float():
        checks.append(
            Check(
                "score", score, nw.col(score).is_nan(), "is NaN", "give every patient a score, or pass missing='tier'"
            )
        )
    found = check_values(frame, checks, {"n": nw.len(), "distinct": nw.col(tie_break).n_unique()})
    if found["n"] != found["distinct"]:
        msg = (
            f"tie_break: column {tie_break!r} must differ between patients so that ties are broken the same way "
            f"every time, but {found['n']} rows hold {found['distinct']} distinct values"
        )
        raise DomainError(msg)


def _ranked(frame: Frame, spec: _Spec) -> Any:
    """The tiers as window expressions: counts per group, ranks among the patients placed by score."""
    score, groups, rules, plan, tie_break = spec.score, spec.groups, spec.rules, spec.plan, spec.tie_break
    age, adult, missing_tier, name = spec.age, spec.adult, spec.missing_tier, spec.name
    k = len(plan.labels)
    part = groups or [f"{TMP}all"]
    ok, ov, last = f"{TMP}ok", f"{TMP}ov", f"{TMP}last"
    eligible = ~_unscored(frame, score)
    if adult is not None:
        eligible = eligible & (nw.col(age) >= adult).fill_null(value=False)
    placed = [
        nw.when(nw.col(c).cast(nw.Boolean).fill_null(value=False)).then(nw.lit(plan.labels.index(t)))
        for c, t in rules.items()
    ]
    override = nw.min_horizontal(*(p.otherwise(nw.lit(k)) for p in placed)) if placed else nw.lit(k)
    windowed = frame.with_frame(window_frame(frame))
    rows = windowed.frame.with_columns(
        eligible.cast(nw.Int64).alias(ok),
        override.cast(nw.Int64).alias(ov),
        (-nw.col(score).cast(nw.Float64)).fill_null(0.0).alias(f"{TMP}neg"),
        *([] if groups else [nw.lit(0).alias(f"{TMP}all")]),
    )
    by_score = (nw.col(ok) == 1) & (nw.col(ov) == k)
    rows = rows.with_columns(nw.when(by_score).then(0).otherwise(1).alias(last))
    rows = rows.with_columns(
        nw.col(ok).sum().over(*part).alias(f"{TMP}n"),
        *(
            ((nw.col(ov) == j) & (nw.col(ok) == 1)).cast(nw.Int64).sum().over(*part).alias(f"{TMP}o{j}")
            for j in range(k - 1)
        ),
    )
    rows = with_ordered_rank(rows, f"{TMP}r", part, [last, f"{TMP}neg", tie_break])
    rows = rows.with_columns(_tier_index(plan, by_score).alias(f"{TMP}raw"))
    placed_tier = nw.when(nw.col(ok) == 1).then(nw.col(f"{TMP}raw"))
    if missing_tier:
        unscored = _unscored(frame, score)
        if adult is not None:
            unscored = unscored & (nw.col(age) >= adult).fill_null(value=False)
        placed_tier = placed_tier.when(unscored).then(nw.lit(k))
    rows = rows.with_columns(placed_tier.alias(f"{TMP}t"))
    # Ties at a cut: patients placed by score sharing their score with one placed by score in another tier.
    window = [*part, score, last]
    tied = nw.col(f"{TMP}t").min().over(*window) != nw.col(f"{TMP}t").max().over(*window)
    label = nw.col(f"{TMP}t").replace_strict(
        {j: plan.labels[j] for j in range(k)} | ({k: "missing"} if missing_tier else {}),
        default=None,
        return_dtype=nw.String,
    )
    rows = rows.with_columns(
        label.alias(name),
        ((nw.col(ok) == 1) & (nw.col(ov) < k)).alias(f"{name}_override"),
        (tied.fill_null(value=False) & (nw.col(last) == 0)).alias(f"{name}_tied"),
    )
    out = rows.select(*frame.columns, name, f"{name}_override", f"{name}_tied")
    return windows_back(out, frame)


def _unscored(frame: Frame, score: str) -> nw.Expr:
    """Missing scores: null, or NaN in a float column (pandas does not tell them apart)."""
    missing = nw.col(score).is_null()
    if frame.schema[score].is_float():
        missing = missing | nw.col(score).is_nan().fill_null(value=True)
    return missing


def _tier_index(plan: TierPlan, by_score: nw.Expr) -> nw.Expr:
    """Each patient's tier number: the override's, else the first tier whose places (its fixed size less
    the patients placed in it by overrides) the patient's rank among the others reaches."""
    k = len(plan.labels)
    n = nw.col(f"{TMP}n")
    rank = nw.col(f"{TMP}r")
    out = nw.when(~by_score).then(nw.col(f"{TMP}ov"))
    reach: nw.Expr | None = None
    for j in range(k - 1):
        size = plan.cut(n, j) - (plan.cut(n, j - 1) if j else 0)
        room = size - nw.col(f"{TMP}o{j}")
        room = nw.when(room > 0).then(room).otherwise(0)
        reach = room if reach is None else reach + room
        out = out.when(rank <= reach).then(nw.lit(j))
    result: nw.Expr = out.otherwise(nw.lit(k - 1))
    return result
