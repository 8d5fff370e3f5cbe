"""Choropleth maps: static (matplotlib) for reports and board papers, and interactive (folium).

A static map is drawn in named stages: check the arguments (:func:`_prepare`, :func:`_check_extras`),
sort the areas into classes (:func:`_classify`: categories, one class per value, deprivation deciles,
a mapping of value -> label, a mapclassify scheme, or a continuous colour bar), draw them, the
outlines and the legend, then the map furniture: the names of the outlined areas, a scale bar, a north
arrow and the source note.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, SchemaError

if TYPE_CHECKING:
    import folium
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.text import Text

__all__ = ["choropleth", "explore"]

#: Colour-blind-safe, perceptually uniform default.
DEFAULT_CMAP = "viridis"
_MISSING_COLOUR, _MISSING_EDGE, _HATCH = "#e0e0e0", "#9e9e9e", "///"

#: The named values of ``classes`` (besides a mapping of value -> label).
CLASSES = ("auto", "values", "deciles", "quintiles", "scheme")

#: ``classes="auto"`` gives one class per value to integer columns whose values span at most this many.
FEW_VALUES = 12

#: The schemes of ``scheme`` and their names in ``mapclassify.classify``.
_SCHEMES = {
    "quantiles": "quantiles",
    "equal_interval": "equalinterval",
    "fisher_jenks": "fisherjenks",
    "natural_breaks": "naturalbreaks",
    "jenks_caspall": "jenkscaspall",
    "headtail_breaks": "headtailbreaks",
    "box_plot": "boxplot",
    "percentiles": "percentiles",
    "std_mean": "stdmean",
    "max_breaks": "maximumbreaks",
    "prettybreaks": "prettybreaks",
}

#: Abbreviations written in capitals in a legend title made from a column name.
_ACRONYMS = frozenset(
    {"imd", "lsoa", "msoa", "gp", "gps", "pcn", "icb", "nhs", "le", "hle", "dsr", "isr", "sii", "ci", "ons", "qof"}
)

# Layout of a new figure, in inches: 16 cm wide, the text width of an A4 page with 2.5 cm margins, so
# that the fonts below (in points) print at their size.
_FIG_WIDTH = 6.3
_LEGEND_WIDTH, _EDGE = 1.9, 0.1
_TITLE_SIZE, _LEGEND_SIZE, _NAME_SIZE, _NOTE_SIZE, _BAR_SIZE = 11.0, 8.0, 9.0, 6.5, 7.0
_INK, _NOTE_INK = "#1a1a1a", "#4d4d4d"


@dataclass(frozen=True)
class _Classed:
    """Areas sorted into classes: ``codes`` is the class of each area (-1 when its value is missing).

    For a continuous colour bar there are no classes: ``scale`` holds its limits.
    """

    codes: np.ndarray[Any, Any]
    labels: tuple[str, ...]
    colours: tuple[str, ...]
    cmap: Colormap
    scale: tuple[float, float] | None = None


def _prepare(gdf: Any, column: str, scheme: str | None, k: int) -> tuple[Any, str | None, int]:
    """Check the frame, the column, ``scheme`` (normalised to a key of ``_SCHEMES``) and ``k``."""
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"gdf: expected a geopandas GeoDataFrame, got {type(gdf).__qualname__}"
        raise SchemaError(msg)
    if column not in gdf.columns:
        msg = f"column: {column!r} not found; the GeoDataFrame has {list(gdf.columns)[:20]!r}"
        raise SchemaError(msg)
    if len(gdf) == 0:
        msg = "gdf: the GeoDataFrame has no rows, so there is nothing to map"
        raise DomainError(msg)
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        msg = f"k: expected a whole number of classes >= 2, got {k!r}"
        raise DomainError(msg)
    if scheme is None:
        return gdf, None, k
    key = str(scheme).lower().replace(" ", "_")
    if key not in _SCHEMES:
        msg = f"scheme: {scheme!r} is not a mapclassify scheme; use one of {sorted(_SCHEMES)} or None"
        raise DomainError(msg)
    return gdf, key, k


def _check_extras(classes: Any, area_names: Any, source: Any, fmt: Any) -> None:
    """Check the arguments of the legend and the map furniture (their columns are checked where used)."""
    if not isinstance(classes, Mapping) and classes not in CLASSES:
        listed = ", ".join(repr(c) for c in CLASSES)
        msg = f"classes: expected one of {listed} or a mapping of value -> label, got {classes!r}"
        raise DomainError(msg)
    if isinstance(classes, Mapping) and not classes:
        msg = "classes: the mapping of value -> label is empty"
        raise DomainError(msg)
    if area_names is not None and not isinstance(area_names, str):
        msg = f"area_names: expected the name of a column of area names, got {area_names!r}"
        raise SchemaError(msg)
    if source is not None and not isinstance(source, str):
        msg = f"source: expected text such as 'Contains OS data © Crown copyright ...', got {source!r}"
        raise DomainError(msg)
    if fmt is not None:
        try:
            fmt.format(1.5)
        except (AttributeError, ValueError, IndexError, KeyError) as err:
            msg = f"fmt: expected a format string with one field such as '{{:.1f}}', got {fmt!r}"
            raise DomainError(msg) from err


def _is_categorical(values: pd.Series) -> bool:
    """Text, boolean and pandas categorical columns are mapped as categories."""
    return (
        isinstance(values.dtype, pd.CategoricalDtype)
        or not pd.api.types.is_numeric_dtype(values)
        or pd.api.types.is_bool_dtype(values)
    )


def _class_kind(values: pd.Series, classes: Any, scheme: str | None) -> str:
    """Which classes to draw: categories, values, deciles, quintiles, mapping, scheme or colourbar."""
    if isinstance(classes, Mapping):
        return "mapping"
    if _is_categorical(values):
        if classes in ("deciles", "quintiles", "scheme"):
            msg = f"classes: {classes!r} needs a numeric column, and column {values.name!r} holds text or categories"
            raise DomainError(msg)
        return "categories"
    if classes in ("values", "deciles", "quintiles"):
        return str(classes)
    present = pd.Series(pd.to_numeric(values, errors="coerce")).dropna()
    if present.nunique() <= 1:
        return "values"
    few = pd.api.types.is_integer_dtype(values) and float(present.max() - present.min()) < FEW_VALUES
    if classes == "auto" and few:
        return "values"
    return "colourbar" if scheme is None else "scheme"


def _colour_map(cmap: Any) -> Colormap:
    import matplotlib as mpl
    from matplotlib.colors import Colormap

    if cmap is None:
        return mpl.colormaps[DEFAULT_CMAP]
    if isinstance(cmap, Colormap):
        return cmap
    try:
        return mpl.colormaps[cmap]
    except (KeyError, TypeError, ValueError) as err:
        msg = f"cmap: {cmap!r} is not a matplotlib colour map; use e.g. 'viridis', 'cividis' or 'magma'"
        raise DomainError(msg) from err


def _colours(cmap: Colormap, n: int) -> tuple[str, ...]:
    """``n`` colours spread evenly along ``cmap`` (its middle for a single class), as hex."""
    from matplotlib.colors import to_hex

    positions = [0.5] if n == 1 else np.linspace(0.0, 1.0, n)
    return tuple(to_hex(cmap(float(p))) for p in positions)


def _codes_of(values: pd.Series, order: list[Any]) -> np.ndarray[Any, Any]:
    """The position of each value in ``order`` (-1 for missing values)."""
    index = {value: i for i, value in enumerate(order)}
    return np.array([-1 if pd.isna(v) else index[v] for v in values.astype(object)], dtype=int)


def _number_format(edges: np.ndarray[Any, Any], fmt: str | None) -> Callable[[float], str]:
    """``fmt``, or the fewest decimals (with thousands separators) that tell the ``edges`` apart."""
    if fmt is not None:
        return fmt.format
    finite = np.asarray(edges, dtype=float)
    decimals = 0
    while decimals < 4:
        shown = [f"{v:,.{decimals}f}" for v in finite]
        if np.allclose(finite, np.round(finite, decimals)) or (decimals >= 1 and len(set(shown)) == len(shown)):
            break
        decimals += 1
    return f"{{:,.{decimals}f}}".format


def _rank_labels(n: int, low: str = "most deprived", high: str = "least deprived") -> tuple[str, ...]:
    """``"1 (most deprived)", "2", ..., "n (least deprived)"``: IMD deciles or quintiles."""
    return tuple(f"{i} ({low})" if i == 1 else f"{i} ({high})" if i == n else str(i) for i in range(1, n + 1))


def _ranks(values: pd.Series, n: int, name: str) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """Classes of deciles (n = 10) or quintiles (n = 5): whole numbers 1 to n, 1 the most deprived."""
    numbers = pd.Series(pd.to_numeric(values, errors="coerce"), index=values.index)
    present = numbers.notna()
    good = present & numbers.isin(list(range(1, n + 1)))
    bad = values[(present & ~good) | (values.notna() & numbers.isna())]
    if len(bad):
        msg = (
            f"classes={name!r}: column {values.name!r} has {len(bad)} value(s) that are not whole numbers from 1 "
            f"to {n} (first offending values: {describe_values(bad.tolist())}); 1 is the most deprived {name[:-1]}"
        )
        raise DomainError(msg)
    codes = np.where(present.to_numpy(), numbers.fillna(0).to_numpy(dtype=float).astype(int) - 1, -1)
    return codes, _rank_labels(n)


def _mapped(values: pd.Series, classes: Mapping[Any, Any]) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """One class per key of ``classes``, in its order, labelled by its value."""
    order = list(classes)
    known = values.isna() | values.astype(object).isin(order)
    if not known.all():
        msg = (
            f"classes: column {values.name!r} has {int((~known).sum())} value(s) that are not keys of the mapping "
            f"(first offending values: {describe_values(values[~known].unique().tolist())}); give a label to each"
        )
        raise DomainError(msg)
    return _codes_of(values, order), tuple(str(classes[key]) for key in order)


def _distinct(values: pd.Series, kind: str, fmt: str | None) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """One class per distinct value: categories (in their categorical order, else sorted) or numbers."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = list(values.cat.categories)
        return _codes_of(values.astype(object), order), tuple(str(v) for v in order)
    present = values.dropna().unique().tolist()
    if kind == "categories":
        order = sorted(present, key=lambda v: (str(type(v)), v) if isinstance(v, (bool, np.bool_)) else ("", str(v)))
        return _codes_of(values, order), tuple(str(v) for v in order)
    order = sorted(present)
    show = _number_format(np.asarray(order, dtype=float), fmt)
    return _codes_of(values, order), tuple(show(float(v)) for v in order)


def _scheme_classes(
    values: pd.Series, scheme: str, k: int, fmt: str | None
) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """Classes of a mapclassify scheme, labelled ``"low – high"`` from the data's minimum.

    Repeated class limits (quantiles of tied values) would give empty classes: they are merged.
    """
    import mapclassify

    numbers = pd.Series(pd.to_numeric(values, errors="coerce"), index=values.index)
    present = numbers.notna().to_numpy()
    y = numbers.dropna().to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        warnings.filterwarnings("ignore", category=UserWarning, module="mapclassify")
        found = mapclassify.classify(y, _SCHEMES[scheme], k=min(k, len(np.unique(y))))
    bins = np.unique(np.asarray(found.bins, dtype=float))
    bins[-1] = max(bins[-1], y.max())
    show = _number_format(np.unique(np.concatenate([[y.min()], bins])), fmt)
    lows = [y.min(), *bins[:-1]]
    labels = tuple(
        show(hi) if lo == hi else f"{show(lo)} – {show(hi)}" if lo < hi else f"≤ {show(hi)}"
        for lo, hi in zip(lows, bins, strict=True)
    )
    codes = np.full(len(values), -1, dtype=int)
    codes[present] = np.searchsorted(bins, y, side="left")
    return codes, labels


def _classify(values: pd.Series, classes: Any, scheme: str | None, k: int, fmt: str | None, cmap: Colormap) -> _Classed:
    """Sort the areas into classes (or a colour bar's scale) with their labels and colours."""
    kind = _class_kind(values, classes, scheme)
    if kind == "colourbar":
        numbers = pd.to_numeric(values, errors="coerce")
        codes = np.where(values.notna().to_numpy(), 0, -1)
        return _Classed(codes, (), (), cmap, (float(numbers.min()), float(numbers.max())))
    if kind == "mapping":
        codes, labels = _mapped(values, classes)
    elif kind in ("deciles", "quintiles"):
        codes, labels = _ranks(values, 10 if kind == "deciles" else 5, kind)
    elif kind == "scheme" and scheme is not None:
        codes, labels = _scheme_classes(values, scheme, k, fmt)
    else:
        codes, labels = _distinct(values, kind, fmt)
    return _Classed(codes, labels, _colours(cmap, len(labels)), cmap)


def _readable(column: str) -> str:
    """A legend title from a column name: ``"imd_decile"`` -> ``"IMD decile"``."""
    words = [w.upper() if w.lower() in _ACRONYMS else w.lower() for w in column.replace("-", "_").split("_") if w]
    if not words:
        return column
    first = words[0]
    return " ".join([first if first.isupper() else first.capitalize(), *words[1:]])


def _wrapped(text: str, width: int) -> str:
    """``text`` wrapped to lines of ``width`` characters, keeping its own line breaks."""
    return "\n".join("\n".join(textwrap.wrap(part, width) or [""]) for part in text.split("\n"))


def _linewidth(n: int) -> float:
    """Edge widths that shrink as the number of areas grows (places, clusters, small areas)."""
    return 0.8 if n <= 10 else 0.4 if n <= 60 else 0.15


def choropleth(
    gdf: Any,
    column: str,
    *,
    scheme: str | None = "quantiles",
    k: int = 5,
    ax: Axes | None = None,
    legend: bool = True,
    title: str | None = None,
    cmap: Any = None,
    missing_label: str = "Suppressed",
    outlines: Any = "auto",
    legend_title: str | None = None,
    fmt: str | None = None,
    classes: str | Mapping[Any, str] = "auto",
    area_names: str | None = None,
    source: str | None = None,
    north_arrow: bool = True,
    scale_bar: bool = True,
) -> Axes:
    """A choropleth map of ``column``, ready for a report or a board paper.

    The map is drawn in the data's CRS (British National Grid for BLMK) with equal aspect and no axes,
    on a new figure 16 cm wide (the text width of an A4 page) shaped to the area, so that its text
    prints at its point size. Edge widths shrink as the number of areas grows, and the outlines of
    larger areas (places) are drawn on top. The legend is titled in words, the outlined areas can be
    named on the map, and a scale bar, a north arrow and a source note complete it.

    **Classes** (``classes``):

    * ``"auto"`` (default): text, boolean and categorical columns are categories (in their categorical
      order, else sorted), integer columns whose values span fewer than 12 (counts of 0 to 9, tiers
      1 to 3) get one class per value, and other numbers are classed with ``scheme``.
    * ``"deciles"`` / ``"quintiles"``: IMD deciles (quintiles), all ten (five) classes in the legend,
      always in the same colours, labelled ``"1 (most deprived)"``, ``"2"``, ..., ``"10 (least
      deprived)"``. The values must be whole numbers from 1 to 10 (5); missing values are allowed.
    * ``"values"``: one class per distinct value, numbers in order.
    * a mapping of value -> label, such as ``{1: "High risk", 2: "Rising risk", 3: "Low risk"}``: one
      class per key, in the mapping's order, all shown in the legend; every value must be a key.
    * ``"scheme"``: classes from ``scheme`` even for an integer column.

    Colours are spread evenly along ``cmap`` (viridis: perceptually uniform and readable with
    colour-vision deficiency). Areas with a missing value (suppressed counts) are hatched grey and
    listed in the legend as ``missing_label``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Areas (places, clusters, LSOAs) with the values.
    column : str
        Column to map; numeric for classes, text or boolean for categories.
    scheme : str or None, default "quantiles"
        A mapclassify scheme (``"quantiles"``, ``"equal_interval"``, ``"fisher_jenks"``,
        ``"natural_breaks"``, ...), or ``None`` for a continuous colour bar. Used for numbers that
        ``classes`` does not class otherwise.
    k : int, default 5
        Number of scheme classes (reduced to the number of distinct values when there are fewer).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure sized to the area.
    legend : bool, default True
        Draw the legend (or colour bar), outside the map on the right.
    title : str, optional
        Map title.
    cmap : str or Colormap, optional
        Colour map; ``"viridis"`` by default (``"cividis"`` and ``"magma"`` are also accessible).
    missing_label : str, default "Suppressed"
        Legend label of areas with a missing value.
    outlines : GeoDataFrame, str, None or "auto", default "auto"
        Boundaries drawn on top: a GeoDataFrame, the name of a column to dissolve on, or ``None``.
        ``"auto"`` dissolves on ``place_code`` when that column exists and has fewer values than
        there are areas. Gaps and slivers between generalised boundaries (holes and fragments under
        a hundred-thousandth of the outlined area) are not drawn.
    legend_title : str, optional
        Legend title in words, such as ``"Deprivation decile (IMD 2019)"``. Without it the title is
        made from the column name (``"imd_decile"`` -> ``"IMD decile"``); a report should always give
        one.
    fmt : str, optional
        Format of the numbers in the legend, such as ``"{:.1f}"``; by default the fewest decimals
        that tell the class limits apart, with thousands separators.
    classes : {"auto", "deciles", "quintiles", "values", "scheme"} or mapping, default "auto"
        How the areas are classed (above).
    area_names : str, optional
        Column of the names to write on the map: names of the outlined areas (``"place_name"`` with
        the default outlines, dissolved with ``place_code``; a column of an ``outlines`` GeoDataFrame),
        or of the mapped areas themselves when there are no outlines. Each name is drawn inside its
        area, at the point farthest from its edges where it does not overlap another name (or split
        over two lines), with a white halo. A name that cannot be placed is left out with a warning.
    source : str, optional
        Source and copyright note, drawn small under the map, e.g. ``"Source: ONS, MHCLG. Contains OS
        data © Crown copyright and database right 2011."``. Maps of OS boundaries must carry one.
    north_arrow : bool, default True
        Draw a north arrow (grid north: up) in the upper left corner.
    scale_bar : bool, default True
        Draw a scale bar (0, half, whole, in m or km) in the lower left corner, when the CRS is
        projected in metres (a map in longitude/latitude has none).

    Returns
    -------
    matplotlib.axes.Axes
        The map's axes; ``ax.figure.savefig(...)`` writes it. The furniture can be found by ``gid``:
        ``"area_name"`` (texts), ``"north_arrow"``, ``"scale_bar"`` and ``"source"``.

    Raises
    ------
    SchemaError
        Not a GeoDataFrame, no such column (``column``, ``outlines`` or ``area_names``).
    DomainError
        No rows, an unknown scheme or ``classes``, a bad ``k``, ``cmap`` or ``fmt``, or values that do
        not fit the classes (deciles outside 1 to 10, values missing from a mapping).

    Warns
    -----
    UserWarning
        A name in ``area_names`` could not be placed without overlapping another.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> names = ["Luton", "Luton", "Milton Keynes", "Milton Keynes"]
    >>> gdf = gpd.GeoDataFrame(
    ...     {"imd_decile": [1, 4, None, 10], "place_code": ["L", "L", "M", "M"], "place_name": names},
    ...     geometry=[box(i * 5000, 0, (i + 1) * 5000, 5000) for i in range(4)], crs="EPSG:27700")
    >>> ax = bh.geo.choropleth(gdf, "imd_decile", classes="deciles", legend_title="Deprivation decile",
    ...                        area_names="place_name", source="Contains OS data © Crown copyright", title="IMD 2019")
    >>> ax.get_legend().get_title().get_text()
    'Deprivation decile'
    >>> [t.get_text() for t in ax.get_legend().get_texts()][:2], len(ax.get_legend().get_texts())
    (['1 (most deprived)', '2'], 11)
    >>> sorted(t.get_text() for t in ax.texts if t.get_gid() == "area_name")
    ['Luton', 'Milton Keynes']
    """
    gdf, key, k = _prepare(gdf, column, scheme, k)
    _check_extras(classes, area_names, source, fmt)
    classed = _classify(gdf[column], classes, key, k, fmt, _colour_map(cmap))
    shapes = _outline_shapes(gdf, outlines, area_names)
    if ax is None:
        ax = _new_axes(gdf, legend=legend, title=bool(title), source=source)
    _draw_areas(ax, _without_slivers(gdf), column, classed, _linewidth(len(gdf)))
    if shapes is not None:
        shapes.boundary.plot(ax=ax, color=_INK, linewidth=1.0)
    if gdf.crs is None or gdf.crs.is_projected:  # longitude/latitude keeps geopandas' 1/cos(latitude)
        ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(*ax.get_xlim())  # fixed, so that the furniture does not move the view
    ax.set_ylim(*ax.get_ylim())
    if legend:
        _legend(ax, classed, legend_title or _readable(column), missing_label, fmt)
    if title:
        ax.set_title(title, fontsize=_TITLE_SIZE, color=_INK, pad=8)
    if scale_bar:
        _scale_bar(ax, gdf.crs)
    if north_arrow:
        _north_arrow(ax)
    if source:
        _source_note(ax, source)
    if area_names is not None:
        _name_areas(ax, gdf if shapes is None else shapes, area_names)
    return ax


def _new_axes(gdf: Any, *, legend: bool, title: bool, source: str | None) -> Axes:
    """A figure 16 cm wide shaped to the area, with room for the legend, the title and the source note."""
    import matplotlib.pyplot as plt

    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    aspect = max(y1 - y0, 1e-9) / max(x1 - x0, 1e-9)
    right = _LEGEND_WIDTH if legend else _EDGE
    map_w = _FIG_WIDTH - right - _EDGE
    map_h = min(max(map_w * aspect, 2.5), 7.5)
    top = 0.45 if title else _EDGE
    lines = len(_wrapped(source, int(_note_width(_FIG_WIDTH) * 0.9)).split("\n")) if source else 0
    bottom = _EDGE + (lines * _NOTE_SIZE * 1.25 + 6) / 72
    height = map_h + top + bottom
    fig = plt.figure(figsize=(_FIG_WIDTH, height))
    return fig.add_axes((_EDGE / _FIG_WIDTH, bottom / height, map_w / _FIG_WIDTH, map_h / height))


def _draw_areas(ax: Axes, gdf: Any, column: str, classed: _Classed, linewidth: float) -> None:
    """The areas of each class in its colour (or on the colour bar's scale), the missing ones hatched grey."""
    if classed.scale is not None:
        shown = gdf[classed.codes >= 0]
        vmin, vmax = classed.scale
        shown.plot(
            ax=ax, column=column, cmap=classed.cmap, vmin=vmin, vmax=vmax, edgecolor="white", linewidth=linewidth
        )
    for i, colour in enumerate(classed.colours):
        part = gdf[classed.codes == i]
        if len(part):
            part.plot(ax=ax, facecolor=colour, edgecolor="white", linewidth=linewidth)
    missing = gdf[classed.codes < 0]
    if len(missing):
        missing.plot(ax=ax, facecolor=_MISSING_COLOUR, edgecolor=_MISSING_EDGE, hatch=_HATCH, linewidth=linewidth)


def _missing_patch(label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=_MISSING_COLOUR, edgecolor=_MISSING_EDGE, hatch=_HATCH, label=label)


def _legend(ax: Axes, classed: _Classed, title: str, missing_label: str, fmt: str | None) -> None:
    """The legend outside the map on the right: one entry per class and one for missing values, or a colour bar."""
    from matplotlib.patches import Patch

    any_missing = bool((classed.codes < 0).any())
    style: dict[str, Any] = {
        "loc": "upper left",
        "frameon": False,
        "fontsize": _LEGEND_SIZE,
        "alignment": "left",
        "handlelength": 1.6,
        "handleheight": 1.1,
        "borderaxespad": 0.0,
        "labelcolor": _INK,
    }
    if classed.scale is not None:
        _colour_bar(ax, classed, title, fmt)
        if any_missing:
            ax.legend(handles=[_missing_patch(missing_label)], bbox_to_anchor=(1.03, 0.36), **style)
        return
    handles = [
        Patch(facecolor=c, edgecolor="none", label=label)
        for c, label in zip(classed.colours, classed.labels, strict=True)
    ]
    if any_missing:
        handles.append(_missing_patch(missing_label))
    found = ax.legend(handles=handles, title=_wrapped(title, 22), bbox_to_anchor=(1.03, 1.0), **style)
    found.get_title().set_fontsize(_LEGEND_SIZE + 0.5)
    found.get_title().set_fontweight("bold")
    found.get_title().set_color(_INK)


def _colour_bar(ax: Axes, classed: _Classed, title: str, fmt: str | None) -> None:
    """A continuous colour bar on the right of the map, its title above it, numbers with thousands separators."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import FuncFormatter

    assert classed.scale is not None
    vmin, vmax = classed.scale
    cax = ax.inset_axes((1.04, 0.42, 0.04, 0.5))
    bar = ax.figure.colorbar(ScalarMappable(norm=Normalize(vmin, vmax), cmap=classed.cmap), cax=cax)
    show = fmt.format if fmt is not None else "{:,g}".format
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: show(value)))
    bar.ax.tick_params(labelsize=_LEGEND_SIZE, colors=_INK)
    bar.outline.set_visible(False)
    cax.set_title(_wrapped(title, 22), loc="left", fontsize=_LEGEND_SIZE + 0.5, fontweight="bold", color=_INK, pad=6)
    cax.set_gid("colour_bar")


def _outline_shapes(gdf: Any, outlines: Any, area_names: str | None) -> Any:
    """The outline areas (with their names when ``area_names`` is a column of them), or None."""
    import geopandas as gpd

    if outlines is None or outlines is False:
        return None
    if isinstance(outlines, gpd.GeoDataFrame):
        shapes = outlines.to_crs(gdf.crs) if outlines.crs is not None and gdf.crs is not None else outlines
        _check_names(shapes, area_names, "the outlines GeoDataFrame")
        return _without_slivers(shapes)
    if not isinstance(outlines, str):
        msg = f"outlines: expected a GeoDataFrame, a column name, 'auto' or None, got {type(outlines).__qualname__}"
        raise SchemaError(msg)
    column = "place_code" if outlines == "auto" else outlines
    if column not in gdf.columns:
        if outlines == "auto":
            return None
        msg = f"outlines: column {column!r} not found in gdf"
        raise SchemaError(msg)
    if outlines == "auto" and gdf[column].nunique() >= len(gdf):
        return None
    _check_names(gdf, area_names, "gdf")
    kept = [column, *([area_names] if area_names is not None and area_names != column else [])]
    if len(kept) > 1:
        varies = gdf.groupby(column)[area_names].nunique()
        if (varies > 1).any():
            msg = (
                f"area_names: column {area_names!r} has more than one name in {int((varies > 1).sum())} outline "
                f"area(s) of {column!r} (first: {describe_values(varies[varies > 1].index.tolist())})"
            )
            raise DomainError(msg)
    shapes = gdf[[*kept, gdf.geometry.name]].dissolve(by=column, aggfunc="first", as_index=False)
    return _without_slivers(shapes)


def _check_names(table: Any, area_names: str | None, where: str) -> None:
    if area_names is not None and area_names not in table.columns:
        msg = f"area_names: column {area_names!r} not found in {where}; it has {list(table.columns)[:20]!r}"
        raise SchemaError(msg)


def _without_slivers(shapes: Any) -> Any:
    """The polygons without the cracks, holes and fragments that generalised boundaries leave when dissolved.

    For drawing only. Cracks narrower than a hundred-thousandth of the typical area's width are
    closed (a buffer out and back in, with mitred corners), then holes and parts smaller than a
    ten-thousandth of the median area are dropped: the gaps between dissolved 2011 LSOAs are a few
    square metres, an enclosed area far larger.
    """
    import shapely

    geoms = shapes.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.any():
        return shapes
    median = float(np.median(shapely.area(geoms[polygonal])))
    width = 1e-5 * math.sqrt(median)
    cleaned = geoms.copy()
    closed = shapely.buffer(shapely.buffer(geoms[polygonal], width, join_style="mitre"), -width, join_style="mitre")
    cleaned[polygonal] = np.where(shapely.is_empty(closed), geoms[polygonal], closed)
    parts, owner = shapely.get_parts(cleaned[polygonal], return_index=True)
    smallest = 1e-4 * median
    rough = np.unique(owner[(shapely.get_num_interior_rings(parts) > 0) | (shapely.area(parts) < smallest)])
    for i in np.flatnonzero(polygonal)[rough]:
        pieces = [p for p in shapely.get_parts(cleaned[i]) if p.area >= smallest] or list(shapely.get_parts(cleaned[i]))
        kept = [
            shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= smallest]) for p in pieces
        ]
        cleaned[i] = kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)
    return shapes.set_geometry(cleaned)


def _scale_bar(ax: Axes, crs: Any) -> None:
    """A scale bar of two segments (0, half, whole) at the lower left, for maps projected in metres."""
    from matplotlib.patches import Rectangle

    if crs is None or not crs.is_projected:
        return
    try:
        unit = crs.axis_info[0].unit_name
    except (AttributeError, IndexError):  # pragma: no cover - defensive
        return
    if unit not in ("metre", "meter"):
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) / 5)
    bx, by, height = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.045, (y1 - y0) * 0.011
    for i, fill in enumerate(("black", "white")):
        bar = Rectangle((bx + i * length / 2, by), length / 2, height, facecolor=fill, edgecolor="black")
        bar.set(linewidth=0.7, zorder=5, gid="scale_bar")
        ax.add_patch(bar)
    km = length >= 1000
    divisor = 1000.0 if km else 1.0
    for fraction in (0.0, 0.5, 1.0):
        text = f"{fraction * length / divisor:g}" + ((" km" if km else " m") if fraction == 1.0 else "")
        label = ax.text(bx + fraction * length, by - height * 0.6, text, ha="center", va="top", fontsize=_BAR_SIZE)
        label.set(color=_INK, gid="scale_bar", zorder=5, path_effects=_halo(2.0))


def _nice_length(span: float) -> float:
    """The longest 1, 2 or 5 times a power of ten that fits in ``span``."""
    magnitude = 10 ** math.floor(math.log10(span))
    return float(max(m * magnitude for m in (1, 2, 5) if m * magnitude <= span))


def _halo(width: float) -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _north_arrow(ax: Axes) -> None:
    """A north arrow (up: grid north) with an N, in the upper left corner of the map."""
    arrow = ax.annotate(
        "N",
        xy=(0.04, 0.99),
        xytext=(0.04, 0.90),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=_NAME_SIZE,
        fontweight="bold",
        color=_INK,
        arrowprops={"facecolor": _INK, "edgecolor": "white", "width": 2.5, "headwidth": 8, "headlength": 8},
    )
    arrow.set(gid="north_arrow", zorder=6, path_effects=_halo(2.5))


def _note_width(inches: float) -> int:
    """About how many characters of the source note fit in ``inches``."""
    return max(int(inches * 72 / (_NOTE_SIZE * 0.55)), 20)


def _source_note(ax: Axes, source: str) -> None:
    """The source and copyright note, small, under the map, wrapped to end within the figure."""
    figure = ax.get_figure(root=True)
    assert figure is not None
    width = _note_width(float(figure.get_figwidth()) * (1 - ax.get_position().x0) - _EDGE)
    note = ax.annotate(
        _wrapped(source, width),
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0.0, -3.0),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=_NOTE_SIZE,
        color=_NOTE_INK,
        annotation_clip=False,
    )
    note.set_gid("source")
    limit = figure.bbox.x1 - _EDGE * figure.dpi / 2
    while note.get_window_extent().x1 > limit and width > 20:
        width = int(width * 0.93)
        note.set_text(_wrapped(source, width))


def _name_areas(ax: Axes, areas: Any, column: str) -> None:
    """Write each area's name inside it, smallest areas first, where it overlaps no other name."""
    import shapely

    ax.apply_aspect()
    named = areas[areas[column].notna()]
    order = np.argsort(shapely.area(named.geometry.to_numpy()), kind="stable")
    placed: list[Any] = []
    left_out: list[str] = []
    for i in order:
        name, geom = str(named[column].iloc[i]), named.geometry.iloc[i]
        text = _place_name(ax, name, geom, placed)
        if text is None:
            left_out.append(name)
    if left_out:
        msg = (
            f"area_names: {len(left_out)} name(s) could not be placed without overlapping another and were left out: "
            f"{describe_values(left_out)}"
        )
        warnings.warn(msg, UserWarning, stacklevel=3)


def _place_name(ax: Axes, name: str, geom: Any, placed: list[Any]) -> Text | None:
    """Put ``name`` where it overlaps no other name and lies most inside ``geom``; None if nowhere.

    The candidates, in order of preference: the name on one line, then on two, at the points of
    :func:`_label_points`. The first that lies wholly inside the area wins; else the first mostly
    inside (85%), else the one most inside.
    """
    import shapely

    text = ax.text(0, 0, name, ha="center", va="center", fontsize=_NAME_SIZE, fontweight="bold", color=_INK)
    text.set(gid="area_name", zorder=7, path_effects=_halo(3.0), linespacing=1.0)
    area = shapely.make_valid(geom)
    points = _label_points(area)
    candidates: list[tuple[float, str, tuple[float, float], Any]] = []
    for wording in _wordings(name):
        text.set_text(wording)
        for x, y in points:
            text.set_position((x, y))
            box = _data_box(ax, text)
            if any(box.intersects(other) for other in placed) or not _in_view(ax, box):
                continue
            share = float(area.intersection(box).area / box.area)
            candidates.append((share, wording, (x, y), box))
            if share >= 0.98:
                break
        if candidates and candidates[-1][0] >= 0.98:
            break
    if not candidates:
        text.remove()
        return None
    chosen = next((c for c in candidates if c[0] >= 0.98), None) or next((c for c in candidates if c[0] >= 0.85), None)
    share, wording, position, box = chosen or max(candidates, key=lambda c: c[0])
    text.set_text(wording)
    text.set_position(position)
    placed.append(box)
    return text


def _wordings(name: str) -> list[str]:
    """The name on one line, then (when long) over two lines split at the space nearest its middle."""
    spaces = [i for i, c in enumerate(name) if c == " "]
    if len(name) < 12 or not spaces:
        return [name]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name, f"{name[:cut]}\n{name[cut + 1 :]}"]


def _label_points(area: Any) -> list[tuple[float, float]]:
    """Candidate points for a name: the pole of inaccessibility, then points of a grid farthest from the edges."""
    import shapely
    from shapely.ops import polylabel

    parts = sorted(shapely.get_parts(area), key=lambda p: -p.area)
    main = next((p for p in parts if shapely.get_type_id(p) == 3), None)
    if main is None:
        point = area.representative_point()
        return [(float(point.x), float(point.y))]
    best = polylabel(main, tolerance=max(math.sqrt(main.area) / 200, 1e-9))
    x0, y0, x1, y1 = main.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 17)[1:-1], np.linspace(y0, y1, 17)[1:-1])
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(main, grid)]
    depth = shapely.distance(main.boundary, inside)
    ranked = inside[np.argsort(-depth, kind="stable")][:60]
    return [(float(best.x), float(best.y)), *((float(p.x), float(p.y)) for p in ranked)]


def _data_box(ax: Axes, text: Text) -> Any:
    """The extent of ``text`` (with a little room for its halo) as a shapely box in data coordinates."""
    import shapely

    extent = text.get_window_extent().expanded(1.08, 1.15).transformed(ax.transData.inverted())
    return shapely.box(extent.x0, extent.y0, extent.x1, extent.y1)


def _in_view(ax: Axes, box: Any) -> bool:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx0, by0, bx1, by1 = box.bounds
    return bool(bx0 >= x0 and bx1 <= x1 and by0 >= y0 and by1 <= y1)


def explore(
    gdf: Any,
    column: str,
    *,
    scheme: str | None = "quantiles",
    k: int = 5,
    cmap: Any = None,
    tooltip: Any = True,
    missing_label: str = "Suppressed",
    **kwargs: Any,
) -> folium.Map:
    """An interactive folium map of ``column`` (needs the optional ``folium`` package).

    The same colour map and missing-value label as :func:`choropleth`, with text columns as
    categories and numbers classed with ``scheme``; further keyword arguments go to
    :meth:`geopandas.GeoDataFrame.explore`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ImportError
        folium is not installed (``pip install "blmk-health[maps]"``).
    SchemaError, DomainError
        As :func:`choropleth`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> gdf = gpd.GeoDataFrame({"rate": [1.0, 2.0, 3.0]}, geometry=[box(i, 51, i + 0.1, 51.1) for i in range(3)],
    ...                        crs="EPSG:4326")
    >>> type(bh.geo.explore(gdf, "rate", k=3)).__name__  # doctest: +SKIP
    'Map'
    """
    try:
        import folium  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        msg = 'explore needs folium: pip install "blmk-health[maps]" (or pip install folium)'
        raise ImportError(msg) from err
    gdf, key, k = _prepare(gdf, column, scheme, k)
    values = gdf[column]
    options: dict[str, Any] = {
        "column": column,
        "cmap": cmap or DEFAULT_CMAP,
        "tooltip": tooltip,
        "missing_kwds": {"color": _MISSING_COLOUR, "fillOpacity": 0.6, "label": missing_label}
        if values.isna().any()
        else {},
    }
    distinct = pd.Series(pd.to_numeric(values, errors="coerce")).dropna().nunique()
    if _is_categorical(values):
        options["categorical"] = True
    elif key is not None and distinct > 1:
        options.update(scheme=_SCHEMES[key], k=min(k, distinct))
    options.update(kwargs)
    result: folium.Map = gdf.explore(**options)
    return result
