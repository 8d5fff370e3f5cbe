"""The 2013 European Standard Population and the matching of age-band labels to it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blmk_health._validation import describe_values
from blmk_health.errors import SchemaError

__all__ = ["ESP2013_19", "ESP2013_20", "EspBand", "match_esp2013"]

#: (start age, end age or None for the open band, standard population), 19 five-year bands.
ESP2013_19: tuple[tuple[int, int | None, int], ...] = (
    (0, 4, 5000),
    (5, 9, 5500),
    (10, 14, 5500),
    (15, 19, 5500),
    (20, 24, 6000),
    (25, 29, 6000),
    (30, 34, 6500),
    (35, 39, 7000),
    (40, 44, 7000),
    (45, 49, 7000),
    (50, 54, 7000),
    (55, 59, 6500),
    (60, 64, 6000),
    (65, 69, 5500),
    (70, 74, 5000),
    (75, 79, 4000),
    (80, 84, 2500),
    (85, 89, 1500),
    (90, None, 1000),
)

#: The 20-band form used by life tables: age 0 (1000) and 1-4 (4000) instead of 0-4.
ESP2013_20: tuple[tuple[int, int | None, int], ...] = ((0, 0, 1000), (1, 4, 4000), *ESP2013_19[1:])

_WEIGHT_19 = {start: weight for start, _, weight in ESP2013_19}
_LEADING = re.compile(r"^\D*?(\d+)")
_SECOND = re.compile(r"^\D*?\d+\s*(?:-|–|to)\s*(\d+)")
_OPEN = re.compile(r"\+|and over|and older|or over|plus", re.IGNORECASE)


@dataclass(frozen=True)
class EspBand:
    """A label matched to a band of the standard population."""

    start: int
    weight: int


@dataclass(frozen=True)
class _Parsed:
    start: int
    end: int | None
    is_open: bool


def _parse(label: Any) -> _Parsed | None:
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    if isinstance(label, bool):
        return None
    if isinstance(label, (int, float)) or hasattr(label, "dtype"):
        number = float(label)
        if not number.is_integer():
            return None
        return _Parsed(int(number), None, is_open=False)
    text = str(label).strip()
    leading = _LEADING.match(text)
    if not leading:
        return None
    second = _SECOND.match(text)
    return _Parsed(int(leading.group(1)), int(second.group(1)) if second else None, bool(_OPEN.search(text)))


def match_esp2013(labels: Iterable[Any], argument: str = "age_band") -> dict[Any, EspBand]:
    """Match age-band labels to the 2013 European Standard Population by their start age.

    Labels may be ``"0-4"``, ``"05-09"``, ``"90+"``, ``"90 +"``, integers ``0, 5, ..., 90``, and so
    on. When a label starts at age 1 (the 20-band form), ``"0"`` is age 0 (weight 1000) and ``"1-4"``
    weighs 4000. An open band (``+``) must start at 90. Labels that match no band raise
    :class:`SchemaError` naming them.
    """
    distinct = list(dict.fromkeys(labels))
    parsed = {label: _parse(label) for label in distinct}
    twenty = any(p is not None and p.start == 1 for p in parsed.values())
    out: dict[Any, EspBand] = {}
    bad: list[Any] = []
    for label, p in parsed.items():
        weight: int | None = None
        if p is None:
            bad.append(label)
            continue
        if p.is_open and p.start != 90:
            weight = None
        elif p.start == 0 and twenty:
            weight = 1000 if p.end in (None, 0) else None
        elif p.start == 1:
            weight = 4000 if p.end in (None, 4) else None
        else:
            weight = _WEIGHT_19.get(p.start)
        if weight is None:
            bad.append(label)
        else:
            out[label] = EspBand(p.start, weight)
    if bad:
        msg = (
            f"{argument}: {len(bad)} age band label(s) do not match the 2013 European Standard "
            f"Population: {describe_values(bad, 10)}. Expected bands starting at 0, 5, 10, ..., 85 and "
            "an open band 90+ (or the 20-band form 0, 1-4, 5-9, ..., 90+)"
        )
        raise SchemaError(msg)
    return out
