"""The synthetic workforce: the published long layout, its staff groups and Totals, the practices without a
return, its calibration, and the proof that adding the wider workforce left every other table as it was."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.datasets._synthetic import _STREAMS
from blmk_health.datasets._synthetic._workforce import PRACTICES_WITHOUT_RETURN, WORKFORCE_DATE
from blmk_health.indicators._workforce import patients_per_gp

from .conftest import table_digest

#: sha256 digests (``table_digest``) of the tables at ``scale=0.01, seed=0`` computed before the wider
#: workforce was added (commit 1f3470c). Adding it changed only ``workforce``: a change to any of these
#: must be intentional, and then these digests are updated with it. ``patients`` and ``admissions`` were
#: updated when the emergency-admission risk lost most of its unobserved heterogeneity (population
#: segmentation: the risk must be predictable from the record); every other table stayed the same.
DIGESTS_BEFORE = {
    "places": "1511f914d069aa43ef0a906d1f091af13d3f0a5fb59723decbf2297f2f1665c6",
    "clusters": "4464784aa93a558eb567edef7b4b27d9377ab7d107f10459061403eedb50cd32",
    "practices": "80dd7fec4d043e26292c04ac4c090746f3eac60c9ccf32edfe647e3cc014952d",
    "lsoas": "64bb3f0fc1cab9dd6c86ef15d4a7181bb792e40e6b943b07fda99b28a3b5bef7",
    "population": "c24bf7509d1c3620600960cd690a37c140c45a793085d72aca33a52256806a7a",
    "deaths": "83b336d5d893fe1deb550687ebf9823b1e11d0223ee77cdce3db7c9a073330ac",
    "general_health": "7f030b7f6de24b877fc71c424cede6125fbd9b5f79d6590a4fec3234293f69fc",
    "patients": "5b39d9bd3693472b96c39202e310095c32a91ba71765c6c5437497f9f7882e28",
    "events": "e11445d04fabe96b4562467af72dcab97fc2f1c2fefc0c23e63b3d0bebd2e4e8",
    "codelists": "7f83a55ecec24a193397c79628be8f9f419cb232ffdae81b48ae733a9152e791",
    "registrations": "858bdcb1632f920d9caa246a22ff3a1145b68382c1a4208be001c01eb8d1c77e",
    "qof_registers": "8a1909a98ad8cdfa5182c8ce8ffe402e50a1b5f2fb7da801d51e86e98b8d1270",
    "admissions": "924a1856867b7db16683ef7f4284a6de1ac6a563714fbcd0199fb84c36313435",
    "prevalence_rates": "ff788aec12d6e288f076e5cf41c0488e6b74d64f8b263c879316535e7cb5dbc9",
}
GROUPS = {"GP", "Nurses", "Direct Patient Care", "Admin/Non-Clinical"}


def by_place(data: bh.datasets.SyntheticBLMK) -> pd.DataFrame:
    return data.registrations.merge(data.practices[["practice_code", "place_name", "icb_code"]], on="practice_code")


def quietly(*args: object, **kwargs: object) -> pd.DataFrame:
    """patients_per_gp on the synthetic tables, whose workforce (30 Sep 2018) and list (1 Apr 2019) differ."""
    with pytest.warns(UserWarning, match="registrations extract_date 2019-04-01, workforce extract_date 2018-09-30"):
        result: pd.DataFrame = patients_per_gp(*args, **kwargs)  # type: ignore[arg-type]
    return result


def test_the_other_tables_are_unchanged(small: bh.datasets.SyntheticBLMK) -> None:
    tables = small.tables()
    assert {name: table_digest(tables[name]) for name in DIGESTS_BEFORE} == DIGESTS_BEFORE
    assert table_digest(small.workforce) != "8446f34f67d0fec1bc044f619037b5cc75610e46e80be7010d46e108966d7e1c"


def test_the_wider_workforce_has_its_own_stream_after_the_earlier_ones() -> None:
    assert _STREAMS.index("workforce") == 5
    assert _STREAMS.index("wider_workforce") == 8


def test_layout_of_the_published_high_level_file(small: bh.datasets.SyntheticBLMK) -> None:
    wf = small.workforce
    assert list(wf.columns) == [
        "extract_date",
        "practice_code",
        "practice_name",
        "staff_group",
        "staff_role",
        "measure",
        "value",
    ]
    assert wf["extract_date"].unique().tolist() == [pd.Timestamp(WORKFORCE_DATE)]
    assert WORKFORCE_DATE.isoformat() == "2018-09-30"  # 30 September before the lists' 1 April 2019
    assert set(wf["staff_group"]) == GROUPS
    assert set(wf["measure"]) == {"fte", "headcount"}
    assert not wf.duplicated(["practice_code", "staff_group", "staff_role", "measure"]).any()
    assert wf["value"].notna().all()
    assert (wf["value"] >= 0).all()
    roles = wf.groupby("staff_group")["staff_role"].unique().map(set).to_dict()
    assert roles["GP"] == {"Partner", "Salaried GP", "GP Locum", "GP Registrar", "Total"}
    assert roles["Nurses"] == {"Practice Nurse", "Total"}
    assert roles["Direct Patient Care"] == {"Healthcare Assistant", "Pharmacist", "Total"}
    assert roles["Admin/Non-Clinical"] == {"Receptionist", "Manager", "Total"}


def test_totals_are_the_sums_of_their_roles(small: bh.datasets.SyntheticBLMK) -> None:
    wf = small.workforce
    keys = ["practice_code", "staff_group", "measure"]
    total = wf[wf["staff_role"] == "Total"].set_index(keys)["value"].sort_index()
    roles = wf[wf["staff_role"] != "Total"].groupby(keys)["value"].sum().sort_index()
    np.testing.assert_allclose(total.to_numpy(), roles.to_numpy(), atol=1e-9)
    fte = wf[wf["measure"] == "fte"].set_index(["practice_code", "staff_group", "staff_role"])["value"]
    hc = wf[wf["measure"] == "headcount"].set_index(["practice_code", "staff_group", "staff_role"])["value"]
    assert ((hc.loc[fte.index] >= 1) == (fte > 0)).all()  # someone works wherever there is FTE


def test_a_few_practices_made_no_return(small: bh.datasets.SyntheticBLMK) -> None:
    missing = sorted(set(small.practices["practice_code"]) - set(small.workforce["practice_code"]))
    assert len(missing) == PRACTICES_WITHOUT_RETURN == 3
    out = quietly(small.registrations, small.workforce).set_index("practice_code")
    assert len(out) == 108
    assert out.index[out["statistic"].str.endswith("NA: no workforce return")].tolist() == missing
    assert out.loc[missing, "staff"].isna().all()
    other = bh.datasets.synthetic_blmk(scale=0.01, seed=1)
    assert sorted(set(other.practices["practice_code"]) - set(other.workforce["practice_code"])) != missing


def test_reads_back_through_the_published_layout(small: bh.datasets.SyntheticBLMK) -> None:
    """Written as NHS England's "high level" CSV and read with bh.io.read_gp_workforce, the table gives the
    same patients per GP: the synthetic layout is the reader's."""
    wf = small.workforce
    ods = {code: f"Z{int(code[3:]):05d}" for code in small.practices["practice_code"]}  # SYN001 -> Z00001
    published = pd.DataFrame(
        {
            "PRAC_CODE": wf["practice_code"].map(ods),
            "PRAC_NAME": wf["practice_name"],
            "STAFF_GROUP": wf["staff_group"],
            "DETAILED_STAFF_ROLE": wf["staff_role"],
            "MEASURE": wf["measure"].map({"fte": "FTE", "headcount": "Headcount"}),
            "VALUE": wf["value"],
        }
    )
    read = bh.io.read_gp_workforce(io.StringIO(published.to_csv(index=False)))
    assert read.attrs["layout"] == "long"
    registrations = small.registrations.assign(practice_code=small.registrations["practice_code"].map(ods))
    for staff in ("gp_excl_registrars", "nurses", "direct_patient_care", "admin"):
        expected = quietly(small.registrations, wf, staff=staff, by=None)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the file has no date: nothing to compare
            result = patients_per_gp(registrations, read, staff=staff, by=None)
        pd.testing.assert_frame_equal(result, expected)


def test_calibration_at_a_tenth(small: bh.datasets.SyntheticBLMK) -> None:
    """Patients per fully qualified GP FTE over the practices with a return (FTE rounded to 0.01)."""
    data = bh.datasets.synthetic_blmk(scale=0.1, seed=0)
    places = quietly(by_place(data), data.workforce, by="place_name").set_index("place_name")["value"]
    assert places["Luton"] == pytest.approx(2_800, rel=0.01)
    for place in ("Bedford", "Central Bedfordshire", "Milton Keynes"):
        assert places[place] == pytest.approx(2_240, rel=0.01)
    assert quietly(by_place(data), data.workforce, by="icb_code")["value"].iloc[0] == pytest.approx(2_350, rel=0.01)


def test_wider_groups_per_patient(small: bh.datasets.SyntheticBLMK) -> None:
    """Nurse, direct patient care and admin FTE per patient are near their (ILLUSTRATIVE) rates."""
    data = bh.datasets.synthetic_blmk(scale=0.1, seed=0)
    per = {
        staff: quietly(by_place(data), data.workforce, by="icb_code", staff=staff)["value"].iloc[0]
        for staff in ("nurses", "direct_patient_care", "admin")
    }
    assert per["nurses"] == pytest.approx(4_000, rel=0.1)
    assert per["direct_patient_care"] == pytest.approx(4_500, rel=0.1)
    assert per["admin"] == pytest.approx(900, rel=0.1)
