"""Readers of tabular files on small fixtures written from the documented schemas, and every bad-input path."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd
import pytest

from blmk_health import io as bio
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError

REG_2026 = (
    "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,POSTCODE,SEX,AGE,"
    "NUMBER_OF_PATIENTS\n"
)
REG_2021 = "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\n"


def csv(text: str) -> io.StringIO:
    return io.StringIO(text)


# ------------------------------------------------------------------------------------ registrations


def test_registrations_pre_2021_schema_from_path_and_bytes(tmp_path: Path) -> None:
    text = (
        REG_2021
        + "GP_PRAC_PAT_LIST,01JAN2021,GP,06F,E38000010,E81002,MK45 2SB,ALL,ALL,10195\n"
        + "GP_PRAC_PAT_LIST,01JAN2021,GP,04F,E38000107,K82009,MK11 1BS,ALL,ALL,11045\n"
        + "GP_PRAC_PAT_LIST,01JAN2021,GP,14Y,E38000223,K82001,HP5 1AA,ALL,ALL,9000\n"
    )
    path = tmp_path / "gp-reg-pat-prac-all.csv"
    path.write_text(text)
    df = bio.read_gp_registrations(path, commissioner=["06F", "06P", "04F"])
    assert list(df["practice_code"]) == ["E81002", "K82009"]
    assert set(df["commissioner_type"]) == {"ccg"}
    assert df["sub_icb_code"].isna().all()
    assert (df["extract_date"] == pd.Timestamp("2021-01-01")).all()
    assert df.attrs["dropped"] == {
        "rows": 1,
        "reason": "commissioners other than 06F, 06P, 04F",
        "lines": (4,),
        "values": ("K82001",),
    }
    from_bytes = bio.read_gp_registrations(io.BytesIO(("\ufeff" + text).encode("utf-8")))
    assert len(from_bytes) == 3


def test_registrations_filter_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    text = REG_2026 + "P,2026-04-01,GP,14Y,E38000223,K82001,HP5 1AA,ALL,ALL,9000\n"
    with caplog.at_level(logging.INFO, logger="blmk_health.io"):
        bio.read_gp_registrations(csv(text), commissioner="M1J4Y")
    assert "dropped 1 of 1 rows" in caplog.text


def test_registrations_single_year_of_age() -> None:
    text = REG_2026 + "".join(
        f"P,2026-04-01,GP,M1J4Y,E38000249,E81002,MK45 2SB,FEMALE,{age},{n}\n"
        for age, n in [("ALL", 60), ("0", 10), ("94", 20), ("95+", 30)]
    )
    df = bio.read_gp_registrations(csv(text))
    assert list(df["age"]) == ["all", "0", "94", "95+"]
    assert df["age_lower"].tolist()[1:] == [0, 94, 95]
    assert df["age_upper"].isna().tolist() == [True, False, False, True]
    assert set(df["sex"]) == {"female"}


def test_registrations_quinary_2017_layout_keeps_gp_rows() -> None:
    text = (
        "PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS\n"
        "GP_PRAC_PAT_LIST,01-Sep-17,CCG,06F,E38000010,,MALE,0_4,9000\n"
        "GP_PRAC_PAT_LIST,01-Sep-17,GP,E81002,,MK45 2SB,MALE,0_4,300\n"
        "GP_PRAC_PAT_LIST,01-Sep-17,GP,E81002,,MK45 2SB,MALE,95+,3\n"
    )
    df = bio.read_gp_registrations(csv(text))
    assert list(df["age"]) == ["0-4", "95+"]
    assert df["age_upper"].tolist()[0] == 4
    assert df["commissioner_code"].isna().all()
    assert (df["extract_date"] == pd.Timestamp("2017-09-01")).all()
    assert df.attrs["dropped"]["rows"] == 1
    assert df.attrs["dropped"]["reason"] == "organisations other than GP practices"
    with pytest.raises(SchemaError, match="no SUB_ICB_LOCATION_CODE or CCG_CODE column"):
        bio.read_gp_registrations(csv(text), commissioner="06F")


def test_registrations_wrong_kind_names_expected_and_found_columns() -> None:
    with pytest.raises(SchemaError) as err:
        bio.read_gp_registrations(csv("lsoa,imd10\nE01015693,8\n"))
    message = str(err.value)
    assert "'NUMBER_OF_PATIENTS'" in message
    assert "'lsoa', 'imd10'" in message
    assert "Patients Registered at a GP Practice" in message


@pytest.mark.parametrize(
    ("row", "error", "match"),
    [
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81002,MK45 2SB,ALL,ALL,10,99\n", SchemaError, "line 3 has 11"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81002,MK45 2SB,ALL\n", SchemaError, "line 3 has 8"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,XX1,MK45 2SB,ALL,ALL,10\n", ReferenceDataError, "line 3: 'XX1'"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81003,LU7,ALL,ALL,-5\n", DomainError, "must be >= 0"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81003,LU7,ALL,ALL,1.5\n", DomainError, "whole numbers"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81003,LU7,ALL,ALL,\n", DomainError, "is empty in 1 row"),
        ("P,1st April,GP,M1J4Y,E38000249,E81003,LU7,ALL,ALL,5\n", DomainError, "not a date"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81003,LU7,BOTH,ALL,5\n", DomainError, "unexpected value"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81003,LU7,ALL,old,5\n", DomainError, "unreadable age"),
        ("P,2026-04-01,GP,M1J4Y,X,E81003,LU7,ALL,ALL,5\n", ReferenceDataError, "ONS"),
        ("P,2026-04-01,GP,toolong1,E38000249,E81003,LU7,ALL,ALL,5\n", ReferenceDataError, "sub-ICB"),
        ("P,2026-04-01,GP,M1J4Y,E38000249,E81002,LU7,ALL,ALL,5\n", SchemaError, "repeats the key"),
    ],
)
def test_registrations_bad_rows(row: str, error: type[Exception], match: str) -> None:
    text = REG_2026 + "P,2026-04-01,GP,M1J4Y,E38000249,E81002,MK45 2SB,ALL,ALL,10\n" + row
    with pytest.raises(error, match=match):
        bio.read_gp_registrations(csv(text))


def test_registrations_bad_arguments_and_empty_file() -> None:
    with pytest.raises(InputError, match="commissioner"):
        bio.read_gp_registrations(csv(REG_2026), commissioner=[])
    with pytest.raises(SchemaError, match="empty"):
        bio.read_gp_registrations(csv("\n\n"))
    df = bio.read_gp_registrations(csv(REG_2026))
    assert df.empty
    assert "patients" in df.columns


def test_blank_lines_keep_line_numbers() -> None:
    text = (
        REG_2026
        + "\nP,2026-04-01,GP,M1J4Y,E38000249,E81002,MK45 2SB,ALL,ALL,10\n\n,,,,,,,,,\n"
        + "P,x,GP,M1J4Y,E38000249,E81003,LU7,ALL,ALL,5\n"
    )
    with pytest.raises(DomainError, match="line 6"):
        bio.read_gp_registrations(csv(text))


def test_cp1252_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("Indicator ID,Area Code,Time period,Value,Area Name\n1,E81001,2019,2.5,Caf\xe9\n".encode("cp1252"))
    assert bio.read_fingertips(path)["area_name"].item() == "Café"


# ------------------------------------------------------------------------------------------ epraccur

EPRACCUR_ROW = [
    "E81001", "DR I SALEH'S PRACTICE", "Y61", "Q79", "THE SURGERY", "40 WENLOCK STREET", "LUTON", "BEDFORDSHIRE",
    "", "LU2 0NN", "19740401", "", "A", "B", "06P", "20130401", "", "01582 343347", "", "", "", "0", "", "06P",
    "", "4", "",
]  # fmt: skip


def epraccur(*rows: list[str]) -> io.StringIO:
    return csv("\n".join(",".join(f'"{v}"' for v in row) for row in rows) + "\n")


def with_(pos: int, value: str, code: str = "E81009") -> list[str]:
    row = [code, *EPRACCUR_ROW[1:]]
    row[pos - 1] = value
    return row


def test_epraccur_closed_practice() -> None:
    closed = with_(12, "20200331")
    closed[12] = "C"
    df = bio.read_epraccur(epraccur(EPRACCUR_ROW, closed))
    assert df["close_date"].tolist()[1] == pd.Timestamp("2020-03-31")
    assert df["status"].tolist() == ["A", "C"]
    assert df.attrs["dropped"]["rows"] == 0
    assert len(df.columns) == 21


@pytest.mark.parametrize(
    ("row", "error", "match"),
    [
        (with_(13, "X"), DomainError, "Status Code"),
        (with_(1, "E8100"), ReferenceDataError, "line 2: 'E8100'"),
        (with_(1, "E81001"), SchemaError, "repeats the key"),
        (with_(15, "06-F"), ReferenceDataError, "Commissioner"),
        (with_(11, "2019-13-45"), DomainError, "not a date"),
        (with_(26, "GP"), DomainError, "whole numbers"),
        (with_(26, ""), DomainError, "empty"),
        (EPRACCUR_ROW[:20], SchemaError, "line 2 has 20"),
    ],
)
def test_epraccur_bad_rows(row: list[str], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        bio.read_epraccur(epraccur(EPRACCUR_ROW, row))


def test_epraccur_wrong_kind_and_header() -> None:
    with pytest.raises(SchemaError, match="expected 27 columns without a header, found 2"):
        bio.read_epraccur(csv("lsoa,imd10\nE01015693,8\n"))
    header = ["Organisation Code", *[f"c{i}" for i in range(2, 28)]]
    with pytest.raises(SchemaError, match="has a header row"):
        bio.read_epraccur(epraccur(header, EPRACCUR_ROW))


# ---------------------------------------------------------------------------------------------- ePCN

DETAILS = (
    "PCN Code,PCN Name,Current Sub ICB Location Code,Sub ICB Location Name,Open Date,Close Date,Postcode\n"
    "U09531,CHILTERN HILLS PCN,M1J4Y,NHS BLMK ICB - M1J4Y,20191001,,LU1 4EE\n"
)
PARTNERS = (
    "Partner Organisation Code,Partner Name,Practice Parent Sub ICB Location Code,PCN Code,PCN Name,"
    "Practice to PCN Relationship Start Date,Practice to PCN Relationship End Date\n"
    "E81004,KINGSLAND SURGERY,M1J4Y,U09531,CHILTERN HILLS PCN,2019-07-01,\n"
)


def test_epcn_sub_icb_era() -> None:
    epcn = bio.read_epcn(csv(DETAILS), csv(PARTNERS))
    assert epcn.details["sub_icb_code"].tolist() == ["M1J4Y"]
    assert epcn.details["commissioner_type"].tolist() == ["sub_icb"]
    assert epcn.core_partners["practice_commissioner_code"].tolist() == ["M1J4Y"]
    assert epcn.core_partners["end_date"].isna().all()
    with pytest.raises(AttributeError):
        epcn.details = pd.DataFrame()  # type: ignore[misc]


def test_epcn_workbook_with_title_rows(tmp_path: Path) -> None:
    path = tmp_path / "ePCN.xlsx"
    details = pd.read_csv(csv(DETAILS), dtype=str)
    partners = pd.read_csv(csv(PARTNERS), dtype=str)
    partners["Practice to PCN Relationship Start Date"] = [pd.Timestamp("2019-07-01")]
    with pd.ExcelWriter(path) as writer:
        details.to_excel(writer, sheet_name="PCN Details", index=False, startrow=2)
        partners.to_excel(writer, sheet_name="PCN Core Partner Details", index=False)
        pd.DataFrame({"a": ["Primary Care Networks"]}).to_excel(
            writer, sheet_name="PCN Details", index=False, header=False
        )
    epcn = bio.read_epcn(path)
    assert epcn.details["pcn_code"].tolist() == ["U09531"]
    assert epcn.core_partners["start_date"].tolist() == [pd.Timestamp("2019-07-01")]
    other = tmp_path / "other.xlsx"
    details.to_excel(other, sheet_name="Sheet1", index=False)
    with pytest.raises(SchemaError, match="no sheet named 'PCN Core Partner Details'"):
        bio.read_epcn(path, other)


def test_epcn_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="core_partners: required"):
        bio.read_epcn(csv(DETAILS))
    with pytest.raises(SchemaError, match="'Partner Organisation Code'"):
        bio.read_epcn(csv(DETAILS), csv(DETAILS))
    with pytest.raises(ReferenceDataError, match="PCN code"):
        bio.read_epcn(csv(DETAILS.replace("U09531", "X09531")), csv(PARTNERS))
    with pytest.raises(SchemaError, match="repeats the key"):
        bio.read_epcn(csv(DETAILS + DETAILS.splitlines()[1] + "\n"), csv(PARTNERS))
    ended = PARTNERS.replace("2019-07-01,", "2019-07-01,2019-06-30")
    with pytest.raises(DomainError, match="earlier than the start date"):
        bio.read_epcn(csv(DETAILS), csv(ended))
    xls = tmp_path / "ePCN.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(SchemaError, match=r"legacy \.xls"):
        bio.read_epcn(xls)
