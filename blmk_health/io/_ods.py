"""ODS files: the GP practice file ``epraccur`` and the PCN file ``ePCN``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from blmk_health._frames import is_frame
from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    check_choices,
    check_source,
    check_unique,
    commissioner_columns,
    finish,
    finish_filtered,
    is_excel,
    map_columns,
    normalise,
    read_table,
    reject_rows,
    to_code,
    to_date,
    to_int,
    to_text,
)

__all__ = ["EPCN", "read_epcn", "read_epraccur"]

# Position (1-based) -> output column, in the published order of the ODS epraccur specification.
# Positions 19, 20, 21, 23, 25 and 27 are "Null" in the specification and are not kept.
_EPRACCUR = {
    1: "practice_code",
    2: "practice_name",
    3: "national_grouping",
    4: "high_level_health_geography",
    5: "address_line_1",
    6: "address_line_2",
    7: "address_line_3",
    8: "address_line_4",
    9: "address_line_5",
    10: "postcode",
    11: "open_date",
    12: "close_date",
    13: "status",
    14: "organisation_sub_type",
    15: "commissioner_code",
    16: "join_commissioner_date",
    17: "left_commissioner_date",
    18: "telephone",
    22: "amended_record_indicator",
    24: "provider_purchaser",
    26: "prescribing_setting",
}
_EPRACCUR_WIDTH = 27
_ODS_DOWNLOADS = (
    "https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/"
    "gp-and-gp-practice-related-data"
)
_EPRACCUR_FILE = f"the ODS GP practice file epraccur.csv ({_ODS_DOWNLOADS})"
_STATUS = ("A", "C", "D", "P")


def read_epraccur(path: Source, *, gp_only: bool = False) -> pd.DataFrame:
    """Read the ODS GP practice file ``epraccur`` (headerless, 27 columns read by position).

    Parameters
    ----------
    path : str, path-like or file-like
        ``epraccur.csv`` as published by ODS (no header row; quoted fields are fine).
    gp_only : bool, default False
        Keep only GP practices (prescribing setting 4), leaving out prescribing cost centres such as
        out-of-hours, walk-in, prison and community services. The rows left out are reported in
        ``attrs["dropped"]`` (see Returns).

    Returns
    -------
    pandas.DataFrame
        One row per organisation, in file order. Columns by position (1-based) in the file:

        ==== ==================================== ================================ ==============
        pos. published field                      column                           dtype
        ==== ==================================== ================================ ==============
        1    Organisation Code                    ``practice_code``                str
        2    Name                                 ``practice_name``                str
        3    National Grouping                    ``national_grouping``            str
        4    High Level Health Geography          ``high_level_health_geography``  str
        5-9  Address Line 1-5                     ``address_line_1`` ... ``_5``    str
        10   Postcode                             ``postcode``                     str
        11   Open Date                            ``open_date``                    datetime64[ns]
        12   Close Date                           ``close_date``                   datetime64[ns] (NaT if open)
        13   Status Code (A, C, D, P)             ``status``                       str
        14   Organisation Sub-Type Code           ``organisation_sub_type``        str
        15   Commissioner                         ``commissioner_code``            str
        16   Join Provider/Purchaser Date         ``join_commissioner_date``       datetime64[ns]
        17   Left Provider/Purchaser Date         ``left_commissioner_date``       datetime64[ns]
        18   Contact Telephone Number             ``telephone``                    str
        22   Amended Record Indicator             ``amended_record_indicator``     Int64
        24   Provider/Purchaser                   ``provider_purchaser``           str
        26   Prescribing Setting (4 = GP)         ``prescribing_setting``          Int64
        ==== ==================================== ================================ ==============

        Positions 19-21, 23, 25 and 27 are null in the specification and are not kept. Status codes:
        A active, C closed, D dormant, P proposed. ``attrs["rows_read"]`` is the number of rows in the
        file and ``attrs["dropped"]`` describes the rows ``gp_only`` left out (``rows``, ``reason``,
        first ``lines`` and ``values``).

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        The file does not have 27 columns (it is not epraccur, or has a header row), or a row has the
        wrong number of fields (with its line number), or a practice code repeats.
    DomainError
        A date, status or prescribing setting cannot be read (with line numbers).
    ReferenceDataError
        A malformed practice or commissioner code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> rows = [
    ...     ["E81001", "DR I SALEH'S PRACTICE", "Y61", "Q79", "THE SURGERY", "40 WENLOCK STREET", "LUTON",
    ...      "BEDFORDSHIRE", "", "LU2 0NN", "19740401", "", "A", "B", "06P", "20130401", "", "01582 343347",
    ...      "", "", "", "0", "", "06P", "", "4", ""],
    ...     ["Y06191", "URGENT TREATMENT CENTRE", "Y61", "Q79", "", "", "BEDFORD", "", "", "MK42 9DJ",
    ...      "20181001", "", "A", "B", "06F", "20181001", "", "", "", "", "", "0", "", "06F", "", "12", ""],
    ... ]
    >>> text = "\\n".join(",".join(f'"{v}"' for v in row) for row in rows)
    >>> df = bh.io.read_epraccur(io.StringIO(text), gp_only=True)
    >>> df[["practice_code", "open_date", "status", "commissioner_code", "prescribing_setting"]]
      practice_code  open_date status commissioner_code  prescribing_setting
    0        E81001 1974-04-01      A               06P                    4
    >>> df.attrs["dropped"]["values"]
    ('Y06191',)
    """
    argument = "path"
    frame = read_table(path, argument, expected=_EPRACCUR_FILE, header=False)
    if frame.shape[1] != _EPRACCUR_WIDTH:
        msg = (
            f"{argument}: this is not an ODS epraccur file: expected {_EPRACCUR_WIDTH} columns without a "
            f"header, found {frame.shape[1]} (first row: {describe_values(frame.iloc[0].tolist(), 6)} ...)"
        )
        raise SchemaError(msg)
    first = normalise(frame.iloc[0, 0])
    if first in {"organisation code", "code", "practice code", "org code"}:
        msg = (
            f"{argument}: this epraccur file has a header row ({frame.iloc[0, 0]!r} ...); the published file "
            "has none, and its columns are read by position: remove the header"
        )
        raise SchemaError(msg)
    head = {name: str(pos) for pos, name in _EPRACCUR.items()}
    setting = to_int(frame, head["prescribing_setting"], argument, required=True, minimum=0)
    read = frame
    if gp_only:
        keep = (setting == 4).fillna(False).astype(bool)
        frame, setting = frame[keep], setting[keep]

    label = "column 1 (Organisation Code)"
    code = to_code(frame, head["practice_code"], "practice", argument, required=True, label=label)
    check_unique(frame, pd.DataFrame({"code": code}), [label], argument)
    commissioner = to_code(frame, head["commissioner_code"], "commissioner", argument, label="column 15 (Commissioner)")
    status = to_text(frame, head["status"], argument, required=True).str.upper()
    check_choices(frame, status, "column 13 (Status Code)", argument, _STATUS)

    columns: dict[str, pd.Series] = {}
    for name, pos in head.items():
        if name.endswith("date"):
            columns[name] = to_date(frame, pos, argument)
        elif name == "amended_record_indicator":
            columns[name] = to_int(frame, pos, argument)
        else:
            columns[name] = to_text(frame, pos, argument)
    columns.update(practice_code=code, commissioner_code=commissioner, status=status, prescribing_setting=setting)
    reason = "prescribing settings other than 4 (GP practice)" if gp_only else ""
    return finish_filtered(columns, read, frame, reason=reason, key="1", argument=argument)


# ------------------------------------------------------------------------------------------------ ePCN

# A commissioner: a CCG until June 2022, a sub-ICB location since.
_COMMISSIONER = r"(?:clinical commissioning group|ccg|sub icb location|sub icb loc|sub icb)"
_COMMISSIONER_CODE = rf"(?:current )?{_COMMISSIONER} code"
_COMMISSIONER_NAME = rf"(?:current )?{_COMMISSIONER} name"


def _parent(who: str, what: str) -> Column:
    """The column of the commissioner of the partner practice or of its PCN (``who``): its code or name."""
    published = f"{'Practice' if who == 'practice' else 'PCN'} Parent CCG {what.title()}"
    alias = rf"{who} parent {_COMMISSIONER} {what}"
    return Column(f"{who}_commissioner_{what}", published, (alias,), required=False, regex=True)


_DETAILS = (
    Column("pcn_code", "PCN Code"),
    Column("pcn_name", "PCN Name"),
    Column("commissioner_code", "Current Clinical Commissioning Group Code", (_COMMISSIONER_CODE,), regex=True),
    Column("commissioner_name", "Clinical Commissioning Group Name", (_COMMISSIONER_NAME,), False, True),
    Column("open_date", "Open Date (YYYYMMDD)", (r"open date.*",), regex=True),
    Column("close_date", "Close Date", (r"close date.*",), required=False, regex=True),
    *(Column(f"address_line_{i}", f"Address Line {i}", required=False) for i in range(1, 6)),
    Column("postcode", "Postcode", required=False),
)

_PARTNERS = (
    Column("practice_code", "Partner Organisation Code", ("partner code", "practice code")),
    Column("practice_name", "Partner Name", ("partner organisation name", "practice name"), required=False),
    _parent("practice", "code"),
    _parent("practice", "name"),
    Column("pcn_code", "PCN Code"),
    Column("pcn_name", "PCN Name", required=False),
    _parent("pcn", "code"),
    _parent("pcn", "name"),
    Column("start_date", "Practice to PCN Relationship Start Date", (r".*relationship start date.*",), regex=True),
    Column(
        "end_date", "Practice to PCN Relationship End Date", (r".*relationship end date.*",), required=False, regex=True
    ),
)


@dataclass(frozen=True)
class EPCN:
    """The two tables of the ODS ePCN file, as read by :func:`read_epcn`.

    Attributes
    ----------
    details : pandas.DataFrame
        One row per PCN (sheet "PCN Details").
    core_partners : pandas.DataFrame
        One row per practice-PCN relationship (sheet "PCN Core Partner Details").

    Examples
    --------
    >>> import pandas as pd
    >>> EPCN(details=pd.DataFrame(), core_partners=pd.DataFrame()).details.empty
    True
    """

    details: pd.DataFrame
    core_partners: pd.DataFrame


_EPCN_FILE = f"the ODS PCN workbook ePCN.xlsx ({_ODS_DOWNLOADS})"
_DETAILS_FILE = f'the ODS PCN workbook ePCN.xlsx, or its "PCN Details" sheet as CSV ({_ODS_DOWNLOADS})'
_PARTNERS_FILE = f'the ODS PCN workbook ePCN.xlsx, or its "PCN Core Partner Details" sheet as CSV ({_ODS_DOWNLOADS})'


def _commissioner_type(frame: pd.DataFrame, header: str, argument: str) -> str | pd.Series:
    """``ccg`` or ``sub_icb``: said by the sheet's header, or by the ``commissioner_type`` column of
    ``read_epcn`` output given back."""
    if "commissioner_type" in frame.columns:
        types = to_text(frame, "commissioner_type", argument)
        check_choices(frame, types, "commissioner_type", argument, ["ccg", "sub_icb"])
        return types
    return "sub_icb" if "sub icb" in normalise(header) else "ccg"


def _is_header(first: str) -> Callable[[list[str]], bool]:
    def check(row: list[str]) -> bool:
        return first in row

    return check


def _read_details(source: Any, argument: str) -> pd.DataFrame:
    frame = read_table(
        source,
        argument,
        expected=_DETAILS_FILE,
        sheet=("PCN Details", "PCNDetails"),
        is_header=_is_header("pcn code"),
        frames=True,
    )
    found = map_columns(frame, _DETAILS, argument, 'the ePCN "PCN Details" sheet')
    code = to_code(frame, found["pcn_code"], "pcn", argument, required=True)
    check_unique(frame, pd.DataFrame({"pcn": code}), [found["pcn_code"]], argument)
    commissioner = to_code(frame, found["commissioner_code"], "commissioner", argument)
    kind = _commissioner_type(frame, found["commissioner_code"], argument)
    open_date = to_date(frame, found["open_date"], argument, required=True)
    close_date = to_date(frame, found.get("close_date"), argument)
    _check_order(frame, open_date, close_date, found.get("close_date", ""), argument)
    columns = {
        "pcn_code": code,
        "pcn_name": to_text(frame, found["pcn_name"], argument),
        "commissioner_code": commissioner,  # here in the column order; given again with its type below
        "commissioner_name": to_text(frame, found.get("commissioner_name"), argument),
        **commissioner_columns(commissioner, kind),
        "open_date": open_date,
        "close_date": close_date,
        **{f"address_line_{i}": to_text(frame, found.get(f"address_line_{i}"), argument) for i in range(1, 6)},
        "postcode": to_text(frame, found.get("postcode"), argument),
    }
    result = finish(columns)
    result.attrs["rows_read"] = len(frame)
    return result


def _check_order(frame: pd.DataFrame, start: pd.Series, end: pd.Series, header: str, argument: str) -> None:
    bad = (end < start).fillna(False).astype(bool)
    message = "column {column!r} is earlier than the start date in {n} {row|rows} ({where})"
    reject_rows(DomainError, frame, bad, message, argument, shown=end.dt.strftime("%Y-%m-%d"), column=header)


def _read_partners(source: Any, argument: str) -> pd.DataFrame:
    frame = read_table(
        source,
        argument,
        expected=_PARTNERS_FILE,
        sheet=("PCN Core Partner Details", "PCNCorePartnerDetails", "Core Partner Details"),
        is_header=_is_header("partner organisation code"),
        frames=True,
    )
    found = map_columns(frame, _PARTNERS, argument, 'the ePCN "PCN Core Partner Details" sheet')
    practice = to_code(frame, found["practice_code"], "practice", argument, required=True)
    pcn = to_code(frame, found["pcn_code"], "pcn", argument, required=True)
    start = to_date(frame, found["start_date"], argument, required=True)
    end = to_date(frame, found.get("end_date"), argument)
    _check_order(frame, start, end, found.get("end_date", ""), argument)
    keys = pd.DataFrame({"practice": practice, "pcn": pcn, "start": start})
    check_unique(frame, keys, [found["practice_code"], found["pcn_code"], found["start_date"]], argument)
    columns = {
        "practice_code": practice,
        "practice_name": to_text(frame, found.get("practice_name"), argument),
        "pcn_code": pcn,
        "pcn_name": to_text(frame, found.get("pcn_name"), argument),
        "start_date": start,
        "end_date": end,
    }
    for who in ("practice", "pcn"):
        code, name = f"{who}_commissioner_code", f"{who}_commissioner_name"
        columns[code] = to_code(frame, found.get(code), "commissioner", argument)
        columns[name] = to_text(frame, found.get(name), argument)
    result = finish(columns)
    result.attrs["rows_read"] = len(frame)
    return result


def _read_workbook(book: Any) -> EPCN:
    """Both sheets of the ePCN workbook ``book`` (a path or a binary file object)."""
    if not is_frame(book):
        check_source(book, "details", _EPCN_FILE)
    if is_frame(book) or not is_excel(book):
        msg = "core_partners: required unless details is the ePCN xlsx workbook holding both sheets"
        raise InputError(msg)
    if isinstance(book, (str, os.PathLike)):
        return EPCN(details=_read_details(book, "details"), core_partners=_read_partners(book, "details"))
    position = book.tell()
    details = _read_details(book, "details")
    book.seek(position)
    return EPCN(details=details, core_partners=_read_partners(book, "details"))


def read_epcn(details: Source | EPCN | Any, core_partners: Source | Any | None = None) -> EPCN:
    """Read the ODS ePCN "PCN Details" and "PCN Core Partner Details" sheets.

    Each argument is an xlsx workbook (``ePCN.xlsx``; the sheet is found by name, "PCN Details" or
    "PCNDetails", "PCN Core Partner Details" or "PCNCorePartnerDetails", and the header row may sit
    below title rows), a CSV export of the sheet, or the sheet already loaded as a data frame (as
    ``pd.read_excel`` gives it; any kind of frame narwhals supports). Headers are matched after
    collapsing spaces and newlines, so the newer headers such as ``"Partner\\nOrganisation\\nCode"``
    are read too, and a frame that already has the columns below (``read_epcn`` output given back) is
    read unchanged. Frames are checked as files are; messages name their rows by index label.

    Parameters
    ----------
    details : str, path-like, file-like, data frame or EPCN
        The "PCN Details" sheet, the whole ePCN workbook, or an :class:`EPCN` (then omit
        ``core_partners``).
    core_partners : str, path-like, file-like or data frame, optional
        The "PCN Core Partner Details" sheet. When omitted, ``details`` must be the ePCN workbook
        (or an :class:`EPCN`), and both sheets are read from it.

    Returns
    -------
    EPCN
        A frozen dataclass of two DataFrames. ``details``, one row per PCN:

        ================================================= ============================ ==============
        published header                                  column                       dtype
        ================================================= ============================ ==============
        PCN Code                                          ``pcn_code``                 str
        PCN Name                                          ``pcn_name``                 str
        Current Clinical Commissioning Group Code /       ``commissioner_code``        str
        Current Sub ICB Location Code
        (which of the two)                                ``commissioner_type``        str: ``ccg`` / ``sub_icb``
        (a sub-ICB location code)                         ``sub_icb_code``             str (missing for CCGs)
        Clinical Commissioning Group Name                 ``commissioner_name``        str
        Open Date (YYYYMMDD)                              ``open_date``                datetime64[ns]
        Close Date                                        ``close_date``               datetime64[ns] (NaT if open)
        Address Line 1 ... 5                              ``address_line_1`` ... ``5`` str
        Postcode                                          ``postcode``                 str
        ================================================= ============================ ==============

        ``core_partners``, one row per practice-PCN relationship:

        ================================================= ============================ ==============
        Partner Organisation Code                         ``practice_code``            str
        Partner Name                                      ``practice_name``            str
        PCN Code                                          ``pcn_code``                 str
        PCN Name                                          ``pcn_name``                 str
        Practice to PCN Relationship Start Date           ``start_date``               datetime64[ns]
        Practice to PCN Relationship End Date             ``end_date``                 datetime64[ns] (NaT: open)
        Practice Parent CCG (Sub ICB) Code / Name         ``practice_commissioner_code`` / ``_name`` str
        PCN Parent CCG (Sub ICB) Code / Name              ``pcn_commissioner_code`` / ``_name`` str
        ================================================= ============================ ==============

        The derived "Practice CCG and PCN CCG match?" column is not kept (compare the two codes).

    Raises
    ------
    DataFileError
        No file can be read at a path given (nothing there, a folder, or no permission to read it).
    InputError
        ``core_partners`` is omitted but ``details`` is not a workbook.
    SchemaError
        A sheet is missing, or is not of this kind (the message lists the expected and found columns),
        a row has the wrong number of fields, or a PCN (or a practice-PCN relationship) repeats.
    DomainError
        A date cannot be read, or an end date is before its start date (with line numbers).
    ReferenceDataError
        A malformed practice, PCN or commissioner code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> details = io.StringIO(
    ...     "PCN Code,PCN Name,Current Clinical Commissioning Group Code,Open Date (YYYYMMDD),Close Date,Postcode\\n"
    ...     "U09531,CHILTERN HILLS PCN,06F,20191001,,LU1 4EE\\n"
    ... )
    >>> partners = io.StringIO(
    ...     '"Partner\\nOrganisation\\nCode",Partner Name,PCN Code,PCN Name,'
    ...     "Practice to PCN Relationship Start Date,Practice to PCN Relationship End Date\\n"
    ...     "E81004,KINGSLAND SURGERY,U09531,CHILTERN HILLS PCN,20190701,20200331\\n"
    ...     "E81004,KINGSLAND SURGERY,U09531,CHILTERN HILLS PCN,20200401,\\n"
    ... )
    >>> epcn = bh.io.read_epcn(details, partners)
    >>> epcn.details[["pcn_code", "commissioner_code", "open_date", "close_date"]]
      pcn_code commissioner_code  open_date close_date
    0   U09531               06F 2019-10-01        NaT
    >>> epcn.core_partners[["practice_code", "pcn_code", "start_date", "end_date"]]
      practice_code pcn_code start_date   end_date
    0        E81004   U09531 2019-07-01 2020-03-31
    1        E81004   U09531 2020-04-01        NaT

    Sheets loaded as data frames, with the published headers or already with the columns above:

    >>> import pandas as pd
    >>> sheet = pd.DataFrame(
    ...     {
    ...         "Partner\\nOrganisation\\nCode": ["E81004"],
    ...         "PCN Code": ["U09531"],
    ...         "Practice to PCN Relationship Start Date": [pd.Timestamp("2020-04-01")],
    ...     }
    ... )
    >>> again = bh.io.read_epcn(epcn.details, sheet)
    >>> again.core_partners[["practice_code", "pcn_code", "start_date", "end_date"]]
      practice_code pcn_code start_date end_date
    0        E81004   U09531 2020-04-01      NaT
    >>> again.details.equals(epcn.details)
    True
    """
    if isinstance(details, EPCN) and core_partners is None:
        details, core_partners = details.details, details.core_partners
    if core_partners is None:
        return _read_workbook(details)
    return EPCN(details=_read_details(details, "details"), core_partners=_read_partners(core_partners, "core_partners"))
