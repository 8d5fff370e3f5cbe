"""English Indices of Deprivation (IMD) at LSOA level."""

from __future__ import annotations

import pandas as pd

from blmk_health.errors import SchemaError
from blmk_health.io._common import (
    Column,
    Source,
    check_range,
    check_unique,
    finish,
    map_columns,
    read_table,
    to_code,
    to_float,
    to_int,
    to_text,
)

__all__ = ["read_imd"]

_FILE = (
    "an English Indices of Deprivation file at LSOA level, such as File 1 or File 7 of the IoD2019, as CSV "
    "or xlsx (https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019)"
)
_IMD = r"(?:index of multiple deprivation \(imd\)|imd(?: ?20(?:15|19|25))?)"
_SPEC = (
    Column(
        "lsoa_code",
        "LSOA code (2011)",
        (r"lsoa", r"lsoa ?(?:11|21)? ?(?:cd|code)", r"lsoa code \((?:2011|2021)\)"),
        regex=True,
    ),
    Column(
        "lsoa_name",
        "LSOA name (2011)",
        (r"lsoa ?(?:11|21)? ?(?:nm|name)", r"lsoa name \((?:2011|2021)\)"),
        required=False,
        regex=True,
    ),
    Column(
        "la_code",
        "Local Authority District code (2019)",
        (r"lad ?(?:\d\d)? ?(?:cd|code)", r"la ?(?:cd|code)", r"local authority district code(?: \(\d{4}\))?"),
        False,
        True,
    ),
    Column(
        "la_name",
        "Local Authority District name (2019)",
        (r"lad ?(?:\d\d)? ?(?:nm|name)", r"la ?(?:nm|name)", r"local authority district name(?: \(\d{4}\))?"),
        False,
        True,
    ),
    Column("imd_score", "Index of Multiple Deprivation (IMD) Score", (rf"{_IMD} ?score",), False, True),
    Column("imd_rank", "Index of Multiple Deprivation (IMD) Rank", (rf"{_IMD} ?rank(?: \(.*\))?",), False, True),
    Column(
        "imd_decile",
        "Index of Multiple Deprivation (IMD) Decile",
        (rf"{_IMD} ?decile(?: \(.*\))?", r"imd10"),
        False,
        True,
    ),
)


def read_imd(path: Source) -> pd.DataFrame:
    """Read LSOA deprivation: the IMD decile and, where present, the score and rank.

    Reads the MHCLG Indices of Deprivation files (File 1 ranks and deciles, File 5 or File 7 scores,
    with headers such as ``LSOA code (2011)`` and ``Index of Multiple Deprivation (IMD) Decile``) and the
    common reduced copies (``lsoa,imd10``; ``lsoa11cd,imd2019_decile,lad_cd``). Only the overall IMD is
    read; domain columns (income, employment, ...) are not kept. Decile 1 is the most deprived 10%.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file or xlsx workbook (the first sheet, or the sheet holding the data).

    Returns
    -------
    pandas.DataFrame
        One row per LSOA, in file order. Columns (published header -> column, dtype):

        ======================================================= ============== ============
        published header                                        column         dtype
        ======================================================= ============== ============
        LSOA code (2011) / ``lsoa`` / ``lsoa11cd``              ``lsoa_code``  str
        LSOA name (2011) / ``lsoa11nm``                         ``lsoa_name``  str
        Local Authority District code (2019) / ``lad_cd``       ``la_code``    str
        Local Authority District name (2019) / ``lad_nm``       ``la_name``    str
        Index of Multiple Deprivation (IMD) Score               ``imd_score``  Float64
        Index of Multiple Deprivation (IMD) Rank (where 1 ...)  ``imd_rank``   Int64
        Index of Multiple Deprivation (IMD) Decile / ``imd10``  ``imd_decile`` Int64
        ======================================================= ============== ============

        Every column is present; those absent from the file are missing.

    Raises
    ------
    DataFileError
        No file can be read at ``path`` (nothing there, a folder, or no permission to read it).
    SchemaError
        No LSOA column, or none of decile, score and rank (the message lists the expected and found
        columns), a row with the wrong number of fields (with its line number), or a repeated LSOA.
    DomainError
        A decile outside 1-10, a rank below 1, or a value that is not a number (with line numbers).
    ReferenceDataError
        A malformed LSOA or local authority code.

    Examples
    --------
    >>> import io
    >>> import blmk_health as bh
    >>> df = bh.io.read_imd(io.StringIO("lsoa,imd10\\nE01015693,8\\nE01015694,7\\n"))
    >>> df[["lsoa_code", "imd_decile", "imd_score"]]
       lsoa_code  imd_decile  imd_score
    0  E01015693           8       <NA>
    1  E01015694           7       <NA>
    """
    argument = "path"
    frame = read_table(path, argument, expected=_FILE, is_header=lambda row: any(h.startswith("lsoa") for h in row))
    kind = "an LSOA deprivation (IMD) file"
    found = map_columns(frame, _SPEC, argument, kind)
    if not {"imd_score", "imd_rank", "imd_decile"} & set(found):
        msg = (
            f"{argument}: this is not {kind}: expected an IMD decile, score or rank column such as "
            f"'Index of Multiple Deprivation (IMD) Decile' or 'imd10'; the file has the columns "
            f"{', '.join(repr(h) for h in frame.columns)}"
        )
        raise SchemaError(msg)
    lsoa = to_code(frame, found["lsoa_code"], "lsoa", argument, required=True)
    check_unique(frame, pd.DataFrame({"lsoa": lsoa}), [found["lsoa_code"]], argument)
    la = to_code(frame, found.get("la_code"), "la", argument)
    decile = to_int(frame, found.get("imd_decile"), argument)
    if "imd_decile" in found:
        check_range(frame, decile, found["imd_decile"], argument, minimum=1, maximum=10)
    rank = to_int(frame, found.get("imd_rank"), argument, minimum=1)
    return finish(
        {
            "lsoa_code": lsoa,
            "lsoa_name": to_text(frame, found.get("lsoa_name"), argument),
            "la_code": la,
            "la_name": to_text(frame, found.get("la_name"), argument),
            "imd_score": to_float(frame, found.get("imd_score"), argument),
            "imd_rank": rank,
            "imd_decile": decile,
        }
    )
