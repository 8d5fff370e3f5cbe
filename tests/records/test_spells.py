"""Hospital provider spells from consultant episodes: ``bh.records.spells()``.

Small tables of episodes are built by hand, with their spells worked out by hand in each test (the
arithmetic of each length of stay is in a comment): the first episode by order gives the spell's
admission method, diagnoses and age even when the rows are shuffled, the last discharge ends the spell,
unfinished spells have no discharge and no length, spells without an id are keyed by patient, provider
and admission date, and every bad input raises its error naming the spells. The same values are checked
on every backend, and the synthetic BLMK admissions against counts made independently in pandas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.testing import assert_indicator_frame_equal
from tests.helpers import Backend, to_backend, to_pandas

SPELL_COLUMNS = ["episodes", "length_of_stay", "bed_days", "same_day", "admission_group", "non_elective"]


def ts(*values: str | None) -> pd.Series:
    """Datetimes from ISO text (``None`` is missing)."""
    return pd.Series(pd.to_datetime(list(values)))


def three_spells() -> pd.DataFrame:
    """Six episodes of three finished spells, in shuffled order.

    - spell 10: patient 7, two episodes; admitted 2019-01-01, discharged 2019-01-06.
    - spell 20: patient 8, one episode, admitted and discharged on 2019-02-01.
    - spell 30: patient 9, three episodes; admitted 2019-12-30, discharged 2020-01-02 (across a new year).
    """
    return pd.DataFrame(
        {
            "spell_id": [30, 10, 20, 30, 10, 30],
            "episode_order": [3, 2, 1, 1, 1, 2],
            "patient_id": [9, 7, 8, 9, 7, 9],
            "provider_code": ["RC9", "RC9", "RD8", "RC9", "RC9", "RC9"],
            "admission_method": ["11", "11", "12", "2a", "21", "31"],
            "admission_date": ts(*["2019-12-30", "2019-01-01", "2019-02-01", "2019-12-30", "2019-01-01", "2019-12-30"]),
            "discharge_date": ts(*["2020-01-02", "2019-01-06", "2019-02-01", "2020-01-02", "2019-01-06", "2020-01-02"]),
            "episode_start": ts(*["2020-01-01", "2019-01-03", "2019-02-01", "2019-12-30", "2019-01-01", "2019-12-31"]),
            "diag_01": ["C3", "B2", "D1", "C1", "B1", "C2"],
            "diag_02": ["x3", None, "y1", "x1", "z1", None],
            "age": [41, 50, 30, 40, 50, 40],
        }
    )


def three_spells_expected() -> pd.DataFrame:
    """The spells of :func:`three_spells`, worked out by hand, sorted by spell id."""
    return pd.DataFrame(
        {
            "spell_id": [10, 20, 30],
            "patient_id": [7, 8, 9],
            "provider_code": ["RC9", "RD8", "RC9"],
            # the first episode's method (order 1), not the later episodes' "11" and "31"
            "admission_method": ["21", "12", "2a"],
            "admission_date": ts("2019-01-01", "2019-02-01", "2019-12-30"),
            "discharge_date": ts("2019-01-06", "2019-02-01", "2020-01-02"),
            "diag_01": ["B1", "D1", "C1"],
            "diag_02": ["z1", "y1", "x1"],
            "age": [50, 30, 40],
            "episodes": [2, 1, 3],
            # 1 Jan -> 6 Jan = 5 days; same day = 0; 30 Dec -> 2 Jan = 1 (to 31 Dec) + 1 (to 1 Jan) + 1 = 3
            "length_of_stay": [5, 0, 3],
            "bed_days": [5, 0, 3],
            "same_day": [False, True, False],
            # 21 and 2a are emergency codes, 12 elective
            "admission_group": ["emergency", "elective", "emergency"],
            "non_elective": [True, False, True],
        }
    )


def one_spell(**columns: Any) -> pd.DataFrame:
    """Episodes of spells 1 (two episodes, 3 Jan -> 6 Jan 2019) and 2 (one, 1 Feb 2019), with ``columns``
    replacing the defaults."""
    data: dict[str, Any] = {
        "spell_id": [1, 1, 2],
        "episode_order": [1, 2, 1],
        "patient_id": [7, 7, 8],
        "provider_code": ["RC9", "RC9", "RC9"],
        "admission_method": ["21", "21", "11"],
        "admission_date": ts("2019-01-03", "2019-01-03", "2019-02-01"),
        "discharge_date": ts("2019-01-06", "2019-01-06", "2019-02-01"),
    }
    data.update(columns)
    return pd.DataFrame(data)


def assert_spells(backend: Backend, result: Any, expected: pd.DataFrame, by: str | list[str]) -> None:
    """Assert that ``result`` is of the backend's kind and holds the ``expected`` spells.

    Eager results must come sorted by the spell's key (as documented); lazy ones promise no row order,
    so both sides are sorted by ``by`` first. Spark gives its timestamps back in the session's time zone
    (UTC): they are compared as the naive UTC datetimes they were made from.
    """
    backend.assert_kind(result)
    out = to_pandas(result)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
    assert_indicator_frame_equal(out, expected, by=by if backend.lazy else None)


# ------------------------------------------------------------------------------------- the spells


def test_spells_take_the_first_episode_and_the_last_discharge() -> None:
    out = bh.records.spells(three_spells())
    expected = three_spells_expected()
    assert list(out.columns) == list(expected.columns)
    assert out.index.tolist() == [0, 1, 2]  # a fresh index, sorted by spell id
    assert out["spell_id"].tolist() == [10, 20, 30]
    assert out["admission_method"].tolist() == ["21", "12", "2a"]
    assert out["diag_01"].tolist() == ["B1", "D1", "C1"]
    assert out["diag_02"].tolist() == ["z1", "y1", "x1"]
    assert out["age"].tolist() == [50, 30, 40]
    assert out["discharge_date"].tolist() == list(ts("2019-01-06", "2019-02-01", "2020-01-02"))
    assert out["episodes"].tolist() == [2, 1, 3]
    assert out["length_of_stay"].tolist() == [5, 0, 3]
    assert out["bed_days"].tolist() == [5, 0, 3]
    assert out["same_day"].tolist() == [False, True, False]
    assert out["admission_group"].tolist() == ["emergency", "elective", "emergency"]
    assert out["non_elective"].tolist() == [True, False, True]


def test_row_order_of_the_episodes_does_not_matter() -> None:
    episodes = three_spells()
    expected = bh.records.spells(episodes)
    for seed in range(5):
        shuffled = episodes.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(bh.records.spells(shuffled), expected)
    # and the hand-worked values hold whatever the order
    assert expected["diag_01"].tolist() == ["B1", "D1", "C1"]


def test_episode_columns_and_the_order_column_are_dropped() -> None:
    episodes = three_spells().assign(episode_end=pd.NaT, episode_note="n", episodes_note="kept")
    out = bh.records.spells(episodes)
    assert "episode_order" not in out.columns
    assert "episode_start" not in out.columns
    assert "episode_end" not in out.columns
    assert "episode_note" not in out.columns
    # "episodes_note" does not start with "episode_": a spell-level column, kept
    assert out["episodes_note"].tolist() == ["kept"] * 3


def test_order_column_with_another_name_is_dropped_and_orders_the_episodes() -> None:
    episodes = three_spells().rename(columns={"episode_order": "epiorder"})
    out = bh.records.spells(episodes, order="epiorder")
    assert "epiorder" not in out.columns
    assert out["diag_01"].tolist() == ["B1", "D1", "C1"]


def test_order_by_episode_start_date() -> None:
    # the start dates give the same order as the episode numbers, except in spell 10, reversed here:
    # its episode with start 2019-01-01 (B1) moves to 2019-01-04, after the one starting 2019-01-03 (B2)
    episodes = three_spells()
    episodes.loc[(episodes["spell_id"] == 10) & (episodes["episode_order"] == 1), "episode_start"] = pd.Timestamp(
        "2019-01-04"
    )
    out = bh.records.spells(episodes, order="episode_start")
    assert out["diag_01"].tolist() == ["B2", "D1", "C1"]
    assert out["admission_method"].tolist() == ["11", "12", "2a"]
    assert out["admission_group"].tolist() == ["elective", "elective", "emergency"]
    assert out["age"].tolist() == [50, 30, 40]


def test_input_frame_is_not_modified() -> None:
    episodes = three_spells()
    before = episodes.copy()
    bh.records.spells(episodes)
    pd.testing.assert_frame_equal(episodes, before)


def test_same_day_boundary() -> None:
    episodes = pd.DataFrame(
        {
            "spell_id": [1, 2, 3],
            "episode_order": [1, 1, 1],
            "patient_id": [1, 2, 3],
            "provider_code": ["RC9"] * 3,
            "admission_method": ["11"] * 3,
            "admission_date": ts("2019-05-01", "2019-05-01", "2019-05-01"),
            "discharge_date": ts("2019-05-01", "2019-05-02", "2019-05-03"),
        }
    )
    out = bh.records.spells(episodes)
    # 1 May -> 1 May = 0 (same day); -> 2 May = 1; -> 3 May = 2
    assert out["bed_days"].tolist() == [0, 1, 2]
    assert out["length_of_stay"].tolist() == [0, 1, 2]
    assert out["same_day"].tolist() == [True, False, False]


def test_times_of_day_still_give_whole_days() -> None:
    episodes = pd.DataFrame(
        {
            "spell_id": [1, 2, 3, 3],
            "episode_order": [1, 1, 1, 2],
            "patient_id": [1, 2, 3, 3],
            "provider_code": ["RC9"] * 4,
            "admission_method": ["21"] * 4,
            "admission_date": ts("2019-05-01 01:00", "2019-05-01 23:30", "2019-05-01 12:00", "2019-05-01 12:00"),
            "discharge_date": ts("2019-05-01 23:00", "2019-05-02 00:30", "2019-05-03 08:00", "2019-05-03 08:00"),
        }
    )
    out = bh.records.spells(episodes)
    # 22 hours within 1 May = 0 days (same day); 1 hour across midnight = 1 day (the 2nd minus the 1st);
    # 44 hours from midday on the 1st to 8:00 on the 3rd = 2 days (3 - 1), not 1.83
    assert out["bed_days"].tolist() == [0, 1, 2]
    assert out["same_day"].tolist() == [True, False, False]
    assert out["episodes"].tolist() == [1, 1, 2]


@pytest.mark.parametrize(
    ("admitted", "discharged", "days"),
    [
        ("2020-02-28", "2020-03-01", 2),  # 2020 is a leap year: 28 Feb -> 29 Feb -> 1 Mar
        ("2019-02-28", "2019-03-01", 1),  # 2019 is not: 28 Feb -> 1 Mar
        ("2100-02-28", "2100-03-01", 1),  # 2100 is not (divisible by 100, not 400)
        ("2000-02-28", "2000-03-01", 2),  # 2000 is (divisible by 400)
        ("1999-12-31", "2001-01-01", 367),  # 1 (to 1 Jan 2000) + 366 (leap 2000)
        ("2018-04-01", "2019-03-31", 364),  # a financial year: 365 days, minus one
        ("1969-12-31", "1970-01-02", 2),  # across the epoch
        ("1968-02-28", "1968-03-01", 2),  # a leap year before the epoch
        ("1899-12-31", "1900-03-01", 60),  # 1 + 31 (Jan) + 28 (Feb 1900, not leap)
    ],
)
def test_length_of_stay_across_months_and_leap_years(admitted: str, discharged: str, days: int) -> None:
    episodes = one_spell(
        spell_id=[1],
        episode_order=[1],
        patient_id=[1],
        provider_code=["RC9"],
        admission_method=["11"],
        admission_date=ts(admitted),
        discharge_date=ts(discharged),
    )
    out = bh.records.spells(episodes)
    assert out["length_of_stay"].tolist() == [days]
    assert out["bed_days"].tolist() == [days]
    assert out["same_day"].tolist() == [False]


@pytest.mark.parametrize("missing_at", [0, 1, 2])
def test_unfinished_spell_has_no_discharge_and_no_length(missing_at: int) -> None:
    # spell 5 has three episodes; one of them (any) has no discharge date: the spell is unfinished
    discharges: list[str | None] = ["2019-03-09", "2019-03-09", "2019-03-09"]
    discharges[missing_at] = None
    episodes = pd.DataFrame(
        {
            "spell_id": [5, 5, 5, 6],
            "episode_order": [1, 2, 3, 1],
            "patient_id": [1, 1, 1, 2],
            "provider_code": ["RC9"] * 4,
            "admission_method": ["21", "11", "11", "11"],
            "admission_date": ts("2019-03-01", "2019-03-01", "2019-03-01", "2019-03-01"),
            "discharge_date": ts(*discharges, "2019-03-04"),
        }
    )
    out = bh.records.spells(episodes)
    assert out["spell_id"].tolist() == [5, 6]
    assert out["episodes"].tolist() == [3, 1]
    assert pd.isna(out.loc[0, "discharge_date"])
    assert pd.isna(out.loc[0, "length_of_stay"])
    assert pd.isna(out.loc[0, "bed_days"])
    # the finished spell beside it: 1 Mar -> 4 Mar = 3 days
    assert out.loc[1, "discharge_date"] == pd.Timestamp("2019-03-04")
    assert out.loc[1, "bed_days"] == 3
    assert out.loc[1, "same_day"] == False  # noqa: E712 - a numpy bool
    assert out["admission_group"].tolist() == ["emergency", "elective"]


def test_unfinished_spell_is_not_known_to_be_same_day(backend: Backend) -> None:
    # spell 1 is unfinished (its second episode has no discharge): with no discharge date, whether it
    # was a same-day spell is unknown (missing), like its length; spell 2 is a same-day spell
    episodes = one_spell(discharge_date=ts("2019-01-06", None, "2019-02-01"))
    expected = pd.DataFrame(
        {
            "spell_id": [1, 2],
            "patient_id": [7, 8],
            "provider_code": ["RC9", "RC9"],
            "admission_method": ["21", "11"],
            "admission_date": ts("2019-01-03", "2019-02-01"),
            "discharge_date": ts(None, "2019-02-01"),
            "episodes": [2, 1],
            "length_of_stay": [np.nan, 0.0],
            "bed_days": [np.nan, 0.0],
            "same_day": pd.Series([None, True], dtype=object),
            "admission_group": ["emergency", "elective"],
            "non_elective": [True, False],
        }
    )
    assert_spells(backend, bh.records.spells(backend(episodes)), expected, by="spell_id")


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        # methods 21, 31, 82, 12, 99: only 21 is an emergency; "not elective" adds maternity 31 and other 82
        ("emergency", [True, False, False, False, False]),
        ("not elective", [True, True, True, False, False]),
    ],
)
def test_nel_definition(definition: str, expected: list[bool]) -> None:
    episodes = pd.DataFrame(
        {
            "spell_id": [1, 2, 3, 4, 5],
            "episode_order": [1] * 5,
            "patient_id": [1, 2, 3, 4, 5],
            "provider_code": ["RC9"] * 5,
            "admission_method": [21, 31, 82, 12, 99],
            "admission_date": ts(*["2019-01-01"] * 5),
            "discharge_date": ts(*["2019-01-02"] * 5),
        }
    )
    out = bh.records.spells(episodes, nel_definition=definition)
    assert out["admission_group"].tolist() == ["emergency", "maternity", "other", "elective", "unknown"]
    assert out["non_elective"].tolist() == expected


def test_spells_without_an_id_are_keyed_by_patient_provider_and_admission_date() -> None:
    episodes = pd.DataFrame(
        {
            "episode_order": [2, 1, 1, 1, 1, 1],
            "patient_id": [7, 7, 7, 7, 8, 7],
            "provider_code": ["RC9", "RC9", "RC9", "RD8", "RC9", "RC9"],
            "admission_method": ["11", "21", "12", "13", "22", "31"],
            # patient 7 at RC9: spells admitted 1 Jan (two episodes), 1 Mar and 31 Dec 2018;
            # patient 7 at RD8 on 1 Jan and patient 8 at RC9 on 1 Jan are spells of their own
            "admission_date": ts("2019-01-01", "2019-01-01", "2019-03-01", "2019-01-01", "2019-01-01", "2018-12-31"),
            "discharge_date": ts("2019-01-04", "2019-01-04", "2019-03-01", "2019-01-02", "2019-01-11", "2018-12-31"),
            "diag_01": ["second", "first", "m", "r", "p", "d"],
        }
    )
    out = bh.records.spells(episodes, spell_id=None)
    # sorted by patient, provider and admission date
    assert out["patient_id"].tolist() == [7, 7, 7, 7, 8]
    assert out["provider_code"].tolist() == ["RC9", "RC9", "RC9", "RD8", "RC9"]
    assert out["admission_date"].tolist() == list(
        ts("2018-12-31", "2019-01-01", "2019-03-01", "2019-01-01", "2019-01-01")
    )
    assert out["episodes"].tolist() == [1, 2, 1, 1, 1]
    assert out["diag_01"].tolist() == ["d", "first", "m", "r", "p"]
    assert out["admission_method"].tolist() == ["31", "21", "12", "13", "22"]
    # 0 (same day); 1 Jan -> 4 Jan = 3; 0; 1 Jan -> 2 Jan = 1; 1 Jan -> 11 Jan = 10
    assert out["bed_days"].tolist() == [0, 3, 0, 1, 10]
    assert out["same_day"].tolist() == [True, False, True, False, False]
    assert list(out.columns) == [
        "patient_id",
        "provider_code",
        "admission_method",
        "admission_date",
        "discharge_date",
        "diag_01",
        *SPELL_COLUMNS,
    ]


def test_a_spell_id_column_is_ignored_with_spell_id_none() -> None:
    # the ids say one spell, but two admission dates make two spells by patient, provider and date
    episodes = one_spell(spell_id=[1, 1, 1], patient_id=[7, 7, 7])
    out = bh.records.spells(episodes, spell_id=None)
    assert out["admission_date"].tolist() == list(ts("2019-01-03", "2019-02-01"))
    assert out["episodes"].tolist() == [2, 1]
    assert out["spell_id"].tolist() == [1, 1]


def test_custom_column_names() -> None:
    episodes = three_spells().rename(
        columns={
            "spell_id": "SPELL",
            "episode_order": "EPIORDER",
            "patient_id": "PID",
            "provider_code": "PROCODE",
            "admission_method": "ADMIMETH",
            "admission_date": "ADMIDATE",
            "discharge_date": "DISDATE",
        }
    )
    out = bh.records.spells(
        episodes,
        spell_id="SPELL",
        patient="PID",
        provider="PROCODE",
        admission_date="ADMIDATE",
        discharge_date="DISDATE",
        order="EPIORDER",
        admission_method="ADMIMETH",
    )
    assert list(out.columns) == [
        "SPELL",
        "PID",
        "PROCODE",
        "ADMIMETH",
        "ADMIDATE",
        "DISDATE",
        "diag_01",
        "diag_02",
        "age",
        *SPELL_COLUMNS,
    ]
    assert out["SPELL"].tolist() == [10, 20, 30]
    assert out["DISDATE"].tolist() == list(ts("2019-01-06", "2019-02-01", "2020-01-02"))
    assert out["bed_days"].tolist() == [5, 0, 3]
    assert out["admission_group"].tolist() == ["emergency", "elective", "emergency"]


def test_no_episodes_give_no_spells() -> None:
    out = bh.records.spells(three_spells().iloc[0:0])
    assert len(out) == 0
    assert list(out.columns) == list(three_spells_expected().columns)


# ------------------------------------------------------------------------------------- bad input


def test_discharge_before_admission_names_the_spell() -> None:
    # spell 42's second episode is discharged on 2 Jan, before its admission on 3 Jan
    episodes = one_spell(spell_id=[42, 42, 2], discharge_date=ts("2019-01-06", "2019-01-02", "2019-02-01"))
    with pytest.raises(DomainError, match=r"1 spell with episodes discharged before their admission date: 42;"):
        bh.records.spells(episodes)


def test_discharge_on_the_admission_day_is_allowed() -> None:
    # the other side of the boundary: discharged on the day of admission is not before it
    episodes = one_spell(discharge_date=ts("2019-01-03", "2019-01-03", "2019-02-01"))
    assert bh.records.spells(episodes)["bed_days"].tolist() == [0, 0]


def test_discharge_before_admission_counts_the_rows() -> None:
    # three episodes (spells 2, 3 and 4) discharged the day before admission
    episodes = pd.DataFrame(
        {
            "spell_id": [1, 2, 3, 4],
            "episode_order": [1, 1, 1, 1],
            "patient_id": [1, 2, 3, 4],
            "provider_code": ["RC9"] * 4,
            "admission_method": ["11"] * 4,
            "admission_date": ts(*["2019-01-03"] * 4),
            "discharge_date": ts("2019-01-03", "2019-01-02", "2019-01-02", "2019-01-02"),
        }
    )
    with pytest.raises(DomainError, match=r"3 spells with .*: 2, 3, 4;") as excinfo:
        bh.records.spells(episodes)
    assert "discharge date must be on or after its admission date" in str(excinfo.value)


def test_one_spell_id_with_two_patients() -> None:
    episodes = one_spell(spell_id=[501, 501, 2], patient_id=[7, 70, 8])
    with pytest.raises(DomainError, match=r"^episodes: 1 spell with episodes of more than one patient .*: 501; "):
        bh.records.spells(episodes)


def test_one_spell_id_with_two_admission_dates() -> None:
    episodes = one_spell(spell_id=[601, 601, 2], admission_date=ts("2019-01-03", "2019-01-04", "2019-02-01"))
    with pytest.raises(DomainError, match=r"^episodes: 1 spell with episodes with different admission dates .*: 601; "):
        bh.records.spells(episodes)


def test_two_episodes_in_the_same_place_of_the_order() -> None:
    episodes = one_spell(spell_id=[701, 701, 2], episode_order=[1, 1, 1])
    with pytest.raises(
        DomainError, match=r"^episodes: 1 spell with two or more episodes in the same place of the order"
    ):
        bh.records.spells(episodes)
    with pytest.raises(DomainError, match=r"\(repeated episodes\): 701; give each spell its own id \(spell_id\)"):
        bh.records.spells(episodes)


def test_repeated_order_counts_every_spell_and_shows_the_first_five() -> None:
    # seven spells (ids 1-7), each with two episodes numbered 1 and 1
    n = 7
    episodes = pd.DataFrame(
        {
            "spell_id": np.repeat(np.arange(1, n + 1), 2),
            "episode_order": [1] * (2 * n),
            "patient_id": np.repeat(np.arange(1, n + 1), 2),
            "provider_code": ["RC9"] * (2 * n),
            "admission_method": ["11"] * (2 * n),
            "admission_date": ts(*["2019-01-01"] * (2 * n)),
            "discharge_date": ts(*["2019-01-02"] * (2 * n)),
        }
    )
    with pytest.raises(DomainError, match=r"^episodes: 7 spells with two or more episodes") as excinfo:
        bh.records.spells(episodes)
    shown = str(excinfo.value).split(": ")[-1].split(";")[0]
    # at most five of the seven spell ids are shown, each once
    ids = [int(v) for v in shown.split(", ")]
    assert len(ids) == len(set(ids)) == 5
    assert set(ids) <= set(range(1, n + 1))


def test_repeated_order_without_spell_ids_names_patient_provider_and_date() -> None:
    episodes = one_spell(episode_order=[1, 1, 1])
    with pytest.raises(DomainError, match=r"1 spell with two or more episodes .*\(7, 'RC9', .*2019-01-03") as excinfo:
        bh.records.spells(episodes.drop(columns="spell_id"), spell_id=None)
    assert "(patient_id, provider_code, admission_date)" in str(excinfo.value)


def test_missing_admission_date_names_the_spell() -> None:
    # spell 42 has no admission date on its second episode
    episodes = one_spell(spell_id=[42, 42, 2], admission_date=ts("2019-01-03", None, "2019-02-01"))
    with pytest.raises(DomainError, match=r"1 spell with an episode with no 'admission_date': 42;"):
        bh.records.spells(episodes)


def test_missing_order_number_does_not_lose_episodes() -> None:
    # spell 1 has two episodes, the second without an order number; spell 2's only episode has none.
    # Neither the first episode of spell 2 nor the count of spell 1 can be known: 3 episodes in 2 spells
    # must not come back as 1 spell of 1 episode (an error, as for a missing admission date)
    episodes = one_spell(episode_order=[1.0, np.nan, np.nan])
    with pytest.raises(DomainError, match=r"2 spells with an episode with no 'episode_order': 1, 2;"):
        bh.records.spells(episodes)


@pytest.mark.parametrize(
    ("argument", "column", "value"),
    [
        ("admission_date", "admission_date", ["2019-01-03", "2019-01-03", "2019-02-01"]),  # text
        ("discharge_date", "discharge_date", [20190106, 20190106, 20190201]),  # numbers
    ],
)
def test_dates_that_are_not_dates(argument: str, column: str, value: list[Any]) -> None:
    episodes = one_spell(**{column: value})
    with pytest.raises(SchemaError, match=rf"^{argument}: column '{column}' must hold dates \(date or datetime\)"):
        bh.records.spells(episodes)


def test_order_column_of_text() -> None:
    episodes = one_spell(episode_order=["1", "2", "1"])
    with pytest.raises(SchemaError, match=r"^order: column 'episode_order' must hold episode numbers or start dates"):
        bh.records.spells(episodes)


@pytest.mark.parametrize(
    ("argument", "column"),
    [
        ("spell_id", "spell_id"),
        ("patient", "patient_id"),
        ("provider", "provider_code"),
        ("admission_date", "admission_date"),
        ("discharge_date", "discharge_date"),
        ("order", "episode_order"),
        ("admission_method", "admission_method"),
    ],
)
def test_missing_columns(argument: str, column: str) -> None:
    episodes = one_spell().drop(columns=column)
    with pytest.raises(SchemaError, match=rf"^column not found: {argument}='{column}'\. The data has columns"):
        bh.records.spells(episodes)


def test_missing_renamed_column_names_the_argument() -> None:
    with pytest.raises(SchemaError, match=r"column not found: patient='PID'"):
        bh.records.spells(one_spell(), patient="PID")


@pytest.mark.parametrize("name", SPELL_COLUMNS)
def test_output_column_clash(name: str) -> None:
    episodes = one_spell(**{name: [0, 0, 0]})
    with pytest.raises(SchemaError, match=rf"^episodes: columns \['{name}'\] would be overwritten"):
        bh.records.spells(episodes)


@pytest.mark.parametrize("definition", ["nel", "Emergency", None])
def test_unknown_nel_definition(definition: Any) -> None:
    with pytest.raises(InputError, match=r"^nel_definition: expected one of 'emergency', 'not elective'"):
        bh.records.spells(one_spell(), nel_definition=definition)


# ---------------------------------------------------------------------------------------- backends


def test_same_spells_on_every_backend(backend: Backend) -> None:
    result = bh.records.spells(backend(three_spells()))
    assert_spells(backend, result, three_spells_expected(), by="spell_id")


def test_same_spells_without_ids_on_every_backend(backend: Backend) -> None:
    episodes = pd.DataFrame(
        {
            "episode_order": [2, 1, 1, 1],
            "patient_id": [7, 7, 7, 8],
            "provider_code": ["RC9", "RC9", "RD8", "RC9"],
            "admission_method": ["11", "2b", "13", "82"],
            "admission_date": ts("2019-01-01 10:00", "2019-01-01 10:00", "2019-01-01 09:00", "2019-01-01 22:00"),
            "discharge_date": ts("2019-01-04 09:00", "2019-01-04 09:00", "2019-01-01 17:00", "2019-01-02 01:00"),
        }
    )
    expected = pd.DataFrame(
        {
            "patient_id": [7, 7, 8],
            "provider_code": ["RC9", "RD8", "RC9"],
            "admission_method": ["2b", "13", "82"],
            "admission_date": ts("2019-01-01 10:00", "2019-01-01 09:00", "2019-01-01 22:00"),
            "discharge_date": ts("2019-01-04 09:00", "2019-01-01 17:00", "2019-01-02 01:00"),
            "episodes": [2, 1, 1],
            # 1 Jan -> 4 Jan = 3 days; same day = 0; 22:00 -> 01:00 next day = 1 day
            "length_of_stay": [3, 0, 1],
            "bed_days": [3, 0, 1],
            "same_day": [False, True, False],
            "admission_group": ["emergency", "elective", "other"],
            # "not elective": emergency and other
            "non_elective": [True, False, True],
        }
    )
    result = bh.records.spells(backend(episodes), spell_id=None, nel_definition="not elective")
    assert_spells(backend, result, expected, by=["patient_id", "provider_code"])


def test_errors_on_every_backend(backend: Backend) -> None:
    two_patients = one_spell(spell_id=[501, 501, 2], patient_id=[7, 70, 8])
    with pytest.raises(DomainError, match=r"1 spell with episodes of more than one patient .*: 501"):
        bh.records.spells(backend(two_patients))
    early = one_spell(spell_id=[42, 42, 2], discharge_date=ts("2019-01-06", "2019-01-02", "2019-02-01"))
    with pytest.raises(DomainError, match=r"1 spell with episodes discharged before their admission date: 42;"):
        bh.records.spells(backend(early))


@pytest.mark.parametrize("name", ["polars", "polars-lazy", "pyarrow", "duckdb"])
def test_date_columns_of_type_date(name: str) -> None:
    import pyarrow as pa

    episodes = three_spells()
    table = pa.Table.from_pandas(episodes, preserve_index=False)
    for column in ["admission_date", "discharge_date", "episode_start"]:
        index = table.schema.get_field_index(column)
        table = table.set_column(index, column, table[column].cast(pa.date32()))
    if name in ("polars", "polars-lazy"):
        import polars as pl

        frame: Any = pl.from_arrow(table)
        if name == "polars-lazy":
            frame = frame.lazy()
    elif name == "duckdb":
        import duckdb

        frame = duckdb.from_arrow(table)
    else:
        frame = table
    out = to_pandas(bh.records.spells(frame)).sort_values("spell_id").reset_index(drop=True)
    expected = three_spells_expected()
    assert out["spell_id"].tolist() == [10, 20, 30]
    assert [pd.Timestamp(d) for d in out["discharge_date"]] == list(expected["discharge_date"])
    assert [pd.Timestamp(d) for d in out["admission_date"]] == list(expected["admission_date"])
    assert out["bed_days"].tolist() == [5, 0, 3]
    assert out["same_day"].tolist() == [False, True, False]
    assert out["diag_01"].tolist() == ["B1", "D1", "C1"]


def test_pandas_date_units() -> None:
    # datetime64 of seconds, milliseconds and nanoseconds give the same days
    for unit in ["s", "ms", "ns"]:
        episodes = three_spells()
        for column in ["admission_date", "discharge_date"]:
            episodes[column] = episodes[column].astype(f"datetime64[{unit}]")
        out = bh.records.spells(episodes)
        assert out["bed_days"].tolist() == [5, 0, 3], unit


def test_date_objects_in_polars() -> None:
    import polars as pl

    episodes = pl.DataFrame(
        {
            "spell_id": [1, 1],
            "episode_order": [1, 2],
            "patient_id": [1, 1],
            "provider_code": ["RC9", "RC9"],
            "admission_method": ["24", "24"],
            "admission_date": [dt.date(2024, 2, 27)] * 2,
            "discharge_date": [dt.date(2024, 2, 28), dt.date(2024, 3, 2)],
        }
    )
    out = bh.records.spells(episodes)
    assert isinstance(out, pl.DataFrame)
    # 27 Feb -> 2 Mar 2024 (leap year) = 2 (to 29 Feb) + 2 = 4 days
    assert out["bed_days"].to_list() == [4]
    assert out["discharge_date"].to_list() == [dt.date(2024, 3, 2)]
    assert out["episodes"].to_list() == [2]
    assert out["admission_group"].to_list() == ["emergency"]


# ------------------------------------------------------------------------------------ synthetic data


@pytest.fixture(scope="module")
def synthetic_episodes() -> pd.DataFrame:
    return bh.datasets.synthetic_blmk(scale=0.02).admissions


def test_synthetic_admissions_give_one_row_per_spell(synthetic_episodes: pd.DataFrame) -> None:
    episodes = synthetic_episodes
    out = bh.records.spells(episodes)
    assert len(out) == episodes["spell_id"].nunique()
    assert out["spell_id"].is_unique
    assert out["spell_id"].is_monotonic_increasing
    assert out["episodes"].sum() == len(episodes)
    # episodes per spell, counted in pandas
    counted = episodes.groupby("spell_id").size()
    assert out.set_index("spell_id")["episodes"].equals(counted.rename("episodes"))
    assert (out["episodes"] > 1).any()


def test_synthetic_bed_days_are_whole_days_between_the_dates(synthetic_episodes: pd.DataFrame) -> None:
    episodes = synthetic_episodes
    out = bh.records.spells(episodes).set_index("spell_id")
    # independently in pandas: each spell's admission and last discharge, and the days between them
    dates = episodes.groupby("spell_id").agg(adm=("admission_date", "min"), dis=("discharge_date", "max"))
    days = (dates["dis"] - dates["adm"]).dt.days
    assert days.notna().all()
    np.testing.assert_array_equal(out["bed_days"].to_numpy(dtype=float), days.loc[out.index].to_numpy(dtype=float))
    np.testing.assert_array_equal(out["same_day"].to_numpy(dtype=bool), (days.loc[out.index] == 0).to_numpy())
    assert (out["discharge_date"] == dates["dis"].loc[out.index]).all()


def test_synthetic_spells_take_their_first_episode(synthetic_episodes: pd.DataFrame) -> None:
    episodes = synthetic_episodes
    out = bh.records.spells(episodes).set_index("spell_id")
    first = episodes.sort_values(["spell_id", "episode_order"]).groupby("spell_id").head(1).set_index("spell_id")
    assert (out["admission_method"].astype(str) == first["admission_method"].astype(str).loc[out.index]).all()
    codes = first["admission_method"].astype(str).str.upper().loc[out.index]
    assert out["non_elective"].tolist() == codes.str.startswith("2").tolist()
    assert "episode_order" not in out.columns
    assert "episode_start" not in out.columns
    assert "episode_end" not in out.columns


@pytest.mark.parametrize("name", ["polars-lazy", "duckdb"])
def test_synthetic_spells_on_lazy_backends(synthetic_episodes: pd.DataFrame, name: str) -> None:
    episodes = synthetic_episodes
    result = bh.records.spells(to_backend(episodes, name))
    assert not isinstance(result, pd.DataFrame)
    out = to_pandas(result).sort_values("spell_id").set_index("spell_id")
    assert len(out) == episodes["spell_id"].nunique()
    assert out["episodes"].sum() == len(episodes)
    dates = episodes.groupby("spell_id").agg(adm=("admission_date", "min"), dis=("discharge_date", "max"))
    days = (dates["dis"] - dates["adm"]).dt.days.loc[out.index]
    np.testing.assert_array_equal(out["bed_days"].to_numpy(dtype=float), days.to_numpy(dtype=float))
