"""Clinical code lists: read from OpenCodelists-style CSV files, given as a table or a dict, and the starters."""

from __future__ import annotations

import errno
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from blmk_health._frames import is_frame, to_pandas
from blmk_health._hospital import code_text, icd10_code
from blmk_health._validation import describe_values
from blmk_health.errors import DataFileError, InputError, SchemaError

__all__ = ["CMS_CODED_CONDITIONS", "codelist_mapping", "read_codelists", "starter_codelists"]

#: The conditions of the starter lists (the Cambridge Multimorbidity Score's coded conditions).
CMS_CODED_CONDITIONS = (
    "alcohol_problems",
    "anxiety_depression",
    "asthma",
    "atrial_fibrillation",
    "cancer",
    "chd",
    "ckd",
    "connective_tissue",
    "copd",
    "dementia",
    "diabetes",
    "epilepsy",
    "hearing_loss",
    "heart_failure",
    "hypertension",
    "ibs",
    "schizophrenia_bipolar",
    "stroke_tia",
)
_COLUMNS = ("condition", "code", "term")


def read_codelists(source: str | Path | Sequence[str | Path], *, condition: str | None = None) -> pd.DataFrame:
    """Read clinical code lists saved as CSV files in the OpenCodelists layout.

    A code list downloaded from OpenCodelists (https://www.opencodelists.org) is a CSV file with a
    ``code`` column and a ``term`` column (other columns are ignored). Each file is one condition, named
    after the file (``hypertension.csv`` is ``"hypertension"``) unless ``condition`` names it or the file
    has a ``condition`` column (one file holding several lists, as :func:`starter_codelists` gives).

    Parameters
    ----------
    source : str, Path, or a list of them
        A CSV file, a folder (every ``*.csv`` file in it, in name order), or a list of files.
    condition : str, optional
        The condition name of a single file without a ``condition`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``condition``, ``code`` and ``term`` (text; a missing term is ``""``), one row per
        code of each list, in file order; ready for :func:`condition_flags`.

    Raises
    ------
    DataFileError
        A path does not exist, or a folder holds no CSV file.
    SchemaError
        A file has no ``code`` column (the message lists the columns it has): it is not in the
        OpenCodelists layout.
    InputError
        ``condition`` is given for several files, or a list has no codes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import blmk_health as bh
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "asthma.csv").write_text("code,term\\n195967001,Asthma (disorder)\\n")
    >>> bh.records.read_codelists(folder)
      condition       code               term
    0    asthma  195967001  Asthma (disorder)
    """
    files = _csv_files(source)
    if condition is not None and len(files) > 1:
        msg = f"condition: names one list, but {len(files)} files were given; name the files after their conditions"
        raise InputError(msg)
    tables = [_read_one(path, condition) for path in files]
    return pd.concat(tables, ignore_index=True)


def _csv_files(source: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    if not paths:
        msg = "source: no code-list files were given"
        raise InputError(msg)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.csv"))
            if not found:
                msg = f"source: the folder {path} holds no code-list CSV file (*.csv)"
                raise DataFileError(msg, str(path), errno.ENOENT)
            files += found
        elif path.is_file():
            files.append(path)
        else:
            msg = f"source: no code-list file at {path} (expected an OpenCodelists CSV with columns code, term)"
            raise DataFileError(msg, str(path), errno.ENOENT)
    return files


def _read_one(path: Path, condition: str | None) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = f"source: {path} is not a readable CSV code list ({type(err).__name__}: {err})"
        raise SchemaError(msg) from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "code" not in table.columns:
        msg = (
            f"source: {path.name} has columns {describe_values(table.columns, 10)}, not a 'code' column: "
            "code lists are read in the OpenCodelists layout (columns code, term)"
        )
        raise SchemaError(msg)
    if "condition" in table.columns and condition is not None:
        msg = f"condition: {path.name} names its conditions in a 'condition' column; leave condition out"
        raise InputError(msg)
    if "condition" not in table.columns:
        table["condition"] = condition if condition is not None else path.stem
    if "term" not in table.columns:
        table["term"] = ""
    out: pd.DataFrame = table[list(_COLUMNS)].apply(lambda column: column.str.strip())
    out = out[out["code"].str.strip() != ""].reset_index(drop=True)
    if out.empty:
        msg = f"source: {path.name} holds no codes"
        raise InputError(msg)
    return out


def starter_codelists() -> pd.DataFrame:
    """The starter SNOMED CT code lists of the Cambridge Multimorbidity Score's coded conditions.

    Small lists (one to five parent concepts per condition) for 18 of the score's 20 conditions, to try
    the pipeline on: **not validated code lists**. A validated list holds hundreds of descendant concepts
    per condition, and some of the score's conditions need medicines or a time window; use your own lists
    (e.g. from OpenCodelists, read with :func:`read_codelists`) for real analyses. Constipation and
    painful condition, which the score defines by prescriptions, have no list. Source and licence:
    ``blmk_health/codelists/README.md``.

    Returns
    -------
    pandas.DataFrame
        Columns ``condition``, ``code``, ``term`` and ``coding_system`` (``"snomedct"``).

    Examples
    --------
    >>> import blmk_health as bh
    >>> codes = bh.records.starter_codelists()
    >>> codes["condition"].nunique()
    18
    >>> codes.loc[codes["condition"] == "epilepsy", ["code", "term"]].to_dict("records")
    [{'code': '84757009', 'term': 'Epilepsy (disorder)'}]
    """
    source = resources.files("blmk_health").joinpath("codelists/cms_starter_snomed.csv")
    with source.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    table["coding_system"] = "snomedct"
    return table


def codelist_mapping(codelists: Any, *, coding_system: str | None = None, prefix: bool = False) -> dict[str, set[str]]:
    """Each condition's codes (as normalised text) from a dict, a table, or CSV paths; checked."""
    if isinstance(codelists, (str, Path)) or (
        isinstance(codelists, Sequence) and codelists and all(isinstance(p, (str, Path)) for p in codelists)
    ):
        codelists = read_codelists(codelists)
    if isinstance(codelists, Mapping):
        pairs = _pairs_from_dict(codelists)
    elif is_frame(codelists):
        pairs = _pairs_from_table(to_pandas(codelists, "codelists"), coding_system)
    else:
        msg = (
            "codelists: expected a dict of condition -> codes, a table with columns condition and code, or "
            f"the path of OpenCodelists CSV files; got {type(codelists).__qualname__}"
        )
        raise InputError(msg)
    normalise = icd10_code if prefix else code_text
    mapping: dict[str, set[str]] = {}
    for name, code in pairs:
        text = normalise(code)
        if text:
            mapping.setdefault(name, set()).add(text)
    empty = sorted({name for name, _ in pairs} - set(mapping))
    if not mapping or empty:
        msg = f"codelists: no codes for {describe_values(empty) if empty else 'any condition'}"
        raise InputError(msg)
    return mapping


def _pairs_from_dict(codelists: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, codes in codelists.items():
        if not isinstance(name, str) or not name:
            msg = f"codelists: condition names must be non-empty text, got {name!r}"
            raise InputError(msg)
        if isinstance(codes, (str, int)) or not isinstance(codes, Iterable):
            msg = f"codelists: the codes of {name!r} must be a list of codes, got {codes!r}"
            raise InputError(msg)
        listed = list(codes)
        pairs += [(name, code) for code in listed] if listed else [(name, None)]
    return pairs


def _pairs_from_table(table: pd.DataFrame, coding_system: str | None) -> list[tuple[str, Any]]:
    missing = [c for c in ("condition", "code") if c not in table.columns]
    if missing:
        msg = (
            f"codelists: the table has no column {missing[0]!r}; a code-list table has columns condition and "
            f"code (and optionally term, coding_system); it has {describe_values(table.columns, 10)}"
        )
        raise SchemaError(msg)
    if coding_system is not None:
        if "coding_system" not in table.columns:
            msg = "coding_system: the code-list table has no 'coding_system' column to choose from"
            raise SchemaError(msg)
        systems = set(table["coding_system"].astype(str))
        if coding_system not in systems:
            held = describe_values(sorted(systems))
            msg = f"coding_system: {coding_system!r} is not in the code lists, which hold {held}"
            raise InputError(msg)
        table = table[table["coding_system"].astype(str) == coding_system]
    names = table["condition"]
    if names.isna().any() or (names.astype(str).str.strip() == "").any():
        msg = "codelists: the condition column has missing names"
        raise InputError(msg)
    return list(zip(names.astype(str), table["code"], strict=True))
