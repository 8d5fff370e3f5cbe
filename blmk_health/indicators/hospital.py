"""Hospital activity: emergency admissions and bed days per population, age-sex standardised; emergency
readmissions; admissions for chronic ambulatory-care-sensitive conditions.

- :func:`emergency_admissions`: emergency (or non-elective) spells and their bed days per population,
  crude, directly or indirectly age-sex standardised, attributed to the registered practice or the small
  area of residence, by financial year with the change from the year before.
- :func:`acsc_admissions`: emergency spells for chronic ambulatory-care-sensitive conditions per 100,000.
- :func:`readmissions`: emergency readmissions within 30 (or any number of) days of discharge, as a
  percentage of discharges, indirectly standardised by age and sex.
- :func:`acsc_codelist`: the shipped ACSC code lists.

The spells are one row per hospital provider spell (:func:`blmk_health.records.spells` makes them from
episodes). The spell-level work runs in the backend of the frame given (lazily on Polars, DuckDB and
PySpark frames); only counts per area, sex, age band and year are collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from blmk_health._frames import TMP, Frame, ingest, recode
from blmk_health._validation import check_flag
from blmk_health.errors import SchemaError
from blmk_health.indicators._acsc import ACSC_SOURCE, acsc_codelist, acsc_rule, check_codelists
from blmk_health.indicators._admission_counts import method_text
from blmk_health.indicators._emergency import AdmissionCall, run_admissions
from blmk_health.indicators._readmissions import readmissions

__all__ = ["acsc_admissions", "acsc_codelist", "emergency_admissions", "readmissions"]

#: Population columns by attribution: registered lists (NHS England) and resident estimates (ONS).
_POPULATION_DEFAULTS = {
    "practice": ("number_of_patients", "age_group_5"),
    "residence": ("population", "age_band"),
}


def emergency_admissions(
    spells: Any,
    population: Any,
    by: str | Sequence[str] | None = None,
    per: float = 1000,
    standardise: str | None = "direct",
    attribution: str = "practice",
    confidence: float | Sequence[float] = 0.95,
    *,
    nel_definition: str = "emergency",
    period: Any = None,
    by_year: bool = False,
    ages: tuple[int, int] | None = None,
    diagnoses: str | Sequence[str] | None = None,
    reference: Any = None,
    practice: str = "practice_code",
    lsoa: str = "lsoa_code",
    age: str = "age",
    sex: str = "sex",
    admission_date: str = "admission_date",
    admission_method: str = "admission_method",
    bed_days: str | None = "bed_days",
    same_day: str | None = "same_day",
    diagnosis: str = "diag_01",
    spell_id: str | None = "spell_id",
    population_count: str | None = None,
    population_sex: str = "sex",
    age_band: str | None = None,
    metadata: bool = True,
) -> Any:
    """Emergency spells and emergency bed days per population, crude or age-sex standardised.

    Counts the hospital provider spells whose admission method is in the ``nel_definition`` (by default
    the emergency codes 21-2D), admitted in the ``period``, per ``per`` people of the ``population``
    they are attributed to, and the same for their bed days::

        crude rate  = spells / population x per                     (exact Poisson below 10, Byars)
        direct      = sum_i w_i x spells_i / population_i / sum w x per   (Dobson limits)
        indirect    = spells / sum_i (reference rate_i x population_i) x reference rate x per (Byars)

    over the 38 cells of sex and the 19 five-year bands of the 2013 European Standard Population
    (0-4, ..., 85-89, 90+; the weights ``w`` are the ESP2013's, each sex weighted half), as
    :func:`~blmk_health.indicators.dsr` and :func:`~blmk_health.indicators.isr` compute them. Bed days are
    the spells' lengths of stay (discharge minus admission day; same-day spells add 0 and are counted in
    ``same_day_spells``).

    **Attribution.** ``"practice"``: each spell counts against its registered practice (``practice``
    column of ``spells``) and the denominator is the registered list (NHS England's "Patients registered
    at a GP practice" by sex and five-year band): the measure of an ICB's "emergency spells per 1,000
    registered population". ``"residence"``: each spell counts against the small area (LSOA) of residence
    (``lsoa`` column) and the denominator is the resident population (ONS mid-year estimates), as
    Fingertips publishes by local authority. Spells whose practice or area is not in ``population`` are
    **unattributed**: they are counted in a last row with ``statistic`` "unattributed: ..." and a blank
    ``by``, never dropped.

    **What is not counted, and said.** Spells with an admission method outside the five groups of
    :func:`~blmk_health.records.classify_admission_method` (missing, 98, 99 or invalid codes) are
    counted in ``unknown_method``; spells of the chosen kind admitted outside ``period`` in
    ``outside_period``; spells of the period with no age or sex in ``unknown_age_sex`` (left out of
    ``spells`` and of every rate: they cannot be placed in an age-sex cell).

    Parameters
    ----------
    spells : DataFrame
        One row per hospital provider spell, with the practice (or small area), age at admission, sex,
        admission date and method, bed days and same-day flag: the output of
        :func:`blmk_health.records.spells`. Any frame narwhals supports; the spell-level work runs in
        its backend, lazily on lazy frames.
    population : DataFrame
        The denominator by area, sex and age band: the registered list by practice (``attribution=
        "practice"``) or the resident population by LSOA (``"residence"``), with the ``by`` columns
        (e.g. a practice's cluster and place after joining the practice lookup). Age bands are five-year
        bands of the ESP2013 or narrower ones (``0_4``, ``0-4``, ``1-4``, ``90+``, ``95+``, ...).
    by : str or list of str, optional
        Columns of ``population`` to group by (one row per group). ``None``: one row for the whole
        population.
    per : float, default 1000
        Rates per this many people.
    standardise : {"direct", "indirect", None, "crude"}, default "direct"
        ``"direct"``: DSR (``value``), with the crude rate beside it (``crude_rate``,
        ``crude_lowercl``, ``crude_uppercl``); blank where a group has no population in an age-sex band.
        ``"indirect"``: ISR as a rate against ``reference`` (by default the whole table, per year), with
        the ``expected`` count. ``None`` (or ``"crude"``, as configuration files write it): the crude
        rate is the ``value``.
    attribution : {"practice", "residence"}, default "practice"
        Whom a spell counts against (above).
    confidence : float or (float, float), default 0.95
        0.95 or 95 (any level in [0.9, 1]), or the pair (0.95, 0.998).
    nel_definition : {"emergency", "not elective"}, default "emergency"
        ``"emergency"``: admission methods 21-2D (the IAF and NHS Oversight Framework measure of
        emergency spells, and Fingertips' emergency admissions). ``"not elective"``: also maternity (31,
        32) and other (81-83) admissions: SUS "non-elective" activity as commissioners count it.
    period : {"latest"}, str, (date, date) or None, default None
        The spells counted, by admission date: ``None`` every spell, ``"latest"`` the latest financial
        year in the data, ``"2018/19"`` a financial year, or two dates (inclusive).
    by_year : bool, default False
        One row per financial year of admission (within ``period``), with ``change`` (the % change of
        the value from the year before) and its limits (the log method: the ratio of two independent
        rates; Dobson's variance for a DSR).
    ages : (int, int), optional
        Only spells of patients aged ``first`` to ``last`` at admission, inclusive, against the
        population of those ages; the ages must cover whole five-year bands (e.g. ``(0, 4)``, ``(75,
        125)``).
    diagnoses : str or list of str, optional
        Only spells whose primary diagnosis (``diagnosis``) starts with one of these ICD-10 codes (e.g.
        ``"J"``: diseases of the respiratory system).
    reference : DataFrame, optional
        With ``standardise="indirect"``: ``sex``, ``age_band``, ``events`` and ``population`` of the
        reference (e.g. England). Default: the whole table, year by year.
    practice, lsoa, age, sex, admission_date, admission_method : str
        Columns of ``spells`` (``practice`` or ``lsoa`` also of ``population``, by attribution).
    bed_days, same_day : str or None
        Columns of ``spells`` with the bed days and the same-day flag; ``None`` to leave them out.
    diagnosis : str, default "diag_01"
        The primary diagnosis column (with ``diagnoses``).
    spell_id : str or None, default "spell_id"
        The spell id column: checked to be unique (a table of episodes would double-count).
    population_count, age_band : str, optional
        Columns of ``population``: the count and the age band. Default: ``"number_of_patients"`` and
        ``"age_group_5"`` (NHS England's registered lists) for ``attribution="practice"``,
        ``"population"`` and ``"age_band"`` for ``"residence"``.
    population_sex : str, default "sex"
        The sex column of ``population`` (Male/Female, M/F, 1/2, any case).
    metadata : bool, default True
        Add ``confidence``, ``statistic`` and ``method``.

    Returns
    -------
    DataFrame
        Of the kind of ``spells``: ``by`` columns, ``period`` (with ``period`` or ``by_year``),
        ``spells``, ``bed_days``, ``same_day_spells``, ``population``, ``unknown_method``,
        ``outside_period``, ``unknown_age_sex`` (counts), [``expected``], ``value``, ``lowercl``,
        ``uppercl``, [``crude_rate``, ``crude_lowercl``, ``crude_uppercl``], the same prefixed
        ``bed_days_`` for bed days, [``change``, ``change_lowercl``, ``change_uppercl``] and the
        metadata. One row per group (and year), then the unattributed spells.

    Raises
    ------
    SchemaError
        A column is missing or of the wrong kind; spell ids repeat (episodes, not spells); population
        sexes or age bands that cannot be read, or ``by`` values that differ within an area.
    DomainError
        Ages below 0 or above 125, negative bed days, negative or missing population counts.
    InputError
        An unknown choice (``standardise``, ``attribution``, ``nel_definition``), ``per`` not positive,
        ``ages`` not covering whole bands, a malformed ``period``.

    See Also
    --------
    blmk_health.records.spells : spells from episodes.
    acsc_admissions, readmissions

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> spells = pd.DataFrame({
    ...     "spell_id": [1, 2, 3, 4], "practice_code": ["P1", "P1", "P2", "P9"],
    ...     "age": [80, 3, 40, 50], "sex": ["Female", "Male", "Male", "Female"],
    ...     "admission_date": pd.to_datetime(["2019-01-05", "2019-02-01", "2019-03-01", "2019-03-02"]),
    ...     "admission_method": ["21", "2A", "11", "21"],
    ...     "bed_days": [6, 0, 2, 1], "same_day": [False, True, False, False]})
    >>> population = pd.DataFrame({
    ...     "practice_code": ["P1", "P1", "P2", "P2"], "sex": ["FEMALE", "MALE", "FEMALE", "MALE"],
    ...     "age_group_5": ["80_84", "0_4", "80_84", "0_4"], "number_of_patients": [40, 60, 30, 70]})
    >>> out = bh.indicators.emergency_admissions(spells, population, by="practice_code", standardise=None)
    >>> out[["practice_code", "spells", "bed_days", "population", "value"]]
      practice_code  spells  bed_days  population  value
    0            P1       2         6         100   20.0
    1            P2       0         0         100    0.0
    2           NaN       1         1        <NA>    NaN
    >>> out["statistic"].tolist()[1:]
    ['emergency spells per 1000, crude', 'unattributed: practice_code not in the population (P9)']
    """
    return run_admissions(
        AdmissionCall(
            spells=spells,
            population=population,
            by=by,
            per=per,
            standardise=standardise,
            attribution=attribution,
            confidence=confidence,
            nel_definition=nel_definition,
            period=period,
            by_year=by_year,
            ages=ages,
            diagnoses=diagnoses,
            reference=reference,
            columns=_spell_columns(locals()),
            population_columns=_population_columns(attribution, population_count, population_sex, age_band),
            metadata=metadata,
            what=_what(nel_definition, ages, diagnoses),
        )
    )


def acsc_admissions(
    spells: Any,
    population: Any,
    by: str | Sequence[str] | None = None,
    per: float = 100_000,
    standardise: str | None = "indirect",
    attribution: str = "practice",
    confidence: float | Sequence[float] = 0.95,
    *,
    period: Any = None,
    by_year: bool = False,
    reference: Any = None,
    codelist: Any = None,
    procedure_exclusions: Any = None,
    diagnosis_columns: Sequence[str] | None = None,
    procedure_columns: Sequence[str] | None = None,
    exclude_transfers: bool = True,
    practice: str = "practice_code",
    lsoa: str = "lsoa_code",
    age: str = "age",
    sex: str = "sex",
    admission_date: str = "admission_date",
    admission_method: str = "admission_method",
    bed_days: str | None = "bed_days",
    same_day: str | None = "same_day",
    spell_id: str | None = "spell_id",
    population_count: str | None = None,
    population_sex: str = "sex",
    age_band: str | None = None,
    metadata: bool = True,
) -> Any:
    """Emergency admissions for chronic ambulatory-care-sensitive conditions (ACSC), per 100,000.

    Chronic ACSCs are long-term conditions for which timely, effective care in the community can
    prevent emergency admissions (NHS Outcomes Framework 2.3.i, "Unplanned hospitalisation for chronic
    ambulatory care sensitive conditions"). A spell counts when it is an emergency admission (methods
    21-2D; transfers from another provider, 2B, left out with ``exclude_transfers``) and its diagnoses
    match the code list (:func:`acsc_codelist`): angina, asthma, congestive heart failure, COPD,
    diabetes complications, hypertension, iron-deficiency anaemia and nutritional deficiencies, each
    by primary diagnosis except diabetes complications (any position) and acute bronchitis with a COPD
    secondary diagnosis. The OPCS-4 procedure exclusions (e.g. angina with a primary operative
    procedure) are applied when ``procedure_columns`` are given; without them ``statistic`` says they
    were not applied.

    The shipped list is the chronic subset of the NHS Institute's 19 ACSCs as The Strategy Unit's NHP
    model implements it; NHS OF 2.3.i's own list also has epilepsy, dementia, atrial fibrillation and
    chronic hepatitis B. Pass ``codelist`` (same layout) for a local variant.

    Rates, standardisation, attribution and the counts of what was not counted are those of
    :func:`emergency_admissions` (whose parameters these share); the default is NHS OF 2.3.i's:
    indirectly age-sex standardised per 100,000 (against the whole table, or ``reference``).

    Parameters
    ----------
    spells, population, by, per, standardise, attribution, confidence, period, by_year, reference
        As :func:`emergency_admissions` (``per`` defaults to 100,000, ``standardise`` to ``"indirect"``).
    codelist, procedure_exclusions : DataFrame, optional
        The ICD-10 list and the OPCS-4 exclusions, in the layout of :func:`acsc_codelist`; the shipped
        lists by default.
    diagnosis_columns : list of str, optional
        The diagnosis columns of ``spells``, primary first. Default: every column named ``diag_*``,
        in order of name (``diag_01``, ``diag_02``, ...).
    procedure_columns : list of str, optional
        The procedure columns of ``spells``, primary first (e.g. ``["opertn_01", "opertn_02"]``).
    exclude_transfers : bool, default True
        Leave out emergency transfers from another provider (admission method 2B), as NHS OF 2.3.i does.
    practice, lsoa, age, sex, admission_date, admission_method, bed_days, same_day, spell_id
        Columns of ``spells``, as :func:`emergency_admissions`.
    population_count, population_sex, age_band, metadata
        As :func:`emergency_admissions`.

    Returns
    -------
    DataFrame
        As :func:`emergency_admissions`, counting ACSC spells; ``statistic`` names the conditions'
        source and whether procedure exclusions were applied.

    Raises
    ------
    SchemaError
        As :func:`emergency_admissions`; also no diagnosis column, or a code list of another layout.
    InputError
        As :func:`emergency_admissions`; also unknown positions in a code list.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> spells = pd.DataFrame({
    ...     "spell_id": [1, 2, 3, 4], "practice_code": ["P1"] * 4, "age": [70, 72, 8, 75],
    ...     "sex": ["Male", "Male", "Female", "Female"],
    ...     "admission_date": pd.to_datetime(["2018-05-01", "2018-06-01", "2018-07-01", "2018-08-01"]),
    ...     "admission_method": ["21", "21", "21", "2B"],
    ...     "diag_01": ["J440", "J200", "J459", "I500"], "diag_02": [None, "J449", None, None]})
    >>> population = pd.DataFrame({
    ...     "practice_code": ["P1", "P1"], "sex": ["Male", "Female"],
    ...     "age_group_5": ["70_74", "5_9"], "number_of_patients": [1000, 1000]})
    >>> out = bh.indicators.acsc_admissions(spells, population, standardise=None, bed_days=None,
    ...                                     same_day=None)
    >>> out[["spells", "population", "value"]]
       spells  population  value
    0       3        2000  150.0
    """
    frame = ingest(spells, "spells")
    codes, exclusions = check_codelists(codelist, procedure_exclusions)
    diagnoses = _diagnosis_columns(frame, diagnosis_columns)
    procedures = list(procedure_columns) if procedure_columns else None
    check_flag(exclude_transfers, "exclude_transfers")

    def condition(target: Frame) -> tuple[dict[str, Any], Any]:
        added, rule = acsc_rule(target, diagnoses, procedures, codes, exclusions)
        if exclude_transfers:
            transfer, flag = transfer_flag(target, admission_method)
            added.update(transfer)
            rule = rule * (1 - flag)
        return added, rule

    notes = "; ".join(
        [
            f"chronic ACSCs ({ACSC_SOURCE})" if codelist is None else "chronic ACSCs (code list given)",
            "procedure exclusions applied" if procedures else "procedure exclusions not applied (no procedures)",
            *(["transfers (2B) excluded"] if exclude_transfers else []),
        ]
    )
    columns = _spell_columns(locals())
    return run_admissions(
        AdmissionCall(
            spells=frame,
            population=population,
            by=by,
            per=per,
            standardise=standardise,
            attribution=attribution,
            confidence=confidence,
            nel_definition="emergency",
            period=period,
            by_year=by_year,
            ages=None,
            diagnoses=None,
            reference=reference,
            columns=columns,
            population_columns=_population_columns(attribution, population_count, population_sex, age_band),
            metadata=metadata,
            what="emergency spells for chronic ambulatory-care-sensitive conditions",
            condition=condition,
            notes=notes,
        )
    )


def transfer_flag(frame: Frame, admission_method: str) -> tuple[dict[str, Any], Any]:
    """A 0/1 column that is 1 for emergency transfers from another provider (admission method 2B)."""
    name = f"{TMP}transfer"
    added = recode(
        frame,
        admission_method,
        lambda labels: {name: ({label: float(method_text(label) == "2B") for label in labels}, nw.Float64)},
    )
    return added, nw.col(name).fill_null(0.0)


def _spell_columns(arguments: dict[str, Any]) -> dict[str, Any]:
    names = ("practice", "lsoa", "age", "sex", "admission_date", "admission_method", "bed_days", "same_day")
    columns = {name: arguments[name] for name in names}
    columns["spell_id"] = arguments["spell_id"]
    columns["diagnosis"] = arguments.get("diagnosis", "diag_01")
    return columns


def _population_columns(attribution: Any, count: str | None, sex: str, age_band: str | None) -> dict[str, str | None]:
    default_count, default_band = _POPULATION_DEFAULTS.get(attribution, _POPULATION_DEFAULTS["practice"])
    return {"count": count or default_count, "sex": sex, "age_band": age_band or default_band}


def _what(nel_definition: str, ages: Any, diagnoses: Any) -> str:
    kind = "non-elective spells" if nel_definition == "not elective" else "emergency spells"
    parts = [kind]
    if isinstance(ages, Sequence) and len(ages) == 2:
        parts.append(f"aged {ages[0]}-{ages[1]}" if ages[1] < 125 else f"aged {ages[0]}+")
    if diagnoses is not None:
        codes = [diagnoses] if isinstance(diagnoses, str) else list(diagnoses)
        parts.append(f"with a primary diagnosis {', '.join(map(str, codes))}")
    return " ".join(parts)


def _diagnosis_columns(frame: Frame, given: Sequence[str] | None) -> list[str]:
    if given is not None:
        columns = [given] if isinstance(given, str) else list(given)
        if not columns:
            msg = "diagnosis_columns: give at least one column (the primary diagnosis first)"
            raise SchemaError(msg)
        return columns
    found = sorted(c for c in frame.columns if c.lower().startswith("diag_"))
    if not found:
        msg = (
            "diagnosis_columns: spells has no columns named diag_* (diag_01, diag_02, ...); name the diagnosis "
            "columns, primary first, e.g. diagnosis_columns=['primary_diagnosis', 'secondary_diagnosis']"
        )
        raise SchemaError(msg)
    return found
