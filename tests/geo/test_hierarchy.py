"""Hierarchy: construction, dates, map, members, and every validation error."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from tests.geo.conftest import LUTON, MK

H = bh.geo.Hierarchy


def test_from_frame_levels_names_and_repr(hierarchy: H) -> None:
    assert hierarchy.levels == ("practice", "cluster", "place", "icb")
    assert repr(hierarchy) == "Hierarchy(practice: 6, cluster: 3, place: 2, icb: 1; 6 paths)"
    assert hierarchy.names("cluster") == {"C1": "North", "C2": "South", "C3": "East"}
    assert hierarchy.codes("place") == [LUTON, MK]
    frame = hierarchy.to_frame()
    assert list(frame.columns[:4]) == ["practice_code", "practice_name", "cluster_code", "cluster_name"]
    assert len(hierarchy.paths) == 6


def test_from_frame_accepts_polars_and_custom_levels(practices: pd.DataFrame) -> None:
    h = H.from_frame(pl.from_pandas(practices), levels={"gp": "practice_code", "pcn": "cluster_code"}, names={})
    assert h.levels == ("gp", "pcn")
    assert h.map("P3", to="pcn") == "C2"
    assert h.names("pcn") == {}


def test_map_shapes(hierarchy: H) -> None:
    assert hierarchy.map("P1", to="place") == LUTON
    assert hierarchy.map(["P1", "P6"], to="icb") == ["QHG", "QHG"]
    series = hierarchy.map(pd.Series(["P5", "P2"], index=[10, 20]), to="cluster")
    assert series.tolist() == ["C3", "C1"]
    assert series.index.tolist() == [10, 20]
    assert hierarchy.map(["C1", "C3"], from_level="cluster", to="place") == [LUTON, MK]
    assert hierarchy.map(["P1", "ZZ"], to="place", unknown="missing") == [LUTON, None]
    assert hierarchy.map("P1", to="practice") == "P1"


def test_map_unknown_and_bad_levels(hierarchy: H) -> None:
    with pytest.raises(ReferenceDataError, match=r"1 code\(s\) have no place.*'ZZ'"):
        hierarchy.map(["P1", "ZZ"], to="place")
    with pytest.raises(ReferenceDataError, match="no level 'ward'; its levels are practice, cluster, place, icb"):
        hierarchy.map("P1", to="ward")
    with pytest.raises(ReferenceDataError, match="below"):
        hierarchy.map("C1", from_level="cluster", to="practice")
    with pytest.raises(DomainError, match="unknown"):
        hierarchy.map("P1", to="place", unknown="nope")


def test_members(hierarchy: H) -> None:
    assert hierarchy.members("cluster", "C2") == ["P3", "P4"]
    assert hierarchy.members("place", LUTON, of="cluster") == ["C1", "C2"]
    assert hierarchy.members("icb", "QHG", of="place") == [LUTON, MK]
    with pytest.raises(ReferenceDataError, match="'C9' is not a cluster"):
        hierarchy.members("cluster", "C9")
    with pytest.raises(ReferenceDataError, match="above"):
        hierarchy.members("cluster", "C1", of="place")
    with pytest.raises(ReferenceDataError, match="on 2020-01-01"):
        hierarchy.members("cluster", "C9", at="2020-01-01")


def _moving() -> pd.DataFrame:
    """P1 moves from C1 to C2 on 2021-04-01; P2 closes on 2020-03-31."""
    return pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P2", "P3"],
            "cluster_code": ["C1", "C2", "C1", "C2"],
            "place_code": ["L", "M", "L", "M"],
            "start": ["20191001", "2021-04-01", None, None],
            "end": ["2021-03-31", None, "2020-03-31", None],
        }
    )


def test_effective_dates() -> None:
    h = H.from_frame(_moving(), icb=None, start="start", end="end")
    assert h.at("2020-01-01").map("P1", to="cluster") == "C1"
    assert h.at("2021-03-31").map("P1", to="cluster") == "C1"  # end dates are inclusive
    assert h.at("2021-04-01").map("P1", to="cluster") == "C2"
    assert h.at("2020-04-01").codes("practice") == ["P1", "P3"]
    assert h.codes("practice", at="2019-01-01") == ["P2", "P3"]
    assert h.map("P1", to="cluster", at=pd.Timestamp("2022-01-01")) == "C2"
    with pytest.raises(
        ReferenceDataError, match=r"'P1': 'C1' \(2019-10-01 to 2021-03-31\), 'C2' \(2021-04-01 to open\)"
    ):
        h.map("P1", to="cluster")
    with pytest.raises(ReferenceDataError, match="pass at="):
        h.lookup("cluster")
    assert h.lookup("place", from_level="cluster")["place_code"].tolist() == ["L", "M"]


@pytest.mark.parametrize("bad", ["2020-13-45", "not a date", True, 3.5, float("nan")])
def test_bad_dates(hierarchy: H, bad: object) -> None:
    with pytest.raises(DomainError, match="at"):
        hierarchy.at(bad)


def test_bad_date_columns() -> None:
    df = _moving().assign(end=["soon", None, None, None])
    with pytest.raises(DomainError, match=r"column 'end' has 1 value\(s\) that are not dates.*'soon'"):
        H.from_frame(df, icb=None, start="start", end="end")
    backwards = _moving().assign(end=["2019-01-01", None, None, None])
    with pytest.raises(DomainError, match="end before they start"):
        H.from_frame(backwards, icb=None, start="start", end="end")


def test_practice_in_two_clusters_on_one_date() -> None:
    df = _moving().assign(end=["2021-06-30", None, "2020-03-31", None])
    with pytest.raises(
        SchemaError, match=r"1 practice\(s\) sit under two parents.*'P1' in cluster 'C1' and cluster 'C2' on 2021-04-01"
    ):
        H.from_frame(df, icb=None, start="start", end="end")


def test_cluster_in_two_places() -> None:
    df = pd.DataFrame({"practice_code": ["P1", "P2"], "cluster_code": ["C1", "C1"], "place_code": ["L", "M"]})
    with pytest.raises(SchemaError, match=r"1 cluster\(s\).*'C1' in place 'L' and place 'M'"):
        H.from_frame(df, icb=None)


def test_practice_with_and_without_cluster_clash() -> None:
    df = pd.DataFrame({"practice_code": ["P1", "P1"], "cluster_code": ["C1", None], "place_code": ["L", "L"]})
    with pytest.raises(SchemaError, match=r"'P1' in \(none\)|'P1' in cluster 'C1' and place 'L'"):
        H.from_frame(df, icb=None)


def test_cycle() -> None:
    df = pd.DataFrame({"practice_code": ["A", "B"], "cluster_code": ["B", "A"]})
    with pytest.raises(SchemaError, match="cycle: 'A' -> 'B' -> 'A'"):
        H.from_frame(df, place=None, icb=None)
    with pytest.raises(SchemaError, match="cycle: 'A' -> 'A'"):
        H.from_frame(pd.DataFrame({"practice_code": ["A"], "cluster_code": ["A"]}), place=None, icb=None)


def test_malformed_and_missing_codes() -> None:
    with pytest.raises(DomainError, match=r"level 'cluster' has 1 malformed code.*' C1'"):
        H.from_frame(pd.DataFrame({"practice_code": ["P1"], "cluster_code": [" C1"]}), place=None, icb=None)
    with pytest.raises(SchemaError, match="have no practice code"):
        H.from_frame(pd.DataFrame({"practice_code": [None], "cluster_code": ["C1"]}), place=None, icb=None)


def test_known_codes(hierarchy: H) -> None:
    assert hierarchy.validate(known={"place": bh.geo.PLACES}) is hierarchy
    with pytest.raises(ReferenceDataError, match=r"level 'icb' has 1 unknown code\(s\): 'QHG'"):
        hierarchy.validate(known={"icb": ["E54000024"]})
    with pytest.raises(ReferenceDataError, match="no level 'lsoa'"):
        hierarchy.validate(known={"lsoa": []})


def test_missing_columns(practices: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="icb='icb_code'"):
        H.from_frame(practices.drop(columns="icb_code"))
    with pytest.raises(SchemaError, match="at least one level"):
        H.from_frame(practices, practice=None, cluster=None, place=None, icb=None)
    with pytest.raises(SchemaError, match=r"names\['place'\]='nope'"):
        H.from_frame(practices, names={"place": "nope"})
    with pytest.raises(SchemaError, match="levels"):
        H(pd.DataFrame({"a": ["x"]}), levels=("a", "a"))
    with pytest.raises(SchemaError, match="level"):
        H(pd.DataFrame({"a": ["x"]}), levels=("a", "b"))
    with pytest.raises(SchemaError, match="expected a data frame"):
        H.from_frame([1, 2, 3])


def test_numeric_codes_become_text() -> None:
    h = H.from_frame(pd.DataFrame({"practice_code": [1, 2], "cluster_code": [10, 10]}), place=None, icb=None)
    assert h.members("cluster", "10") == ["1", "2"]
