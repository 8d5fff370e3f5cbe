"""ODS files: the GP practice file ``epraccur`` and the PCN file ``ePCN``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    check_choices,
    check_codes,
    check_unique,
    finish,
    is_excel,
    lines_of,
    map_columns,
    normalise,
    read_table,
    record_dropped,
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
    frame = read_table(path, argument, header=False)
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
    rows_read = len(frame)
    head = {name: str(pos) for pos, name in _EPRACCUR.items()}
    setting = to_int(frame, head["prescribing_setting"], argument, required=True, minimum=0)
    all_rows = frame
    if gp_only:
        keep = (setting == 4).fillna(False).astype(bool)
        frame, setting = frame[keep], setting[keep]

    code = to_text(frame, head["practice_code"], argument, required=True)
    check_codes(frame, code, "column 1 (Organisation Code)", "practice", argument)
    check_unique(frame, pd.DataFrame({"code": code}), ["column 1 (Organisation Code)"], argument)
    commissioner = to_text(frame, head["commissioner_code"], argument)
    check_codes(frame, commissioner, "column 15 (Commissioner)", "commissioner", argument)
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
    result = finish(columns)
    dropped = all_rows.loc[all_rows.index.difference(frame.index)]
    record_dropped(
        result,
        dropped,
        rows_read=rows_read,
        reason="prescribing settings other than 4 (GP practice)" if gp_only else "",
        key="1",
        argument=argument,
    )
    return result


# ------------------------------------------------------------------------------------------------ ePCN

_COMMISSIONER_CODE = r"(?:current )?(?:clinical commissioning group|ccg|sub icb location|sub icb loc|sub icb) code"
_COMMISSIONER_NAME = r"(?:current )?(?:clinical commissioning group|ccg|sub icb location|sub icb loc|sub icb) name"

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
    Column(
        "practice_commissioner_code",
        "Practice Parent CCG Code",
        (r"practice parent (?:ccg|clinical commissioning group|sub icb location|sub icb loc|sub icb) code",),
        required=False,
        regex=True,
    ),
    Column(
        "practice_commissioner_name",
        "Practice Parent CCG Name",
        (r"practice parent (?:ccg|clinical commissioning group|sub icb location|sub icb loc|sub icb) name",),
        required=False,
        regex=True,
    ),
    Column("pcn_code", "PCN Code"),
    Column("pcn_name", "PCN Name", required=False),
    Column(
        "pcn_commissioner_code",
        "PCN Parent CCG Code",
        (r"pcn parent (?:ccg|clinical commissioning group|sub icb location|sub icb loc|sub icb) code",),
        required=False,
        regex=True,
    ),
    Column(
        "pcn_commissioner_name",
        "PCN Parent CCG Name",
        (r"pcn parent (?:ccg|clinical commissioning group|sub icb location|sub icb loc|sub icb) name",),
        required=False,
        regex=True,
    ),
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


def _commissioner_type(header: str) -> str:
    text = normalise(header)
    return "sub_icb" if "sub icb" in text else "ccg"


def _is_header(first: str) -> Callable[[list[str]], bool]:
    def check(row: list[str]) -> bool:
        return first in row

    return check


def _read_details(source: Source, argument: str) -> pd.DataFrame:
    frame = read_table(source, argument, sheet=("PCN Details", "PCNDetails"), is_header=_is_header("pcn code"))
    found = map_columns(frame, _DETAILS, argument, 'the ePCN "PCN Details" sheet')
    code = to_text(frame, found["pcn_code"], argument, required=True)
    check_codes(frame, code, found["pcn_code"], "pcn", argument)
    check_unique(frame, pd.DataFrame({"pcn": code}), [found["pcn_code"]], argument)
    commissioner = to_text(frame, found["commissioner_code"], argument)
    check_codes(frame, commissioner, found["commissioner_code"], "commissioner", argument)
    kind = _commissioner_type(found["commissioner_code"])
    ctype = pd.Series(kind, index=frame.index, dtype="str").where(commissioner.notna())
    open_date = to_date(frame, found["open_date"], argument, required=True)
    close_date = to_date(frame, found.get("close_date"), argument)
    _check_order(frame, open_date, close_date, found.get("close_date", ""), argument)
    columns = {
        "pcn_code": code,
        "pcn_name": to_text(frame, found["pcn_name"], argument),
        "commissioner_code": commissioner,
        "commissioner_name": to_text(frame, found.get("commissioner_name"), argument),
        "commissioner_type": ctype,
        "sub_icb_code": commissioner.where(ctype == "sub_icb").astype("str"),
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
    if bad.any():
        n = int(bad.sum())
        msg = (
            f"{argument}: column {header!r} is earlier than the start date in {n} {'row' if n == 1 else 'rows'} "
            f"({lines_of(frame, bad)}: {describe_values(end[bad].dt.strftime('%Y-%m-%d'))})"
        )
        raise DomainError(msg)


def _read_partners(source: Source, argument: str) -> pd.DataFrame:
    frame = read_table(
        source,
        argument,
        sheet=("PCN Core Partner Details", "PCNCorePartnerDetails", "Core Partner Details"),
        is_header=_is_header("partner organisation code"),
    )
    found = map_columns(frame, _PARTNERS, argument, 'the ePCN "PCN Core Partner Details" sheet')
    practice = to_text(frame, found["practice_code"], argument, required=True)
    check_codes(frame, practice, found["practice_code"], "practice", argument)
    pcn = to_text(frame, found["pcn_code"], argument, required=True)
    check_codes(frame, pcn, found["pcn_code"], "pcn", argument)
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
        "practice_commissioner_code": to_text(frame, found.get("practice_commissioner_code"), argument),
        "practice_commissioner_name": to_text(frame, found.get("practice_commissioner_name"), argument),
        "pcn_commissioner_code": to_text(frame, found.get("pcn_commissioner_code"), argument),
        "pcn_commissioner_name": to_text(frame, found.get("pcn_commissioner_name"), argument),
    }
    for name in ("practice_commissioner_code", "pcn_commissioner_code"):
        if name in found:
            check_codes(frame, columns[name], found[name], "commissioner", argument)
    result = finish(columns)
    result.attrs["rows_read"] = len(frame)
    return result


def read_epcn(details: Source, core_partners: Source | None = None) -> EPCN:
    """Read the ODS ePCN "PCN Details" and "PCN Core Partner Details" sheets.

    Each argument is an xlsx workbook (``ePCN.xlsx``; the sheet is found by name, "PCN Details" or
    "PCNDetails", "PCN Core Partner Details" or "PCNCorePartnerDetails", and the header row may sit
    below title rows) or a CSV export of the sheet. Headers are matched after collapsing spaces and
    newlines, so the newer headers such as ``"Partner\\nOrganisation\\nCode"`` are read too.

    Parameters
    ----------
    details : str, path-like or file-like
        The "PCN Details" sheet (or the whole ePCN workbook).
    core_partners : str, path-like or file-like, optional
        The "PCN Core Partner Details" sheet. When omitted, ``details`` must be the ePCN workbook,
        and both sheets are read from it.

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
    """
    if core_partners is None:
        if not is_excel(details):
            msg = "core_partners: required unless details is the ePCN xlsx workbook holding both sheets"
            raise InputError(msg)
        if not isinstance(details, (str, os.PathLike)):
            position = details.tell()
            table = _read_details(details, "details")
            details.seek(position)
            partners = _read_partners(details, "details")
        else:
            table = _read_details(details, "details")
            partners = _read_partners(details, "details")
        return EPCN(details=table, core_partners=partners)
    return EPCN(details=_read_details(details, "details"), core_partners=_read_partners(core_partners, "core_partners"))
