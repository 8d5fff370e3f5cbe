"""rollup's own rules on top of the shared path in: moved codes, the order of checks, output-name clashes."""

from __future__ import annotations

import pandas as pd
import pytest

import blmk_health as bh
import blmk_health.geo
from blmk_health.errors import ReferenceDataError, SchemaError
from tests.geo.conftest import LUTON, MK


def _moving() -> bh.geo.Hierarchy:
    """P1 moves from C1 to C2 on 2021-04-01 and P3 from C2 to C1 on 2022-04-01; P2 stays in C2."""
    return bh.geo.Hierarchy.from_frame(
        pd.DataFrame(
            {
                "practice_code": ["P1", "P1", "P2", "P3", "P3"],
                "cluster_code": ["C1", "C2", "C2", "C2", "C1"],
                "start": [None, "2021-04-01", None, None, "2022-04-01"],
                "end": ["2021-03-31", None, None, "2022-03-31", None],
            }
        ),
        place=None,
        icb=None,
        start="start",
        end="end",
    )


def test_moved_codes_absent_from_the_data_need_no_date() -> None:
    out = bh.geo.rollup(pd.DataFrame({"practice_code": ["P2", "P2"], "n": [1, 2]}), _moving(), "cluster")
    assert out[["cluster_code", "n_practices", "n"]].to_numpy().tolist() == [["C2", 1, 3]]


def test_the_moved_error_names_only_codes_in_the_data() -> None:
    data = pd.DataFrame({"practice_code": ["P1", "P2"], "n": [1, 2]})
    with pytest.raises(ReferenceDataError) as raised:
        bh.geo.rollup(data, _moving(), "cluster")
    message = str(raised.value)
    assert message.startswith("at: 1 practice code(s) belonged to more than one cluster over time ('P1': ")
    assert "P3" not in message
    assert message.endswith("pass at= to use the hierarchy in force on one date")


def test_levels_and_dates_are_checked_before_the_data(hierarchy: bh.geo.Hierarchy) -> None:
    nothing_to_sum = pd.DataFrame({"practice_code": ["P1"], "sex": ["F"]})
    with pytest.raises(ReferenceDataError, match="no level 'ward'"):
        bh.geo.rollup(nothing_to_sum, hierarchy, "ward")
    with pytest.raises(ReferenceDataError, match="from_level: the hierarchy has no level 'gp'"):
        bh.geo.rollup(nothing_to_sum, hierarchy, "place", from_level="gp")
    with pytest.raises(bh.errors.DomainError, match="at: cannot read 'soon' as a date"):
        bh.geo.rollup(nothing_to_sum, hierarchy, "place", at="soon")


def test_output_names_clash_only_with_kept_columns(hierarchy: bh.geo.Hierarchy) -> None:
    data = pd.DataFrame({"practice_code": ["P1", "P5"], "deaths": [1, 2], "place_name": ["old", "old"]})
    out = bh.geo.rollup(data, hierarchy, "place")  # a text column that is neither summed nor grouped on is dropped
    assert out.to_numpy().tolist() == [[LUTON, "Luton", 1, 1], [MK, "Milton Keynes", 1, 2]]
    with pytest.raises(SchemaError, match=r"by: columns \['place_name'\] would be overwritten"):
        bh.geo.rollup(data, hierarchy, "place", by="place_name")
    with pytest.raises(SchemaError, match=r"data: columns \['n_practices'\] would be overwritten"):
        bh.geo.rollup(data.assign(n_practices=1), hierarchy, "place")
    with pytest.raises(SchemaError, match=r"data: columns \['n_practices'\] would be overwritten"):
        bh.geo.rollup(data.assign(n_practices=1), hierarchy, "place", sums=["deaths", "n_practices"])
    assert bh.geo.rollup(data.assign(n_practices=1), hierarchy, "place", sums="deaths")["deaths"].tolist() == [1, 2]


def test_sums_and_by_are_checked_through_the_shared_path(hierarchy: bh.geo.Hierarchy) -> None:
    data = pd.DataFrame({"practice_code": ["P1"], "deaths": [1], "sex": ["F"]})
    with pytest.raises(SchemaError, match=r"column not found: sums='pop'; by='age'"):
        bh.geo.rollup(data, hierarchy, "place", sums=["deaths", "pop"], by="age")
    with pytest.raises(SchemaError, match="sums: column 'sex' must be numeric"):
        bh.geo.rollup(data, hierarchy, "place", sums="sex")
    with pytest.raises(SchemaError, match="by: column names are repeated"):
        bh.geo.rollup(data, hierarchy, "place", by=["sex", "sex"])
