"""Chronic ambulatory-care-sensitive conditions (ACSC): the shipped code lists and the spell-level rule.

The code lists are package data (``blmk_health/codelists/``, with their source in its README): the chronic
conditions of the NHS Institute's 19 ambulatory-care-sensitive conditions, with the ICD-10 codes, the
diagnosis position each code must hold, and the OPCS-4 procedure exclusions, as The Strategy Unit's NHP
model implements them. The rule is built as narwhals expressions through the distinct codes of each
diagnosis and procedure column, so it runs lazily on any backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd

from blmk_health._frames import TMP, Frame, recode, row_max, to_pandas
from blmk_health._hospital import icd10_code
from blmk_health._validation import describe_values, require_columns
from blmk_health.errors import InputError, SchemaError

__all__ = ["ACSC_SOURCE", "acsc_codelist", "acsc_rule", "check_codelists"]

#: Where the shipped lists come from (also in ``blmk_health/codelists/README.md``).
ACSC_SOURCE = (
    "NHS Institute for Innovation and Improvement, 19 ambulatory care sensitive conditions (chronic subset), "
    "as implemented by The Strategy Unit, nhp_sql, mitigators/ip_ambulatory_care_conditions_chronic.sql"
)
_POSITIONS = ("primary", "any", "primary with a copd secondary")
_LETTER = {"primary": "p", "any": "a", "primary with a copd secondary": "w"}
_FILES = {"diagnoses": "acsc_chronic.csv", "procedure exclusions": "acsc_procedure_exclusions.csv"}


def acsc_codelist(*, kind: str = "diagnoses") -> pd.DataFrame:
    """The shipped code lists of chronic ambulatory-care-sensitive conditions.

    Parameters
    ----------
    kind : {"diagnoses", "procedure exclusions"}, default "diagnoses"
        ``"diagnoses"``: ICD-10 codes (``condition``, ``code``, ``position``, ``description``); a code
        matches every code that starts with it (``I50`` matches ``I500``, ``I501``, ...). ``position``
        is ``"primary"`` (the primary diagnosis), ``"any"`` (any diagnosis of the spell) or
        ``"primary with a copd secondary"`` (acute bronchitis, J20, counts as COPD only with a COPD code
        among the secondary diagnoses). ``"procedure exclusions"``: OPCS-4 code starts (``condition``,
        ``opcs``, ``position``: ``"primary"`` or ``"any"`` procedure) that remove a spell from its
        condition (e.g. angina with a primary operative procedure).

    Returns
    -------
    pandas.DataFrame
        The list, as text columns. Edit a copy and pass it to
        :func:`~blmk_health.indicators.acsc_admissions` to use a local variant.

    Examples
    --------
    >>> import blmk_health as bh
    >>> codes = bh.indicators.acsc_codelist()
    >>> sorted(codes["condition"].unique())[:3]
    ['angina', 'asthma', 'congestive heart failure']
    >>> codes.loc[codes["condition"] == "asthma", "code"].tolist()
    ['J45', 'J46']
    """
    if kind not in _FILES:
        msg = f"kind: expected one of {', '.join(map(repr, _FILES))}, got {kind!r}"
        raise InputError(msg)
    source = resources.files("blmk_health").joinpath(f"codelists/{_FILES[kind]}")
    with source.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def check_codelists(codes: Any, exclusions: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The diagnosis list and the procedure exclusions, the shipped ones where ``None``, checked."""
    table = acsc_codelist(kind="diagnoses") if codes is None else to_pandas(codes, "codelist")
    excl = (
        acsc_codelist(kind="procedure exclusions")
        if exclusions is None
        else to_pandas(exclusions, "procedure_exclusions")
    )
    for argument, frame, wanted in (
        ("codelist", table, ("condition", "code", "position")),
        ("procedure_exclusions", excl, ("condition", "opcs", "position")),
    ):
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            msg = f"{argument}: column(s) {missing} not found; the layout is that of bh.indicators.acsc_codelist()"
            raise SchemaError(msg)
    bad = sorted(set(table["position"]) - set(_POSITIONS))
    bad_excl = sorted(set(excl["position"]) - {"primary", "any"})
    if bad or bad_excl:
        msg = (
            f"codelist: unknown position(s) {describe_values(bad + bad_excl)}; diagnoses take {list(_POSITIONS)}, "
            "procedure exclusions 'primary' or 'any'"
        )
        raise InputError(msg)
    if table.empty:
        msg = "codelist: the list has no codes"
        raise InputError(msg)
    return _clean(table, "code"), _clean(excl, "opcs")


def _clean(table: pd.DataFrame, column: str) -> pd.DataFrame:
    out = table.copy()
    out[column] = out[column].astype(str).map(icd10_code)
    out["condition"] = out["condition"].astype(str)
    return out


def acsc_rule(
    frame: Frame,
    diagnoses: Sequence[str],
    procedures: Sequence[str] | None,
    codes: pd.DataFrame,
    exclusions: pd.DataFrame,
) -> tuple[dict[str, Any], Any]:
    """New 0/1 columns from the codes, and the expression that is 1 for a spell with a chronic ACSC."""
    require_columns(frame, [("diagnoses", c) for c in diagnoses])
    if procedures:
        require_columns(frame, [("procedures", c) for c in procedures])
    conditions = list(dict.fromkeys(codes["condition"]))
    excluded: dict[str, Any] = {}
    added: dict[str, Any] = {}
    if procedures:
        excluded, more = _procedure_flags(frame, procedures, exclusions, conditions)
        added.update(more)
    # Conditions without procedure exclusions are matched together; the others one by one.
    groups = {"free": [c for c in conditions if c not in excluded]}
    groups.update({f"c{i}": [c] for i, c in enumerate(conditions) if c in excluded})
    rules = {
        key: {position: _starts(codes, members, position) for position in _POSITIONS}
        for key, members in groups.items()
        if members
    }
    copd = _starts(codes, ["copd"], "primary")
    first = {
        f"{_LETTER[position]}{key}": starts
        for key, rule in rules.items()
        for position, starts in rule.items()
        if starts
    }
    added.update(_recoded(frame, diagnoses[0], "dx1", first))
    later = {f"a{key}": rule["any"] for key, rule in rules.items() if rule["any"]}
    if any(rule["primary with a copd secondary"] for rule in rules.values()) and copd:
        later["copd2"] = copd
    for i, column in enumerate(diagnoses[1:], start=2):
        if later:
            added.update(_recoded(frame, column, f"dx{i}", later))
    matches = []
    for key, rule in rules.items():
        parts = [nw.col(f"{TMP}dx1_p{key}").fill_null(0.0)] if rule["primary"] else []
        if rule["any"]:
            parts += [nw.col(f"{TMP}dx{i}_a{key}").fill_null(0.0) for i in range(1, len(diagnoses) + 1)]
        if rule["primary with a copd secondary"] and len(diagnoses) > 1 and "copd2" in later:
            secondary = _any([f"{TMP}dx{i}_copd2" for i in range(2, len(diagnoses) + 1)])
            parts.append(nw.col(f"{TMP}dx1_w{key}").fill_null(0.0) * secondary)
        if not parts:
            continue
        matched = row_max(*parts)
        if key != "free":
            matched = matched * (1 - excluded[groups[key][0]])
        matches.append(matched)
    return added, row_max(*matches) if matches else nw.lit(0.0)


def _starts(codes: pd.DataFrame, conditions: Sequence[str], position: str) -> tuple[str, ...]:
    chosen = codes[codes["condition"].isin(list(conditions)) & (codes["position"] == position)]
    return tuple(code for code in chosen["code"] if code)


def _flag_builder(
    labels: list[Any], name: str, rules: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[dict[Any, Any], Any]]:
    """Per rule, 1.0 for the labels whose code starts with one of its code starts."""
    texts = {label: icd10_code(label) for label in labels}
    return {
        f"{TMP}{name}_{key}": (
            {label: float(bool(starts) and bool(text) and text.startswith(starts)) for label, text in texts.items()},
            nw.Float64,
        )
        for key, starts in rules.items()
    }


def _recoded(frame: Frame, column: str, name: str, rules: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    return recode(frame, column, lambda labels: _flag_builder(labels, name, rules))


def _procedure_flags(
    frame: Frame, procedures: Sequence[str], exclusions: pd.DataFrame, conditions: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per condition with exclusions, the 0/1 expression "an excluding procedure is recorded", and its columns."""
    unknown = sorted(set(exclusions["condition"]) - set(conditions))
    if unknown:
        msg = f"procedure_exclusions: condition(s) {describe_values(unknown)} are not in the code list"
        raise InputError(msg)
    rules: list[dict[str, tuple[str, ...]]] = [{} for _ in procedures]
    excluded: dict[str, Any] = {}
    for index, condition in enumerate(conditions):
        rows = exclusions[exclusions["condition"] == condition]
        if rows.empty:
            continue
        primary = tuple(rows.loc[rows["position"] == "primary", "opcs"])
        anywhere = tuple(rows.loc[rows["position"] == "any", "opcs"])
        for i in range(len(procedures)):
            rules[i][f"x{index}"] = anywhere + (primary if i == 0 else ())
        excluded[condition] = _any([f"{TMP}op{i}_x{index}" for i in range(1, len(procedures) + 1)])
    added: dict[str, Any] = {}
    for i, column in enumerate(procedures, start=1):
        if rules[i - 1]:
            added.update(_recoded(frame, column, f"op{i}", rules[i - 1]))
    return excluded, added


def _any(names: Sequence[str]) -> Any:
    """1 where any of the 0/1 columns is 1 (missing counts as 0)."""
    return row_max(*(nw.col(name).fill_null(0.0) for name in names))
