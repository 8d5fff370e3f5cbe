"""QOF prevalence (``PREVALENCE_yyyy.csv`` in the NHS England QOF zip files)."""

from __future__ import annotations

import pandas as pd

from blmk_health.errors import DomainError
from blmk_health.io._common import (
    Column,
    Source,
    check_unique,
    finish,
    map_columns,
    read_table,
    reject_rows,
    to_code,
    to_int,
    to_text,
)

__all__ = ["read_qof_prevalence"]

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
