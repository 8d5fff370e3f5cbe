"""``blmk-health report``: data -> indicators -> protection -> figures -> one folder of files."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pandas as pd

from blmk_health.errors import DataFileError, InputError
from blmk_health.report._bundle import DataBundle
from blmk_health.report._compute import compute_indicators
from blmk_health.report._protect import protect_small_numbers

__all__ = ["MARKER", "build_report", "spreadsheet_safe"]

#: The file that marks a folder as written by ``blmk-health report`` (so that it may be written again).
MARKER = ".blmk-health-report"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_T = TypeVar("_T")


def build_report(
    out: str | Path,
    *,
    bundle: DataBundle | None = None,
    data: str | Path | None = None,
    scale: float = 1.0,
    seed: int = 0,
    sdc: bool = True,
    force: bool = False,
    progress: bool | None = None,
) -> Path:
    """Write the BLMK system profile: ``index.html``, ``indicators.parquet`` and ``indicators.csv``.

    The steps are those of ``blmk-health report``: read the data (the built-in synthetic BLMK, a folder
    of published files, or a given bundle), compute every indicator from its definition
    (:func:`compute_indicators`), protect small numbers (:func:`protect_small_numbers`, unless
    ``sdc=False``), draw the figures and write the files.

    Parameters
    ----------
    out : str or pathlib.Path
        The folder to write. It is created if needed. A folder that holds other files is written only if
        it was made by this function before, or with ``force=True``.
    bundle : DataBundle, optional
        The data; by default ``DataBundle.synthetic_blmk(scale, seed)``, or the folder ``data``.
    data : str or pathlib.Path, optional
        A folder of published files (:meth:`DataBundle.from_folder`).
    scale, seed
        Of the synthetic data.
    sdc : bool, default True
        Small-number protection of the published table and of every count shown.
    force : bool, default False
        Write into a folder that holds other files.
    progress : bool, optional
        Show a progress bar on standard error; by default only when it is a terminal.

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Raises
    ------
    InputError
        ``out`` holds other files (and ``force`` is not set), is a file, or the data cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import blmk_health as bh
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     index = bh.report.build_report(pathlib.Path(folder) / "report", scale=0.01, progress=False)
    ...     sorted(p.name for p in index.parent.iterdir())
    ['.blmk-health-report', 'index.html', 'indicators.csv', 'indicators.parquet']
    """
    folder = _check_out(Path(out), force)
    with _steps(progress) as step:
        if bundle is None:
            bundle = step("Reading the data", lambda: _bundle(data, scale, seed))
        table = step("Computing the indicators", lambda: compute_indicators(bundle))
        if sdc:
            table = step("Protecting small numbers", lambda: protect_small_numbers(table))
        from blmk_health.report._page import report_page

        page = step("Drawing the figures", lambda: report_page(bundle, table, sdc=sdc))
        step("Writing the files", lambda: _write(folder, page, table))
    return folder / "index.html"


def _bundle(data: str | Path | None, scale: float, seed: int) -> DataBundle:
    if data is not None:
        return DataBundle.from_folder(data)
    return DataBundle.synthetic_blmk(scale=scale, seed=seed)


def _check_out(folder: Path, force: bool) -> Path:
    """The output folder, checked before any work: never write into a folder of other files without ``force``."""
    if folder.exists() and not folder.is_dir():
        msg = f"out: {str(folder)!r} is a file; give a folder to write the report into"
        raise DataFileError(msg, str(folder))
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file() and not force:
        msg = (
            f"out: the folder {str(folder)!r} already holds files that blmk-health report did not write; "
            "choose another folder, or add --force (force=True) to write into it"
        )
        raise InputError(msg)
    return folder


@contextmanager
def _steps(progress: bool | None) -> Iterator[Callable[[str, Callable[[], _T]], _T]]:
    """A step runner that shows one progress bar (tqdm) on standard error, when wanted."""
    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=5, disable=not show, unit="step", file=sys.stderr, bar_format="{desc} {bar} {n}/{total}") as bar:

        def step(description: str, work: Callable[[], _T]) -> _T:
            bar.set_description(description)
            result = work()
            bar.update()
            return result

        yield step
        bar.set_description("Done")


def _write(folder: Path, page: str, table: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("This folder was written by blmk-health report; it may be written again.\n")
    (folder / "index.html").write_text(page, encoding="utf-8")
    table.to_parquet(folder / "indicators.parquet", index=False)
    spreadsheet_safe(table).to_csv(folder / "indicators.csv", index=False)


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell that a spreadsheet would read as a formula prefixed with ``'``.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (CSV injection) get a
    leading apostrophe; numbers are left as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> spreadsheet_safe(pd.DataFrame({"name": ["=SUM(A1)", "Luton"], "value": [-1.5, 2.0]})).to_dict("list")
    {'name': ["'=SUM(A1)", 'Luton'], 'value': [-1.5, 2.0]}
    """
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
            text = out[column]
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_STARTS)).astype(bool)
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out
