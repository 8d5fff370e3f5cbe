"""Hierarchy.lookup(codes=): the lookup of the codes present only, as rollup uses it; from_epcn on published headers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import ReferenceDataError, SchemaError
from tests.geo.conftest import LUTON, MK

H = bh.geo.Hierarchy
COLUMNS = ["practice_code", "cluster_code", "cluster_name"]


def _moving() -> H:
    """P1 moves from C1 to C2 on 2021-04-01, P3 from C2 to C1 on 2022-04-01; P2 stays in C2; P4 is in no cluster."""
    return H.from_frame(
        pd.DataFrame(
            {
                "practice_code": ["P1", "P1", "P2", "P3", "P3", "P4"],
                "cluster_code": ["C1", "C2", "C2", "C2", "C1", None],
                "start": [None, "2021-04-01", None, None, "2022-04-01", None],
                "end": ["2021-03-31", None, None, "2022-03-31", None, None],
            }
        ),
        place=None,
        icb=None,
        start="start",
        end="end",
    )


def test_codes_restrict_the_lookup_to_those_codes(hierarchy: H) -> None:
    out = hierarchy.lookup("cluster", codes=["P3", "P1"])
    assert out.columns.tolist() == COLUMNS
    assert out.to_numpy().tolist() == [["P1", "C1", "North"], ["P3", "C2", "South"]]  # sorted by code
    places = hierarchy.lookup("place", from_level="cluster", codes=["C3"])
    assert places.to_numpy().tolist() == [["C3", MK, "Milton Keynes"]]


def test_codes_not_in_the_hierarchy_and_missing_codes_are_left_out(hierarchy: H) -> None:
    out = hierarchy.lookup("place", codes=["P2", "ZZ", None, np.nan, pd.NA, "P2"])
    assert out.to_numpy().tolist() == [["P2", LUTON, "Luton"]]
    empty = hierarchy.lookup("cluster", codes=["ZZ"])
    assert empty.columns.tolist() == COLUMNS
    assert empty.empty
    assert hierarchy.lookup("cluster", codes=[]).empty


def test_codes_in_any_shape(hierarchy: H) -> None:
    expected = hierarchy.lookup("cluster", codes=["P1", "P5"])
    shapes = [
        ("P1", "P5"),
        pd.Series(["P5", "P1"], index=[7, 3]),
        np.array(["P1", "P5"]),
        pl.Series(["P1", "P5"]),
        pa.array(["P1", "P5"]),
        {"P1", "P5"},
    ]
    for codes in shapes:
        pd.testing.assert_frame_equal(hierarchy.lookup("cluster", codes=codes), expected)
    one = hierarchy.lookup("cluster", codes="P5")
    assert one.to_numpy().tolist() == [["P5", "C3", "East"]]


def test_same_level_and_codes_without_an_area(hierarchy: H) -> None:
    same = hierarchy.lookup("cluster", from_level="cluster", codes=["C2", "C9"])
    assert same.columns.tolist() == ["cluster_code", "cluster_name"]
    assert same.to_numpy().tolist() == [["C2", "South"]]
    unclustered = _moving().lookup("cluster", codes=["P4", "P2"])
    assert unclustered["practice_code"].tolist() == ["P2", "P4"]
    assert unclustered["cluster_code"].tolist() == ["C2", None]


def test_a_moved_code_raises_only_when_it_is_among_the_codes() -> None:
    h = _moving()
    assert h.lookup("cluster", codes=["P2"])[["practice_code", "cluster_code"]].to_numpy().tolist() == [["P2", "C2"]]
    with pytest.raises(ReferenceDataError, match="pass at="):
        h.lookup("cluster")  # without codes, every moved code counts
    with pytest.raises(ReferenceDataError) as raised:
        h.lookup("cluster", codes=["P2", "P1"])
    message = str(raised.value)
    assert message.startswith("at: 1 practice code(s) belonged to more than one cluster over time")
    assert "'P1': 'C1' (open to 2021-03-31), 'C2' (2021-04-01 to open)" in message
    assert "P3" not in message  # P3 moved too, but it is not among the codes
    with pytest.raises(ReferenceDataError, match=r"2 practice code\(s\).*'P1'.*'P3'"):
        h.lookup("cluster", codes=["P3", "P1"])


def test_a_date_settles_a_moved_code() -> None:
    h = _moving()
    assert h.lookup("cluster", at="2020-01-01", codes=["P1"])["cluster_code"].tolist() == ["C1"]
    assert h.lookup("cluster", at="2023-01-01", codes=["P1", "P3"])["cluster_code"].tolist() == ["C2", "C1"]
    assert h.lookup("cluster", at="2023-01-01", codes=["P9"]).empty


def test_bad_codes_and_levels(hierarchy: H) -> None:
    with pytest.raises(SchemaError, match=r"codes: expected a code or a sequence of codes, got builtins\.int"):
        hierarchy.lookup("cluster", codes=5)
    with pytest.raises(SchemaError, match=r"codes: expected text codes .* got 2 other value\(s\): 1, 2\.5"):
        hierarchy.lookup("cluster", codes=["P1", 1, 2.5])
    with pytest.raises(ReferenceDataError, match="no level 'ward'"):
        hierarchy.lookup("ward", codes=["P1"])
    with pytest.raises(ReferenceDataError, match="below"):
        hierarchy.lookup("practice", from_level="cluster", codes=["C1"])


def test_map_still_takes_any_sequence(hierarchy: H) -> None:
    assert hierarchy.map(np.array(["P1", "P6"]), to="cluster") == ["C1", "C3"]
    assert hierarchy.map(pl.Series(["P6"]), to="place") == [MK]
    with pytest.raises(SchemaError, match="codes: expected a code or a sequence of codes"):
        hierarchy.map(5, to="place")


# ------------------------------------------------------------------------------------ ePCN headers
def _published() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two ePCN sheets with their published headers, as pandas reads a CSV export (text only)."""
    details = pd.DataFrame(
        {
            "PCN Code": ["U51229", "U74819"],
            "PCN Name": ["MEDICS PCN", "CARITAS MEDICAL PCN"],
            "Current Clinical Commissioning Group Code": ["06P", "06F"],
            "Open Date (YYYYMMDD)": ["20191001", "20191001"],
            "Close Date": [None, None],
            "Postcode": ["LU3 1RW", "MK40 4HR"],
        }
    )
    partners = pd.DataFrame(
        {
            "Partner\nOrganisation\nCode": ["E81005", "E81021"],
            "Partner Name": ["BELL HOUSE", "QUEENS PARK"],
            "PCN Code": ["U51229", "U74819"],
            "PCN Name": ["MEDICS PCN", "CARITAS MEDICAL PCN"],
            "Practice to PCN Relationship Start Date": ["20191001", "20191001"],
            "Practice to PCN Relationship End Date": [None, "20210331"],
        }
    )
    return details, partners


def test_from_epcn_reads_published_headers_through_bh_io() -> None:
    details, partners = _published()
    read = bh.io.read_epcn(details, partners)
    expected = H.from_epcn(read.details, read.core_partners)
    h = H.from_epcn(details, partners)
    pd.testing.assert_frame_equal(h.to_frame(), expected.to_frame())
    assert h.map(["E81005", "E81021"], to="place") == [LUTON, "E06000055"]
    assert h.names("cluster") == {"U51229": "MEDICS PCN", "U74819": "CARITAS MEDICAL PCN"}
    assert h.at("2021-04-01").codes("practice") == ["E81005"]  # the end date was read from text
    from_polars = H.from_epcn(pl.from_pandas(details), pl.from_pandas(partners))
    pd.testing.assert_frame_equal(from_polars.to_frame(), expected.to_frame())


def test_from_epcn_refuses_one_table_of_each_kind() -> None:
    details, partners = _published()
    read = bh.io.read_epcn(details, partners)
    with pytest.raises(SchemaError, match="not one of each"):
        H.from_epcn(details, read.core_partners)
    with pytest.raises(SchemaError, match="not one of each"):
        H.from_epcn(read.details, partners)
    with pytest.raises(SchemaError, match=r"core_partners: column\(s\) \['practice_code'\] not found"):
        H.from_epcn(read.details, read.core_partners.drop(columns="practice_code"))
