"""``show_versions()``: the versions to paste into a bug report."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

__all__ = ["show_versions"]

_PACKAGES = (
    "blmk-health",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "narwhals",
    "geopandas",
    "shapely",
    "pyogrio",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "polars",
    "duckdb",
    "pyspark",
    "folium",
    "mapclassify",
)


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def show_versions(as_dict: bool = False) -> dict[str, str] | None:
    """Print (or return) the versions of Python, blmk_health and its dependencies.

    Parameters
    ----------
    as_dict : bool, default False
        Return the versions as a dict instead of printing them.

    Returns
    -------
    dict or None
        ``{name: version}`` when ``as_dict``; otherwise nothing (the table is printed).

    Examples
    --------
    >>> import blmk_health as bh
    >>> versions = bh.show_versions(as_dict=True)
    >>> sorted(versions)[:2]
    ['blmk-health', 'duckdb']
    """
    versions = _versions()
    if as_dict:
        return versions
    width = max(len(name) for name in versions)
    print("\n".join(f"{name:<{width}} : {version}" for name, version in versions.items()))
    return None
