"""The figures of the report: one function per figure, each returning a matplotlib Figure.

Every function takes plain data (tables of the data bundle, or the tidy indicator table of
``compute_indicators``) and returns a :class:`matplotlib.figure.Figure` drawn on matplotlib's Agg
canvas: never a GUI, and never pyplot's global list of figures (nothing to close, nothing leaks in a
long-running process). Titles and axis labels are in words with their units; colours come from the
viridis family, readable with colour-vision deficiency. Missing values never raise: a figure draws
what there is and says in a note under the plot what is missing and why. Sources are not drawn on
the charts (the page's caption carries them); the maps carry their copyright note.

The figures are sized for a web-page column of about 800 pixels: 7 inches wide, saved at 130 dpi by
:func:`blmk_health.report._html.figure_to_png` (about 900 pixels) and shown at the column's width.

Each function stores a plain-language description of what its figure shows (the areas, the values,
what is missing) as the figure's label, ``fig.get_label()``: the page uses it as the image's alt text.

- :func:`registered_pyramid`: registered patients by sex and 5-year age group, BLMK and each place
  (or cluster); needs ``registrations`` and ``practices``.
- :func:`resident_pyramid`: residents by sex and 5-year age group, BLMK and each place; ``population``.
- :func:`area_chart` (:func:`mortality_chart`): one indicator by area with 95% limits, the ICB as a
  line; the tidy table.
- :func:`life_expectancy_chart`: life expectancy and healthy life expectancy by area and sex; the tidy
  table.
- :func:`sii_chart` with :func:`sii_fits`: life expectancy by deprivation decile with the SII line; the
  deciles of ``le_gap(..., return_deciles=True)``.
- :func:`places_map`, :func:`clusters_map` (polygons from :func:`cluster_polygons`),
  :func:`deprivation_map`: maps drawn with ``bh.geo.choropleth`` from ``lsoas``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health._frames import to_pandas
from blmk_health.datasets import BOUNDARY_ATTRIBUTION, IMD_ATTRIBUTION
from blmk_health.errors import SchemaError
from blmk_health.geo import Hierarchy, choropleth, cluster_boundaries, dissolve_areas
from blmk_health.indicators import sii
from blmk_health.report._compute import INDICATOR_COLUMNS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "COMPARISON_COLOURS",
    "SEX_COLOURS",
    "area_chart",
    "cluster_polygons",
    "clusters_map",
    "deprivation_map",
    "life_expectancy_chart",
    "mortality_chart",
    "places_map",
    "registered_pyramid",
    "resident_pyramid",
    "sii_chart",
    "sii_fits",
]

#: Colours of the sexes (viridis family: they differ in lightness as well as hue).
SEX_COLOURS: Mapping[str, str] = {"Male": "#3b528b", "Female": "#5ec962", "Persons": "#21918c"}
#: Colours of a comparison with the benchmark (the ICB): the area's 95% limits below it, around it, above it.
COMPARISON_COLOURS: Mapping[str, str] = {
    "lower": "#3b528b",
    "similar": "#c8c8c8",
    "higher": "#fde725",
    "not compared": "#ffffff",
}
LE_COLOUR, HLE_COLOUR = "#3b528b", "#35b779"
BENCHMARK_COLOUR, NOTE_COLOUR, EDGE_COLOUR = "#222222", "#595959", "#4d4d4d"
FIGURE_WIDTH = 7.0
#: The attribution of the small-area boundaries (ONS / OS, OGL), printed under every map.
BOUNDARY_SOURCE = BOUNDARY_ATTRIBUTION
#: ... and of the deprivation deciles, under the deprivation map.
IMD_SOURCE = f"{BOUNDARY_SOURCE} {IMD_ATTRIBUTION}"
#: The columns of the tidy indicator table the charts read.
TIDY_COLUMNS = tuple(c for c in INDICATOR_COLUMNS if c not in ("confidence", "numerator", "denominator", "method"))
_STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#8c8c8c",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
_SEX_WORDS = {"Persons": "persons", "Male": "males", "Female": "females"}
_SEXES = {"MALE": "Male", "M": "Male", "MALES": "Male", "FEMALE": "Female", "F": "Female", "FEMALES": "Female"}
_AGE = re.compile(r"^\s*(?:aged\s+)?(\d+)\s*(?:(?:[_-]|to)\s*(\d+)|(\+|_?plus|\s*and\s+over))?\s*$", re.IGNORECASE)


# ----------------------------------------------------------------------------------- shared stages


@contextmanager
def _style() -> Iterator[None]:
    """The report's matplotlib style, for the duration of one figure (the global rcParams are untouched)."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def _new_figure(height: float, width: float = FIGURE_WIDTH) -> Figure:
    """A Figure on the Agg canvas, with constrained layout, outside pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, title: str, notes: Sequence[str], description: str) -> Figure:
    """Title the figure, write the notes under it, and store its description (the alt text).

    The title and the legend sit above the figure's top edge and the notes below its bottom edge:
    constrained layout keeps the plots inside, and the tight bounding box of ``figure_to_png`` takes
    everything in, without the title, legend and notes ever overlapping the plots or each other.
    """
    from matplotlib.transforms import offset_copy

    legend_points = 0.0
    if fig.legends:
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        legend_points = sum(leg.get_window_extent(renderer).height for leg in fig.legends) * 72 / fig.dpi
    wrapped = textwrap.fill(title, width=int(fig.get_figwidth() * 72 / 6.8))
    heading = fig.suptitle(wrapped, x=0.01, y=1.0, ha="left", va="bottom", fontsize=11, fontweight="bold")
    heading.set_transform(offset_copy(fig.transFigure, fig=fig, y=legend_points + 8, units="points"))
    if notes:
        width = int(fig.get_figwidth() * 72 / 5.0)
        text = "\n".join(textwrap.fill(note, width=width) for note in notes)
        where = offset_copy(fig.transFigure, fig=fig, y=-6, units="points")
        fig.text(0.01, 0.0, text, transform=where, ha="left", va="top", fontsize=8, color=NOTE_COLOUR, gid="notes")
        description = f"{description} Notes: {' '.join(notes)}"
    fig.set_label(description)
    return fig


def _top_legend(fig: Figure, handles: Sequence[Any], ncols: int) -> None:
    """A legend in a row above the plots (under the title, see :func:`_finish`)."""
    from matplotlib.transforms import offset_copy

    fig.legend(
        handles=list(handles),
        loc="lower left",
        bbox_to_anchor=(0.01, 1.0),
        bbox_transform=offset_copy(fig.transFigure, fig=fig, y=2, units="points"),
        ncols=ncols,
        borderaxespad=0.0,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _message_figure(title: str, message: str) -> Figure:
    """A small figure that says why there is nothing to draw."""
    with _style():
        fig = _new_figure(1.6)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", color=NOTE_COLOUR, fontsize=10, wrap=True)
        return _finish(fig, title, [], f"{title}: {message}")


def _require(table: Any, argument: str, columns: Sequence[str]) -> pd.DataFrame:
    """``table`` as a new pandas frame (a GeoDataFrame stays one), with ``columns``, or a SchemaError."""
    frame = to_pandas(table, argument)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{argument}: column(s) {missing!r} not found; the table has {list(frame.columns)[:20]!r}"
        raise SchemaError(msg)
    return frame


def _number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _axis_unit(unit: Any) -> str:
    """An axis label from a definition's unit: "per 100,000" -> "Rate per 100,000", "years" -> "Years"."""
    text = str(unit).strip() if isinstance(unit, str) and unit.strip() else "Value"
    if text.lower().startswith("per "):
        return f"Rate {text}"
    return text[0].upper() + text[1:]


# ----------------------------------------------------------------------------------- age-sex pyramids


def registered_pyramid(
    registrations: pd.DataFrame,
    practices: pd.DataFrame,
    *,
    level: str = "place",
    percent: bool = True,
    title: str | None = None,
) -> Figure:
    """Age-sex pyramids of the registered list: BLMK and each place (or cluster), as small multiples.

    Parameters
    ----------
    registrations : pandas.DataFrame
        ``practice_code``, ``sex`` (``MALE``/``FEMALE``; other labels such as ``ALL`` are totals and
        left out), ``age_group_5`` (``0_4``, ..., ``90_94``, ``95+``; single years are grouped into
        five-year groups), ``number_of_patients``; ``extract_date`` (optional: the latest is drawn).
    practices : pandas.DataFrame
        ``practice_code`` and ``<level>_code`` (``<level>_name`` and ``icb_name`` used when present).
    level : {"place", "cluster"}, default "place"
        The areas of the small multiples.
    percent : bool, default True
        Bars as a percentage of each area's list (comparable shapes; BLMK drawn as a line on each
        area's pyramid), or as numbers of patients.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel for BLMK, then one per area in name order; in each, two bars per age group
        (males to the left, females to the right).

    Raises
    ------
    SchemaError
        A required column is missing.
    """
    reg = _require(registrations, "registrations", ("practice_code", "sex", "age_group_5", "number_of_patients"))
    prac = _require(practices, "practices", ("practice_code", f"{level}_code"))
    long, notes, when = _registered_long(reg, prac, level)
    total_name = _icb_name(prac)
    what = "Registered patients"
    default = f"{what} by sex and 5-year age group{when}"
    with _style():
        return _pyramid_figure(long, total_name, what.lower(), percent, title or default, notes)


def resident_pyramid(
    population: pd.DataFrame,
    places: pd.DataFrame | None = None,
    *,
    percent: bool = True,
    period: str | None = None,
    title: str | None = None,
) -> Figure:
    """Age-sex pyramids of the resident population: BLMK and each place, as small multiples.

    Parameters
    ----------
    population : pandas.DataFrame
        ``sex`` (Male/Female), ``age_band`` (the life-table bands ``0``, ``1-4``, ``5-9``, ...,
        ``90+``, grouped here into five-year groups), ``population``, and ``place_name`` or
        ``place_code``.
    places : pandas.DataFrame, optional
        ``place_code`` and ``place_name`` (and ``icb_name``), to name the places.
    percent : bool, default True
        Bars as a percentage of each area's residents, or as numbers of people.
    period : str, optional
        The period the population stands for (e.g. ``"2016-18"``), in the title.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        A required column is missing.
    """
    pop = _require(population, "population", ("sex", "age_band", "population"))
    if "place_name" not in pop.columns and "place_code" not in pop.columns:
        msg = "population: needs a place_name or place_code column"
        raise SchemaError(msg)
    long, notes = _resident_long(pop, places)
    total_name = _icb_name(places) if places is not None else "BLMK"
    default = f"Resident population by sex and 5-year age group{f', {period}' if period else ''}"
    with _style():
        return _pyramid_figure(long, total_name, "residents", percent, title or default, notes)


def _short_name(name: Any) -> str:
    """The ICB's usual short name in legends and panel titles (other names unchanged)."""
    text = str(name)
    return "BLMK" if text.strip().lower() == "bedfordshire, luton and milton keynes" else text


def _icb_name(table: pd.DataFrame | None) -> str:
    """A short name of the whole system for panel titles."""
    if table is None or "icb_name" not in table.columns or table["icb_name"].dropna().empty:
        return "BLMK"
    return _short_name(table["icb_name"].dropna().iloc[0])


def _age_groups(labels: pd.Series) -> pd.DataFrame:
    """Five-year groups of age labels: ``start`` (NaN when unreadable) and the display ``label``."""
    texts = labels.astype(str)
    starts, names = [], []
    for text in texts:
        match = _AGE.match(text)
        if match is None:
            starts.append(np.nan)
            names.append(text)
            continue
        lower = int(match.group(1))
        if match.group(3):
            starts.append(float(lower))
            names.append(f"{lower}+")
        else:
            start = 5 * (lower // 5)
            starts.append(float(start))
            names.append(f"{start}-{start + 4}")
    return pd.DataFrame({"start": starts, "label": names}, index=labels.index)


def _long_table(area: pd.Series, sex: pd.Series, ages: pd.Series, counts: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """The pyramid's long table (area, sex, start, label, count) and notes on the rows left out."""
    notes = []
    sexes = sex.astype(str).str.strip().str.upper().map(_SEXES)
    groups = _age_groups(ages)
    values = pd.to_numeric(counts, errors="coerce")
    other_sex = sexes.isna()
    unreadable = groups["start"].isna() & ~other_sex & ~ages.astype(str).str.upper().isin(["ALL", "NAN"])
    blank = values.isna() & ~other_sex & groups["start"].notna()
    if unreadable.any():
        shown = ", ".join(repr(v) for v in pd.unique(ages[unreadable].astype(str))[:3])
        notes.append(f"{_plural(int(unreadable.sum()), 'row')} with an unreadable age group ({shown}) left out.")
    if blank.any():
        notes.append(f"{_plural(int(blank.sum()), 'row')} without a count (blank or suppressed) left out.")
    keep = ~other_sex & groups["start"].notna() & values.notna()
    if len(sex) and not keep.any() and other_sex.any():
        shown = ", ".join(repr(v) for v in pd.unique(sex[other_sex].astype(str))[:3])
        notes.append(f"The data hold no counts by sex and age group (sex {shown}): there is no pyramid to draw.")
    long = pd.DataFrame(
        {
            "area": area[keep].astype(object),
            "sex": sexes[keep],
            "start": groups.loc[keep, "start"],
            "label": groups.loc[keep, "label"],
            "count": values[keep].astype(float),
        }
    )
    return long.reset_index(drop=True), notes


def _registered_long(reg: pd.DataFrame, prac: pd.DataFrame, level: str) -> tuple[pd.DataFrame, list[str], str]:
    """Registrations by area (the practice's place or cluster), sex and five-year group."""
    when, notes = "", []
    if "extract_date" in reg.columns and reg["extract_date"].notna().any():
        dates = pd.to_datetime(reg["extract_date"], errors="coerce")
        latest = dates.max()
        if dates.nunique() > 1:
            notes.append(f"Several extracts in the data: the latest ({latest:%d %B %Y}) is drawn.")
            reg = reg[dates == latest]
        when = f", {latest.day} {latest:%B %Y}"
    name_col = f"{level}_name" if f"{level}_name" in prac.columns else f"{level}_code"
    lookup = prac.drop_duplicates("practice_code").set_index("practice_code")[name_col]
    area = reg["practice_code"].astype(object).map(lookup)
    long, more = _long_table(area, reg["sex"], reg["age_group_5"], reg["number_of_patients"])
    unmapped = long["area"].isna()
    if unmapped.any():
        codes = pd.unique(reg.loc[~reg["practice_code"].astype(object).isin(lookup.index), "practice_code"])
        notes.append(
            f"{_number(float(long.loc[unmapped, 'count'].sum()), 0)} patients of {_plural(len(codes), 'practice')} "
            f"not in the practices table (first: {', '.join(map(str, codes[:3]))}) count in the total only."
        )
    return long, [*notes, *more], when


def _resident_long(pop: pd.DataFrame, places: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Residents by place, sex and five-year group (the life-table bands 0 and 1-4 make 0-4)."""
    if "place_name" in pop.columns:
        area = pop["place_name"].astype(object)
    elif places is not None and {"place_code", "place_name"} <= set(places.columns):
        names = places.drop_duplicates("place_code").set_index("place_code")["place_name"]
        area = pop["place_code"].astype(object).map(names).fillna(pop["place_code"].astype(object))
    else:
        area = pop["place_code"].astype(object)
    return _long_table(area, pop["sex"], pop["age_band"], pop["population"])


def _pyramid_grid(n_panels: int) -> tuple[int, int]:
    ncols = 1 if n_panels == 1 else 2 if n_panels in (2, 4) else 3 if n_panels <= 9 else 4
    return -(-n_panels // ncols), ncols


def _pyramid_figure(
    long: pd.DataFrame, total_name: str, counted: str, percent: bool, title: str, notes: list[str]
) -> Figure:
    """Small multiples of pyramids: the whole system first, then each area by name."""
    if long.empty:
        return _message_figure(title, f"No {counted} to draw.{' ' + ' '.join(notes) if notes else ''}")
    groups = long.drop_duplicates("label").sort_values("start")["label"].tolist()
    areas = sorted(long["area"].dropna().unique(), key=str)
    panels: list[tuple[str, pd.DataFrame]] = [(total_name, long)]
    panels += [(str(a), long[long["area"] == a]) for a in areas]
    nrows, ncols = _pyramid_grid(len(panels))
    fig = _new_figure(0.9 + 2.3 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, sharex=percent, squeeze=False)).ravel()
    reference = _pyramid_shares(long, groups, percent)
    for ax, (name, rows) in zip(axes, panels, strict=False):
        _pyramid_panel(ax, name, _pyramid_shares(rows, groups, percent), reference, groups, percent, name != total_name)
        if ncols > 3:  # narrow panels: smaller titles, long names on two lines
            ax.set_title(textwrap.fill(name, 18), fontsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if percent:
        limit = max(max(float(np.nanmax(np.abs(ax.get_xlim()))) for ax in axes[: len(panels)]), 1e-9)
        axes[0].set_xlim(-limit, limit)
    _pyramid_legend(fig, total_name, percent and len(panels) > 1)
    fig.supxlabel(f"Percentage of the area's {counted} (%)" if percent else f"Number of {counted}", fontsize=9)
    fig.supylabel("Age group (years)", fontsize=9)
    totals = "; ".join(f"{name} {_number(float(rows['count'].sum()), 0)}" for name, rows in panels)
    description = (
        f"Population pyramids of {counted} by sex and five-year age group for {total_name} and each of "
        f"{_plural(len(areas), 'area')}: males to the left, females to the right, "
        f"{'as a percentage of each area total' if percent else 'as numbers'}"
        f"{f', with {total_name} drawn as a line on each area for comparison' if percent and areas else ''}. "
        f"Totals: {totals}."
    )
    return _finish(fig, title, notes, description)


def _pyramid_shares(rows: pd.DataFrame, groups: list[str], percent: bool) -> dict[str, np.ndarray[Any, Any]]:
    """Male and female counts (or percentages of the panel's total) in the order of ``groups``."""
    sums = rows.groupby(["sex", "label"])["count"].sum()
    total = float(rows["count"].sum())
    out = {}
    for sex in ("Male", "Female"):
        values = np.array([float(sums.get((sex, g), 0.0)) for g in groups])
        out[sex] = values / total * 100 if percent and total > 0 else values
    return out


def _pyramid_panel(
    ax: Axes,
    name: str,
    shares: dict[str, np.ndarray[Any, Any]],
    reference: dict[str, np.ndarray[Any, Any]],
    groups: list[str],
    percent: bool,
    compare: bool,
) -> None:
    """One pyramid: male bars to the left (negative), female to the right, BLMK as a line."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    y = np.arange(len(groups))
    ax.barh(y, -shares["Male"], height=0.85, color=SEX_COLOURS["Male"], label="Male")
    ax.barh(y, shares["Female"], height=0.85, color=SEX_COLOURS["Female"], label="Female")
    if compare and percent:
        for sign, sex in ((-1, "Male"), (1, "Female")):
            ax.plot(sign * reference[sex], y, color=BENCHMARK_COLOUR, linewidth=1.0, gid="comparator")
    ax.axvline(0, color="white", linewidth=0.6)
    ax.set_yticks(y[::2], [groups[i] for i in range(0, len(groups), 2)])
    ax.set_ylim(-0.6, len(groups) - 0.4)
    fmt = (lambda v, _: f"{abs(v):g}") if percent else (lambda v, _: f"{abs(v):,.0f}")
    ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=percent, symmetric=True))
    if not percent:
        limit = max(float(np.max(shares["Male"], initial=0)), float(np.max(shares["Female"], initial=0)), 1.0)
        ax.set_xlim(-limit * 1.05, limit * 1.05)
    if not shares["Male"].any() and not shares["Female"].any():
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", color=NOTE_COLOUR)
    ax.tick_params(labelbottom=True)
    ax.set_title(name, fontsize=9)


def _pyramid_legend(fig: Figure, total_name: str, comparator: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Patch(color=SEX_COLOURS["Male"], label="Males"),
        Patch(color=SEX_COLOURS["Female"], label="Females"),
    ]
    if comparator:
        handles.append(Line2D([], [], color=BENCHMARK_COLOUR, linewidth=1.0, label=f"{total_name} (for comparison)"))
    _top_legend(fig, handles, len(handles))


# ----------------------------------------------------------------------------------- indicator charts


def _indicator_rows(table: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """The rows of one indicator of the tidy table, with numeric value and limits."""
    rows = _require(table, "table", TIDY_COLUMNS)
    rows = rows[rows["indicator_id"] == indicator_id].copy()
    for column in ("value", "lower", "upper"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    return rows


def _period_text(rows: pd.DataFrame) -> str:
    periods = sorted({str(p) for p in rows["period"].dropna()})
    return f", {', '.join(periods)}" if periods else ""


def _status_text(row: Mapping[Any, Any]) -> str:
    status = row.get("status")
    return str(status) if isinstance(status, str) and status and status != "ok" else "no value"


def _compare(value: float, lower: float, upper: float, benchmark: float) -> str:
    """OHID's comparison with a benchmark: the area's 95% limits wholly below it, around it or above it.

    A value without limits (a ratio of counts that are not samples, such as patients per GP) or without a
    benchmark is "not compared".
    """
    if not np.isfinite(value):
        return "none"
    if not np.isfinite(benchmark) or not (np.isfinite(lower) and np.isfinite(upper)):
        return "not compared"
    if upper < benchmark:
        return "lower"
    if lower > benchmark:
        return "higher"
    return "similar"


def mortality_chart(
    table: pd.DataFrame,
    indicator_id: str = "mortality_all_causes_dsr",
    *,
    sex: str = "Persons",
    level: str = "place",
    title: str | None = None,
) -> Figure:
    """Directly standardised mortality by place with 95% limits, the ICB as a reference line.

    :func:`area_chart` of the definition ``mortality_all_causes_dsr`` (persons, places against the ICB).

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (``INDICATOR_COLUMNS``).
    indicator_id : str, default "mortality_all_causes_dsr"
        The definition's id.
    sex : str, default "Persons"
        The rows drawn.
    level : str, default "place"
        The areas drawn as bars; the ICB is the reference line.
    title : str, optional
        Replaces the default (the indicator's name, sex and period).

    Returns
    -------
    matplotlib.figure.Figure
    """
    return area_chart(table, indicator_id, sex=sex, level=level, title=title)


def area_chart(
    table: pd.DataFrame,
    indicator_id: str,
    *,
    sex: str = "Persons",
    level: str = "place",
    benchmark_level: str = "icb",
    title: str | None = None,
    xlabel: str | None = None,
    digits: int = 1,
) -> Figure:
    """One indicator by area: bars with 95% confidence limits, and the benchmark (ICB) as a line.

    Bars are coloured by OHID's comparison with the benchmark: the area's 95% limits wholly below
    the benchmark's value, around it, or wholly above it. A blank value (a row of the tidy table
    with a missing value) is listed with its reason instead of a bar.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table: ``indicator_id``, ``indicator_name``, ``level``, ``area_code``,
        ``area_name``, ``period``, ``sex``, ``value``, ``lower``, ``upper``, ``unit``, ``status``.
    indicator_id : str
        The definition's id.
    sex : str, default "Persons"
    level : str, default "place"
        The areas drawn as bars.
    benchmark_level : str, default "icb"
        The area drawn as a line (its first row when there are several).
    title, xlabel : str, optional
        Replace the defaults (the indicator's name, sex and period; its unit).
    digits : int, default 1
        Decimals of the values written on the bars and in the description (2 for ratios near 1).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        ``table`` lacks a column of the tidy table.
    """
    rows = _indicator_rows(table, indicator_id)
    if rows.empty:
        return _message_figure(title or indicator_id, f"No rows for the indicator {indicator_id!r} in the table.")
    name = str(rows["indicator_name"].dropna().iloc[0]) if rows["indicator_name"].notna().any() else indicator_id
    chosen = rows[rows["sex"] == sex]
    areas = chosen[chosen["level"] == level].sort_values("area_name", key=lambda s: s.astype(str), ascending=False)
    bench = chosen[chosen["level"] == benchmark_level].head(1)
    title = title or f"{name}, {_SEX_WORDS.get(sex, sex.lower())}{_period_text(chosen)}"
    if areas.empty:
        return _message_figure(title, f"No {level} rows for {_SEX_WORDS.get(sex, sex.lower())} in the table.")
    unit = rows["unit"].dropna().iloc[0] if rows["unit"].notna().any() else ""
    with _style():
        fig = _new_figure(1.5 + 0.36 * len(areas))
        ax = fig.add_subplot()
        notes = _area_bars(fig, ax, areas, bench, digits)
        limits = " (lines: 95% confidence limits)" if areas["lower"].notna().any() else ""
        ax.set_xlabel(xlabel or f"{_axis_unit(unit)}{limits}")
        description = _area_description(name, areas, bench, unit, digits)
        return _finish(fig, title, notes, description)


def _area_bars(fig: Figure, ax: Axes, areas: pd.DataFrame, bench: pd.DataFrame, digits: int) -> list[str]:
    """Draw the bars, limits, value labels and benchmark line; the notes on blank values."""
    benchmark = float(bench["value"].iloc[0]) if len(bench) else np.nan
    bench_name = _short_name(bench["area_name"].iloc[0]) if len(bench) else ""
    y = np.arange(len(areas))
    top = np.nanmax([*areas["upper"], *areas["value"], benchmark, 0.0])
    top = top if np.isfinite(top) and top > 0 else 1.0
    notes, used = [], set()
    for yi, row in zip(y.astype(float), areas.to_dict("records"), strict=True):
        value, lower, upper = float(row["value"]), float(row["lower"]), float(row["upper"])
        if not np.isfinite(value):
            ax.text(top * 0.01, yi, f"No value: {_status_text(row)}", va="center", fontsize=8, color=NOTE_COLOUR)
            notes.append(f"{row['area_name']}: {_status_text(row)}.")
            continue
        kind = _compare(value, lower, upper, benchmark)
        used.add(kind)
        ax.barh(
            yi, value, height=0.6, color=COMPARISON_COLOURS.get(kind, "#c8c8c8"), edgecolor=EDGE_COLOUR, linewidth=0.5
        )
        if np.isfinite(lower) and np.isfinite(upper):
            ax.errorbar(
                value, yi, xerr=[[value - lower], [upper - value]], fmt="none", ecolor="black", elinewidth=1, capsize=3
            )
        label_x = upper if np.isfinite(upper) else value
        ax.text(
            label_x + top * 0.02,
            yi,
            _number(value, digits),
            va="center",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85},
        )
    if np.isfinite(benchmark):
        ax.axvline(benchmark, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.2, gid="benchmark")
    elif len(bench):
        notes.append(f"{bench_name}: {_status_text(bench.iloc[0].to_dict())}; no benchmark line.")
    ax.set_yticks(y, areas["area_name"].astype(str).tolist())
    ax.set_xlim(0, top * 1.12)
    ax.set_ylim(-0.6, len(areas) - 0.4)
    _area_legend(fig, used, bench_name if np.isfinite(benchmark) else "", _number(benchmark, digits))
    return notes


def _area_legend(fig: Figure, used: set[str], bench_name: str, benchmark: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    words = {
        "lower": f"Lower than {bench_name or 'the benchmark'} (95% limits below it)",
        "similar": f"Similar to {bench_name or 'the benchmark'}" if bench_name else "Value",
        "higher": f"Higher than {bench_name or 'the benchmark'} (95% limits above it)",
        "not compared": "Not compared (no confidence limits)" if bench_name else "Value",
    }
    handles: list[Any] = [
        Patch(facecolor=COMPARISON_COLOURS[k], edgecolor=EDGE_COLOUR, linewidth=0.5, label=words[k])
        for k in ("lower", "similar", "higher", "not compared")
        if k in used
    ]
    if bench_name:
        label = f"{bench_name}: {benchmark}"
        handles.append(Line2D([], [], color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.2, label=label))
    if handles:
        _top_legend(fig, handles, 2)


def _area_description(name: str, areas: pd.DataFrame, bench: pd.DataFrame, unit: Any, digits: int) -> str:
    unit_text = f" {unit}" if isinstance(unit, str) and unit else ""
    parts = []
    for row in areas.iloc[::-1].to_dict("records"):
        if np.isfinite(row["value"]):
            limits = (
                f" (95% limits {_number(row['lower'], digits)} to {_number(row['upper'], digits)})"
                if np.isfinite(row["lower"])
                else ""
            )
            parts.append(f"{row['area_name']} {_number(row['value'], digits)}{limits}")
        else:
            parts.append(f"{row['area_name']} no value")
    with_limits = " with 95% confidence limits" if areas["lower"].notna().any() else ""
    text = f"Bar chart of {name}{unit_text} by area{with_limits}: {'; '.join(parts)}."
    if len(bench) and np.isfinite(bench["value"].iloc[0]):
        text += f" Dashed line: {bench['area_name'].iloc[0]} {_number(float(bench['value'].iloc[0]), digits)}."
    return text


def life_expectancy_chart(
    table: pd.DataFrame,
    *,
    life_expectancy_id: str = "life_expectancy_at_birth",
    healthy_id: str = "healthy_life_expectancy_at_birth",
    level: str = "place",
    benchmark_level: str = "icb",
    title: str | None = None,
) -> Figure:
    """Life expectancy and healthy life expectancy at birth by area and sex, with 95% limits.

    One panel per sex (males, then females, then persons if present). In each, one row per area
    (the benchmark, the ICB, last and in bold): life expectancy and healthy life expectancy as
    points with their 95% confidence limits, and a grey bar between them for the years lived in
    less than good health. A blank value is named in the panel and in the notes.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table.
    life_expectancy_id, healthy_id : str
        The definitions' ids.
    level : str, default "place"
    benchmark_level : str, default "icb"
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        ``table`` lacks a column of the tidy table.
    """
    le = _indicator_rows(table, life_expectancy_id)
    hle = _indicator_rows(table, healthy_id)
    both = pd.concat([le, hle])
    title = title or f"Life expectancy and healthy life expectancy at birth{_period_text(both)}"
    levels = [level, benchmark_level]
    both = both[both["level"].isin(levels)]
    if both.empty:
        return _message_figure(title, f"No {level} rows of {life_expectancy_id!r} or {healthy_id!r} in the table.")
    sexes = [s for s in ("Male", "Female", "Persons") if (both["sex"] == s).any()]
    areas = _le_area_order(both, level, benchmark_level)
    notes = [] if len(hle) else [f"No rows of {healthy_id!r}: healthy life expectancy is not drawn."]
    notes += [] if len(le) else [f"No rows of {life_expectancy_id!r}: life expectancy is not drawn."]
    with _style():
        fig = _new_figure(1.6 + 0.45 * len(areas))
        axes = np.atleast_1d(fig.subplots(1, len(sexes), sharey=True, sharex=True, squeeze=False)).ravel()
        lo, hi = _le_range(both)
        for ax, sex in zip(axes, sexes, strict=True):
            notes += _le_panel(ax, le[le["sex"] == sex], hle[hle["sex"] == sex], areas, lo)
            ax.set_title({"Male": "Males", "Female": "Females"}.get(sex, sex))
            ax.set_xlim(lo, hi)
        fig.supxlabel("Years from birth (points: value; lines: 95% confidence limits)", fontsize=9)
        _le_legend(fig)
        description = _le_description(le, hle, areas, sexes)
        return _finish(fig, title, notes, description)


def _le_area_order(rows: pd.DataFrame, level: str, benchmark_level: str) -> list[tuple[str, str]]:
    """(level, area name) of each row of the chart, top to bottom: areas by name, then the benchmark."""
    names = sorted({str(a) for a in rows.loc[rows["level"] == level, "area_name"].dropna()})
    bench = sorted({str(a) for a in rows.loc[rows["level"] == benchmark_level, "area_name"].dropna()})
    return [(level, a) for a in names] + [(benchmark_level, b) for b in bench[:1]]


def _le_range(rows: pd.DataFrame) -> tuple[float, float]:
    values = pd.concat([rows["lower"], rows["value"], rows["upper"]]).dropna()
    if values.empty:
        return 50.0, 90.0
    lo, hi = float(values.min()), float(values.max())
    return 5 * np.floor((lo - 2) / 5), 5 * np.ceil((hi + 3) / 5)


def _pick(rows: pd.DataFrame, level: str, area: str) -> dict[Any, Any] | None:
    found = rows[(rows["level"] == level) & (rows["area_name"].astype(str) == area)]
    return found.iloc[0].to_dict() if len(found) else None


def _le_panel(ax: Axes, le: pd.DataFrame, hle: pd.DataFrame, areas: list[tuple[str, str]], lo: float) -> list[str]:
    """One sex: a row per area with LE and HLE points, limits, labels and the grey bar between."""
    notes = []
    n = len(areas)
    for i, (level, area) in enumerate(areas):
        y = n - 1 - i
        found = {"le": _pick(le, level, area), "hle": _pick(hle, level, area)}
        points = {k: float(r["value"]) if r is not None else np.nan for k, r in found.items()}
        if np.isfinite(points["le"]) and np.isfinite(points["hle"]):
            ax.barh(y, points["le"] - points["hle"], left=points["hle"], height=0.34, color="#e3e3e3", zorder=1)
        missing = []
        for key, colour, marker in (("le", LE_COLOUR, "o"), ("hle", HLE_COLOUR, "D")):
            row = found[key]
            if row is None or not np.isfinite(points[key]):
                what = "life expectancy" if key == "le" else "healthy life expectancy"
                missing.append(f"{what}: {_status_text(row) if row is not None else 'not in the table for this area'}")
                continue
            _point_with_limits(ax, points[key], y, row, colour, marker)
        if missing:
            ax.text(lo + 0.3, y - 0.36, "; ".join(missing), fontsize=7, color=NOTE_COLOUR, va="center")
            sex = str((found["le"] or found["hle"] or {}).get("sex", ""))
            notes.append(f"{_short_name(area)} ({_SEX_WORDS.get(sex, sex)}): {'; '.join(missing)}.")
    labels = [_short_name(area) for _, area in areas]
    ax.set_yticks(np.arange(n)[::-1], labels)
    for tick, (level, _) in zip(ax.get_yticklabels(), areas, strict=False):
        tick.set_fontweight("bold" if level != areas[0][0] else "normal")
    if n > 1 and areas[-1][0] != areas[0][0]:
        ax.axhline(0.5, color="#bdbdbd", linewidth=0.8)
    ax.set_ylim(-0.7, n - 0.4)
    return notes


def _point_with_limits(ax: Axes, value: float, y: float, row: Mapping[Any, Any], colour: str, marker: str) -> None:
    lower, upper = float(row["lower"]), float(row["upper"])
    if np.isfinite(lower) and np.isfinite(upper):
        ax.errorbar(
            value,
            y,
            xerr=[[value - lower], [upper - value]],
            fmt="none",
            ecolor=colour,
            elinewidth=1.2,
            capsize=3,
            zorder=2,
        )
    ax.plot([value], [y], marker=marker, color=colour, markersize=6, linestyle="none", zorder=3)
    ax.text(value, y + 0.2, f"{value:.1f}", ha="center", va="bottom", fontsize=7.5, color="#222222")


def _le_legend(fig: Figure) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], marker="o", color=LE_COLOUR, linestyle="none", label="Life expectancy"),
        Line2D([], [], marker="D", color=HLE_COLOUR, linestyle="none", label="Healthy life expectancy"),
        Patch(color="#e3e3e3", label="Years not in good health"),
    ]
    _top_legend(fig, handles, 3)


def _le_description(le: pd.DataFrame, hle: pd.DataFrame, areas: list[tuple[str, str]], sexes: list[str]) -> str:
    parts = []
    for sex in sexes:
        for level, area in areas:
            found = [_pick(t[t["sex"] == sex], level, area) for t in (le, hle)]
            vals = [
                _number(float(r["value"])) if r is not None and np.isfinite(r["value"]) else "no value" for r in found
            ]
            parts.append(f"{area} {_SEX_WORDS.get(sex, sex)} {vals[0]} and {vals[1]}")
    return (
        "Dot chart of life expectancy and healthy life expectancy at birth in years, by area and sex, with "
        f"95% confidence limits (life expectancy, then healthy life expectancy): {'; '.join(parts)}."
    )


# ----------------------------------------------------------------------------------- the SII chart


def sii_fits(
    deciles: pd.DataFrame,
    by: Sequence[str] = ("place_name", "sex"),
    *,
    quantile: str = "quantile",
    population: str = "population",
    seed: int = 1,
) -> pd.DataFrame:
    """The slope index of inequality and intercept of each group whose deciles all have a value.

    ``bh.indicators.sii(..., value="value", se="se", intercept=True)`` on the groups of ``deciles``
    (the decile table of ``bh.indicators.le_gap(..., return_deciles=True)``) in which every decile
    has a life expectancy and a standard error; the other groups are left out (they have no line).

    Parameters
    ----------
    deciles : pandas.DataFrame
        ``by`` columns, ``quantile``, ``population``, ``value``, ``se``.
    by : sequence of str, default ("place_name", "sex")
    quantile, population : str
        Columns of the decile number (1 = most deprived) and its population.
    seed : int, default 1
        Seed of the simulated confidence limits.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``sii``, ``sii_lower95_0cl``, ``sii_upper95_0cl``, ``intercept`` (fitted value
        at relative rank 0, the most deprived end), one row per complete group.
    """
    keys = list(by)
    table = _require(deciles, "deciles", [*keys, quantile, population, "value", "se"])
    ok = np.isfinite(pd.to_numeric(table["value"], errors="coerce")) & np.isfinite(
        pd.to_numeric(table["se"], errors="coerce")
    )
    ok &= pd.to_numeric(table[population], errors="coerce").fillna(0) > 0
    complete = ok.groupby([table[k] for k in keys], observed=True, dropna=False).transform("all") if keys else ok.all()
    rows = table[complete.astype(bool)] if keys else (table if bool(complete) else table.iloc[:0])
    columns = [*keys, "sii", "sii_lower95_0cl", "sii_upper95_0cl", "intercept"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c not in keys else object) for c in columns})
    fitted = sii(rows, quantile, population, value="value", se="se", by=keys or None, intercept=True, seed=seed)
    return pd.DataFrame(fitted)[columns].reset_index(drop=True)


def _relative_rank(populations: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The population mid-point of each decile on the 0-1 scale (0 = the most deprived end)."""
    pops = np.where(np.isfinite(populations) & (populations > 0), populations, 0.0)
    total = pops.sum()
    if total <= 0:
        return (np.arange(len(pops)) + 0.5) / max(len(pops), 1)
    shares = pops / total
    mids: np.ndarray[Any, Any] = np.cumsum(shares) - shares / 2
    return mids


def sii_chart(
    deciles: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    by: Sequence[str] = ("place_name", "sex"),
    quantile: str = "quantile",
    population: str = "population",
    title: str | None = None,
    deprivation: str = "Deprivation decile within the place",
) -> Figure:
    """The SII chart: life expectancy by deprivation decile with the fitted line, one panel per group.

    Each decile's life expectancy is a point with its 95% limits, drawn at its relative rank in the
    population (the mid-point of its population share, 0 = the most deprived end, 1 = the least);
    the line is the fitted regression, ``intercept + sii * rank``, from rank 0 to rank 1, so the
    SII is the difference between its two ends. Panels: one row per value of ``by[0]`` (places),
    one column per value of ``by[1]`` (sexes), on a shared life-expectancy scale. A group whose
    deciles are incomplete is drawn without a line, with the reason.

    Parameters
    ----------
    deciles : pandas.DataFrame
        ``le_gap(..., return_deciles=True)``'s decile table: ``by`` columns, ``quantile``,
        ``population``, ``value``, ``lowercl``, ``uppercl``, ``statistic``.
    fits : pandas.DataFrame
        :func:`sii_fits` (or ``bh.indicators.sii(..., intercept=True)``): ``by`` columns, ``sii``,
        ``sii_lower95_0cl``, ``sii_upper95_0cl``, ``intercept``.
    by : sequence of one or two str, default ("place_name", "sex")
    quantile, population : str
    title : str, optional
    deprivation : str
        The words of the decile axis.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        A required column is missing, or ``by`` has not one or two columns.
    """
    keys = list(by)
    if len(keys) not in (1, 2):
        msg = f"by: expected one or two columns (rows, columns of panels), got {keys!r}"
        raise SchemaError(msg)
    table = _require(deciles, "deciles", [*keys, quantile, population, "value", "lowercl", "uppercl"])
    fitted = _require(fits, "fits", [*keys, "sii", "intercept"])
    title = title or "Life expectancy at birth by deprivation decile and the slope index of inequality (SII)"
    if table.empty:
        return _message_figure(title, "No deciles to draw.")
    rows_of = _ordered(table[keys[0]])
    cols_of = _ordered(table[keys[1]]) if len(keys) == 2 else [None]
    with _style():
        fig = _new_figure(1.1 + 2.0 * len(rows_of), FIGURE_WIDTH if len(cols_of) > 1 else 5.0)
        axes = fig.subplots(len(rows_of), len(cols_of), sharey=True, squeeze=False)
        notes: list[str] = []
        summary: list[str] = []
        for r, row_key in enumerate(rows_of):
            for c, col_key in enumerate(cols_of):
                group = (row_key,) if col_key is None else (row_key, col_key)
                notes += _sii_panel(axes[r][c], table, fitted, keys, group, quantile, population, summary)
        _sii_axes(fig, axes, table, deprivation)
        description = (
            f"Life expectancy at birth in years by {deprivation.lower()} (1 = most deprived) with 95% confidence "
            f"limits and the fitted slope index of inequality line, one panel per group: {'; '.join(summary)}."
        )
        return _finish(fig, title, notes, description)


def _ordered(values: pd.Series) -> list[Any]:
    """Distinct values in their categorical order, else Male before Female, else sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [v for v in values.cat.categories if (values == v).any()]
    distinct = list(pd.unique(values.dropna()))
    order = {"Male": 0, "Female": 1, "Persons": 2}
    if all(v in order for v in distinct):
        return sorted(distinct, key=lambda v: order[v])
    return sorted(distinct, key=str)


def _group_rows(table: pd.DataFrame, keys: list[str], group: tuple[Any, ...]) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for key, value in zip(keys, group, strict=True):
        mask &= (table[key] == value).to_numpy(dtype=bool)
    return table[mask]


def _sii_panel(
    ax: Axes,
    table: pd.DataFrame,
    fitted: pd.DataFrame,
    keys: list[str],
    group: tuple[Any, ...],
    quantile: str,
    population: str,
    summary: list[str],
) -> list[str]:
    """One group: decile points with limits at their relative rank, the fitted line and its SII."""
    rows = _group_rows(table, keys, group).sort_values(quantile)
    name = " - ".join({"Male": "Males", "Female": "Females"}.get(str(g), str(g)) for g in group)
    ax.set_title(name, fontsize=9)
    rank = _relative_rank(pd.to_numeric(rows[population], errors="coerce").to_numpy(dtype=float))
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float)
    lower = pd.to_numeric(rows["lowercl"], errors="coerce").to_numpy(dtype=float)
    upper = pd.to_numeric(rows["uppercl"], errors="coerce").to_numpy(dtype=float)
    shown = np.isfinite(values)
    limits = shown & np.isfinite(lower) & np.isfinite(upper)
    ax.errorbar(
        rank[limits],
        values[limits],
        yerr=[values[limits] - lower[limits], upper[limits] - values[limits]],
        fmt="none",
        ecolor="#7f7f7f",
        elinewidth=1,
        capsize=2,
        zorder=2,
    )
    ax.plot(rank[shown], values[shown], "o", color=LE_COLOUR, markersize=5, zorder=3, gid="deciles")
    ax.set_xticks(rank, [str(q) for q in rows[quantile]])
    ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(0, 1)
    fit = _group_rows(fitted, keys, group)
    notes = []
    if len(fit) and np.isfinite(float(fit["sii"].iloc[0])) and np.isfinite(float(fit["intercept"].iloc[0])):
        slope, start = float(fit["sii"].iloc[0]), float(fit["intercept"].iloc[0])
        ax.plot([0, 1], [start, start + slope], color=HLE_COLOUR, linewidth=2, zorder=1, gid="sii_line")
        ax.text(
            0.03,
            0.93,
            _sii_label(fit.iloc[0].to_dict()),
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
        summary.append(f"{name}: {_sii_label(fit.iloc[0].to_dict())}")
    else:
        missing = [str(q) for q, ok in zip(rows[quantile], shown, strict=True) if not ok]
        reason = _decile_reason(rows, shown)
        text = f"no line: no life expectancy for decile(s) {', '.join(missing)}" if missing else "no fitted line"
        text = text if len(rows) else "no deciles in the data"
        ax.text(0.03, 0.93, text, transform=ax.transAxes, va="top", fontsize=7.5, color=NOTE_COLOUR, wrap=True)
        notes.append(f"{name}: {text}{f' ({reason})' if reason else ''}.")
        summary.append(f"{name}: {text}")
    return notes


def _sii_label(fit: Mapping[Any, Any]) -> str:
    text = f"SII {fit['sii']:.1f} years"
    lower, upper = fit.get("sii_lower95_0cl"), fit.get("sii_upper95_0cl")
    if lower is not None and upper is not None and np.isfinite(lower) and np.isfinite(upper):
        text += f" ({lower:.1f} to {upper:.1f})"
    return text


def _decile_reason(rows: pd.DataFrame, shown: np.ndarray[Any, Any]) -> str:
    if "statistic" not in rows.columns:
        return ""
    reasons = pd.unique(rows.loc[~shown, "statistic"].dropna().astype(str))
    return "; ".join(r.split("NA: ", 1)[-1] for r in reasons[:2])


def _sii_axes(fig: Figure, axes: Any, table: pd.DataFrame, deprivation: str) -> None:
    """Shared scale, axis words and legend of the SII chart."""
    from matplotlib.lines import Line2D

    values = pd.concat([pd.to_numeric(table[c], errors="coerce") for c in ("lowercl", "value", "uppercl")]).dropna()
    if len(values):
        axes[0][0].set_ylim(np.floor(values.min() - 1), np.ceil(values.max() + 2.5))
    fig.supxlabel(f"{deprivation} (1 = most deprived), placed at its population mid-point", fontsize=9)
    fig.supylabel("Life expectancy at birth (years)", fontsize=9)
    handles = [
        Line2D([], [], marker="o", color=LE_COLOUR, linestyle="none", label="Decile (with 95% limits)"),
        Line2D(
            [], [], color=HLE_COLOUR, linewidth=2, label="Fitted line: the SII is its rise from most to least deprived"
        ),
    ]
    _top_legend(fig, handles, 2)


# ----------------------------------------------------------------------------------- maps


def cluster_polygons(lsoas: Any, registered: pd.DataFrame, practices: pd.DataFrame) -> Any:
    """Cluster (PCN) polygons for the map: ``bh.geo.cluster_boundaries`` from registered patients.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        Small areas with ``lsoa_code``.
    registered : pandas.DataFrame
        ``practice_code`` and ``lsoa_code``, one row per patient (the synthetic ``patients``) or with
        a ``patients`` count column.
    practices : pandas.DataFrame
        ``practice_code``, ``cluster_code`` (and names, place and ICB codes): the hierarchy.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cluster_code``, ``cluster_name``, ``n_areas``, ``patients``, ``patients_assigned``, ``share``,
        geometry; small areas with no registered patients form an ``"unassigned"`` polygon.
    """
    reg = _require(registered, "registered", ("practice_code", "lsoa_code"))
    if "patients" not in reg.columns:
        reg = reg.groupby(["practice_code", "lsoa_code"], observed=True).size().rename("patients").reset_index()
    hierarchy = Hierarchy.from_frame(practices)
    return cluster_boundaries(lsoas, reg, hierarchy, unassigned="group")


def _map_figure(gdf: Any, legend_width: float = 2.0) -> tuple[Figure, Axes]:
    """A figure shaped to the area, with room on the right for the legend."""
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    aspect = max(maxy - miny, 1.0) / max(maxx - minx, 1.0)
    map_width = FIGURE_WIDTH - legend_width
    fig = _new_figure(min(max(map_width * aspect, 3.5), 7.0) + 0.5)
    ax = fig.add_subplot()
    return fig, ax


def _place_polygons(lsoas: Any) -> Any:
    """The places dissolved from the small areas, with their names."""
    areas = _require(lsoas, "lsoas", ("place_code",))
    places = dissolve_areas(areas, "place_code")
    if "place_name" in areas.columns:
        names = areas.drop_duplicates("place_code").set_index("place_code")["place_name"]
        places["place_name"] = places["place_code"].map(names).astype(object)
    else:
        places["place_name"] = places["place_code"].astype(object)
    return places


def places_map(lsoas: Any, *, title: str = "The four places of BLMK", source: str | None = BOUNDARY_SOURCE) -> Figure:
    """Map of the places (local authorities), each named, dissolved from the small areas.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        Small areas with ``place_code`` (and ``place_name``).
    title : str
    source : str or None
        Source and copyright note under the map (the boundaries' attribution by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    places = _place_polygons(lsoas)
    with _style():
        fig, ax = _map_figure(places)
        choropleth(
            places,
            "place_name",
            ax=ax,
            legend=True,
            legend_title="Place (local authority)",
            outlines=None,
            area_names="place_name",
            source=source,
        )
        names = sorted(str(n) for n in places["place_name"])
        description = f"Map of the {_plural(len(places), 'place')} of BLMK, each named: {', '.join(names)}."
        return _finish(fig, title, [], description)


def clusters_map(
    clusters: Any,
    *,
    places: Any = None,
    title: str = "GP clusters (primary care networks)",
    source: str | None = BOUNDARY_SOURCE,
) -> Figure:
    """Map of the GP clusters, numbered, with the place boundaries.

    Each small area is drawn in the cluster holding most of its registered residents
    (``bh.geo.cluster_boundaries``). Neighbouring clusters (consecutive codes) get distant colours;
    the legend lists the clusters by code with the numbers written on the map.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        :func:`cluster_polygons`: ``cluster_code`` (``"unassigned"`` for areas with no registered
        patients), ``cluster_name``.
    places : geopandas.GeoDataFrame, optional
        Small areas with ``place_code``: the place outlines.
    title : str
    source : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    gdf = _require(clusters, "clusters", ("cluster_code",)).copy()
    gdf["cluster_code"] = gdf["cluster_code"].astype(object)
    named_col = "cluster_name" if "cluster_name" in gdf.columns else "cluster_code"
    gdf.loc[gdf["cluster_code"] == "unassigned", "cluster_code"] = np.nan
    codes = sorted(str(c) for c in gdf["cluster_code"].dropna().unique())
    names = gdf.dropna(subset=["cluster_code"]).set_index("cluster_code")[named_col].astype(str).to_dict()
    labels = {code: f"{i}  {names.get(code, code)}" for i, code in enumerate(codes, start=1)}
    outlines = _place_polygons(places) if places is not None else None
    with _style():
        fig, ax = _map_figure(gdf, legend_width=2.4)
        if labels:
            choropleth(
                gdf,
                "cluster_code",
                ax=ax,
                classes=labels,
                cmap=_spread_colours(len(labels)),
                legend_title="GP cluster",
                outlines=outlines,
                missing_label="No registered patients",
                source=source,
            )
            _number_areas(ax, gdf, codes)
        notes = [
            "Clusters are lists of practices, not territories: each small area is drawn in the cluster "
            "with most of its registered residents. Black lines: place boundaries."
        ]
        description = f"Map of {_plural(len(codes), 'GP cluster')} of BLMK, numbered: {'; '.join(labels.values())}."
        return _finish(fig, title, notes, description)


def _spread_colours(n: int) -> Any:
    """``n`` viridis colours in an order that puts consecutive classes far apart on the scale."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    step = next((s for s in (5, 4, 3, 2) if n > s and np.gcd(s, n) == 1), 1)
    base = colormaps["viridis"]
    return ListedColormap([base(((i * step) % n) / max(n - 1, 1)) for i in range(n)], name="viridis_spread")


def _number_areas(ax: Axes, gdf: Any, codes: list[str]) -> None:
    """The cluster numbers of the legend, at a point inside each cluster, on a white halo."""
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for number, code in enumerate(codes, start=1):
        shape = gdf.loc[gdf["cluster_code"] == code].geometry.union_all()
        if shape is None or shape.is_empty:
            continue
        point = shape.representative_point()
        ax.text(
            point.x,
            point.y,
            str(number),
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color="#111111",
            path_effects=halo,
            gid="cluster_number",
            zorder=6,
        )


_DECILE_WORDS = {
    "imd_decile": "IMD 2019 decile (England)",
    "imd_local_decile": "IMD 2019 decile within the place",
}


def deprivation_map(
    lsoas: Any, *, column: str = "imd_decile", title: str | None = None, source: str | None = IMD_SOURCE
) -> Figure:
    """Map of the small areas' deprivation deciles, in ten discrete classes (1 = most deprived).

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        Small areas with the decile column (and ``place_code``, ``place_name`` for the place
        outlines and names).
    column : str, default "imd_decile"
        ``imd_decile`` (national) or ``imd_local_decile`` (within the place).
    title : str, optional
    source : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    areas = _require(lsoas, "lsoas", (column,)).copy()
    words = _DECILE_WORDS.get(column, column.replace("_", " "))
    deciles = pd.to_numeric(areas[column], errors="coerce")
    areas[column] = deciles.where(deciles.isin(list(range(1, 11))))
    title = title or f"Deprivation of the small areas (LSOAs): {words}"
    names = "place_name" if {"place_code", "place_name"} <= set(areas.columns) else None
    with _style():
        fig, ax = _map_figure(areas)
        choropleth(
            areas,
            column,
            ax=ax,
            classes="deciles",
            legend_title=words,
            missing_label="No decile",
            area_names=names,
            source=source,
        )
        notes = []
        missing = int(areas[column].isna().sum())
        if missing:
            notes.append(f"{_plural(missing, 'small area')} without a decile from 1 to 10 (hatched grey).")
        counts = deciles.value_counts()
        description = (
            f"Map of {_plural(len(areas), 'small area')} coloured by {words}, from dark purple (decile 1, the most "
            f"deprived) to yellow (decile 10, the least); {int(counts.get(1, 0))} in decile 1, "
            f"{int(counts.get(10, 0))} in decile 10."
        )
        return _finish(fig, title, notes, description)
