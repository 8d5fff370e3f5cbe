"""What the readers accept as a source: paths where no file can be read, and ePCN sheets given as data frames."""

from __future__ import annotations

import builtins
import errno
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from blmk_health import io as bio
from blmk_health.errors import DataFileError, DomainError, InputError, ReferenceDataError, SchemaError
from blmk_health.io import _common

# Each reader with a fragment of the file it says it expects.
READERS: list[tuple[str, Callable[[Any], Any], str]] = [
    ("read_gp_registrations", bio.read_gp_registrations, "gp-reg-pat-prac-all.csv"),
    ("read_epraccur", bio.read_epraccur, "the ODS GP practice file epraccur.csv (https://digital.nhs.uk/"),
    ("read_epcn", bio.read_epcn, "the ODS PCN workbook ePCN.xlsx"),
    ("read_gp_workforce", bio.read_gp_workforce, '"General Practice Workforce" CSV file'),
    ("read_qof_prevalence", bio.read_qof_prevalence, "PREVALENCE_yyyy.csv"),
    ("read_qof_achievement", bio.read_qof_achievement, "ACHIEVEMENT_yyyy.csv"),
    ("read_fingertips", bio.read_fingertips, "Fingertips data export"),
    ("read_imd", bio.read_imd, "English Indices of Deprivation file"),
    ("read_ons_population", bio.read_ons_population, "ONS mid-year population estimates file"),
    ("read_boundaries", bio.read_boundaries, "a boundary file (GeoJSON"),
]
IDS = [name for name, _, _ in READERS]


def argument_of(name: str) -> str:
    return "details" if name == "read_epcn" else "path"


@pytest.mark.parametrize(("name", "reader", "expected"), READERS, ids=IDS)
def test_missing_path_says_which_file_was_expected(
    tmp_path: Path, name: str, reader: Callable[[Any], Any], expected: str
) -> None:
    path = tmp_path / "nowhere" / "file.csv"
    with pytest.raises(DataFileError) as caught:
        reader(path)
    err = caught.value
    assert str(err).startswith(f"{argument_of(name)}: no file at {str(path)!r}; expected ")
    assert expected in str(err)
    assert err.filename == str(path)
    assert err.errno == errno.ENOENT
    # the documented type is also what callers catch today
    assert isinstance(err, FileNotFoundError)
    assert isinstance(err, InputError)
    assert isinstance(err, ValueError)
    with pytest.raises(FileNotFoundError, match="no file at"):
        reader(str(path))


@pytest.mark.parametrize(("name", "reader", "expected"), READERS, ids=IDS)
def test_folder_where_a_file_is_expected(
    tmp_path: Path, name: str, reader: Callable[[Any], Any], expected: str
) -> None:
    (tmp_path / "notes.txt").write_text("not data")
    with pytest.raises(DataFileError, match="is a folder, not a file; expected ") as caught:
        reader(tmp_path)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{argument_of(name)}: {str(tmp_path)!r} is a folder")
    assert caught.value.errno == errno.EISDIR


@pytest.mark.parametrize(("name", "reader", "expected"), READERS, ids=IDS)
def test_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reader: Callable[[Any], Any], expected: str
) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("a,b\n1,2\n")
    real_open = builtins.open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    with pytest.raises(DataFileError) as caught:
        reader(path)
    message = str(caught.value)
    assert message.startswith(f"{argument_of(name)}: cannot read the file at {str(path)!r} (Permission denied)")
    assert expected in message
    assert caught.value.errno == errno.EACCES
    assert isinstance(caught.value.__cause__, PermissionError)


def test_path_below_a_file_is_no_file(tmp_path: Path) -> None:
    parent = tmp_path / "imd.csv"
    parent.write_text("lsoa,imd10\nE01015693,8\n")
    with pytest.raises(DataFileError, match="no file at"):
        bio.read_imd(parent / "imd.csv")
    assert bio.read_imd(parent)["imd_decile"].tolist() == [8]


def test_epcn_missing_core_partners_names_its_argument(tmp_path: Path) -> None:
    details = tmp_path / "details.csv"
    details.write_text(DETAILS)
    with pytest.raises(DataFileError, match=r"^core_partners: no file at .*PCN Core Partner Details"):
        bio.read_epcn(details, tmp_path / "partners.csv")


def test_data_file_error_pickles_and_prints_its_message() -> None:
    err = DataFileError("path: no file at 'x.csv'; expected a file", "x.csv", errno.ENOENT)
    assert str(err) == "path: no file at 'x.csv'; expected a file"
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.filename, again.errno) == (DataFileError, str(err), "x.csv", errno.ENOENT)
    assert DataFileError("m").errno is None


def test_check_source_leaves_urls_and_file_objects_to_the_reader(tmp_path: Path) -> None:
    assert _common.check_source(io.StringIO("a"), "path", "a file") is None
    for source in ("https://example.org/areas.geojson", "/vsizip/areas.zip/areas.shp"):
        assert _common.check_source(source, "path", "a file", urls=True) is None  # GDAL opens them
        with pytest.raises(DataFileError, match="no file at"):
            _common.check_source(source, "path", "a file")  # the tabular readers cannot
    with pytest.raises(DataFileError, match=r"^path: no file at 'https://example.org/imd.csv'; expected an English"):
        bio.read_imd("https://example.org/imd.csv")
    folder = tmp_path / "areas.gdb"
    folder.mkdir()
    assert _common.check_source(folder, "path", "a file", folder=lambda p: p.endswith(".gdb")) is None
    with pytest.raises(DataFileError, match="is a folder"):
        _common.check_source(folder, "path", "a file")


def test_file_readers_refuse_a_data_frame() -> None:
    with pytest.raises(InputError, match=r"^path: expected a path or a file object \(.*\), got a data frame"):
        bio.read_imd(pd.DataFrame({"lsoa": ["E01015693"], "imd10": [8]}))


# ------------------------------------------------------------------------------------ ePCN data frames

DETAILS = (
    "PCN Code,PCN Name,Current Sub ICB Location Code,Sub ICB Location Name,Open Date,Close Date,Postcode\n"
    "U09531,CHILTERN HILLS PCN,M1J4Y,NHS BLMK ICB - M1J4Y,20191001,,LU1 4EE\n"
    "U52875,H IS FOR HEALTH PCN,,,20191001,20230331,MK45 2SB\n"
)
DETAILS_CCG = (
    "PCN Code,PCN Name,Current Clinical Commissioning Group Code,Clinical Commissioning Group Name,"
    "Open Date (YYYYMMDD),Close Date,Postcode\n"
    "U09531,CHILTERN HILLS PCN,06F,NHS BEDFORDSHIRE CCG,20191001,,LU1 4EE\n"
    "U31922,NEXUS MK PCN,04F,NHS MILTON KEYNES CCG,20191001,,MK12 5NJ\n"
)
PARTNERS = (
    "Partner Organisation Code,Partner Name,Practice Parent Sub ICB Location Code,PCN Code,PCN Name,"
    "Practice to PCN Relationship Start Date,Practice to PCN Relationship End Date\n"
    "E81004,KINGSLAND SURGERY,M1J4Y,U09531,CHILTERN HILLS PCN,2019-07-01,2020-03-31\n"
    "E81004,KINGSLAND SURGERY,M1J4Y,U09531,CHILTERN HILLS PCN,2020-04-01,\n"
    "E81002,GREENSAND SURGERY,M1J4Y,U52875,H IS FOR HEALTH PCN,20191001,\n"
)


def sheet(text: str) -> pd.DataFrame:
    """A sheet as a user has it from pandas, every cell text (empty cells missing)."""
    return pd.read_csv(io.StringIO(text), dtype=str)


def from_files(details: str = DETAILS, partners: str = PARTNERS) -> bio.EPCN:
    return bio.read_epcn(io.StringIO(details), io.StringIO(partners))


def assert_same(got: bio.EPCN, want: bio.EPCN) -> None:
    pd.testing.assert_frame_equal(got.details, want.details)
    pd.testing.assert_frame_equal(got.core_partners, want.core_partners)


@pytest.mark.parametrize("details", [DETAILS, DETAILS_CCG])
def test_epcn_frames_with_published_headers_read_as_the_files(details: str) -> None:
    want = from_files(details)
    got = bio.read_epcn(sheet(details), sheet(PARTNERS))
    assert_same(got, want)
    assert got.details.attrs["rows_read"] == 2
    assert got.core_partners["start_date"].tolist() == [
        pd.Timestamp(d) for d in ("2019-07-01", "2020-04-01", "2019-10-01")
    ]


def test_epcn_frames_with_newer_multi_line_headers() -> None:
    partners = sheet(PARTNERS)
    partners.columns = [c.replace(" ", "\n") for c in partners.columns]
    assert partners.columns[0] == "Partner\nOrganisation\nCode"
    details = sheet(DETAILS)
    details.columns = [c.replace(" ", "\n") for c in details.columns]
    got = bio.read_epcn(details, partners)
    assert_same(got, from_files())
    assert got.core_partners["practice_code"].tolist() == ["E81004", "E81004", "E81002"]


def test_epcn_frames_from_read_excel_with_typed_cells_and_title_rows(tmp_path: Path) -> None:
    path = tmp_path / "ePCN.xlsx"
    details = sheet(DETAILS)
    details["Open Date"] = pd.to_numeric(details["Open Date"])  # 20191001 as a number, as in ePCN.xlsx
    partners = sheet(PARTNERS)
    for column in ("Practice to PCN Relationship Start Date", "Practice to PCN Relationship End Date"):
        partners[column] = pd.to_datetime(partners[column], format="mixed")  # real dates, and NaT
    with pd.ExcelWriter(path) as writer:
        details.to_excel(writer, sheet_name="PCNDetails", index=False, startrow=2)
        pd.DataFrame({"a": ["Primary Care Networks"]}).to_excel(
            writer, sheet_name="PCNDetails", index=False, header=False
        )
        partners.to_excel(writer, sheet_name="PCN Core Partner Details", index=False)
    sheets = pd.read_excel(path, sheet_name=None)
    assert sheets["PCNDetails"].columns[0] == "Primary Care Networks"  # the header is a data row
    got = bio.read_epcn(sheets["PCNDetails"], sheets["PCN Core Partner Details"])
    assert_same(got, bio.read_epcn(path))
    assert_same(got, from_files())


def test_epcn_output_reads_back_unchanged() -> None:
    for details in (DETAILS, DETAILS_CCG):
        first = from_files(details)
        assert_same(bio.read_epcn(first.details, first.core_partners), first)
        assert_same(bio.read_epcn(first), first)
    again = bio.read_epcn(from_files(DETAILS)).details
    assert again["commissioner_type"].tolist()[0] == "sub_icb"
    assert again["commissioner_type"].isna().tolist() == [False, True]
    assert again["sub_icb_code"].tolist()[0] == "M1J4Y"


def test_epcn_output_reads_back_whatever_the_column_order() -> None:
    first = from_files(DETAILS_CCG)
    # sub_icb_code (all missing for CCGs) also looks like a commissioner code column: our own name wins
    details = first.details[list(reversed(first.details.columns))]
    again = bio.read_epcn(details, first.core_partners)
    assert again.details["commissioner_code"].tolist() == ["06F", "04F"]
    assert again.details["commissioner_type"].tolist() == ["ccg", "ccg"]
    assert again.details["sub_icb_code"].isna().all()


def test_epcn_frame_of_another_backend() -> None:
    import pyarrow as pa  # a dependency of the package: no skip

    details = pa.Table.from_pandas(sheet(DETAILS), preserve_index=False)
    got = bio.read_epcn(details, pa.Table.from_pandas(sheet(PARTNERS), preserve_index=False))
    assert_same(got, from_files())


def test_epcn_frame_with_wrong_columns() -> None:
    with pytest.raises(SchemaError) as caught:
        bio.read_epcn(pd.DataFrame({"lsoa": ["E01015693"], "imd10": [8]}), sheet(PARTNERS))
    message = str(caught.value)
    assert message.startswith('details: this is not the ePCN "PCN Details" sheet')
    assert "'PCN Code'" in message
    assert "'lsoa', 'imd10'" in message
    with pytest.raises(SchemaError, match=r"core_partners: .*'Partner Organisation Code'"):
        bio.read_epcn(sheet(DETAILS), sheet(DETAILS))


def test_epcn_frame_errors_name_rows_by_index_label() -> None:
    details = sheet(DETAILS)
    details.index = [10, 11]
    details.loc[11, "PCN Code"] = "X52875"
    with pytest.raises(ReferenceDataError, match=r"'PCN Code' holds 1 malformed code \(row 11: 'X52875'\)"):
        bio.read_epcn(details, sheet(PARTNERS))
    details.index = ["a", "b"]  # not numbers: positions from 0
    with pytest.raises(ReferenceDataError, match=r"\(row 1: 'X52875'\)"):
        bio.read_epcn(details, sheet(PARTNERS))
    partners = sheet(PARTNERS)
    partners.loc[2, "Practice to PCN Relationship End Date"] = "20190930"
    with pytest.raises(DomainError, match=r"earlier than the start date in 1 row \(row 2: '2019-09-30'\)"):
        bio.read_epcn(sheet(DETAILS), partners)
    repeated = pd.concat([sheet(PARTNERS), sheet(PARTNERS).iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError, match=r"1 row repeats the key .* \(rows 0, 3: "):
        bio.read_epcn(sheet(DETAILS), repeated)


def test_epcn_frame_needs_core_partners() -> None:
    with pytest.raises(InputError, match="core_partners: required unless details is the ePCN xlsx workbook"):
        bio.read_epcn(sheet(DETAILS))


def test_epcn_commissioner_type_given_back_is_checked() -> None:
    first = from_files()
    details = first.details.assign(commissioner_type=["pct", None])
    with pytest.raises(DomainError, match=r"'commissioner_type' holds 1 unexpected value \(row 0: 'pct'\)"):
        bio.read_epcn(details, first.core_partners)


# ----------------------------------------------------------------------- shared checks, on both sides


def test_messages_agree_with_the_number_of_rows() -> None:
    header = "PRACTICE_CODE,GROUP_CODE,REGISTER,PATIENT_LIST_TYPE,PRACTICE_LIST_SIZE\n"
    one = header + "E81001,HYP,,TOTAL,4200\nE81002,HYP,3,TOTAL,4200\n"
    two = header + "E81001,HYP,,TOTAL,4200\nE81002,HYP,,TOTAL,4200\n"
    with pytest.raises(DomainError, match=r"'REGISTER' is empty in 1 row \(line 2\)$"):
        bio.read_qof_prevalence(io.StringIO(one))
    with pytest.raises(DomainError, match=r"'REGISTER' is empty in 2 rows \(lines 2, 3\)$"):
        bio.read_qof_prevalence(io.StringIO(two))
    assert bio.read_qof_prevalence(io.StringIO(header + "E81001,HYP,4200,TOTAL,4200\n"))["register"].item() == 4200
    with pytest.raises(DomainError, match=r"exceeds 'PRACTICE_LIST_SIZE' in 1 row \(line 2: '4201 > 4200'\)"):
        bio.read_qof_prevalence(io.StringIO(header + "E81001,HYP,4201,TOTAL,4200\n"))


def test_repeats_are_counted_after_the_first() -> None:
    text = "lsoa,imd10\n" + "E01015693,1\n" * 3
    with pytest.raises(
        SchemaError, match=r"^path: 2 rows repeat the key \('lsoa'\) of an earlier row \(lines 2, 3, 4: "
    ):
        bio.read_imd(io.StringIO(text))


def test_ons_age_columns_and_bands() -> None:
    text = "la,Total,F0 to 15,M65 and over,Persons 16-64\nE06000032,100,40,10,50\n"
    df = bio.read_ons_population(io.StringIO(text), year=2015)
    assert df["age"].tolist() == ["all", "0-15", "65+", "16-64"]
    assert df["sex"].tolist() == ["all", "female", "male", "all"]
    assert df["age_lower"].tolist()[1:] == [0, 65, 16]
    assert df["age_upper"].isna().tolist() == [True, False, True, False]
    assert df["value"].tolist() == [100, 40, 10, 50]
    assert df["value"].dtype == "Int64"
    assert set(df["year"]) == {2015}
