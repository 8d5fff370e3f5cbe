"""The shipped postcode-district table and the place of a practice from its postcode."""

from __future__ import annotations

import pandas as pd
import pytest

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.geo.conftest import BEDFORD, CBEDS, LUTON, MK


def test_table_is_well_formed() -> None:
    table = bh.geo.postcode_districts()
    assert table["district"].is_unique
    assert all(set(c) <= set(bh.geo.PLACES) for c in table["candidates"])
    assert (table["ambiguous"] == (table["candidates"].map(len) > 1)).all()
    ambiguous = set(table.loc[table["ambiguous"], "district"])
    assert {"LU1", "LU3", "LU4", "MK17", "MK43", "MK44", "MK45"} == ambiguous
    single = table.set_index("district")["place_code"]
    assert single["LU5"] == CBEDS
    assert single["MK40"] == BEDFORD
    assert single["MK2"] == MK
    assert single["LU2"] == LUTON


def test_commissioner_narrows_and_overrides_win() -> None:
    df = pd.DataFrame(
        {
            "practice_code": ["A1", "A2", "A3", "A4", "A5"],
            "postcode": ["lu4 0tr", "LU40TR", "MK17 8QP", "MK40 4HR", "MK45 2SB"],
            "commissioner_code": ["06F", "06P", "06F", None, "06F"],
        }
    )
    out = bh.geo.place_from_postcode(df, overrides={"MK45": CBEDS})
    assert out["place_code"].tolist() == [CBEDS, LUTON, CBEDS, BEDFORD, CBEDS]
    assert out["source"].tolist() == ["district+commissioner"] * 3 + ["district", "override"]
    assert out["district"].tolist() == ["LU4", "LU4", "MK17", "MK40", "MK45"]
    assert out["postcode"].tolist() == df["postcode"].tolist()
    by_sector = bh.geo.place_from_postcode(df.iloc[4:], overrides={"MK45 2": BEDFORD})
    assert by_sector["place_code"].tolist() == [BEDFORD]


def test_ambiguous_district_is_reported() -> None:
    df = pd.DataFrame({"practice_code": ["E81043"], "postcode": ["MK43 0HZ"], "commissioner_code": ["06F"]})
    with pytest.raises(
        ReferenceDataError, match=r"E81043 \(MK43 0HZ: district MK43 spans E06000055 Bedford, E06000056"
    ):
        bh.geo.place_from_postcode(df)
    kept = bh.geo.place_from_postcode(df, ambiguous="keep")
    assert kept["place_code"].isna().all()
    assert kept["candidates"].tolist() == [f"{BEDFORD};{CBEDS}"]


def test_unknown_and_malformed() -> None:
    outside = pd.DataFrame({"practice_code": ["Y07040"], "postcode": ["EN1 3LL"]})
    with pytest.raises(ReferenceDataError, match=r"not in the BLMK postcode-district table.*Y07040 \(EN1 3LL\)"):
        bh.geo.place_from_postcode(outside, commissioner=None)
    assert bh.geo.place_from_postcode(outside, overrides={"Y07040": LUTON})["place_code"].tolist() == [LUTON]
    bad = pd.DataFrame({"practice_code": ["X1", "X2"], "postcode": ["LU1", None]})
    with pytest.raises(DomainError, match=r"2 malformed postcode\(s\).*X1: 'LU1'"):
        bh.geo.place_from_postcode(bad)
    assert bh.geo.place_from_postcode(bad.iloc[:1], overrides={"X1": MK})["place_code"].tolist() == [MK]
    with pytest.raises(DomainError, match="not BLMK place codes"):
        bh.geo.place_from_postcode(outside, overrides={"Y07040": "Luton"})
    with pytest.raises(SchemaError, match="not found"):
        bh.geo.place_from_postcode(outside, postcode="pc")
    with pytest.raises(DomainError, match="ambiguous"):
        bh.geo.place_from_postcode(outside, ambiguous="guess")
