"""The main job: a BLMK system profile (HTML) and one tidy table of every indicator.

- :class:`DataBundle`: the tables a report is made from, synthetic or a folder of published files.
- :func:`compute_indicators`: every indicator of the catalogue computed from its definition, at every
  level it is published at, as one tidy table (:data:`INDICATOR_COLUMNS`).
- :func:`protect_small_numbers`: small-number protection of that table.
- :func:`build_report`: the whole report, as ``blmk-health report`` writes it.

This package is the top layer: it may use every other part of the library, and nothing imports it.
"""

from blmk_health.report._build import build_report
from blmk_health.report._bundle import DataBundle
from blmk_health.report._compute import INDICATOR_COLUMNS, compute_indicators
from blmk_health.report._protect import protect_small_numbers

__all__ = ["INDICATOR_COLUMNS", "DataBundle", "build_report", "compute_indicators", "protect_small_numbers"]
