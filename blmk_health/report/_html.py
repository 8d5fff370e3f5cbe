"""The report's HTML page: one self-contained file rendered with jinja2.

:func:`render_html` turns a :class:`ReportContext` (title, date, the data's source and period, whether
the data are synthetic, the sections with their figures and tables, what was skipped, the note on
small-number protection) into one HTML5 page: CSS inline, figures as base64 PNG data URIs, no
script, no font or other external request, printable. Every text is escaped by jinja2's autoescape.

Helpers build the parts from plain data: :func:`figure_to_png` and :func:`report_figure` for a
matplotlib figure, :func:`indicator_table` for one indicator's rows of the tidy table (numbers
formatted, limits as "(low - high)"), :func:`skipped_from_table` for the "skipped" rows.
"""

from __future__ import annotations

import base64
import io
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.errors import InputError, SchemaError
from blmk_health.report._compute import INDICATOR_COLUMNS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SMALL_NUMBER_NOTE",
    "ReportContext",
    "ReportFigure",
    "ReportSection",
    "ReportTable",
    "figure_to_png",
    "indicator_table",
    "render_html",
    "report_figure",
    "skipped_from_table",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The default words on small-number protection (counts of 1 to 7 suppressed, others rounded to 5).
SMALL_NUMBER_NOTE = (
    "Published counts of people are protected: counts of 1 to 7 are suppressed and other counts rounded to "
    "the nearest 5 (staff full-time equivalents and modelled expected cases are shown as they are); values "
    "and confidence limits are recomputed from the published counts where they follow from them, or left "
    'blank with the reason. Rows marked "protected" were changed by these rules.'
)
#: The levels of the tidy table, in their order (smallest first).
LEVEL_ORDER = ("practice", "cluster", "place", "icb")
_SEX_ORDER = {"Persons": 0, "Male": 1, "Female": 2}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------- the context


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the page: PNG bytes, the alt text describing it, and a caption (with its source)."""

    png: bytes
    alt: str
    caption: str = ""

    def __post_init__(self) -> None:
        if not self.png.startswith(_PNG_SIGNATURE):
            msg = "png: expected the bytes of a PNG image (figure_to_png)"
            raise InputError(msg)
        if not self.alt.strip():
            msg = "alt: every figure needs a text alternative describing it"
            raise InputError(msg)

    @property
    def data_uri(self) -> str:
        """The image as a ``data:image/png;base64,...`` URI."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels, read from the PNG header."""
        width, height = struct.unpack(">II", self.png[16:24])
        return int(width), int(height)


@dataclass(frozen=True)
class ReportTable:
    """A table of the page: caption, column headers, rows of formatted text.

    The first cell of each row is the row's header (``<th scope="row">``). ``numeric`` marks the
    columns aligned right (by default every column but the first, second and last).
    """

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[bool] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        bad = [i for i, row in enumerate(self.rows) if len(row) != len(self.columns)]
        if bad:
            msg = f"rows: {len(bad)} row(s) do not have {len(self.columns)} cells (first: row {bad[0]})"
            raise InputError(msg)

    @property
    def alignment(self) -> list[str]:
        """``"num"`` or ``"text"`` for each column (the CSS class of its cells)."""
        numeric = self.numeric
        if numeric is None:
            n = len(self.columns)
            numeric = [0 < i < n - 1 and i != 1 for i in range(n)]
        return ["num" if flag else "text" for flag in numeric]


@dataclass(frozen=True)
class ReportSection:
    """A section of the page: title, lead text, figures, tables, and its method, source and period."""

    id: str
    title: str
    lead: str
    method: str
    source: str
    period: str
    figures: Sequence[ReportFigure] = ()
    tables: Sequence[ReportTable] = ()
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class ReportContext:
    """Everything the page shows.

    ``skipped`` lists (what, why) pairs: indicators or tables not computed and the reason.
    ``protection`` is the note on small-number protection (``""`` when protection was off: the page
    then says so).
    """

    title: str
    generated: date
    source: str
    period: str
    synthetic: bool
    sections: Sequence[ReportSection]
    skipped: Sequence[tuple[str, str]] = ()
    protection: str = SMALL_NUMBER_NOTE
    version: str = ""
    subtitle: str = "A population-health profile of Bedfordshire, Luton and Milton Keynes"


# ----------------------------------------------------------------------------------- figures


def figure_to_png(fig: Figure, dpi: int = 130) -> bytes:
    """The figure as PNG bytes (tight bounding box, white background); the figure is closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default 130
        Resolution: the 7-inch figures of ``_figures`` give about 900 pixels, sharp in an 800-pixel column.

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=dpi,
        bbox_inches="tight",
        pad_inches=0.12,
        facecolor="white",
        metadata={"Software": None},
    )
    if "matplotlib.pyplot" in sys.modules:  # a figure made with pyplot is forgotten by it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buffer.getvalue()


def report_figure(fig: Figure, caption: str = "", alt: str | None = None, dpi: int = 130) -> ReportFigure:
    """A :class:`ReportFigure` from a matplotlib figure; the alt text defaults to the figure's label.

    The figure functions of ``_figures`` store a description of what they show in the label.

    Raises
    ------
    InputError
        No ``alt`` given and the figure has no label.
    """
    text = alt if alt is not None else str(fig.get_label() or "")
    return ReportFigure(png=figure_to_png(fig, dpi=dpi), alt=text, caption=caption)


# ----------------------------------------------------------------------------------- tables


def _format_number(value: Any, digits: int = 1) -> str:
    """A value with thousands separators, ``-`` when missing; whole counts without decimals."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    if not np.isfinite(number):
        return "-"
    return f"{number:,.{digits}f}"


def _format_count(value: Any) -> str:
    """A count: whole numbers without decimals, others (staff FTE, modelled expected cases) to at most
    two decimals; ``-`` when missing."""
    text = _format_number(value, 2)
    return text.rstrip("0").removesuffix(".") if "." in text else text


def _limits(lower: Any, upper: Any, digits: int = 1) -> str:
    low, high = _format_number(lower, digits), _format_number(upper, digits)
    return "-" if low == "-" or high == "-" else f"({low} - {high})"


def _note(row: Mapping[Any, Any]) -> str:
    status = row.get("status")
    text = "" if not isinstance(status, str) or status == "ok" else status
    flag = row.get("suppressed")
    if flag is not None and flag is not pd.NA and bool(flag):
        text = f"protected{'; ' + text if text else ''}"
    return text


def indicator_table(
    table: pd.DataFrame,
    indicator_id: str,
    *,
    levels: Sequence[str] = ("place", "icb"),
    caption: str | None = None,
    digits: int = 1,
) -> ReportTable:
    """One indicator's rows of the tidy table as a page table, numbers formatted.

    Columns: area, sex, value (with its unit), 95% confidence limits as "(low - high)", numerator,
    denominator, note (the status when blank, "protected" when small-number protection changed a
    count). Rows: the areas of ``levels`` (smallest level first, then by name), then by sex.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table.
    indicator_id : str
    levels : sequence of str, default ("place", "icb")
    caption : str, optional
        By default the indicator's name, unit and period.
    digits : int, default 1
        Decimals of values and limits.

    Returns
    -------
    ReportTable

    Raises
    ------
    SchemaError
        A column of the tidy table is missing.
    """
    needed = [c for c in INDICATOR_COLUMNS if c not in ("area_code", "confidence", "method", "suppressed")]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        msg = f"table: column(s) {missing!r} of the tidy indicator table not found"
        raise SchemaError(msg)
    rows = table[(table["indicator_id"] == indicator_id) & table["level"].isin(list(levels))].copy()
    rows["_level"] = rows["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    rows["_sex"] = rows["sex"].map(_SEX_ORDER).fillna(9)
    rows = rows.sort_values(
        ["_level", "area_name", "_sex"], key=lambda s: s.astype(str) if s.name == "area_name" else s
    )
    named = rows["indicator_name"].dropna()
    name = str(named.iloc[0]) if len(named) else indicator_id
    units = rows["unit"].dropna()
    unit = str(units.iloc[0]) if len(units) else ""
    periods = ", ".join(sorted({str(p) for p in rows["period"].dropna()}))
    body = [
        [
            str(r["area_name"]),
            str(r["sex"]),
            _format_number(r["value"], digits),
            _limits(r["lower"], r["upper"], digits),
            _format_count(r["numerator"]),
            _format_count(r["denominator"]),
            _note(r),
        ]
        for r in rows.to_dict("records")
    ]
    columns = [
        "Area",
        "Sex",
        f"Value ({unit})" if unit else "Value",
        "95% confidence limits",
        "Numerator",
        "Denominator",
        "Note",
    ]
    text = caption or f"{name}{f' ({unit})' if unit else ''}{f', {periods}' if periods else ''}"
    return ReportTable(caption=text, columns=columns, rows=body, numeric=[False, False, True, True, True, True, False])


def skipped_from_table(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (indicator, reason) pairs of the tidy table's "skipped" rows, once each.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (``indicator_name`` or ``indicator_id``, ``status``).

    Returns
    -------
    list of (str, str)
    """
    if "status" not in table.columns:
        msg = "table: no status column"
        raise SchemaError(msg)
    status = table["status"].astype("string")
    rows = table[status.str.startswith("skipped").fillna(False).astype(bool)]
    name = "indicator_name" if "indicator_name" in rows.columns else "indicator_id"
    pairs = []
    for label, reason in zip(rows[name], rows["status"], strict=True):
        text = str(reason).split(":", 1)[-1].strip() if ":" in str(reason) else str(reason)
        pair = (str(label), text)
        if pair not in pairs:
            pairs.append(pair)
    return pairs


# ----------------------------------------------------------------------------------- the page


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def render_html(context: ReportContext) -> str:
    """The report as one self-contained HTML5 page.

    Parameters
    ----------
    context : ReportContext

    Returns
    -------
    str
        The page: ``<!doctype html>``, ``lang="en-GB"``, inline CSS (screen and print), figures as
        data URIs, a "Synthetic data - not real patients" banner when ``context.synthetic``, a
        contents list, each section with its method, source and period, what was skipped and why,
        and the note on small-number protection. All text is escaped.

    Raises
    ------
    InputError
        Two sections share an id.
    """
    ids = [s.id for s in context.sections]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        msg = f"sections: ids must be unique; repeated: {repeated!r}"
        raise InputError(msg)
    template = _environment().get_template("report.html.j2")
    html: str = template.render(ctx=context, generated=_long_date(context.generated))
    return html
