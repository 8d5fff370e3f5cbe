"""Patient x condition flags from coded events: ``bh.records.condition_flags()``.

Small tables of coded events are built by hand, with each patient's flags and first dates worked out
by hand in the test (the day arithmetic of each window is in a comment): an event on ``as_of`` counts
and one a day later does not, an event exactly ``lookback`` days before ``as_of`` does not count and
one a day later does, the first date is the first matching event inside the window, codes match as
text (numbers, categoricals), several code columns and ICD-10 prefixes match, the population gives a
row per registered patient, and every bad input raises its error naming the argument. The same values
are checked on every backend, and on the synthetic BLMK data the flags must reproduce the generator's
``*_diagnosed`` columns patient by patient.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.testing import assert_indicator_frame_equal
from tests.helpers import Backend, to_backend, to_pandas

AS_OF = "2019-03-31"
HYPERTENSION = "38341003"
ESSENTIAL_HYPERTENSION = "59621000"
ASTHMA = "195967001"
COPD = "13645005"
WEIGHT = "27113001"  # routine codes of no condition
BLOOD_PRESSURE = "75367002"
GP_LISTS = {
    "hypertension": [HYPERTENSION, ESSENTIAL_HYPERTENSION],
    "asthma": [ASTHMA],
    "airways": [ASTHMA, COPD],  # shares the asthma code
}


def ts(*values: str | None) -> pd.Series:
    """Datetimes from ISO text (``None`` is missing)."""
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"))


def events_of(rows: list[tuple[Any, Any, str | None]], code: str = "code") -> pd.DataFrame:
    """Events from ``(patient, code, date)`` rows."""
    patients, codes, dates = zip(*rows, strict=True)
    return pd.DataFrame({"patient_id": list(patients), code: list(codes), "date": ts(*dates)})


def expected_flags(patients: list[int], **conditions: tuple[list[bool], list[str | None]]) -> pd.DataFrame:
    """The expected result: ``patient_id``, then per condition its flags and first dates."""
    data: dict[str, Any] = {"patient_id": patients}
    for name, (flags, firsts) in conditions.items():
        data[name] = flags
        data[f"{name}_first_date"] = ts(*firsts)
    return pd.DataFrame(data)


def result_frame(backend: Backend, result: Any) -> pd.DataFrame:
    """``result`` (checked to be of the backend's kind) as pandas, with its first dates as naive datetimes.

    Spark gives timestamps back in the session's time zone (UTC) and date columns come back as dates:
    both are compared as the naive datetimes they were made from.
    """
    backend.assert_kind(result)
    out = to_pandas(result)
    for column in out.columns:
        if column.endswith("_first_date"):
            values = pd.to_datetime(out[column])
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            out[column] = values
    return out


def assert_flags(backend: Backend, result: Any, expected: pd.DataFrame, patient: str = "patient_id") -> None:
    """Assert that ``result`` holds the ``expected`` flags: the same columns in the same order, boolean
    flags, and every value. Eager results must come sorted by patient (as documented); lazy ones promise
    no row order, so both sides are sorted by patient first."""
    out = result_frame(backend, result)
    assert list(out.columns) == list(expected.columns)
    for column in expected.columns:
        if column != patient and not column.endswith("_first_date"):
            assert pd.api.types.is_bool_dtype(out[column]), f"{column} is {out[column].dtype}, not boolean"
    if not backend.lazy:
        assert out[patient].tolist() == sorted(out[patient].tolist()), "eager results are sorted by patient"
    assert_indicator_frame_equal(out, expected, by=patient if backend.lazy else None)


def flag_warnings(record: Any) -> list[str]:
    """The messages of the warnings condition_flags gave (others, such as PySpark's own, are ignored)."""
    return [str(w.message) for w in record if str(w.message).startswith("condition_flags:")]


@contextmanager
def no_flag_warnings() -> Iterator[None]:
    """Fail if condition_flags warns inside the block."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        yield
    assert flag_warnings(record) == []


# --------------------------------------------------------------------------- flags and first dates


def gp_events() -> pd.DataFrame:
    """Eight coded events of four patients, in shuffled order.

    - patient 1: hypertension 38341003 on 2016-05-01 and 59621000 on 2014-02-03 (first 2014-02-03);
      asthma on 2018-07-09 (also airways, which shares the asthma code).
    - patient 2: only routine codes (weight, blood pressure): in no code list, so not in the result.
    - patient 3: asthma on 2019-01-10 and 2017-11-30 (first 2017-11-30).
    - patient 10: COPD on 2015-01-01: airways only (10 sorts after 3 as a number).
    """
    return events_of(
        [
            (3, ASTHMA, "2019-01-10"),
            (10, COPD, "2015-01-01"),
            (1, HYPERTENSION, "2016-05-01"),
            (2, WEIGHT, "2018-01-01"),
            (1, ASTHMA, "2018-07-09"),
            (3, ASTHMA, "2017-11-30"),
            (1, ESSENTIAL_HYPERTENSION, "2014-02-03"),
            (2, BLOOD_PRESSURE, "2018-02-02"),
        ]
    )


def gp_expected() -> pd.DataFrame:
    return expected_flags(
        [1, 3, 10],
        hypertension=([True, False, False], ["2014-02-03", None, None]),
        asthma=([True, True, False], ["2018-07-09", "2017-11-30", None]),
        airways=([True, True, True], ["2018-07-09", "2017-11-30", "2015-01-01"]),
    )


def test_flags_and_first_dates_by_hand() -> None:
    with no_flag_warnings():
        out = bh.records.condition_flags(gp_events(), GP_LISTS)
    assert isinstance(out, pd.DataFrame)
    assert out.index.tolist() == [0, 1, 2]  # a fresh index, sorted by patient
    assert list(out.columns) == [
        "patient_id",
        "hypertension",
        "hypertension_first_date",
        "asthma",
        "asthma_first_date",
        "airways",
        "airways_first_date",
    ]
    assert out["patient_id"].tolist() == [1, 3, 10]
    assert out["hypertension"].tolist() == [True, False, False]
    assert out["asthma"].tolist() == [True, True, False]
    assert out["airways"].tolist() == [True, True, True]
    assert out["hypertension_first_date"].tolist()[0] == pd.Timestamp("2014-02-03")  # the earlier of the two
    assert out["hypertension_first_date"].isna().tolist() == [False, True, True]
    assert out["asthma_first_date"].tolist()[:2] == [pd.Timestamp("2018-07-09"), pd.Timestamp("2017-11-30")]
    assert out["airways_first_date"].tolist() == list(ts("2018-07-09", "2017-11-30", "2015-01-01"))


def test_same_flags_on_every_backend(backend: Backend) -> None:
    out = bh.records.condition_flags(backend(gp_events()), GP_LISTS)
    assert_flags(backend, out, gp_expected())


def test_row_order_of_the_events_does_not_matter() -> None:
    events = gp_events()
    for seed in range(4):
        shuffled = events.sample(frac=1, random_state=seed)
        assert_indicator_frame_equal(bh.records.condition_flags(shuffled, GP_LISTS), gp_expected())


def test_conditions_come_in_code_list_order() -> None:
    lists = {"asthma": [ASTHMA], "hypertension": [HYPERTENSION, ESSENTIAL_HYPERTENSION]}
    out = bh.records.condition_flags(gp_events(), lists, dates=False)
    assert list(out.columns) == ["patient_id", "asthma", "hypertension"]
    assert out["patient_id"].tolist() == [1, 3]
    assert out["asthma"].tolist() == [True, True]
    assert out["hypertension"].tolist() == [True, False]


def test_dates_false_gives_only_the_flags(backend: Backend) -> None:
    out = bh.records.condition_flags(backend(gp_events()), GP_LISTS, dates=False)
    expected = gp_expected()[["patient_id", "hypertension", "asthma", "airways"]]
    assert_flags(backend, out, expected)


def test_no_matching_event_gives_no_rows(backend: Backend) -> None:
    events = events_of([(1, WEIGHT, "2018-01-01"), (2, BLOOD_PRESSURE, "2018-01-02")])
    out = result_frame(backend, bh.records.condition_flags(backend(events), {"asthma": [ASTHMA]}))
    assert list(out.columns) == ["patient_id", "asthma", "asthma_first_date"]
    assert len(out) == 0


def test_custom_column_names() -> None:
    events = gp_events().rename(columns={"patient_id": "nhs_number", "code": "snomed", "date": "recorded"})
    out = bh.records.condition_flags(events, GP_LISTS, patient="nhs_number", code="snomed", date="recorded")
    expected = gp_expected().rename(columns={"patient_id": "nhs_number"})
    assert_indicator_frame_equal(out, expected)


def test_input_frame_is_not_modified() -> None:
    events = gp_events()
    before = events.copy()
    bh.records.condition_flags(events, GP_LISTS, as_of=AS_OF, lookback=365)
    pd.testing.assert_frame_equal(events, before)


def test_without_as_of_every_event_counts_even_without_a_date() -> None:
    # 2030 is long after any as_of, and the undated event still counts: no window without as_of
    events = events_of([(1, ASTHMA, "2030-01-01"), (2, ASTHMA, None), (2, HYPERTENSION, "2012-12-12")])
    with no_flag_warnings():
        out = bh.records.condition_flags(events, {"asthma": [ASTHMA], "hypertension": [HYPERTENSION]})
    expected = expected_flags(
        [1, 2],
        asthma=([True, True], ["2030-01-01", None]),
        hypertension=([False, True], [None, "2012-12-12"]),
    )
    assert_indicator_frame_equal(out, expected)


# ------------------------------------------------------------------------------ as_of and lookback


def window_events() -> pd.DataFrame:
    """Events around as_of = 2019-03-31 (2019 is no leap year: 2018-03-31 is exactly 365 days before).

    - patient 1: hypertension on as_of itself.
    - patient 2: hypertension on 2019-04-01, a day after as_of.
    - patient 3: hypertension on 2018-03-31, exactly 365 days before as_of.
    - patient 4: hypertension on 2018-04-01, 364 days before as_of.
    - patient 5: asthma at 18:30 on as_of (later that day).
    - patient 6: asthma at midnight starting 2019-04-01, the first instant after the as_of day.
    - patient 7: asthma on 2001-01-01, long before.
    - patient 8: hypertension on 2010-01-01, 2018-06-01 (304 days before as_of) and 2019-01-01.
    """
    return events_of(
        [
            (8, HYPERTENSION, "2019-01-01"),
            (1, HYPERTENSION, "2019-03-31"),
            (2, HYPERTENSION, "2019-04-01"),
            (3, HYPERTENSION, "2018-03-31"),
            (4, HYPERTENSION, "2018-04-01"),
            (5, ASTHMA, "2019-03-31 18:30"),
            (6, ASTHMA, "2019-04-01 00:00"),
            (7, ASTHMA, "2001-01-01"),
            (8, HYPERTENSION, "2010-01-01"),
            (8, HYPERTENSION, "2018-06-01"),
        ]
    )


WINDOW_LISTS = {"hypertension": [HYPERTENSION], "asthma": [ASTHMA]}

# The hypertension and asthma first dates of each patient counted, for each lookback (patients 2 and 6
# never count: their events are after as_of).
WINDOW_CASES = {
    # no lookback: everything on or before as_of; patient 8's first is the 2010 event
    "none": (
        None,
        {
            1: ("2019-03-31", None),
            3: ("2018-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            7: (None, "2001-01-01"),
            8: ("2010-01-01", None),
        },
    ),
    # 365 days: 2018-03-31 < date <= 2019-03-31: patient 3 (exactly 365 days) and 7 are out, and
    # patient 8's first date inside the window is 2018-06-01, not 2010-01-01
    "365": (
        365,
        {
            1: ("2019-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            8: ("2018-06-01", None),
        },
    ),
    # 366 days: 2018-03-30 < date: patient 3 is in
    "366": (
        366,
        {
            1: ("2019-03-31", None),
            3: ("2018-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            8: ("2018-06-01", None),
        },
    ),
    # 1 day: only the as_of day itself (2019-03-30 < date <= 2019-03-31)
    "1": (1, {1: ("2019-03-31", None), 5: (None, "2019-03-31 18:30")}),
    # hypertension 365 days, asthma (not named) without limit: patient 7's 2001 asthma is back in
    "dict": (
        {"hypertension": 365},
        {
            1: ("2019-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            7: (None, "2001-01-01"),
            8: ("2018-06-01", None),
        },
    ),
    # None means no limit, as not naming the condition does
    "dict-none": (
        {"hypertension": 365, "asthma": None},
        {
            1: ("2019-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            7: (None, "2001-01-01"),
            8: ("2018-06-01", None),
        },
    ),
    # asthma 365 days, hypertension without limit
    "dict-asthma": (
        {"asthma": 365},
        {
            1: ("2019-03-31", None),
            3: ("2018-03-31", None),
            4: ("2018-04-01", None),
            5: (None, "2019-03-31 18:30"),
            8: ("2010-01-01", None),
        },
    ),
}


def window_expected(firsts: dict[int, tuple[str | None, str | None]]) -> pd.DataFrame:
    patients = sorted(firsts)
    htn = [firsts[p][0] for p in patients]
    asthma = [firsts[p][1] for p in patients]
    return expected_flags(
        patients,
        hypertension=([d is not None for d in htn], htn),
        asthma=([d is not None for d in asthma], asthma),
    )


@pytest.mark.parametrize("case", list(WINDOW_CASES))
def test_window_of_as_of_and_lookback(backend: Backend, case: str) -> None:
    lookback, firsts = WINDOW_CASES[case]
    with pytest.warns(UserWarning, match=r"^condition_flags: left out 2 events dated after as_of$") as record:
        out = bh.records.condition_flags(backend(window_events()), WINDOW_LISTS, as_of=AS_OF, lookback=lookback)
    assert len(flag_warnings(record)) == 1
    assert_flags(backend, out, window_expected(firsts))


@pytest.mark.parametrize(
    "as_of",
    [
        "2019-03-31",
        dt.date(2019, 3, 31),
        dt.datetime(2019, 3, 31, 9, 0),  # the day counts, whatever the time
        pd.Timestamp("2019-03-31"),
        np.datetime64("2019-03-31"),
    ],
    ids=["text", "date", "datetime", "timestamp", "numpy"],
)
def test_kinds_of_as_of(as_of: Any) -> None:
    with pytest.warns(UserWarning, match="left out 2 events dated after as_of"):
        out = bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of=as_of, lookback=365)
    assert_indicator_frame_equal(out, window_expected(WINDOW_CASES["365"][1]))


def test_an_earlier_as_of_moves_the_window() -> None:
    # as_of 2018-04-01, 1 day: only 2018-04-01 counts (patient 4); six events are after it (patient 8's
    # 2018-06-01 and 2019-01-01, patients 1 and 5 on 2019-03-31, patients 2 and 6 on 2019-04-01)
    with pytest.warns(UserWarning, match=r"left out 6 events dated after as_of$"):
        out = bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of="2018-04-01", lookback=1)
    assert_indicator_frame_equal(out, window_expected({4: ("2018-04-01", None)}))


def test_lookback_across_a_leap_day() -> None:
    # as_of 2020-03-01: 2020 is a leap year, so 2019-03-01 is 366 days before and 2019-03-02 365 days
    events = events_of([(1, ASTHMA, "2019-03-01"), (2, ASTHMA, "2019-03-02"), (3, ASTHMA, "2020-02-29")])
    out = bh.records.condition_flags(events, {"asthma": [ASTHMA]}, as_of="2020-03-01", lookback=365)
    assert out["patient_id"].tolist() == [3]
    out = bh.records.condition_flags(events, {"asthma": [ASTHMA]}, as_of="2020-03-01", lookback=366)
    assert out["patient_id"].tolist() == [2, 3]
    assert out["asthma_first_date"].tolist() == list(ts("2019-03-02", "2020-02-29"))


def test_date_column_of_dates(backend: Backend) -> None:
    events = window_events()
    events["date"] = pd.Series(events["date"].dt.date, dtype="date32[pyarrow]")
    with pytest.warns(UserWarning, match="left out 2 events dated after as_of"):
        out = bh.records.condition_flags(backend(events), WINDOW_LISTS, as_of=AS_OF, lookback=365)
    expected = window_expected(WINDOW_CASES["365"][1])
    expected["asthma_first_date"] = ts(None, None, "2019-03-31", None)  # the date, without the time
    assert_flags(backend, out, expected)


def test_lookback_needs_as_of() -> None:
    with pytest.raises(InputError, match=r"^lookback: .*give as_of too"):
        bh.records.condition_flags(window_events(), WINDOW_LISTS, lookback=365)
    with pytest.raises(InputError, match=r"^lookback: .*give as_of too"):
        bh.records.condition_flags(window_events(), WINDOW_LISTS, lookback={"asthma": 365})


@pytest.mark.parametrize("lookback", [0, -1, 1.5, 365.0, True, "365"])
def test_lookback_must_be_a_whole_number_of_days(lookback: Any) -> None:
    with pytest.raises(DomainError, match=r"^lookback: expected a whole number >= 1, got "):
        bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of=AS_OF, lookback=lookback)


@pytest.mark.parametrize("days", [0, 1.5])
def test_lookback_of_one_condition_must_be_a_whole_number(days: Any) -> None:
    with pytest.raises(DomainError, match=re.escape("lookback['asthma']: expected a whole number >= 1")):
        bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of=AS_OF, lookback={"asthma": days})


def test_lookback_of_an_unknown_condition() -> None:
    with pytest.raises(InputError, match=r"^lookback: no code list for 'copd'; the conditions are") as info:
        bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of=AS_OF, lookback={"copd": 365})
    assert "'hypertension'" in str(info.value)
    assert "'asthma'" in str(info.value)


@pytest.mark.parametrize("as_of", ["31/03/2019", "2019-02-30", "yesterday"])
def test_as_of_that_is_not_a_date(as_of: str) -> None:
    with pytest.raises(InputError, match=r"^as_of: expected a date"):
        bh.records.condition_flags(window_events(), WINDOW_LISTS, as_of=as_of)


# ---------------------------------------------------------------------------------------- warnings


def test_one_event_after_as_of_is_counted_in_the_singular(backend: Backend) -> None:
    events = events_of([(1, ASTHMA, "2019-03-31"), (2, ASTHMA, "2019-04-01")])
    with pytest.warns(UserWarning, match=r"^condition_flags: left out 1 event dated after as_of$") as record:
        out = bh.records.condition_flags(backend(events), {"asthma": [ASTHMA]}, as_of=AS_OF)
    assert len(flag_warnings(record)) == 1
    assert_flags(backend, out, expected_flags([1], asthma=([True], ["2019-03-31"])))


def test_events_without_a_date_are_left_out_and_counted(backend: Backend) -> None:
    events = events_of([(1, ASTHMA, "2019-01-01"), (2, ASTHMA, None), (3, HYPERTENSION, None), (1, ASTHMA, None)])
    with pytest.warns(UserWarning, match=r"^condition_flags: left out 3 events without a date$") as record:
        out = bh.records.condition_flags(backend(events), WINDOW_LISTS, as_of=AS_OF)
    assert len(flag_warnings(record)) == 1
    expected = expected_flags([1], hypertension=([False], [None]), asthma=([True], ["2019-01-01"]))
    assert_flags(backend, out, expected)


def test_late_and_undated_events_in_one_warning(backend: Backend) -> None:
    events = events_of(
        [(1, ASTHMA, "2019-04-01"), (2, ASTHMA, "2020-01-01"), (3, ASTHMA, None), (4, ASTHMA, "2019-03-30")]
    )
    message = r"^condition_flags: left out 2 events dated after as_of and 1 event without a date$"
    with pytest.warns(UserWarning, match=message) as record:
        out = bh.records.condition_flags(backend(events), {"asthma": [ASTHMA]}, as_of=AS_OF)
    assert len(flag_warnings(record)) == 1
    assert_flags(backend, out, expected_flags([4], asthma=([True], ["2019-03-30"])))


def test_no_warning_when_every_event_is_in_time(backend: Backend) -> None:
    events = events_of([(1, ASTHMA, "2019-03-31 23:59:59"), (2, HYPERTENSION, "1990-01-01")])
    with no_flag_warnings():
        out = bh.records.condition_flags(backend(events), WINDOW_LISTS, as_of=AS_OF, lookback={"asthma": 1})
    expected = expected_flags(
        [1, 2],
        hypertension=([False, True], [None, "1990-01-01"]),
        asthma=([True, False], ["2019-03-31 23:59:59", None]),
    )
    assert_flags(backend, out, expected)


# ------------------------------------------------------------------------------------------- codes


def test_numeric_event_codes_match_text_code_lists(backend: Backend) -> None:
    events = pd.DataFrame(
        {
            "patient_id": [1, 2, 3],
            "code": np.array([38341003, 195967001, 27113001], dtype=np.int64),
            "date": ts("2018-01-01", "2018-02-02", "2018-03-03"),
        }
    )
    out = bh.records.condition_flags(backend(events), WINDOW_LISTS)
    expected = expected_flags(
        [1, 2], hypertension=([True, False], ["2018-01-01", None]), asthma=([False, True], [None, "2018-02-02"])
    )
    assert_flags(backend, out, expected)


def test_numeric_code_lists_match_text_event_codes() -> None:
    events = events_of([(1, " 38341003 ", "2018-01-01"), (2, ASTHMA, "2018-02-02"), (3, "3834100", "2018-03-03")])
    out = bh.records.condition_flags(events, {"hypertension": [38341003], "asthma": [np.int64(195967001)]})
    expected = expected_flags(
        [1, 2], hypertension=([True, False], ["2018-01-01", None]), asthma=([False, True], [None, "2018-02-02"])
    )
    assert_indicator_frame_equal(out, expected)


def test_float_event_codes_with_missing_values_match() -> None:
    # a numeric code column with a gap is read as floats: 38341003.0 is the code 38341003
    events = pd.DataFrame(
        {"patient_id": [1, 2, 3], "code": [38341003.0, np.nan, 195967001.0], "date": ts(*["2018-01-01"] * 3)}
    )
    out = bh.records.condition_flags(events, WINDOW_LISTS, dates=False)
    assert out.to_dict("list") == {"patient_id": [1, 3], "hypertension": [True, False], "asthma": [False, True]}


def test_long_snomed_ids_as_numbers_match_as_text(backend: Backend) -> None:
    # SNOMED CT ids have up to 18 digits (UK extension and dm+d ids often 16 to 18): more than a float's 53
    # bits hold exactly, so an int64 code column must be compared as its exact digits. 39113611000001102
    # and 39113611000001101 differ in the last digit only (as floats they are the same number).
    events = pd.DataFrame(
        {
            "patient_id": [1, 2, 3],
            "code": np.array([39113611000001102, 39113611000001101, 999000011000000103], dtype=np.int64),
            "date": ts("2018-01-01", "2018-02-02", "2018-03-03"),
        }
    )
    lists = {"drug": ["39113611000001102"], "uk_finding": ["999000011000000103"]}
    out = bh.records.condition_flags(backend(events), lists)
    expected = expected_flags(
        [1, 3], drug=([True, False], ["2018-01-01", None]), uk_finding=([False, True], [None, "2018-03-03"])
    )
    assert_flags(backend, out, expected)


def test_categorical_code_column(backend: Backend) -> None:
    # unused categories and a missing code, as in the synthetic events
    events = events_of([(1, HYPERTENSION, "2018-01-01"), (2, None, "2018-01-02"), (3, ASTHMA, "2018-01-03")])
    events["code"] = pd.Categorical(events["code"], categories=[ASTHMA, COPD, HYPERTENSION, WEIGHT])
    out = bh.records.condition_flags(backend(events), WINDOW_LISTS)
    expected = expected_flags(
        [1, 3], hypertension=([True, False], ["2018-01-01", None]), asthma=([False, True], [None, "2018-01-03"])
    )
    assert_flags(backend, out, expected)


def diagnoses() -> pd.DataFrame:
    """Admissions with two ICD-10 diagnosis columns, as HES gives them (dots, X fillers, blanks).

    - 1: I489 (AF); 2: J18.9 and I48.9 (AF, in the second column); 3: I10 (hypertension, listed as I10X);
    - 4: K57.3 and I10X (hypertension); 5: I4 and I1 (shorter than the listed codes: nothing);
    - 6: i48.0 (AF, in lower case); 7: no diagnosis; 8: I48 and I10X (both); 9: J48 (not I48).
    """
    return pd.DataFrame(
        {
            "patient_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "diag_01": ["I489", "J18.9", "I10", "K57.3", "I4", "i48.0", None, "I48", "J48"],
            "diag_02": [None, "I48.9", None, "I10X", "I1", None, None, "I10X", ""],
            "date": ts(*[f"2018-01-0{d}" for d in range(1, 10)]),
        }
    )


ICD10_LISTS = {"af": ["I48"], "hypertension": ["I10X"]}


def test_prefix_match_on_several_code_columns(backend: Backend) -> None:
    out = bh.records.condition_flags(backend(diagnoses()), ICD10_LISTS, code=["diag_01", "diag_02"], match="prefix")
    expected = expected_flags(
        [1, 2, 3, 4, 6, 8],
        af=(
            [True, True, False, False, True, True],
            ["2018-01-01", "2018-01-02", None, None, "2018-01-06", "2018-01-08"],
        ),
        hypertension=(
            [False, False, True, True, False, True],
            [None, None, "2018-01-03", "2018-01-04", None, "2018-01-08"],
        ),
    )
    assert_flags(backend, out, expected)


def test_exact_match_does_not_match_prefixes(backend: Backend) -> None:
    # "I48" matches only the code I48 (patient 8), "I10X" only I10X (patients 4 and 8): not I489, I48.9, I10
    out = bh.records.condition_flags(backend(diagnoses()), ICD10_LISTS, code=["diag_01", "diag_02"], dates=False)
    expected = pd.DataFrame({"patient_id": [4, 8], "af": [False, True], "hypertension": [True, True]})
    assert_flags(backend, out, expected)


def test_one_code_column_of_several_names() -> None:
    # only diag_02 is searched: patient 2's I48.9 and patient 4's I10X and 8's I10X
    out = bh.records.condition_flags(diagnoses(), ICD10_LISTS, code=["diag_02"], match="prefix", dates=False)
    assert out.to_dict("list") == {
        "patient_id": [2, 4, 8],
        "af": [True, False, False],
        "hypertension": [False, True, True],
    }


def test_prefix_entries_with_dots_and_fillers() -> None:
    # the listed "I48.9" is I489 (not I48), and "i10x" is I10
    out = bh.records.condition_flags(
        diagnoses(), {"af": ["I48.9"], "hypertension": ["i10x"]}, code=["diag_01", "diag_02"], match="prefix"
    )
    assert out["patient_id"].tolist() == [1, 2, 3, 4, 8]
    assert out["af"].tolist() == [True, True, False, False, False]
    assert out["hypertension"].tolist() == [False, False, True, True, True]


def test_several_code_columns_take_the_first_date_of_any() -> None:
    events = pd.DataFrame(
        {
            "patient_id": [1, 1, 1],
            "read_code": [None, "X", HYPERTENSION],
            "snomed_code": [HYPERTENSION, None, "Y"],
            "date": ts("2017-05-05", "2015-01-01", "2016-06-06"),
        }
    )
    out = bh.records.condition_flags(events, {"hypertension": [HYPERTENSION]}, code=["read_code", "snomed_code"])
    assert_indicator_frame_equal(out, expected_flags([1], hypertension=([True], ["2016-06-06"])))


# -------------------------------------------------------------------------------------- population


def population_events() -> pd.DataFrame:
    """:func:`gp_events` and three patients outside the population: 9 and 12 with asthma in time, and
    11 with hypertension after as_of (not a recorded condition, so not counted as outside)."""
    outside = events_of([(9, ASTHMA, "2018-01-01"), (11, HYPERTENSION, "2019-05-01"), (12, ASTHMA, "2019-03-31")])
    return pd.concat([gp_events(), outside], ignore_index=True)


def test_population_gives_a_row_per_registered_patient(backend: Backend) -> None:
    population = pd.DataFrame({"patient_id": [10, 2, 4, 3, 1], "age": [60, 30, 40, 50, 70]})
    with pytest.warns(UserWarning, match=r"^condition_flags: ") as record:
        out = bh.records.condition_flags(
            backend(population_events()), GP_LISTS, as_of=AS_OF, population=backend(population)
        )
    assert sorted(flag_warnings(record)) == [
        "condition_flags: 2 patients with a recorded condition are not in population and were left out",
        "condition_flags: left out 1 event dated after as_of",
    ]
    # patients 2 (routine codes only) and 4 (no events) have nothing recorded: False, no date
    expected = expected_flags(
        [1, 2, 3, 4, 10],
        hypertension=([True, False, False, False, False], ["2014-02-03", None, None, None, None]),
        asthma=([True, False, True, False, False], ["2018-07-09", None, "2017-11-30", None, None]),
        airways=([True, False, True, False, True], ["2018-07-09", None, "2017-11-30", None, "2015-01-01"]),
    )
    assert_flags(backend, out, expected)


def test_population_without_outsiders_does_not_warn(backend: Backend) -> None:
    population = pd.DataFrame({"patient_id": [3, 1, 10, 7]})
    with no_flag_warnings():
        out = bh.records.condition_flags(backend(gp_events()), GP_LISTS, population=backend(population), dates=False)
    expected = pd.DataFrame(
        {
            "patient_id": [1, 3, 7, 10],
            "hypertension": [True, False, False, False],
            "asthma": [True, True, False, False],
            "airways": [True, True, False, True],
        }
    )
    assert_flags(backend, out, expected)


def test_one_patient_outside_the_population() -> None:
    population = pd.DataFrame({"patient_id": [1, 3]})
    with pytest.warns(UserWarning, match=r"^condition_flags: 1 patients? with a recorded condition") as record:
        out = bh.records.condition_flags(gp_events(), GP_LISTS, population=population, dates=False)
    assert len(flag_warnings(record)) == 1
    assert out["patient_id"].tolist() == [1, 3]
    assert out["airways"].tolist() == [True, True]


def test_population_with_nobody_recorded() -> None:
    events = events_of([(1, WEIGHT, "2018-01-01")])
    out = bh.records.condition_flags(events, {"asthma": [ASTHMA]}, population=pd.DataFrame({"patient_id": [2, 1]}))
    assert_indicator_frame_equal(out, expected_flags([1, 2], asthma=([False, False], [None, None])))
    assert out["asthma"].dtype == bool


def test_population_with_a_custom_patient_column() -> None:
    events = gp_events().rename(columns={"patient_id": "nhs_number"})
    population = pd.DataFrame({"nhs_number": [3, 5]})
    with pytest.warns(UserWarning, match="2 patients with a recorded condition are not in population"):
        out = bh.records.condition_flags(events, GP_LISTS, patient="nhs_number", population=population, dates=False)
    assert out.to_dict("list") == {
        "nhs_number": [3, 5],
        "hypertension": [False, False],
        "asthma": [True, False],
        "airways": [True, False],
    }


def test_population_repeating_a_patient(backend: Backend) -> None:
    population = pd.DataFrame({"patient_id": [1, 3, 1]})
    message = r"^population: column 'patient_id' must hold each patient once.*\(3 rows, 2 distinct ids, 0 missing\)"
    with pytest.raises(DomainError, match=message):
        bh.records.condition_flags(backend(gp_events()), GP_LISTS, population=backend(population))


def test_population_with_a_missing_id() -> None:
    population = pd.DataFrame({"patient_id": [1.0, np.nan, 3.0]})
    with pytest.raises(DomainError, match=r"^population: .*1 missing\)"):
        bh.records.condition_flags(gp_events(), GP_LISTS, population=population)


def test_population_of_another_kind_of_frame(backend: Backend) -> None:
    population = pd.DataFrame({"patient_id": [1, 3]})
    other = to_backend(population, "polars" if backend.name == "pandas" else "pandas")
    with pytest.raises(SchemaError, match=r"^population: must be the same kind of frame as events"):
        bh.records.condition_flags(backend(gp_events()), GP_LISTS, population=other)


def test_polars_population_of_lazy_polars_events() -> None:
    population = to_backend(pd.DataFrame({"patient_id": [1, 3]}), "polars")
    with pytest.raises(SchemaError, match=r"^population: must be the same kind of frame"):
        bh.records.condition_flags(to_backend(gp_events(), "polars-lazy"), GP_LISTS, population=population)


def test_population_without_the_patient_column() -> None:
    with pytest.raises(SchemaError, match=r"patient='patient_id'.*'nhs_number'"):
        bh.records.condition_flags(gp_events(), GP_LISTS, population=pd.DataFrame({"nhs_number": [1]}))


# ------------------------------------------------------------------------------------- bad inputs


def test_condition_named_like_the_patient_column() -> None:
    with pytest.raises(SchemaError, match=r"^codelists: a condition is named like the patient column 'patient_id'"):
        bh.records.condition_flags(gp_events(), {"asthma": [ASTHMA], "patient_id": [HYPERTENSION]})


def test_first_date_named_like_the_patient_column() -> None:
    events = gp_events().rename(columns={"patient_id": "asthma_first_date"})
    with pytest.raises(SchemaError, match=r"^codelists: a condition is named like the patient column 'asthma_first"):
        bh.records.condition_flags(events, {"asthma": [ASTHMA]}, patient="asthma_first_date")


@pytest.mark.parametrize("match", ["fuzzy", "PREFIX", None])
def test_unknown_match(match: Any) -> None:
    with pytest.raises(InputError, match=r"^match: expected one of 'exact', 'prefix'"):
        bh.records.condition_flags(gp_events(), GP_LISTS, match=match)


def test_no_code_column() -> None:
    with pytest.raises(InputError, match=r"^code: name at least one code column"):
        bh.records.condition_flags(gp_events(), GP_LISTS, code=[])


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"patient": "nhs_number"}, "patient='nhs_number'"),
        ({"code": "snomed_code"}, "code='snomed_code'"),
        ({"code": ["code", "diag_02"]}, "code='diag_02'"),
        ({"date": "event_date"}, "date='event_date'"),
    ],
)
def test_missing_columns_name_the_argument(backend: Backend, kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(named)):
        bh.records.condition_flags(backend(gp_events()), GP_LISTS, **kwargs)


@pytest.mark.parametrize("values", [["2018-01-01", "2018-01-02"], [20180101, 20180102]])
def test_date_column_that_does_not_hold_dates(values: list[Any]) -> None:
    events = pd.DataFrame({"patient_id": [1, 2], "code": [ASTHMA, ASTHMA], "date": values})
    with pytest.raises(SchemaError, match=r"^date: column 'date' must hold dates"):
        bh.records.condition_flags(events, {"asthma": [ASTHMA]})


def test_events_without_a_patient_with_as_of() -> None:
    events = events_of([(1.0, ASTHMA, "2018-01-01"), (np.nan, ASTHMA, "2018-01-02")])
    with pytest.raises(DomainError, match=r"^events: column 'patient_id' is missing in 1 row"):
        bh.records.condition_flags(events, {"asthma": [ASTHMA]}, as_of=AS_OF)


def test_events_without_a_patient_without_as_of() -> None:
    # every event must name its patient, whether or not as_of is given (not a row for a missing patient)
    events = events_of([(1.0, ASTHMA, "2018-01-01"), (np.nan, ASTHMA, "2018-01-02")])
    with pytest.raises(DomainError, match=r"^events: column 'patient_id' is missing in 1 row"):
        bh.records.condition_flags(events, {"asthma": [ASTHMA]})


# ----------------------------------------------------------------------------- synthetic BLMK data


@pytest.fixture(scope="module")
def synthetic() -> bh.datasets.SyntheticBLMK:
    return bh.datasets.synthetic_blmk(scale=0.02)


def synthetic_flags(data: bh.datasets.SyntheticBLMK, convert: Any = None) -> Any:
    convert = convert or (lambda df: df)
    return bh.records.condition_flags(
        convert(data.events),
        data.codelists,
        code="snomed_code",
        coding_system="snomedct",
        as_of="2019-03-31",
        population=convert(data.patients[["patient_id"]]),
    )


def synthetic_conditions(data: bh.datasets.SyntheticBLMK) -> list[str]:
    return list(dict.fromkeys(data.codelists["condition"]))


def test_synthetic_flags_reproduce_the_diagnosed_columns(synthetic: bh.datasets.SyntheticBLMK) -> None:
    conditions = synthetic_conditions(synthetic)
    assert len(conditions) == 13
    with no_flag_warnings():
        out = synthetic_flags(synthetic)
    assert list(out.columns) == ["patient_id", *(c for name in conditions for c in (name, f"{name}_first_date"))]
    patients = synthetic.patients
    np.testing.assert_array_equal(out["patient_id"].to_numpy(), patients["patient_id"].to_numpy())
    for name in conditions:
        diagnosed = patients[f"{name}_diagnosed"].to_numpy(dtype=bool)
        assert diagnosed.any(), name  # both values occur: the comparison can fail
        assert not diagnosed.all(), name
        assert out[name].dtype == bool, name
        np.testing.assert_array_equal(out[name].to_numpy(), diagnosed, err_msg=name)
        # a first date exactly where the condition is recorded
        np.testing.assert_array_equal(out[f"{name}_first_date"].notna().to_numpy(), diagnosed, err_msg=name)


def test_synthetic_flags_on_every_backend(synthetic: bh.datasets.SyntheticBLMK, backend: Backend) -> None:
    out = result_frame(backend, synthetic_flags(synthetic, backend))
    out = out.sort_values("patient_id", ignore_index=True)
    patients = synthetic.patients
    np.testing.assert_array_equal(out["patient_id"].to_numpy(), patients["patient_id"].to_numpy())
    for name in synthetic_conditions(synthetic):
        np.testing.assert_array_equal(
            out[name].to_numpy(dtype=bool), patients[f"{name}_diagnosed"].to_numpy(dtype=bool), err_msg=name
        )


def test_synthetic_first_dates_are_the_first_coded_events(synthetic: bh.datasets.SyntheticBLMK) -> None:
    # counted independently: the earliest event of each patient with one of the condition's SNOMED codes
    out = synthetic_flags(synthetic).set_index("patient_id")
    snomed = synthetic.codelists[synthetic.codelists["coding_system"] == "snomedct"]
    events = synthetic.events.assign(code=synthetic.events["snomed_code"].astype(str))
    for name, codes in snomed.groupby("condition")["code"]:
        first = events[events["code"].isin(set(codes))].groupby("patient_id")["date"].min()
        got = out[f"{name}_first_date"].dropna()
        assert got.index.tolist() == first.index.tolist(), name
        np.testing.assert_array_equal(got.to_numpy(), first.to_numpy(), err_msg=name)


def test_synthetic_lookback_keeps_the_recent_events(synthetic: bh.datasets.SyntheticBLMK) -> None:
    # counted independently: events of the last 730 days (2017-03-31 < date <= 2019-03-31)
    lists = {"asthma": ["195967001"], "copd": ["13645005"]}
    out = bh.records.condition_flags(
        synthetic.events, lists, code="snomed_code", as_of="2019-03-31", lookback={"copd": 730}, dates=False
    ).set_index("patient_id")
    events = synthetic.events.assign(code=synthetic.events["snomed_code"].astype(str))
    asthma = set(events.loc[events["code"] == "195967001", "patient_id"])
    recent = events["date"] > pd.Timestamp("2017-03-31")
    copd = set(events.loc[(events["code"] == "13645005") & recent, "patient_id"])
    older_copd = set(events.loc[events["code"] == "13645005", "patient_id"]) - copd
    assert older_copd, "some COPD is recorded only before the window: the lookback can be seen"
    assert set(out.index) == asthma | copd
    assert set(out.index[out["asthma"]]) == asthma
    assert set(out.index[out["copd"]]) == copd


def test_synthetic_starter_lists(synthetic: bh.datasets.SyntheticBLMK) -> None:
    # the starter lists hold the generator's SNOMED codes under the score's names: anxiety_depression is
    # depression_anxiety and schizophrenia_bipolar smi; the five other conditions are never coded there
    out = bh.records.condition_flags(
        synthetic.events,
        bh.records.starter_codelists(),
        code="snomed_code",
        as_of="2019-03-31",
        population=synthetic.patients[["patient_id"]],
        dates=False,
    )
    assert len(out.columns) == 1 + 18
    patients = synthetic.patients
    same = {name: name for name in synthetic_conditions(synthetic)}
    same.update(anxiety_depression="depression_anxiety", schizophrenia_bipolar="smi")
    del same["depression_anxiety"], same["smi"]
    for name, generated in same.items():
        np.testing.assert_array_equal(
            out[name].to_numpy(), patients[f"{generated}_diagnosed"].to_numpy(dtype=bool), err_msg=name
        )
    for name in ("alcohol_problems", "connective_tissue", "epilepsy", "hearing_loss", "ibs"):
        assert not out[name].any(), name


def test_synthetic_admissions_by_icd10_prefix(synthetic: bh.datasets.SyntheticBLMK) -> None:
    # counted independently: a patient has a condition when one of diag_01..04 is one of its ICD-10 codes
    admissions = synthetic.admissions
    diag = ["diag_01", "diag_02", "diag_03", "diag_04"]
    icd10 = synthetic.codelists[synthetic.codelists["coding_system"] == "icd10"]
    out = bh.records.condition_flags(
        admissions,
        synthetic.codelists,
        code=diag,
        date="admission_date",
        match="prefix",
        coding_system="icd10",
        dates=False,
    ).set_index("patient_id")
    texts = admissions[diag].astype(object).where(admissions[diag].notna(), "")
    for name, codes in icd10.groupby("condition")["code"]:
        prefixes = tuple(c[:3] if len(c) == 4 and c.endswith("X") else c for c in codes)
        hit = texts.apply(lambda column, p=prefixes: column.str.startswith(p)).any(axis=1)
        expected = set(admissions.loc[hit, "patient_id"])
        assert expected, name
        assert set(out.index[out[name]]) == expected, name
