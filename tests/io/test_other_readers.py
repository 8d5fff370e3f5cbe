"""Workforce, QOF, Fingertips, IMD and ONS readers on fixtures written from the documented schemas."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from blmk_health import io as bio
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError


def csv(text: str) -> io.StringIO:
    return io.StringIO(text)


# ----------------------------------------------------------------------------------------- workforce

WIDE = (
    "PRAC_CODE,PRAC_NAME,SUB_ICB_CODE,PCN_NAME,TOTAL_PATIENTS,TOTAL_GP_HC,TOTAL_GP_FTE,TOTAL_GP_EXTGL_FTE,TOTAL_NURSES_FTE\n"
    "E81001,DR I SALEH'S PRACTICE,M1J4Y,PCN A,4200,3,2.5,ND,1.2\n"
    "E81002,GREENSAND SURGERY,M1J4Y,PCN B,10195,EST,NS,.,\n"
)
LONG = (
    "PRAC_CODE,PRAC_NAME,STAFF_GROUP,DETAILED_STAFF_ROLE,MEASURE,VALUE\n"
    "E81001,DR I SALEH'S PRACTICE,GP,Partner,FTE,1.5\n"
    "E81001,DR I SALEH'S PRACTICE,GP,Salaried,FTE,1.0\n"
    "E81001,DR I SALEH'S PRACTICE,GP,Total,TOTAL_GP_FTE,2.5\n"
    "E81001,DR I SALEH'S PRACTICE,Nurses,Total,Headcount,ND\n"
)


def test_workforce_wide_layout() -> None:
    df = bio.read_gp_workforce(csv(WIDE))
    assert len(df) == 2 * 5
    assert df.attrs["layout"] == "wide"
    assert df.attrs["ignored_columns"] == ["SUB_ICB_CODE", "PCN_NAME"]
    fte = df[df["measure"] == "total_gp_fte"].set_index("practice_code")["value"]
    assert fte["E81001"] == 2.5
    assert pd.isna(fte["E81002"])
    assert df["value"].dtype == "Float64"
    assert df.loc[df["practice_code"] == "E81002", "value"].isna().sum() == 4
    assert df["staff_group"].isna().all()


def test_workforce_long_layout() -> None:
    df = bio.read_gp_workforce(csv(LONG))
    assert df.attrs["layout"] == "long"
    assert df["measure"].tolist() == ["fte", "fte", "total_gp_fte", "headcount"]
    assert df["value"].isna().tolist() == [False, False, False, True]
    assert df["staff_role"].tolist()[0] == "Partner"


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        (WIDE.replace(",1.2\n", ",lots\n"), DomainError, "line 2: 'lots'"),
        (WIDE.replace(",1.2\n", ",-1\n"), DomainError, ">= 0"),
        (WIDE.replace("E81002,", "E81001,"), SchemaError, "repeats the key"),
        (WIDE.replace("E81002,", "81002,"), ReferenceDataError, "practice code"),
        ("PRAC_CODE,PRAC_NAME\nE81001,X\n", SchemaError, "no measure columns"),
        ("CODE_X,VALUE\n1,2\n", SchemaError, "'PRAC_CODE'"),
        (LONG + "E81001,DR I SALEH'S PRACTICE,GP,Partner,FTE,1.5\n", SchemaError, "repeats the key"),
        (LONG.replace(",1.0\n", ",one\n"), DomainError, "numbers"),
    ],
)
def test_workforce_bad_inputs(text: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_gp_workforce(csv(text))


def test_workforce_empty_wide_file() -> None:
    df = bio.read_gp_workforce(csv("PRAC_CODE,PRAC_NAME,TOTAL_GP_FTE\n"))
    assert df.empty
    assert list(df.columns)[-1] == "value"


# ----------------------------------------------------------------------------------------------- QOF

QOF = "PRACTICE_CODE,GROUP_CODE,REGISTER,PATIENT_LIST_TYPE,PRACTICE_LIST_SIZE\nE81001,HYP,612,TOTAL,4200\n"


def test_qof_current_and_old_layouts() -> None:
    df = bio.read_qof_prevalence(csv(QOF + "E81001,dm,301,17OV,3300\n"))
    assert df["group_code"].tolist() == ["HYP", "DM"]
    assert df["register"].dtype == "Int64"
    assert df["list_size"].tolist() == [4200, 3300]
    old = bio.read_qof_prevalence(
        csv(
            "practicecode,indicator_group,Register_description,disease_register_size,practice_listsize,prevalence\n"
            "E81001,AF,Atrial fibrillation,50,4200,1.19\n"
        )
    )
    assert old["register"].tolist() == [50]
    assert old["list_type"].isna().all()


@pytest.mark.parametrize(
    ("row", "error", "match"),
    [
        ("E81002,HYP,5000,TOTAL,4200\n", DomainError, "exceeds"),
        ("E81001,HYP,1,TOTAL,4200\n", SchemaError, "repeats the key"),
        ("E81002,HYP,1,TOTAL,-4\n", DomainError, ">= 0"),
        ("E8100Z,HYP,1,TOTAL,4\n", ReferenceDataError, "E8100Z"),
    ],
)
def test_qof_bad_rows(row: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_qof_prevalence(csv(QOF + row))


def test_qof_wrong_kind() -> None:
    with pytest.raises(SchemaError, match="not a QOF PREVALENCE file"):
        bio.read_qof_prevalence(csv("Indicator ID,Area Code\n1,E81001\n"))


# ---------------------------------------------------------------------------------------- Fingertips

FT = (
    "Indicator ID,Indicator Name,Area Code,Area Type,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,"
    "Count,Denominator,Value note,Compared to Region value or percentiles,Extra Column\n"
    "90366,Life expectancy,E06000032,UA,2018 - 20,78.9,78.2,79.6,3000,100000,,Worse,x\n"
)


def test_fingertips_columns() -> None:
    df = bio.read_fingertips(csv(FT))
    assert df["lower95_0cl"].item() == 78.2
    assert df["count"].item() == 3000
    assert df["compared_to_parent"].item() == "Worse"
    assert df["extra_column"].item() == "x"
    assert df["lower99_8cl"].isna().all()
    assert df["value_note"].isna().all()


@pytest.mark.parametrize(
    ("old", "new", "error", "match"),
    [
        (",78.9,", ",n/a,", DomainError, "'n/a'"),
        ("90366,", "x,", DomainError, "Indicator ID"),
        ("E06000032", "E06-32", ReferenceDataError, "area code"),
        ("Area Code", "Area", SchemaError, "'Area Code'"),
    ],
)
def test_fingertips_bad_inputs(old: str, new: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_fingertips(csv(FT.replace(old, new, 1)))


# ----------------------------------------------------------------------------------------------- IMD

FILE_7 = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),"
    "Index of Multiple Deprivation (IMD) Score,Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),Income Score (rate)\n"
    "E01015693,Luton 007A,E06000032,Luton,12.5,22000,7,0.1\n"
)


def test_imd_file_7_and_workbook(tmp_path: Path) -> None:
    df = bio.read_imd(csv(FILE_7))
    row = df.iloc[0]
    assert (row["imd_score"], row["imd_rank"], row["imd_decile"]) == (12.5, 22000, 7)
    assert row["la_name"] == "Luton"
    assert row["lsoa_name"] == "Luton 007A"
    path = tmp_path / "File_7.xlsx"
    table = pd.read_csv(csv(FILE_7), dtype=str)
    with pd.ExcelWriter(path) as writer:
        table.to_excel(writer, sheet_name="IoD2019 Scores", index=False, startrow=1)
    pd.testing.assert_frame_equal(bio.read_imd(path), df)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("lsoa,imd10\nE01015693,11\n", DomainError, "between 1 and 10"),
        ("lsoa,imd10\nE0101569,1\n", ReferenceDataError, "LSOA code"),
        ("lsoa,imd10\nE01015693,1\nE01015693,2\n", SchemaError, "repeats the key"),
        ("lsoa11cd,lad_cd\nE01015693,E06000032\n", SchemaError, "IMD decile, score or rank"),
        ("lsoa,imd10,lad_cd\nE01015693,1,E12000006\n", ReferenceDataError, "local authority"),
        ("code,imd10\nE01015693,1\n", SchemaError, "'LSOA code \\(2011\\)'"),
    ],
)
def test_imd_bad_inputs(text: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_imd(csv(text))


# ----------------------------------------------------------------------------------------------- ONS

MYEB2 = (
    "ladcode18,laname18,country,sex,age,population_2017,population_2018\n"
    "E06000032,Luton,E,1,0,1800,1790\n"
    "E06000032,Luton,E,2,90,700,720\n"
)


def test_ons_myeb2_with_sex_and_age() -> None:
    df = bio.read_ons_population(csv(MYEB2))
    assert len(df) == 4
    assert df["sex"].tolist() == ["male", "male", "female", "female"]
    assert df["age"].tolist() == ["0", "0", "90+", "90+"]
    assert df["age_upper"].isna().tolist() == [False, False, True, True]
    assert df["year"].tolist() == [2017, 2018, 2017, 2018]


def test_ons_sape_workbook_sheet_gives_sex(tmp_path: Path) -> None:
    path = tmp_path / "sape.xlsx"
    table = pd.DataFrame(
        {
            "LSOA Code": ["E01015693"],
            "LSOA Name": ["Luton 007A"],
            "LA Code (2021 boundaries)": ["E06000032"],
            "LA name (2021 boundaries)": ["Luton"],
            "All Ages": [800],
            "0": [10],
            "90+": [5],
        }
    )
    with pd.ExcelWriter(path) as writer:
        table.to_excel(writer, sheet_name="Mid-2020 Persons", index=False)
        table.to_excel(writer, sheet_name="Mid-2020 Females", index=False, startrow=4)
        table.to_excel(writer, sheet_name="Mid-2020 Males", index=False)
    females = bio.read_ons_population(path, sheet="Mid-2020 Females", year=2020)
    assert set(females["sex"]) == {"female"}
    assert set(females["year"]) == {2020}
    assert females["age"].tolist() == ["all", "0", "90+"]
    assert females["la_name"].tolist()[0] == "Luton"
    assert set(bio.read_ons_population(path, sheet="Mid-2020 Males")["sex"]) == {"male"}
    persons = bio.read_ons_population(path)
    assert set(persons["sex"]) == {"all"}
    assert persons["year"].isna().all()


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("name,population_2018\nLuton,1\n", SchemaError, "area code column"),
        ("ladcode19,laname19,notes\nE06000032,Luton,x\n", SchemaError, "estimate columns"),
        ("ladcode19,population_2018\nE06000032,-1\n", DomainError, ">= 0"),
        ("ladcode19,population_2018\nE06000032,many\n", DomainError, "whole numbers"),
        ("ladcode19,population_2018\nE0600003,1\n", ReferenceDataError, "local authority"),
        ("ladcode19,population_2018\nE06000032,1\nE06000032,2\n", SchemaError, "repeats the key"),
        (MYEB2.replace(",1,0,", ",9,0,"), DomainError, "unexpected value"),
        ("lsoa,Total\nE0101569,1\n", ReferenceDataError, "LSOA code"),
    ],
)
def test_ons_bad_inputs(text: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_ons_population(csv(text))


def test_ons_bad_year_argument() -> None:
    with pytest.raises(InputError, match="year"):
        bio.read_ons_population(csv(MYEB2), year="2020")  # type: ignore[arg-type]
