"""What every section builder of the page needs: whether an indicator was computed, why not, the source
line, and counts as small-number protection shows them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from blmk_health.report._bundle import DataBundle

__all__ = ["SYNTHETIC", "count_text", "has", "source", "why_not"]

SYNTHETIC = "synthetic BLMK data (modelled on the published figures; no real patient)"


def source(bundle: DataBundle, published: str) -> str:
    """The source line of a section: the published source, and that the data are synthetic when they are."""
    return f"{published}: {SYNTHETIC}" if bundle.synthetic else published


def has(table: pd.DataFrame, indicator_id: str) -> bool:
    """Whether the indicator table holds rows of ``indicator_id`` that were not all skipped."""
    rows = table[table["indicator_id"] == indicator_id]
    return bool(len(rows)) and not rows["status"].str.startswith("skipped").all()


def why_not(table: pd.DataFrame, indicator_id: str) -> str:
    """Why ``indicator_id`` has no rows to show: the reason it was skipped, or that it is not in the table."""
    rows = table[table["indicator_id"] == indicator_id]
    if not len(rows):
        return f"the indicator {indicator_id} is not in the table"
    return str(rows["status"].iloc[0]).removeprefix("skipped: ")


def count_text(value: Any, sdc: bool) -> str:
    """A count as shown: with protection, 1 to 7 as "1-7" and others rounded to the nearest 5."""
    number = int(value)
    if sdc and 1 <= number <= 7:
        return "1-7"
    if sdc:
        number = int(5 * ((number + 2.5) // 5))
    return f"{number:,}"
