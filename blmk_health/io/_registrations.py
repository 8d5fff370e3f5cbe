"""NHS England "Patients Registered at a GP Practice": totals, single-year and quinary-age files."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from blmk_health.errors import DomainError, SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    age_band,
    as_codes,
    check_choices,
    check_unique,
    commissioner_columns,
    finish_filtered,
    map_columns,
    read_table,
    reject_rows,
    to_code,
    to_date,
    to_int,
    to_text,
)

__all__ = ["read_gp_registrations"]

_SPEC = (
    Column("publication", "PUBLICATION", required=False),
    Column("extract_date", "EXTRACT_DATE"),
    Column("org_type", "TYPE", ("org type",), required=False),
    Column("sub_icb", "SUB_ICB_LOCATION_CODE", ("sub icb loc code", "sub icb code"), required=False),
    Column("ccg", "CCG_CODE", required=False),
    Column(
        "ons_commissioner",
        "ONS_SUB_ICB_LOCATION_CODE",
        ("ons sub icb loc code", "ons sub icb code", "ons ccg code"),
        required=False,
    ),
    Column("practice_code", "CODE", ("org code", "practice code")),
    Column("postcode", "POSTCODE", required=False),
    Column("sex", "SEX"),
    Column("age", "AGE", ("age group 5",)),
    Column("patients", "NUMBER_OF_PATIENTS"),
)

_FILE = (
    'an NHS England "Patients Registered at a GP Practice" CSV file, such as gp-reg-pat-prac-all.csv or '
    "gp-reg-pat-prac-quin-age.csv (https://digital.nhs.uk/data-and-information/publications/statistical/"
    "patients-registered-at-a-gp-practice)"
)
_KIND = 'a "Patients Registered at a GP Practice" file'

_SEX = {"ALL": "all", "MALE": "male", "FEMALE": "female", "PERSONS": "all", "M": "male", "F": "female"}
_AGE = re.compile(r"(?P<lo>\d+)(?:(?:_|-|\s*to\s*)(?P<hi>\d+)|(?P<plus>\+|\s*plus))?", re.IGNORECASE)


def _ages(values: pd.Series, frame: pd.DataFrame, header: str, argument: str) -> tuple[pd.Series, ...]:
    """Normalised age labels ("all", "7", "0-4", "95+") with their lower and upper bounds."""
    bands: list[tuple[object, object, object]] = []
    flags: list[bool] = []
    for value in values:
        text = str(value).strip()
        match = _AGE.fullmatch(text)
        flags.append(match is None and text.upper() != "ALL")
        if match is not None:
            bands.append(age_band(match))
        else:
            bands.append(("all" if text.upper() == "ALL" else None, None, None))
    labels, lower, upper = zip(*bands, strict=True) if bands else ((), (), ())
    message = (
        "column {column!r} holds {n} unreadable age {value|values} ({where}); expected ALL, an age such as 7 "
        "or 95+, or a band such as 0_4"
    )
    reject_rows(DomainError, frame, flags, message, argument, shown=values, column=header)
    index = values.index
    return (
        pd.Series(list(labels), index=index, dtype="str"),
        pd.Series(list(lower), index=index, dtype="Int64"),
        pd.Series(list(upper), index=index, dtype="Int64"),
    )


def read_gp_registrations(
    path: Source,
    *,
    commissioner: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read a "Patients Registered at a GP Practice" file (totals, single-year or quinary ages).

    Reads the practice-level CSV files of the NHS England publication: the totals file
    (``gp-reg-pat-prac-all.csv``), the single-year-of-age files (``gp-reg-pat-prac-sing-age-*.csv``)
    and the quinary-age file (``gp-reg-pat-prac-quin-age.csv``), in the current schema
    (``SUB_ICB_LOCATION_CODE``, ISO dates such as ``2026-04-01``) and the pre-2021 schema
    (``CCG_CODE``, ``ONS_CCG_CODE``, dates such as ``01JAN2021``). One row per practice, sex and age.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file (text or binary file objects are accepted).
    commissioner : str or list of str, optional
        Keep only the rows of these commissioners (sub-ICB location or CCG codes, as in the file).
        For BLMK: ``"M1J4Y"`` from July 2022, or ``["06F", "06P", "04F"]`` (the three CCGs) before.
        The rows left out are reported, never dropped silently: see Returns.

    Returns
    -------
    pandas.DataFrame
        One row per row of the file, in file order. Columns (published header -> column, dtype):

        ============================================== ======================= ===============
        published header                               column                  dtype
        ============================================== ======================= ===============
        ``PUBLICATION``                                ``publication``         str
        ``EXTRACT_DATE``                               ``extract_date``        datetime64[ns]
        ``TYPE`` / ``ORG_TYPE``                        ``org_type``            str (``GP``)
        ``SUB_ICB_LOCATION_CODE`` / ``CCG_CODE``       ``commissioner_code``   str
        (which of the two)                             ``commissioner_type``   str: ``sub_icb`` / ``ccg``
        ``SUB_ICB_LOCATION_CODE``                      ``sub_icb_code``        str (missing for CCGs)
        ``ONS_SUB_ICB_LOCATION_CODE`` / ``ONS_CCG_CODE`` ``ons_commissioner_code`` str
        ``CODE`` / ``ORG_CODE``                        ``practice_code``       str
        ``POSTCODE``                                   ``postcode``            str
        ``SEX``                                        ``sex``                 str: ``all``, ``male``, ``female``
        ``AGE`` / ``AGE_GROUP_5``                      ``age``                 str: ``all``, ``7``, ``95+``, ``0-4``
        (from ``age``)                                 ``age_lower``           Int64 (missing for ``all``)
        (from ``age``)                                 ``age_upper``           Int64 (missing for ``all``, ``95+``)
        ``NUMBER_OF_PATIENTS``                         ``patients``            Int64
        ============================================== ======================= ===============

        Columns absent from a layout are missing (for example ``commissioner_code`` in the 2017
        quinary file, whose ``ONS_CODE`` column is not kept). In a file holding other organisation
        types (the quinary file of 2017 also has CCG and national rows), only ``GP`` rows are kept.
        ``attrs["rows_read"]`` is the number of data rows in the file and ``attrs["dropped"]`` a dict
        (``rows``, ``reason``, first ``lines`` and ``values``) describing the rows left out, if any.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file is not of this kind (the message lists the expected and found columns), a row has
        the wrong number of fields (with its line number), or a practice, sex and age repeat.
    DomainError
        A date, sex, age or count cannot be read, or a count is negative (with line numbers).
    ReferenceDataError
        A malformed practice, commissioner or ONS code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> text = (
    ...     "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\\n"
    ...     "GP_PRAC_PAT_LIST,01JAN2021,GP,06F,E38000010,E81002,MK45 2SB,ALL,ALL,10195\\n"
    ...     "GP_PRAC_PAT_LIST,01JAN2021,GP,14Y,E38000223,K82001,HP5 1AA,ALL,ALL,9000\\n"
    ... )
    >>> df = bh.io.read_gp_registrations(io.StringIO(text), commissioner=["06F", "06P", "04F"])
    >>> df[["extract_date", "commissioner_code", "practice_code", "sex", "age", "patients"]]
      extract_date commissioner_code practice_code  sex  age  patients
    0   2021-01-01               06F        E81002  all  all     10195
    >>> df.attrs["dropped"]["rows"]
    1
    """
    argument = "path"
    codes = as_codes(commissioner, "commissioner")
    read = read_table(path, argument, expected=_FILE)
    found = map_columns(read, _SPEC, argument, _KIND)
    frame, reasons = _keep(read, found, codes, argument)
    columns = _columns(frame, found, argument)
    reason = "; ".join(reasons)
    return finish_filtered(columns, read, frame, reason=reason, key=found["practice_code"], argument=argument)


def _commissioner(found: dict[str, str]) -> tuple[str | None, str]:
    """The commissioner column of the file and its kind: sub-ICB location (from July 2022) or CCG."""
    for kind in ("sub_icb", "ccg"):
        if kind in found:
            return found[kind], kind
    return None, ""


def _keep(
    frame: pd.DataFrame, found: dict[str, str], codes: list[str] | None, argument: str
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of GP practices (of the ``codes`` commissioners, if given), and why others were left out."""
    reasons: list[str] = []
    org_type = to_text(frame, found.get("org_type"), argument).str.upper()
    keep = org_type.isna() | (org_type == "GP")
    if not keep.all():
        reasons.append("organisations other than GP practices")
        frame = frame[keep]
    if codes is not None:
        header, _ = _commissioner(found)
        if header is None:
            msg = "commissioner: this file has no SUB_ICB_LOCATION_CODE or CCG_CODE column to filter on"
            raise SchemaError(msg)
        reasons.append(f"commissioners other than {', '.join(codes)}")
        frame = frame[to_text(frame, header, argument).isin(codes)]
    return frame, reasons


def _columns(frame: pd.DataFrame, found: dict[str, str], argument: str) -> dict[str, pd.Series]:
    """The output columns, checked: codes, sex, age, counts, one row per practice, sex and age."""
    header, kind = _commissioner(found)
    practice = to_code(frame, found["practice_code"], "practice", argument, required=True)
    commissioner = to_code(frame, header, "commissioner", argument)
    ons = to_code(frame, found.get("ons_commissioner"), "ons", argument)
    sex_raw = to_text(frame, found["sex"], argument, required=True).str.upper()
    check_choices(frame, sex_raw, found["sex"], argument, ["ALL", "MALE", "FEMALE", "PERSONS", "M", "F"])
    sex = sex_raw.map(_SEX).astype("str")
    age_raw = to_text(frame, found["age"], argument, required=True)
    age, age_lower, age_upper = _ages(age_raw, frame, found["age"], argument)
    patients = to_int(frame, found["patients"], argument, required=True, minimum=0)
    keys = pd.DataFrame({"practice": practice, "sex": sex, "age": age})
    check_unique(frame, keys, [found["practice_code"], found["sex"], found["age"]], argument)
    return {
        "publication": to_text(frame, found.get("publication"), argument),
        "extract_date": to_date(frame, found["extract_date"], argument, required=True),
        "org_type": to_text(frame, found.get("org_type"), argument).str.upper(),
        **commissioner_columns(commissioner, kind),
        "ons_commissioner_code": ons,
        "practice_code": practice,
        "postcode": to_text(frame, found.get("postcode"), argument),
        "sex": sex,
        "age": age,
        "age_lower": age_lower,
        "age_upper": age_upper,
        "patients": patients,
    }
