"""Age bands: reading band labels, and the standard bands several packages share.

This low-level module holds the reference tables that the indicators, the synthetic data and (later) the
prevalence and admission functions all use: the 2013 European Standard Population in its 19- and 20-band
forms, and the start ages of an abridged life table. It also reads age-band labels the way analysts
write them (``"0-4"``, ``"05-09"``, ``"90+"``, ``"90 and over"``, ``"Under 1"``, integers ``0, 5, ...``)
and matches them to a standard scheme **exactly**: a band must start *and* end where a standard band
does, so that ``"0-9"`` can never be taken for ``"0-4"``.

Every error quotes the labels as the caller wrote them and says what was expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from blmk_health._validation import describe_values
from blmk_health.errors import SchemaError

__all__ = [
    "ESP2013_19",
    "ESP2013_20",
    "LIFE_TABLE_STARTS_19",
    "LIFE_TABLE_STARTS_20",
    "BandLabel",
    "StandardBands",
    "band_name",
    "match_esp2013",
    "parse_band",
]

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

#: Start ages of the 20 bands of an abridged life table: 0, 1-4, 5-9, ..., 85-89, 90+.
LIFE_TABLE_STARTS_20: tuple[int, ...] = (0, 1, *range(5, 95, 5))
#: Start ages of the 19-band life table closed at 85+.
LIFE_TABLE_STARTS_19: tuple[int, ...] = LIFE_TABLE_STARTS_20[:-1]

_LEADING = re.compile(r"^\D*?(\d+)")
_SECOND = re.compile(r"^\D*?\d+\s*(?:-|–|to)\s*(\d+)")
_OPEN = re.compile(r"\+|and over|and older|or over|plus", re.IGNORECASE)
_UNDER_ONE = re.compile(r"^\s*(?:<|under|less than)\s*1(?:\s*(?:year|yr)s?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class BandLabel:
    """What an age-band label says: its start age, its end age if written, and whether it is open."""

    start: int
    end: int | None
    is_open: bool


def parse_band(label: Any) -> BandLabel | None:
    """Read one age-band label, or ``None`` when it has no readable start age.

    Numbers (``5``, ``5.0``) are a start age only. Text is read by its leading whole number, an end
    after ``-``, ``–`` or ``to``, and an open band from ``+``, ``and over``, ``plus``...; ``"<1"``,
    ``"under 1"`` and ``"less than 1 year"`` are the band of age 0.

    Examples
    --------
    >>> parse_band("05-09")
    BandLabel(start=5, end=9, is_open=False)
    >>> parse_band("90 +"), parse_band("Under 1")
    (BandLabel(start=90, end=None, is_open=True), BandLabel(start=0, end=0, is_open=False))
    >>> parse_band("all ages") is None
    True
    """
    if label is None or isinstance(label, bool):
        return None
    if isinstance(label, (int, float)) or hasattr(label, "dtype"):
        try:
            number = float(label)
        except (TypeError, ValueError):
            return None
        if math.isnan(number) or not number.is_integer() or number < 0:
            return None
        return BandLabel(int(number), None, is_open=False)
    text = str(label).strip()
    if _UNDER_ONE.match(text):
        return BandLabel(0, 0, is_open=False)
    leading = _LEADING.match(text)
    if not leading:
        return None
    second = _SECOND.match(text)
    return BandLabel(int(leading.group(1)), int(second.group(1)) if second else None, bool(_OPEN.search(text)))


def band_name(start: int, end: int | None) -> str:
    """The conventional label of a band: ``"0"``, ``"1-4"``, ``"90+"``."""
    if end is None:
        return f"{start}+"
    return str(start) if start == end else f"{start}-{end}"


@dataclass(frozen=True)
class StandardBands:
    """Labels matched to a standard population: each label's band start age and weight.

    ``starts`` are the start ages of every band of the scheme, in age order; a complete table has one
    row for each of them in every group.
    """

    start_of: dict[Any, int]
    weight_of: dict[Any, float]
    starts: tuple[int, ...]
    names: dict[int, str]

    @property
    def n(self) -> int:
        """Number of bands in the scheme (19, or 20 in the life-table form)."""
        return len(self.starts)


def match_esp2013(labels: Iterable[Any], argument: str = "age_band") -> StandardBands:
    """Match age-band labels to the 2013 European Standard Population, band for band.

    Each label must name a standard band exactly: its start age and, where written, its end age
    (``"5-9"``, ``"05-09"``, ``"Aged 5 to 9"``), the open band at 90 (``"90+"``, ``"90 and over"``),
    or a start age alone (integers ``0, 5, ..., 90``). The 20-band form is used when a label is the
    band 1-4 or age 0 alone (``"Under 1"``, ``"0-0"``): then ``"0"`` is age 0 (1,000) and ``"1-4"``
    4,000. Anything else, such as ten-year bands (``"0-9"``), ``"85+"`` or ``"90-94"``, raises
    :class:`SchemaError` quoting the labels.

    Examples
    --------
    >>> bands = match_esp2013(["0-4", "05-09", "90 +"])
    >>> bands.weight_of["05-09"], bands.n
    (5500.0, 19)
    >>> try:
    ...     match_esp2013(["0-9", "10-19"])
    ... except SchemaError as err:
    ...     print(str(err)[:78])
    age_band: 2 age-band label(s) do not match the 2013 European Standard Populati
    """
    distinct = list(dict.fromkeys(labels))
    parsed = {label: parse_band(label) for label in distinct}
    twenty = any(p is not None and (p.start == 1 or (p.start == 0 and p.end == 0)) for p in parsed.values())
    table = ESP2013_20 if twenty else ESP2013_19
    by_start = {start: (end, weight) for start, end, weight in table}
    start_of: dict[Any, int] = {}
    weight_of: dict[Any, float] = {}
    bad: list[Any] = []
    for label, p in parsed.items():
        if p is None or p.start not in by_start:
            bad.append(label)
            continue
        end, weight = by_start[p.start]
        fits = p.end is None or p.end == end if not p.is_open else end is None
        if p.end is not None and p.is_open:
            fits = False
        if not fits:
            bad.append(label)
            continue
        start_of[label] = p.start
        weight_of[label] = float(weight)
    if bad:
        expected = ", ".join(band_name(s, e) for s, e, _ in table[:3]) + ", ..., " + band_name(*table[-2][:2])
        msg = (
            f"{argument}: {len(bad)} age-band label(s) do not match the 2013 European Standard Population: "
            f"{describe_values(bad, 10)}. Each band must start and end where a standard band does: "
            f"{expected}, 90+ (or the 20-band form 0, 1-4, 5-9, ..., 90+); ten-year or other bands cannot be "
            "standardised to it"
        )
        raise SchemaError(msg)
    starts = tuple(start for start, _, _ in table)
    names = {start: band_name(start, end) for start, end, _ in table}
    return StandardBands(start_of, weight_of, starts, names)


def missing_bands_message(
    argument: str, groups: Sequence[tuple[Any, Sequence[str]]], n_groups: int, scheme: str, how_to_fix: str
) -> str:
    """The message for groups that lack some bands of a scheme: which groups, which bands, what to do."""
    shown = "; ".join(
        f"{'all rows' if key is None else describe_values([key])} lacks {', '.join(bands[:6])}"
        + (" ..." if len(bands) > 6 else "")
        for key, bands in groups[:5]
    )
    return (
        f"{argument}: {n_groups} group(s) do not have every band of {scheme} ({shown}). Every group needs one row "
        f"per band; {how_to_fix}"
    )
