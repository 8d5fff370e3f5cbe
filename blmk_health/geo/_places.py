"""The four BLMK places, and the place of a practice (or PCN) from the postcode district of its address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import describe_codes, to_pandas

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
    if ambiguous not in ("raise", "keep"):
        msg = f"ambiguous: expected 'raise' or 'keep', got {ambiguous!r}"
        raise DomainError(msg)
    table = to_pandas(data, "data")
    missing = [c for c in (code, postcode) if c not in table.columns]
    if missing:
        msg = f"data: column(s) {missing!r} not found; the table has {list(table.columns)[:20]!r}"
        raise SchemaError(msg)
    use_commissioner = commissioner is not None and commissioner in table.columns
    overrides = dict(overrides or {})
    bad_override = {k: v for k, v in overrides.items() if v not in PLACES}
    if bad_override:
        msg = (
            f"overrides: {len(bad_override)} value(s) are not BLMK place codes "
            f"(first: {describe_codes(bad_override.values())}); use one of {list(PLACES)}"
        )
        raise DomainError(msg)
    table_of_districts = postcode_districts()
    districts: dict[str, tuple[str, ...]] = {
        str(d): tuple(str(c) for c in cands)
        for d, cands in zip(table_of_districts["district"], table_of_districts["candidates"], strict=True)
    }

    codes = table[code].astype(object).where(table[code].notna(), None).tolist()
    postcodes = table[postcode].astype(object).where(table[postcode].notna(), None).tolist()
    commissioners = (
        table[str(commissioner)].astype(object).where(table[str(commissioner)].notna(), None).tolist()
        if use_commissioner
        else [None] * len(table)
    )
    malformed: list[Any] = []
    unknown: list[str] = []
    out_district: list[str | None] = []
    out_candidates: list[str] = []
    out_place: list[str | None] = []
    out_source: list[str] = []
    unresolved: list[str] = []
    for key, pc, comm in zip(codes, postcodes, commissioners, strict=True):
        parts = _split_postcode(str(pc)) if pc is not None else None
        if parts is None:
            if key in overrides:
                out_district.append(None)
                out_candidates.append("")
                out_place.append(overrides[key])
                out_source.append("override")
                continue
            malformed.append(f"{key}: {pc!r}")
            continue
        district, sector, full = parts
        hit = next((overrides[k] for k in (key, full, sector, district) if k in overrides), None)
        candidates = districts.get(district)
        out_district.append(district)
        if hit is not None:
            out_candidates.append(hit)
            out_place.append(hit)
            out_source.append("override")
            continue
        if candidates is None:
            out_candidates.append("")
            unknown.append(f"{key} ({full})")
            out_place.append(None)
            out_source.append("ambiguous")
            continue
        narrowed = candidates
        if comm is not None and str(comm) in COMMISSIONER_PLACES:
            narrowed = tuple(c for c in candidates if c in COMMISSIONER_PLACES[str(comm)])
        out_candidates.append(";".join(narrowed))
        if len(narrowed) == 1:
            out_place.append(narrowed[0])
            out_source.append("district" if len(candidates) == 1 else "district+commissioner")
        else:
            out_place.append(None)
            out_source.append("ambiguous")
            shown = ", ".join(f"{c} {PLACES[c]}" for c in candidates)
            unresolved.append(f"{key} ({full}: district {district} spans {shown}; commissioner {comm})")
    if malformed:
        msg = f"data: column {postcode!r} has {len(malformed)} malformed postcode(s): {describe_codes(malformed)}"
        raise DomainError(msg)
    if unknown and ambiguous == "raise":
        msg = (
            f"data: {len(unknown)} postcode district(s) are not in the BLMK postcode-district table "
            f"(first: {describe_codes(unknown)}); pass overrides={{code or district: place_code}}"
        )
        raise ReferenceDataError(msg)
    if unresolved and ambiguous == "raise":
        msg = (
            f"data: the place of {len(unresolved)} row(s) is ambiguous: {'; '.join(sorted(unresolved)[:5])}. "
            "Pass overrides={code, postcode, sector or district: place_code} to choose"
        )
        raise ReferenceDataError(msg)
    return pd.DataFrame(
        {
            code: pd.Series(codes, dtype=object),
            postcode: pd.Series(postcodes, dtype=object),
            "district": pd.Series(out_district, dtype=object),
            "candidates": pd.Series(out_candidates, dtype=object),
            "place_code": pd.Series(out_place, dtype=object),
            "place_name": pd.Series([PLACES.get(p) if p else None for p in out_place], dtype=object),
            "source": pd.Series(out_source, dtype=object),
        }
    )
