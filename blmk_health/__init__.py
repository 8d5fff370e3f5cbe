"""blmk_health: population-health analytics for Bedfordshire, Luton and Milton Keynes.

Indicators with confidence intervals identical to PHEindicatormethods, risk segmentation, and the
practice -> cluster -> place -> ICB geography, on pandas, Polars, PyArrow, DuckDB or Spark frames.

Examples
--------
>>> import blmk_health as bh
>>> sorted(bh.__all__)[:3]
['__version__', 'datasets', 'errors']
"""

from importlib import metadata as _metadata

from blmk_health import datasets, errors, geo, indicators, io, records, report, segmentation, testing
from blmk_health._show_versions import show_versions

try:
    __version__ = _metadata.version("blmk-health")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "datasets",
    "errors",
    "geo",
    "indicators",
    "io",
    "records",
    "report",
    "segmentation",
    "show_versions",
    "testing",
]
