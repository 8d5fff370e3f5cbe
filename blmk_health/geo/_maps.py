"""Choropleth maps: static (matplotlib) and interactive (folium)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.errors import DomainError, SchemaError

if TYPE_CHECKING:
    import folium
    from matplotlib.axes import Axes

__all__ = ["choropleth", "explore"]

#: Colour-blind-safe, perceptually uniform default.
DEFAULT_CMAP = "viridis"
_MISSING_COLOUR, _MISSING_EDGE, _HATCH = "#e0e0e0", "#9e9e9e", "///"
_SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
    "natural_breaks": "NaturalBreaks",
    "jenks_caspall": "JenksCaspall",
    "headtail_breaks": "HeadTailBreaks",
    "box_plot": "BoxPlot",
    "percentiles": "Percentiles",
    "std_mean": "StdMean",
    "max_breaks": "MaxBreaks",
    "prettybreaks": "PrettyBreaks",
}


def _prepare(gdf: Any, column: str, scheme: str | None, k: int) -> tuple[Any, str | None, int, bool]:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"gdf: expected a geopandas GeoDataFrame, got {type(gdf).__qualname__}"
        raise SchemaError(msg)
    if column not in gdf.columns:
        msg = f"column: {column!r} not found; the GeoDataFrame has {list(gdf.columns)[:20]!r}"
        raise SchemaError(msg)
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        msg = f"k: expected a whole number of classes >= 2, got {k!r}"
        raise DomainError(msg)
    values = gdf[column]
    categorical = not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    normalised: str | None = None
    if scheme is not None and not categorical:
        key = scheme.lower().replace(" ", "_")
        if key not in _SCHEMES:
            msg = f"scheme: {scheme!r} is not a mapclassify scheme; use one of {sorted(_SCHEMES)} or None"
            raise DomainError(msg)
        normalised = key
        distinct = pd.Series(pd.to_numeric(values, errors="coerce")).dropna().nunique()
        if distinct and distinct < k:
            k = max(distinct, 1)
        if distinct <= 1:
            normalised = None
    return gdf, normalised, k, categorical


def _figure_size(bounds: np.ndarray[Any, Any]) -> tuple[float, float]:
    width = max(float(bounds[2] - bounds[0]), 1e-9)
    height = max(float(bounds[3] - bounds[1]), 1e-9)
    aspect = height / width
    fig_w = 8.0
    fig_h = min(max(fig_w * aspect, 4.0), 10.0)
    return fig_w, fig_h


def _scale_bar(ax: Axes, gdf: Any) -> None:
    """A metric scale bar at the lower left, for projected maps in metres."""
    crs = gdf.crs
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
    span = (x1 - x0) / 5
    magnitude = 10 ** math.floor(math.log10(span))
    length = max(m * magnitude for m in (1, 2, 5) if m * magnitude <= span)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=2.5, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=8)


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
    fmt: str = "{:.1f}",
) -> Axes:
    """A choropleth map of ``column`` with classes from mapclassify.

    The map is drawn in the data's CRS (British National Grid for BLMK) with equal aspect, no axes,
    a metric scale bar, a figure shaped to the area, edge widths that shrink as the number of areas
    grows, and place outlines on top. The default colour map (viridis) is perceptually uniform and
    readable with colour-vision deficiency; missing values (suppressed counts) are hatched grey and
    labelled ``missing_label`` in the legend.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Areas (places, clusters, LSOAs) with the values.
    column : str
        Column to map; numeric for classes, text or boolean for categories.
    scheme : str or None, default "quantiles"
        A mapclassify scheme (``"quantiles"``, ``"equal_interval"``, ``"fisher_jenks"``,
        ``"natural_breaks"``, ...), or ``None`` for a continuous colour bar.
    k : int, default 5
        Number of classes (reduced to the number of distinct values when there are fewer).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure sized to the area.
    legend : bool, default True
        Draw the legend (or colour bar).
    title : str, optional
        Map title.
    cmap : str or Colormap, optional
        Colour map; ``"viridis"`` by default (``"cividis"`` and ``"magma"`` are also accessible).
    missing_label : str, default "Suppressed"
        Legend label of areas with a missing value.
    outlines : GeoDataFrame, str, None or "auto", default "auto"
        Boundaries drawn on top: a GeoDataFrame, the name of a column to dissolve on, or ``None``.
        ``"auto"`` dissolves on ``place_code`` when that column exists and has fewer values than
        there are areas.
    legend_title : str, optional
        Legend title; ``column`` by default.
    fmt : str, default "{:.1f}"
        Format of the class limits in the legend.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SchemaError
        Not a GeoDataFrame or no such column.
    DomainError
        An unknown scheme or a bad ``k``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import blmk_health as bh
    >>> gdf = gpd.GeoDataFrame({"rate": [1.0, 2.0, None, 4.0], "place_code": ["L", "L", "M", "M"]},
    ...                        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)], crs="EPSG:27700")
    >>> ax = bh.geo.choropleth(gdf, "rate", k=3, title="Rate")
    >>> ax.get_title()
    'Rate'
    """
    gdf, normalised, k, categorical = _prepare(gdf, column, scheme, k)
    if ax is None:
        ax = _new_axes(gdf, outside_legend=legend and (categorical or normalised is not None))
    n = max(len(gdf), 1)
    linewidth = 0.8 if n <= 10 else 0.4 if n <= 60 else 0.1
    missing_kwds = {
        "color": _MISSING_COLOUR,
        "edgecolor": _MISSING_EDGE,
        "hatch": _HATCH,
        "label": missing_label,
        "linewidth": linewidth,
    }
    if gdf[column].notna().any():
        options = _plot_options(column, categorical, normalised, k, legend_title or column, fmt)
        gdf.plot(
            column=column,
            cmap=cmap or DEFAULT_CMAP,
            legend=legend,
            ax=ax,
            edgecolor="white",
            linewidth=linewidth,
            missing_kwds=missing_kwds,
            **options,
        )
    else:
        gdf.plot(ax=ax, **{k_: v for k_, v in missing_kwds.items() if k_ != "label"})
    if bool(gdf[column].isna().any()) and legend and normalised is None and not categorical:
        _missing_legend(ax, missing_label)
    _draw_outlines(ax, gdf, outlines)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, gdf)
    if title:
        ax.set_title(title)
    return ax


def _new_axes(gdf: Any, *, outside_legend: bool) -> Axes:
    """A figure shaped to the area, with room on the right for a legend outside the map."""
    import matplotlib.pyplot as plt

    width, height = _figure_size(np.asarray(gdf.total_bounds))
    fig, ax = plt.subplots(figsize=(width * (1.35 if outside_legend else 1.0), height))
    fig.subplots_adjust(left=0.02, right=0.72 if outside_legend else 0.95, bottom=0.04, top=0.92)
    return ax


def _plot_options(
    column: str, categorical: bool, normalised: str | None, k: int, legend_title: str, fmt: str
) -> dict[str, Any]:
    """The classes and legend of ``GeoDataFrame.plot``: categories, a mapclassify scheme, or a colour bar."""
    outside = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0), "frameon": False, "title": legend_title}
    if categorical:
        return {"categorical": True, "legend_kwds": outside}
    if normalised is not None:
        return {"scheme": normalised, "k": k, "legend_kwds": {**outside, "fmt": fmt}}
    return {"legend_kwds": {"label": legend_title, "shrink": 0.6}}


def _missing_legend(ax: Axes, missing_label: str) -> None:
    """A legend entry for the missing values, under a colour bar (which has no place for one)."""
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(facecolor=_MISSING_COLOUR, edgecolor=_MISSING_EDGE, hatch=_HATCH, label=missing_label)],
        loc="upper left",
        bbox_to_anchor=(0.0, -0.02),
        frameon=False,
    )


def _draw_outlines(ax: Axes, gdf: Any, outlines: Any) -> None:
    import geopandas as gpd

    if outlines is None or outlines is False:
        return
    shapes = None
    if isinstance(outlines, gpd.GeoDataFrame):
        shapes = outlines.to_crs(gdf.crs) if outlines.crs is not None and gdf.crs is not None else outlines
    elif isinstance(outlines, str):
        column = "place_code" if outlines == "auto" else outlines
        if column not in gdf.columns:
            if outlines == "auto":
                return
            msg = f"outlines: column {column!r} not found in gdf"
            raise SchemaError(msg)
        if outlines == "auto" and gdf[column].nunique() >= len(gdf):
            return
        shapes = gdf[[column, gdf.geometry.name]].dissolve(by=column)
    else:
        msg = f"outlines: expected a GeoDataFrame, a column name, 'auto' or None, got {type(outlines).__qualname__}"
        raise SchemaError(msg)
    shapes.boundary.plot(ax=ax, color="black", linewidth=1.0)


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

    The same classes, colour map and missing-value label as :func:`choropleth`; further keyword
    arguments go to :meth:`geopandas.GeoDataFrame.explore`.

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
    gdf, normalised, k, categorical = _prepare(gdf, column, scheme, k)
    options: dict[str, Any] = {
        "column": column,
        "cmap": cmap or DEFAULT_CMAP,
        "tooltip": tooltip,
        "missing_kwds": {"color": _MISSING_COLOUR, "fillOpacity": 0.6, "label": missing_label}
        if gdf[column].isna().any()
        else {},
    }
    if categorical:
        options["categorical"] = True
    elif normalised is not None:
        options.update(scheme=normalised, k=k)
    options.update(kwargs)
    result: folium.Map = gdf.explore(**options)
    return result
