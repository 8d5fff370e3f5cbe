"""``read_qof_achievement`` on fixtures written in the published raw layout of the QOF achievement files
(``PRACTICE_CODE, INDICATOR_CODE, MEASURE, VALUE``, as in NHS England's QOF metadata), and on the wide
layout of its own output and of the synthetic ``qof_achievement`` table."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health import io as bio
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError

HEADER = "PRACTICE_CODE,INDICATOR_CODE,MEASURE,VALUE\n"
#: 2018-19 style: exceptions; a register-only indicator (HYP001) and points, which are left out.
RAW_1819 = (
    HEADER + "K82003,AF001,REGISTER,301\n"
    "K82003,AF001,ACHIEVED_POINTS,5\n"
    "K82003,AF007,NUMERATOR,221\n"
    "K82003,AF007,DENOMINATOR,240\n"
    "K82003,AF007,EXCEPTIONS,19\n"
    "K82003,AF007,ACHIEVED_POINTS,12\n"
    "K82003,HYP001,REGISTER,1612\n"
    "K82003,HYP006,NUMERATOR,1250\n"
    "K82003,HYP006,DENOMINATOR,1530\n"
    "K82003,HYP006,EXCEPTIONS,82\n"
    "K82003,HYP006,ACHIEVED_POINTS,19.43\n"
    "E81001,HYP006,NUMERATOR,500\n"
    "E81001,HYP006,DENOMINATOR,640\n"
    "E81001,HYP006,EXCEPTIONS,0\n"
)
#: 2019-20 on: personalised care adjustments (PCAS) instead of exceptions.
RAW_1920 = HEADER + "E81001,HYP003,NUMERATOR,400\nE81001,HYP003,DENOMINATOR,520\nE81001,HYP003,PCAS,31\n"


def read(text: str) -> pd.DataFrame:
    return bio.read_qof_achievement(io.StringIO(text))


def test_raw_2018_19_layout() -> None:
    df = read(RAW_1819)
    assert list(df.columns) == [
        "practice_code",
        "indicator_code",
        "indicator",
        "numerator",
        "denominator",
        "exceptions",
    ]
    assert df[["practice_code", "indicator_code"]].values.tolist() == [
        ["K82003", "AF007"],
        ["K82003", "HYP006"],
        ["E81001", "HYP006"],
    ]
    assert df["numerator"].tolist() == [221, 1250, 500]
    assert df["denominator"].tolist() == [240, 1530, 640]
    assert df["exceptions"].tolist() == [19, 82, 0]
    assert str(df["numerator"].dtype) == "Int64"
    assert df["indicator"].iloc[1] == bio.QOF_INDICATORS["HYP006"]
    assert "150/90 mmHg or less" in df["indicator"].iloc[1]
    assert df.attrs["exceptions_measure"] == "EXCEPTIONS"
    dropped = df.attrs["dropped"]
    assert dropped["rows"] == 5
    assert dropped["lines"] == (2, 3, 7, 8, 12)
    assert "ACHIEVED_POINTS, REGISTER" in dropped["reason"]


def test_raw_layout_with_personalised_care_adjustments() -> None:
    df = read(RAW_1920)
    assert df.attrs["exceptions_measure"] == "PCAS"
    assert df.iloc[0][["numerator", "denominator", "exceptions"]].tolist() == [400, 520, 31]
    assert "aged 79 years or under" in df["indicator"].item()


def test_unknown_indicators_have_no_wording_and_missing_measures_are_missing() -> None:
    df = read(HEADER + "E81001,XYZ001,NUMERATOR,3\nE81001,XYZ001,DENOMINATOR,\n")
    assert pd.isna(df["indicator"].item())
    assert pd.isna(df["denominator"].item())
    assert pd.isna(df["exceptions"].item())
    assert df["numerator"].item() == 3


def test_treatment_gap_from_the_file() -> None:
    """The reader's table goes straight into treatment_gap (one indicator at a time)."""
    from blmk_health.indicators._prevalence import treatment_gap

    df = read(RAW_1819)
    out = treatment_gap(df[df["indicator_code"] == "HYP006"], by="indicator_code")
    assert out["not_treated"].item() == (1530 + 82 - 1250) + (640 - 500)
    assert out["achievement"].item() == pytest.approx(1750 / 2170 * 100, rel=1e-15)


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        ("K82003,HYP006,NUMERATOR,5\n", SchemaError, r"1 row repeats the key"),
        ("K82003,HYP006,PCAS,5\n", SchemaError, r"1 row repeats the key"),  # exceptions and PCAs together
        ("E81002,HYP006,NUMERATOR,-1\n", DomainError, r"must be >= 0"),
        ("E81002,HYP006,NUMERATOR,2.5\n", DomainError, r"whole numbers"),
        ("E8100,HYP006,NUMERATOR,2\n", ReferenceDataError, r"malformed code"),
        ("E81002,,NUMERATOR,2\n", DomainError, r"'INDICATOR_CODE' is empty"),
    ],
)
def test_bad_rows(rows: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        read(RAW_1819 + rows)


@pytest.mark.parametrize(("numerator", "ok"), [(640, True), (641, False)])
def test_numerator_may_not_exceed_denominator(numerator: int, ok: bool) -> None:
    text = RAW_1819.replace("E81001,HYP006,NUMERATOR,500", f"E81001,HYP006,NUMERATOR,{numerator}")
    if ok:
        assert read(text)["numerator"].iloc[2] == 640
        return
    with pytest.raises(DomainError, match=r"1 numerator exceeds its denominator in column 'VALUE' \(line 13: "):
        read(text)


def test_wrong_kind_of_file() -> None:
    with pytest.raises(SchemaError, match="not a QOF ACHIEVEMENT file"):
        read("PRACTICE_CODE,GROUP_CODE,REGISTER,PATIENT_LIST_TYPE,PRACTICE_LIST_SIZE\nE81001,HYP,612,TOTAL,4200\n")


def test_wide_layout_round_trip(tmp_path: Path) -> None:
    df = read(RAW_1819)
    path = tmp_path / "achievement.csv"
    df.to_csv(path, index=False)
    again = bio.read_qof_achievement(path)
    pd.testing.assert_frame_equal(again, df)
    with pytest.raises(DomainError, match=r"column 'NUMERATOR' exceeds 'DENOMINATOR' in 1 row \(line 2: '10 > 9'\)"):
        read("PRACTICE_CODE,INDICATOR_CODE,NUMERATOR,DENOMINATOR,PCAS\nE81001,HYP003,10,9,0\n")


def test_same_columns_as_the_synthetic_table() -> None:
    """The synthetic ``qof_achievement`` table has the reader's columns (its practice codes, ``SYN001``...,
    are not ODS codes, so the reader would refuse them)."""
    synthetic = bh.datasets.synthetic_blmk(scale=0.01).qof_achievement
    assert list(read(RAW_1819).columns) == list(synthetic.columns)
