"""Hospital provider spells from consultant episodes (HES / SUS admitted patient care)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from blmk_health._frames import TMP, Frame, back_to_caller, collect_small, epoch_days, ingest, sort_if_eager
from blmk_health._hospital import (
    check_nel_definition,
    day_number,
    method_code,
    method_group,
    require_dates,
)
from blmk_health._validation import describe_values, reject_clashes, require_columns
from blmk_health.errors import DomainError, SchemaError

__all__ = ["SPELL_COLUMNS", "spells"]

#: The columns :func:`spells` adds to the first episode of each spell.
SPELL_COLUMNS = ("episodes", "length_of_stay", "bed_days", "same_day", "admission_group", "non_elective")
_SHOW = 5


def spells(
    episodes: Any,
    *,
    spell_id: str | None = "spell_id",
    patient: str = "patient_id",
    provider: str = "provider_code",
    admission_date: str = "admission_date",
    discharge_date: str = "discharge_date",
    order: str = "episode_order",
    admission_method: str = "admission_method",
    nel_definition: str = "emergency",
) -> Any:
    """Hospital provider spells from consultant episodes: one row per spell.

    A provider spell is a patient's continuous stay in one provider's hospital (NHS Data Dictionary,
    "Hospital Provider Spell"); HES and SUS record it as one or more consultant episodes. Each spell
    is identified by ``spell_id`` where the data have one, otherwise by the patient, the provider and
    the admission date. Its row is its **first episode** (lowest ``order``), so the admission method,
    the diagnoses (primary and secondary), the age and the practice and area of residence are those
    recorded at admission, with:

    - ``discharge_date``: the last discharge date of its episodes (missing when a spell is unfinished);
    - ``episodes``: the number of episodes;
    - ``length_of_stay`` and ``bed_days``: discharge day minus admission day (missing when
      unfinished); a same-day spell has 0 bed days;
    - ``same_day``: admitted and discharged on the same day (counted apart by the measures of bed days);
    - ``admission_group`` and ``non_elective``: as
      :func:`~blmk_health.records.classify_admission_method` gives them.

    Episode-level columns (``order`` and any column named ``episode_*``) are left out.

    Parameters
    ----------
    episodes : DataFrame
        One row per consultant episode: pandas, Polars (eager or lazy), PyArrow, DuckDB, PySpark, ...
        The work runs in the frame's backend (lazily on lazy frames): window aggregations within each
        spell and a filter, plus one grouped query that checks the episodes.
    spell_id : str or None, default "spell_id"
        The column identifying each spell; ``None`` when the data have none (then ``patient``,
        ``provider`` and ``admission_date`` identify it).
    patient, provider : str
        Columns of the patient and the provider.
    admission_date, discharge_date : str
        Columns of dates (date or datetime) of the spell, repeated on each of its episodes.
    order : str, default "episode_order"
        The column ordering episodes within a spell (episode number, or episode start date).
    admission_method : str, default "admission_method"
        The column of ADMIMETH codes (text or numbers).
    nel_definition : {"emergency", "not elective"}, default "emergency"
        Which admissions ``non_elective`` marks (see :func:`~blmk_health.records.classify_admission_method`).

    Returns
    -------
    DataFrame
        The same kind of frame as ``episodes``, one row per spell (sorted by the spell's key for
        eager frames).

    Raises
    ------
    SchemaError
        A column is missing, dates are not dates, the ``order`` column holds neither numbers nor
        dates, or an added column would overwrite one.
    DomainError
        An episode discharged before its admission date, with no admission date or with no place in
        the order; a spell whose
        episodes name different patients or admission dates (the spell ids are repeated across
        spells); a spell with two episodes in the same place of the order. The message names the spells.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> episodes = pd.DataFrame(
    ...     {
    ...         "spell_id": [1, 1, 2],
    ...         "episode_order": [1, 2, 1],
    ...         "patient_id": [7, 7, 8],
    ...         "provider_code": ["RC9", "RC9", "RC9"],
    ...         "admission_method": ["21", "21", "11"],
    ...         "admission_date": pd.to_datetime(["2019-01-01", "2019-01-01", "2019-02-01"]),
    ...         "discharge_date": pd.to_datetime(["2019-01-03", "2019-01-06", "2019-02-01"]),
    ...         "diag_01": ["J441", "J181", "H269"],
    ...     }
    ... )
    >>> out = bh.records.spells(episodes)
    >>> out[["spell_id", "discharge_date", "diag_01", "episodes", "bed_days", "admission_group"]]
       spell_id discharge_date diag_01  episodes  bed_days admission_group
    0         1     2019-01-06    J441         2         5       emergency
    1         2     2019-02-01    H269         1         0        elective
    """
    groups = check_nel_definition(nel_definition)
    frame = ingest(episodes, "episodes")
    keys = [spell_id] if spell_id is not None else [patient, provider, admission_date]
    named = [("spell_id", spell_id), ("patient", patient), ("provider", provider)]
    named += [("admission_date", admission_date), ("discharge_date", discharge_date), ("order", order)]
    require_columns(frame, [(a, c) for a, c in [*named, ("admission_method", admission_method)] if c is not None])
    require_dates(frame, [("admission_date", admission_date), ("discharge_date", discharge_date)])
    _check_order_column(frame, order)
    reject_clashes(frame.columns, list(SPELL_COLUMNS), "episodes")
    _check_episodes(frame, keys, patient, (admission_date, discharge_date), order)
    out = _first_episodes(frame, keys, admission_date, discharge_date, order)
    code = method_code(frame, admission_method)
    out = out.with_columns(method_group(code).alias("admission_group")).with_columns(
        nw.col("admission_group").is_in(list(groups)).alias("non_elective")
    )
    dropped = [c for c in frame.columns if c == order or (c.startswith("episode_") and c not in SPELL_COLUMNS)]
    out = out.drop([*dropped, f"{TMP}first"])
    return back_to_caller(sort_if_eager(out, frame, keys), frame, fresh_index=True)


def _check_order_column(frame: Frame, order: str) -> None:
    dtype = frame.schema[order]
    if not (dtype.is_numeric() or dtype == nw.Date or isinstance(dtype, nw.Datetime) or dtype == nw.Datetime):
        msg = f"order: column {order!r} must hold episode numbers or start dates, but is {dtype}"
        raise SchemaError(msg)


def _first_episodes(frame: Frame, keys: list[str], admission_date: str, discharge_date: str, order: str) -> Any:
    """The first episode of each spell, with the spell's last discharge and its length: the spells'
    figures by a group-by, joined back to their episodes, then day numbers on the spells only."""
    rows: Any = frame.frame.with_columns(nw.col(discharge_date).is_null().cast(nw.Int64).alias(f"{TMP}open"))
    per_spell: Any = rows.group_by(keys).agg(
        nw.col(order).min().alias(f"{TMP}first"),
        nw.len().alias("episodes"),
        nw.col(f"{TMP}open").sum().alias(f"{TMP}unfinished"),
        nw.col(discharge_date).max().alias(f"{TMP}discharge"),
    )
    rows = rows.drop(f"{TMP}open").join(per_spell, on=keys, how="inner").filter(nw.col(order) == nw.col(f"{TMP}first"))
    finished = nw.col(f"{TMP}unfinished") == 0
    length = epoch_days(frame, nw.col(f"{TMP}discharge"), day_number) - epoch_days(
        frame, nw.col(admission_date), day_number
    )
    rows = rows.with_columns(
        nw.when(finished).then(nw.col(f"{TMP}discharge")).alias(discharge_date),
        nw.when(finished).then(length).alias("length_of_stay"),
    ).drop(f"{TMP}discharge", f"{TMP}unfinished")
    return rows.with_columns(
        nw.col("length_of_stay").alias("bed_days"),
        nw.when(~nw.col("length_of_stay").is_null()).then(nw.col("length_of_stay") == 0).alias("same_day"),
    )


def _check_episodes(frame: Frame, keys: list[str], patient: str, dates: tuple[str, str], order: str) -> None:
    """One grouped pass over the episodes: dates in order and present, each spell with one patient, one
    admission date and distinct episode numbers; the offending spells are then named."""
    admission_date, discharge_date = dates
    schema = frame.schema
    admitted, discharged = nw.col(admission_date), nw.col(discharge_date)
    if schema[admission_date] != schema[discharge_date]:
        admitted, discharged = day_number(admitted), day_number(discharged)
    rows = frame.frame.with_columns(
        (discharged < admitted).fill_null(value=False).cast(nw.Int64).alias(f"{TMP}early"),
        nw.col(admission_date).is_null().cast(nw.Int64).alias(f"{TMP}no_date"),
        nw.col(order).is_null().cast(nw.Int64).alias(f"{TMP}no_order"),
    )
    aggs = [nw.col(f"{TMP}{name}").sum().alias(name) for name in ("early", "no_date", "no_order")]
    aggs += [nw.len().alias("n"), nw.col(order).n_unique().alias("orders")]
    give_ids = f"give each spell its own id ({', '.join(keys)}) and each episode its own place in the order"
    rules = [
        (
            "early",
            nw.col("early") > 0,
            "episodes discharged before their admission date",
            "each episode's discharge date must be on or after its admission date",
        ),
        (
            "no_date",
            nw.col("no_date") > 0,
            f"an episode with no {admission_date!r}",
            "every episode needs its spell's admission date",
        ),
        (
            "no_order",
            nw.col("no_order") > 0,
            f"an episode with no {order!r}",
            "every episode needs its place in the spell (episode number or start date)",
        ),
        (
            "repeated",
            nw.col("orders") < nw.col("n"),
            "two or more episodes in the same place of the order (repeated episodes)",
            give_ids,
        ),
    ]
    if patient not in keys:
        aggs += [nw.col(patient).min().alias("p_min"), nw.col(patient).max().alias("p_max")]
        rules.append(
            (
                "patients",
                nw.col("p_min") != nw.col("p_max"),
                "episodes of more than one patient (a spell id used twice?)",
                give_ids,
            )
        )
    if admission_date not in keys:
        aggs += [nw.col(admission_date).min().alias("d_min"), nw.col(admission_date).max().alias("d_max")]
        rules.append(
            (
                "dates",
                nw.col("d_min") != nw.col("d_max"),
                "episodes with different admission dates (a spell id used twice?)",
                give_ids,
            )
        )
    per_spell = (
        rows.group_by(keys)
        .agg(*aggs)
        .with_columns(rule.fill_null(value=False).alias(f"{TMP}{name}") for name, rule, _, _ in rules)
    )
    totals = collect_small(per_spell.select(nw.col(f"{TMP}{name}").cast(nw.Int64).sum() for name, *_ in rules))
    for (name, _, problem, fix), total in zip(rules, totals.row(0), strict=True):
        if total:
            _raise_if_any(per_spell, nw.col(f"{TMP}{name}"), keys, problem, fix)


def _raise_if_any(per_spell: Any, bad: nw.Expr, keys: Sequence[str], problem: str, fix: str) -> None:
    flagged = per_spell.filter(bad)
    counted = collect_small(flagged.select(nw.len().alias("n"))).item(0, 0)
    shown = collect_small(flagged.select(*keys).sort(list(keys)).head(_SHOW))
    examples = [row[0] if len(keys) == 1 else row for row in shown.rows()]
    spells_word = "spell" if counted == 1 else "spells"
    msg = f"episodes: {counted} {spells_word} with {problem}: {describe_values(examples)}; {fix}"
    raise DomainError(msg)
