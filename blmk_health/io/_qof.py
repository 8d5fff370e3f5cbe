"""QOF prevalence and achievement (``PREVALENCE_yyyy.csv``, ``ACHIEVEMENT_yyyy.csv`` of the NHS England QOF zips)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from blmk_health.errors import DomainError
from blmk_health.io._common import (
    Column,
    Source,
    check_unique,
    finish,
    map_columns,
    normalise,
    read_table,
    record_dropped,
    reject_rows,
    to_code,
    to_int,
    to_text,
)

__all__ = ["QOF_INDICATORS", "read_qof_achievement", "read_qof_prevalence"]

_SPEC = (
    Column("practice_code", "PRACTICE_CODE", ("practicecode",)),
    Column("group_code", "GROUP_CODE", ("indicator group", "indicator group code")),
    Column("register", "REGISTER", ("disease register size",)),
    Column("list_type", "PATIENT_LIST_TYPE", required=False),
    Column("list_size", "PRACTICE_LIST_SIZE", ("practice listsize", "patient list size")),
)
_FILE = (
    "the QOF prevalence file PREVALENCE_yyyy.csv, from the annual QOF zip file of NHS England "
    "(https://digital.nhs.uk/data-and-information/publications/statistical/"
    "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data)"
)


def read_qof_prevalence(path: Source) -> pd.DataFrame:
    """Read a QOF prevalence file: one row per practice, register and list type.

    Reads ``PREVALENCE_yyyy.csv`` from the annual QOF zip file of NHS England
    (``PRACTICE_CODE, GROUP_CODE, REGISTER, PATIENT_LIST_TYPE, PRACTICE_LIST_SIZE``; the raw files of
    2017-18 to 2019-20 name the last column ``PATIENT_LIST_SIZE``, and 2017-18 the second
    ``INDICATOR_GROUP_CODE``: both are read), and the older
    layout used by OpenPrescribing (``practicecode, indicator_group, disease_register_size,
    practice_listsize``; its description and prevalence columns are not kept, prevalence being
    ``register / list_size``).

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Columns (published header -> column, dtype):

        ========================== ================= ======================================================
        published header           column            dtype and meaning
        ========================== ================= ======================================================
        ``PRACTICE_CODE``          ``practice_code`` str
        ``GROUP_CODE``             ``group_code``    str, the register (``AF``, ``AST``, ``CHD``, ``HYP``, ...)
        ``REGISTER``               ``register``      Int64, patients on the register
        ``PATIENT_LIST_TYPE``      ``list_type``     str (``TOTAL``, or an age-restricted list such as ``18OV``)
        ``PRACTICE_LIST_SIZE``     ``list_size``     Int64, patients on that list
        ========================== ================= ======================================================

        Use the list size of the row's own list type: age-restricted registers (18+, 17+, ...) have a
        smaller denominator than the total list.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file is not of this kind (the message lists the expected and found columns), a row has the
        wrong number of fields (with its line number), or a practice, group and list type repeat.
    DomainError
        A count is not a whole number, is negative, or a register exceeds its list size (with lines).
    ReferenceDataError
        A malformed practice code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> text = (
    ...     "PRACTICE_CODE,GROUP_CODE,REGISTER,PATIENT_LIST_TYPE,PRACTICE_LIST_SIZE\\n"
    ...     "E81001,HYP,612,TOTAL,4200\\n"
    ...     "E81001,DM,301,17OV,3300\\n"
    ... )
    >>> bh.io.read_qof_prevalence(io.StringIO(text))
      practice_code group_code  register list_type  list_size
    0        E81001        HYP       612     TOTAL       4200
    1        E81001         DM       301      17OV       3300
    """
    argument = "path"
    frame = read_table(path, argument, expected=_FILE)
    found = map_columns(frame, _SPEC, argument, "a QOF PREVALENCE file")
    code = to_code(frame, found["practice_code"], "practice", argument, required=True)
    group = to_text(frame, found["group_code"], argument, required=True).str.upper()
    list_type = to_text(frame, found.get("list_type"), argument)
    register = to_int(frame, found["register"], argument, required=True, minimum=0)
    size = to_int(frame, found["list_size"], argument, required=True, minimum=0)
    too_big = (register > size).fillna(False).astype(bool)
    if too_big.any():
        pairs = register.astype(str) + " > " + size.astype(str)
        message = "column {column!r} exceeds {limit!r} in {n} {row|rows} ({where})"
        reject_rows(
            DomainError,
            frame,
            too_big,
            message,
            argument,
            shown=pairs,
            column=found["register"],
            limit=found["list_size"],
        )
    keys = pd.DataFrame({"code": code, "group": group, "type": list_type})
    check_unique(frame, keys, [found[c] for c in ("practice_code", "group_code", "list_type") if c in found], argument)
    return finish(
        {
            "practice_code": code,
            "group_code": group,
            "register": register,
            "list_type": list_type,
            "list_size": size,
        }
    )


# ------------------------------------------------------------------------------------------ achievement

#: Wording of the QOF indicators the library uses, by indicator code (sources and status:
#: ``docs/prevalence.md``). HYP006 and AF007 are the 2018-19 indicators; HYP003 and HYP007 replaced HYP006
#: in 2019-20, HYP008 and HYP009 replaced those later, and AF008 replaced AF007.
QOF_INDICATORS: Mapping[str, str] = MappingProxyType(
    {
        "HYP006": (
            "The percentage of patients with hypertension in whom the last blood pressure reading "
            "(measured in the preceding 12 months) is 150/90 mmHg or less"
        ),
        "AF007": (
            "In those patients with atrial fibrillation with a record of a CHA2DS2-VASc score of 2 or more, "
            "the percentage of patients who are currently treated with anticoagulation drug therapy"
        ),
        "HYP003": (
            "The percentage of patients aged 79 years or under with hypertension in whom the last blood "
            "pressure reading (measured in the preceding 12 months) is 140/90 mmHg or less"
        ),
        "HYP007": (
            "The percentage of patients aged 80 years or over with hypertension in whom the last blood "
            "pressure reading (measured in the preceding 12 months) is 150/90 mmHg or less"
        ),
        "HYP008": (
            "The percentage of patients aged 79 years or under with hypertension in whom the last blood "
            "pressure reading (measured in the preceding 12 months) is 140/90 mmHg or less (or equivalent "
            "home blood pressure reading)"
        ),
        "HYP009": (
            "The percentage of patients aged 80 years or over with hypertension in whom the last blood "
            "pressure reading (measured in the preceding 12 months) is 150/90 mmHg or less (or equivalent "
            "home blood pressure reading)"
        ),
        "AF008": (
            "Percentage of patients on the QOF Atrial Fibrillation register and with a CHA2DS2-VASc score "
            "of 2 or more, who were prescribed a direct-acting oral anticoagulant (DOAC), or, where a DOAC "
            "was declined or clinically unsuitable, a Vitamin K antagonist"
        ),
    }
)

_ACHIEVEMENT_FILE = (
    "the QOF achievement file ACHIEVEMENT_yyyy.csv (ACHIEVEMENT_EXCEPTIONS.csv in older years), from the "
    "annual QOF zip file of NHS England (https://digital.nhs.uk/data-and-information/publications/"
    "statistical/quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data)"
)
_LONG_SPEC = (
    Column("practice_code", "PRACTICE_CODE", ("practicecode",)),
    Column("indicator_code", "INDICATOR_CODE", ("indicator",)),
    Column("measure", "MEASURE"),
    Column("value", "VALUE"),
)
_WIDE_SPEC = (
    Column("practice_code", "PRACTICE_CODE", ("practicecode",)),
    Column("indicator_code", "INDICATOR_CODE"),
    Column("numerator", "NUMERATOR"),
    Column("denominator", "DENOMINATOR"),
    Column("exceptions", "EXCEPTIONS", ("pcas", "pca", "exception count")),
)
#: The measures kept, and their column: exceptions (to 2018-19) and PCAs (from 2019-20) are one column.
_MEASURES = {"NUMERATOR": "numerator", "DENOMINATOR": "denominator", "EXCEPTIONS": "exceptions", "PCAS": "exceptions"}
_COUNTS = ("numerator", "denominator", "exceptions")


def read_qof_achievement(path: Source) -> pd.DataFrame:
    """Read a QOF achievement file: one row per practice and indicator, with its numerator, denominator
    and exceptions (or personalised care adjustments).

    Reads the raw ``ACHIEVEMENT_yyyy.csv`` of the annual QOF zip file of NHS England, one row per
    practice, indicator and measure (``PRACTICE_CODE, INDICATOR_CODE, MEASURE, VALUE``). The measures
    ``NUMERATOR``, ``DENOMINATOR`` and ``EXCEPTIONS`` (to 2018-19) or ``PCAS`` (personalised care
    adjustments, from 2019-20) become columns; the other measures (``ACHIEVED_POINTS``, ``REGISTER``,
    ...) are left out and reported in ``attrs["dropped"]``, so register-only indicators (``HYP001``)
    have no row. A table with the columns ``PRACTICE_CODE, INDICATOR_CODE, NUMERATOR, DENOMINATOR,
    EXCEPTIONS`` (or ``PCAS``), such as this reader's own output or the synthetic ``qof_achievement``
    table, is read as it is.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        One row per practice and indicator, in the order of the file:

        ================== ============================================================================
        column             dtype and meaning
        ================== ============================================================================
        ``practice_code``  str
        ``indicator_code`` str, upper case (``HYP006``, ``AF007``, ...)
        ``indicator``      str, the indicator's wording for the codes in :data:`QOF_INDICATORS` (else
                           missing)
        ``numerator``      Int64, patients meeting the indicator
        ``denominator``    Int64, patients it applies to, net of exceptions / PCAs
        ``exceptions``     Int64, patients exception-reported (``EXCEPTIONS``) or given a personalised
                           care adjustment (``PCAS``)
        ================== ============================================================================

        ``attrs["exceptions_measure"]`` says which of ``EXCEPTIONS`` and ``PCAS`` the file holds, and
        ``attrs["dropped"]`` the rows left out (``rows``, ``reason``, first ``lines`` and ``values``).
        A measure missing for an indicator, or an empty ``VALUE``, is a missing count.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file is not of this kind (the message lists the expected and found columns), a row has
        the wrong number of fields (with its line number), or a practice, indicator and measure
        repeat (``EXCEPTIONS`` and ``PCAS`` together count as a repeat).
    DomainError
        A count is not a whole number, is negative, or a numerator exceeds its denominator (with lines).
    ReferenceDataError
        A malformed practice code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> text = (
    ...     "PRACTICE_CODE,INDICATOR_CODE,MEASURE,VALUE\\n"
    ...     "K82003,HYP001,REGISTER,1612\\n"
    ...     "K82003,HYP006,NUMERATOR,1250\\n"
    ...     "K82003,HYP006,DENOMINATOR,1530\\n"
    ...     "K82003,HYP006,EXCEPTIONS,82\\n"
    ...     "K82003,HYP006,ACHIEVED_POINTS,20\\n"
    ... )
    >>> qof = bh.io.read_qof_achievement(io.StringIO(text))
    >>> qof[["practice_code", "indicator_code", "numerator", "denominator", "exceptions"]]
      practice_code indicator_code  numerator  denominator  exceptions
    0        K82003         HYP006       1250         1530          82
    >>> qof.attrs["dropped"]["rows"], qof.attrs["exceptions_measure"]
    (2, 'EXCEPTIONS')
    """
    argument = "path"
    frame = read_table(path, argument, expected=_ACHIEVEMENT_FILE)
    headers = {normalise(h) for h in frame.columns}
    if not {"measure", "value"} <= headers and "numerator" in headers:
        return _wide_achievement(frame, argument)
    found = map_columns(frame, _LONG_SPEC, argument, "a QOF ACHIEVEMENT file")
    measure = to_text(frame, found["measure"], argument, required=True).str.upper().str.strip()
    kept = frame[measure.isin(list(_MEASURES)).to_numpy()]
    code = to_code(kept, found["practice_code"], "practice", argument, required=True)
    indicator = to_text(kept, found["indicator_code"], argument, required=True).str.upper()
    column = measure[kept.index].map(_MEASURES).astype("str")
    keys = pd.DataFrame({"code": code, "indicator": indicator, "measure": column})
    headers_used = [found["practice_code"], found["indicator_code"], found["measure"]]
    check_unique(kept, keys, headers_used, argument)
    value = to_int(kept, found["value"], argument, minimum=0)
    long = keys.assign(value=value)
    wide = long.drop_duplicates(["code", "indicator"])[["code", "indicator"]]
    for name in _COUNTS:
        values = long[long["measure"] == name].set_index(["code", "indicator"])["value"]
        wide[name] = values.reindex(pd.MultiIndex.from_frame(wide[["code", "indicator"]])).to_numpy()
    _check_numerators(kept, long, wide, argument, found["value"])
    result = _achievement_table(wide["code"], wide["indicator"], {n: wide[n] for n in _COUNTS})
    dropped = sorted(set(measure[~measure.isin(list(_MEASURES))].dropna()))
    reason = f"measures other than NUMERATOR, DENOMINATOR, EXCEPTIONS and PCAS ({', '.join(dropped) or 'none'})"
    record_dropped(
        result,
        frame.loc[frame.index.difference(kept.index)],
        rows_read=len(frame),
        reason=reason,
        key=found["measure"],
        argument=argument,
    )
    exceptions_measure = sorted(set(measure[kept.index]) & {"EXCEPTIONS", "PCAS"})
    result.attrs["exceptions_measure"] = exceptions_measure[0] if len(exceptions_measure) == 1 else None
    return result


def _check_numerators(kept: pd.DataFrame, long: pd.DataFrame, wide: pd.DataFrame, argument: str, header: str) -> None:
    """Raise with the numerators' line numbers where a numerator exceeds its denominator."""
    over = (wide["numerator"] > wide["denominator"]).fillna(False).astype(bool)
    if not over.any():
        return
    bad = wide[over.to_numpy()][["code", "indicator"]]
    numerators = long[long["measure"] == "numerator"].reset_index(names="line")
    lines = numerators.merge(bad, on=["code", "indicator"])["line"]
    mask = kept.index.isin(lines)
    shown = (long["code"] + " " + long["indicator"]).where(long["measure"] == "numerator")
    message = "{n} {numerator exceeds its|numerators exceed their} denominator in column {column!r} ({where})"
    reject_rows(DomainError, kept, mask, message, argument, shown=shown, column=header)


def _wide_achievement(frame: pd.DataFrame, argument: str) -> pd.DataFrame:
    found = map_columns(frame, _WIDE_SPEC, argument, "a QOF achievement table")
    code = to_code(frame, found["practice_code"], "practice", argument, required=True)
    indicator = to_text(frame, found["indicator_code"], argument, required=True).str.upper()
    check_unique(
        frame,
        pd.DataFrame({"code": code, "indicator": indicator}),
        [found["practice_code"], found["indicator_code"]],
        argument,
    )
    values = {name: to_int(frame, found[name], argument, minimum=0) for name in _COUNTS}
    over = (values["numerator"] > values["denominator"]).fillna(False).astype(bool)
    pairs = values["numerator"].astype(str) + " > " + values["denominator"].astype(str)
    message = "column {column!r} exceeds {limit!r} in {n} {row|rows} ({where})"
    reject_rows(
        DomainError, frame, over, message, argument, shown=pairs, column=found["numerator"], limit=found["denominator"]
    )
    result = _achievement_table(code, indicator, values)
    result.attrs["exceptions_measure"] = normalise(found["exceptions"]).upper()
    result.attrs["dropped"] = {"rows": 0, "reason": "", "lines": (), "values": ()}
    return result


def _achievement_table(code: pd.Series, indicator: pd.Series, values: Mapping[str, pd.Series]) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "practice_code": pd.Series(code.to_numpy(), dtype="str"),
            "indicator_code": pd.Series(indicator.to_numpy(), dtype="str"),
        }
    )
    out["indicator"] = out["indicator_code"].map(dict(QOF_INDICATORS)).astype("str")
    for name in _COUNTS:
        out[name] = pd.array(values[name].to_numpy(), dtype="Int64")
    return out
