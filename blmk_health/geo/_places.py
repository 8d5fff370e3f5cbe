"""The four BLMK places, and the place of a practice (or PCN) from the postcode district of its address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from blmk_health._frames import to_pandas
from blmk_health.errors import DomainError, ReferenceDataError
from blmk_health.geo._common import check_option, check_table_columns, describe_codes

__all__ = [
    "COMMISSIONER_PLACES",
    "ICB",
    "PLACES",
    "place_from_postcode",
    "postcode_districts",
]

#: The four BLMK places: ONS local-authority code -> name.
PLACES: Mapping[str, str] = {
    "E06000055": "Bedford",
    "E06000056": "Central Bedfordshire",
    "E06000032": "Luton",
    "E06000042": "Milton Keynes",
}

#: The BLMK Integrated Care Board: ODS code, ONS code and name.
ICB: Mapping[str, str] = {
    "code": "QHG",
    "ons_code": "E54000024",
    "name": "NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board",
}

_BEDFORDSHIRE = ("E06000055", "E06000056")
_ALL = tuple(PLACES)

#: The places a commissioner (CCG, sub-ICB or ICB) covers, by ODS and ONS code.
COMMISSIONER_PLACES: Mapping[str, tuple[str, ...]] = {
    "06P": ("E06000032",),
    "E38000102": ("E06000032",),
    "04F": ("E06000042",),
    "E38000107": ("E06000042",),
    "06F": _BEDFORDSHIRE,
    "E38000010": _BEDFORDSHIRE,
    "M1J4Y": _ALL,
    "E38000249": _ALL,
    "QHG": _ALL,
    "E54000024": _ALL,
}

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])([A-Z]{2})$")


@cache
def _district_table() -> pd.DataFrame:
    with resources.files("blmk_health.geo").joinpath("data/postcode_districts.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)


def postcode_districts() -> pd.DataFrame:
    """The shipped BLMK postcode-district -> place table.

    Each row is a postcode district (outward code) in which a BLMK GP practice has had its address,
    with every BLMK place the district is known or believed to reach. A district with one candidate
    is attributed to that place; one with two or more is *ambiguous*. The table places practices and
    PCNs, not residents (use the LSOA of a resident's postcode). Provenance: the header of
    ``blmk_health/geo/data/postcode_districts.csv`` and the geography guide.

    Returns
    -------
    pandas.DataFrame
        ``district``, ``candidates`` (tuple of place codes), ``place_code`` (the place when there is
        one candidate, else missing), ``ambiguous`` (bool), ``practices_seen`` and ``note``.

    Examples
    --------
    >>> import blmk_health as bh
    >>> table = bh.geo.postcode_districts()
    >>> table.set_index("district").loc[["LU2", "MK40", "MK43"], ["place_code", "ambiguous"]]
             place_code  ambiguous
    district
    LU2       E06000032      False
    MK40      E06000055      False
    MK43            NaN       True
    """
    raw = _district_table()
    candidates = raw["candidates"].str.split(";").map(tuple)
    single = candidates.map(len) == 1
    return pd.DataFrame(
        {
            "district": raw["district"].astype(object),
            "candidates": candidates.astype(object),
            "place_code": candidates.map(lambda c: c[0]).where(single, None).astype(object),
            "ambiguous": ~single,
            "practices_seen": raw["practices_seen"].astype(object),
            "note": raw["note"].astype(object),
        }
    )


def _split_postcode(postcode: str) -> tuple[str, str, str] | None:
    """(district, sector, normalised postcode) of a UK postcode, or None when it is malformed."""
    text = re.sub(r"\s+", "", postcode.upper())
    match = _POSTCODE.match(text)
    if match is None:
        return None
    outward, sector, unit = match.groups()
    return outward, f"{outward} {sector}", f"{outward} {sector}{unit}"


def place_from_postcode(
    data: Any,
    *,
    code: str = "practice_code",
    postcode: str = "postcode",
    commissioner: str | None = "commissioner_code",
    overrides: Mapping[str, str] | None = None,
    ambiguous: str = "raise",
) -> pd.DataFrame:
    """Place of each practice (or PCN) from the postcode district of its address.

    The candidate places of the address's district come from :func:`postcode_districts`. When a
    ``commissioner`` column is given, its code narrows them (Luton CCG ``06P`` -> Luton, Milton Keynes
    CCG ``04F`` -> Milton Keynes, Bedfordshire CCG ``06F`` -> Bedford or Central Bedfordshire; the
    sub-ICB ``M1J4Y`` and the ICB ``QHG`` leave all four). A row is placed when one candidate is left.

    Parameters
    ----------
    data : DataFrame
        Any supported frame, e.g. ``bh.io.read_epraccur(...)`` or the ePCN details.
    code : str, default "practice_code"
        Column of practice (or PCN) codes.
    postcode : str, default "postcode"
        Column of address postcodes.
    commissioner : str or None, default "commissioner_code"
        Column of CCG / sub-ICB codes that narrows the candidates; ignored when ``None`` or absent.
    overrides : mapping, optional
        Explicit places, keyed by practice code, full postcode, postcode sector (``"LU1 4"``) or
        district (``"MK45"``), checked in that order. They win over the table.
    ambiguous : {"raise", "keep"}, default "raise"
        What to do with rows left with several (or no) candidates: raise, or keep them with a
        missing ``place_code``.

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``code``, ``postcode``, ``district``, ``candidates`` (the places left
        after the commissioner narrowed the district's, ";"-joined),
        ``place_code``, ``place_name`` and ``source`` (``"override"``, ``"district"``,
        ``"district+commissioner"`` or ``"ambiguous"``).

    Raises
    ------
    SchemaError
        A column is missing.
    DomainError
        A postcode is malformed, or an override names a code that is not a BLMK place.
    ReferenceDataError
        A district is not in the table, or (with ``ambiguous="raise"``) a row is left with several
        or no candidate places; the message lists the codes, districts and candidates.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> practices = pd.DataFrame({
    ...     "practice_code": ["E81005", "E81069", "E81043"],
    ...     "postcode": ["LU1 1BW", "LU1 4EE", "MK43 0HZ"],
    ...     "commissioner_code": ["06P", "06F", "06F"],
    ... })
    >>> out = bh.geo.place_from_postcode(practices, overrides={"E81043": "E06000056"})
    >>> out[["practice_code", "place_name", "source"]]
      practice_code            place_name                 source
    0        E81005                 Luton  district+commissioner
    1        E81069  Central Bedfordshire  district+commissioner
    2        E81043  Central Bedfordshire               override
    """
    check_option(ambiguous, "ambiguous", ("raise", "keep"))
    table = to_pandas(data, "data")
    check_table_columns(table, "data", [code, postcode])
    overrides = _checked_overrides(overrides)
    codes, postcodes = _text(table, code), _text(table, postcode)
    use_commissioner = commissioner is not None and commissioner in table.columns
    commissioners = _text(table, str(commissioner)) if use_commissioner else [None] * len(table)
    found = _Placed()
    districts = _districts()
    for key, pc, comm in zip(codes, postcodes, commissioners, strict=True):
        found.add(key, pc, comm, overrides, districts)
    found.raise_problems(postcode, ambiguous)
    return pd.DataFrame(
        {
            code: pd.Series(codes, dtype=object),
            postcode: pd.Series(postcodes, dtype=object),
            "district": pd.Series(found.district, dtype=object),
            "candidates": pd.Series(found.candidates, dtype=object),
            "place_code": pd.Series(found.place, dtype=object),
            "place_name": pd.Series([PLACES.get(p) if p else None for p in found.place], dtype=object),
            "source": pd.Series(found.source, dtype=object),
        }
    )


def _checked_overrides(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The overrides as a dict, or :class:`DomainError` for a value that is not a BLMK place."""
    checked = dict(overrides or {})
    bad_override = {k: v for k, v in checked.items() if v not in PLACES}
    if bad_override:
        msg = (
            f"overrides: {len(bad_override)} value(s) are not BLMK place codes "
            f"(first: {describe_codes(bad_override.values())}); use one of {list(PLACES)}"
        )
        raise DomainError(msg)
    return checked


def _districts() -> dict[str, tuple[str, ...]]:
    """The candidate places of each postcode district of the shipped table."""
    table = postcode_districts()
    return {
        str(d): tuple(str(c) for c in cands) for d, cands in zip(table["district"], table["candidates"], strict=True)
    }


def _text(table: pd.DataFrame, column: str) -> list[Any]:
    """A column as a list, ``None`` where missing."""
    values: list[Any] = table[column].astype(object).where(table[column].notna(), None).tolist()
    return values


@dataclass
class _Placed:
    """The place of each row, built one row at a time, and the rows that could not be placed."""

    district: list[str | None] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    place: list[str | None] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def _row(self, district: str | None, candidates: str, place: str | None, source: str) -> None:
        self.district.append(district)
        self.candidates.append(candidates)
        self.place.append(place)
        self.source.append(source)

    def add(
        self, key: Any, pc: Any, comm: Any, overrides: Mapping[str, str], districts: Mapping[str, tuple[str, ...]]
    ) -> None:
        """Place one row: an override, else its district's candidates narrowed by its commissioner."""
        parts = _split_postcode(str(pc)) if pc is not None else None
        if parts is None:
            if key in overrides:
                self._row(None, "", overrides[key], "override")
            else:
                self.malformed.append(f"{key}: {pc!r}")
            return
        district, sector, full = parts
        hit = next((overrides[k] for k in (key, full, sector, district) if k in overrides), None)
        candidates = districts.get(district)
        if hit is not None:
            self._row(district, hit, hit, "override")
            return
        if candidates is None:
            self.unknown.append(f"{key} ({full})")
            self._row(district, "", None, "ambiguous")
            return
        narrowed = candidates
        if comm is not None and str(comm) in COMMISSIONER_PLACES:
            narrowed = tuple(c for c in candidates if c in COMMISSIONER_PLACES[str(comm)])
        if len(narrowed) == 1:
            self._row(
                district, narrowed[0], narrowed[0], "district" if len(candidates) == 1 else "district+commissioner"
            )
            return
        self._row(district, ";".join(narrowed), None, "ambiguous")
        shown = ", ".join(f"{c} {PLACES[c]}" for c in candidates)
        self.unresolved.append(f"{key} ({full}: district {district} spans {shown}; commissioner {comm})")

    def raise_problems(self, postcode: str, ambiguous: str) -> None:
        """Raise for malformed postcodes, and (with ``ambiguous="raise"``) unknown or ambiguous districts."""
        if self.malformed:
            msg = (
                f"data: column {postcode!r} has {len(self.malformed)} malformed postcode(s): "
                f"{describe_codes(self.malformed)}"
            )
            raise DomainError(msg)
        if self.unknown and ambiguous == "raise":
            msg = (
                f"data: {len(self.unknown)} postcode district(s) are not in the BLMK postcode-district table "
                f"(first: {describe_codes(self.unknown)}); pass overrides={{code or district: place_code}}"
            )
            raise ReferenceDataError(msg)
        if self.unresolved and ambiguous == "raise":
            msg = (
                f"data: the place of {len(self.unresolved)} row(s) is ambiguous: "
                f"{'; '.join(sorted(self.unresolved)[:5])}. "
                "Pass overrides={code, postcode, sector or district: place_code} to choose"
            )
            raise ReferenceDataError(msg)
