"""Clinical code lists: ``bh.records.read_codelists()``, ``starter_codelists()``, and every form of code
list that ``condition_flags()`` takes (a dict, a table, CSV files, a folder, a list of paths).

Small OpenCodelists-style CSV files are written by hand in a temporary folder and the tables read from
them are checked value by value; each form of code list is run through ``condition_flags`` on the
same hand-made events, whose flags are worked out by hand; and every bad code list raises its error
naming the argument. The starter lists are checked against the Cambridge Multimorbidity Score.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DataFileError, InputError, SchemaError
from blmk_health.testing import assert_indicator_frame_equal
from tests.helpers import Backend, to_backend, to_pandas

HYPERTENSION = "38341003"
ESSENTIAL_HYPERTENSION = "59621000"
ASTHMA = "195967001"
COPD = "13645005"
WEIGHT = "27113001"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def records(table: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The ``(condition, code, term)`` rows of a code-list table, in order."""
    assert list(table.columns) == ["condition", "code", "term"]
    return list(table.itertuples(index=False, name=None))


def events() -> pd.DataFrame:
    """Five coded events of four patients.

    - patient 1: hypertension 38341003 (2016-05-01) and asthma (2018-07-09);
    - patient 2: essential hypertension 59621000 (2017-02-02);
    - patient 3: COPD (2015-01-01);
    - patient 4: a weight (no condition).
    """
    return pd.DataFrame(
        {
            "patient_id": [1, 2, 1, 3, 4],
            "code": [HYPERTENSION, ESSENTIAL_HYPERTENSION, ASTHMA, COPD, WEIGHT],
            "date": pd.to_datetime(["2016-05-01", "2017-02-02", "2018-07-09", "2015-01-01", "2018-01-01"]),
        }
    )


def flags(codelists: Any, **kwargs: Any) -> dict[str, list[Any]]:
    """The flags (no dates) of :func:`events` with ``codelists``, as lists."""
    out = bh.records.condition_flags(events(), codelists, dates=False, **kwargs)
    return {column: out[column].tolist() for column in out.columns}


def assert_matches(backend: Backend, result: Any, expected: pd.DataFrame) -> None:
    """Assert that ``result`` is of the backend's kind and holds ``expected``: in order (sorted by patient)
    when eager, sorted by patient first when lazy (lazy results promise no row order). First dates are
    compared as naive datetimes (Spark gives UTC timestamps)."""
    backend.assert_kind(result)
    out = to_pandas(result)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
        if column in expected.columns and expected[column].dtype == bool:
            assert pd.api.types.is_bool_dtype(out[column]), column
    assert_indicator_frame_equal(out, expected, by="patient_id" if backend.lazy else None)


#: The flags of :func:`events` with hypertension = {38341003, 59621000} and asthma = {195967001}.
HYPERTENSION_ASTHMA = {"patient_id": [1, 2], "hypertension": [True, True], "asthma": [True, False]}


# ---------------------------------------------------------------------------------- read_codelists


def test_one_opencodelists_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "hypertension.csv",
        'code,term\n38341003,"Hypertensive disorder, systemic arterial (disorder)"\n59621000,Essential hypertension\n',
    )
    assert records(bh.records.read_codelists(path)) == [
        ("hypertension", "38341003", "Hypertensive disorder, systemic arterial (disorder)"),
        ("hypertension", "59621000", "Essential hypertension"),
    ]
    assert records(bh.records.read_codelists(str(path))) == records(bh.records.read_codelists(path))


def test_extra_columns_are_ignored_and_column_names_any_case(tmp_path: Path) -> None:
    path = write(
        tmp_path / "asthma.csv",
        " Code ,TERM,Active,Notes\n195967001,Asthma (disorder),True,x\n266361008,Intrinsic asthma,False,\n",
    )
    assert records(bh.records.read_codelists(path)) == [
        ("asthma", "195967001", "Asthma (disorder)"),
        ("asthma", "266361008", "Intrinsic asthma"),
    ]


def test_codes_stay_text_and_missing_terms_are_empty(tmp_path: Path) -> None:
    # leading zeros stay (Read codes, ICD-10), "NA" is a term not a missing value, no term column is ""
    path = write(tmp_path / "mixed.csv", "code,term\n0123.,\nXaIJm,NA\nI10X,Essential hypertension\n")
    assert records(bh.records.read_codelists(path)) == [
        ("mixed", "0123.", ""),
        ("mixed", "XaIJm", "NA"),
        ("mixed", "I10X", "Essential hypertension"),
    ]
    only_codes = write(tmp_path / "copd.csv", "code\n13645005\n")
    assert records(bh.records.read_codelists(only_codes)) == [("copd", "13645005", "")]


def test_blank_codes_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "af.csv", "code,term\n49436004,Atrial fibrillation\n,no code\n   ,blank\n")
    assert records(bh.records.read_codelists(path)) == [("af", "49436004", "Atrial fibrillation")]


def test_a_csv_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "asthma.csv"
    path.write_bytes("code,term\n195967001,Asthma\n".encode("utf-8-sig"))
    assert records(bh.records.read_codelists(path)) == [("asthma", "195967001", "Asthma")]


def test_condition_argument_names_a_single_file(tmp_path: Path) -> None:
    path = write(tmp_path / "opencodelists-download-2024.csv", "code,term\n49436004,Atrial fibrillation\n")
    table = bh.records.read_codelists(path, condition="atrial_fibrillation")
    assert records(table) == [("atrial_fibrillation", "49436004", "Atrial fibrillation")]
    folder = tmp_path / "one"
    folder.mkdir()
    write(folder / "x.csv", "code\n1\n")
    assert records(bh.records.read_codelists(folder, condition="y")) == [("y", "1", "")]


def test_a_file_with_a_condition_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "several.csv",
        "Condition,code,term\nhypertension,38341003,Hypertension\nasthma,195967001,Asthma\n"
        "hypertension,59621000,Essential hypertension\n",
    )
    assert records(bh.records.read_codelists(path)) == [
        ("hypertension", "38341003", "Hypertension"),
        ("asthma", "195967001", "Asthma"),
        ("hypertension", "59621000", "Essential hypertension"),
    ]


def make_folder(tmp_path: Path) -> Path:
    """A folder of two code lists (written in reverse name order) and a file that is not a CSV."""
    folder = tmp_path / "codelists"
    folder.mkdir()
    write(folder / "hypertension.csv", "code,term\n38341003,Hypertension\n59621000,Essential hypertension\n")
    write(folder / "asthma.csv", "code,term\n195967001,Asthma\n")
    write(folder / "README.txt", "code,term\n13645005,COPD\n")
    return folder


def test_a_folder_of_csv_files_in_name_order(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    expected = [
        ("asthma", "195967001", "Asthma"),
        ("hypertension", "38341003", "Hypertension"),
        ("hypertension", "59621000", "Essential hypertension"),
    ]
    table = bh.records.read_codelists(folder)
    assert records(table) == expected
    assert table.index.tolist() == [0, 1, 2]
    assert records(bh.records.read_codelists(str(folder))) == expected


def test_a_list_of_paths_in_list_order(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    expected = [
        ("hypertension", "38341003", "Hypertension"),
        ("hypertension", "59621000", "Essential hypertension"),
        ("asthma", "195967001", "Asthma"),
    ]
    paths = [folder / "hypertension.csv", str(folder / "asthma.csv")]
    assert records(bh.records.read_codelists(paths)) == expected
    assert records(bh.records.read_codelists(tuple(paths))) == expected


def test_a_list_holding_a_folder_and_a_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    extra = write(tmp_path / "copd.csv", "code,term\n13645005,COPD\n")
    table = bh.records.read_codelists([extra, folder])
    assert table["condition"].tolist() == ["copd", "asthma", "hypertension", "hypertension"]
    assert table["code"].tolist() == ["13645005", "195967001", "38341003", "59621000"]


def test_condition_argument_with_several_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    with pytest.raises(InputError, match=r"^condition: names one list, but 2 files were given"):
        bh.records.read_codelists(folder, condition="hypertension")
    with pytest.raises(InputError, match=r"^condition: names one list, but 2 files were given"):
        bh.records.read_codelists([folder / "asthma.csv", folder / "hypertension.csv"], condition="x")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no_such_list.csv"
    with pytest.raises(DataFileError, match=r"^source: no code-list file at .*no_such_list\.csv") as info:
        bh.records.read_codelists(path)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.filename == str(path)
    assert info.value.errno == errno.ENOENT


def test_missing_file_in_a_list(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    with pytest.raises(DataFileError, match=r"^source: no code-list file at .*copd\.csv"):
        bh.records.read_codelists([folder / "asthma.csv", folder / "copd.csv"])


def test_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    write(folder / "notes.txt", "code\n1\n")
    with pytest.raises(DataFileError, match=r"^source: the folder .*empty holds no code-list CSV file") as info:
        bh.records.read_codelists(folder)
    assert info.value.filename == str(folder)
    assert info.value.errno == errno.ENOENT


def test_empty_list() -> None:
    with pytest.raises(InputError, match=r"^source: no code-list files were given"):
        bh.records.read_codelists([])


def test_unknown_layout_names_the_columns(tmp_path: Path) -> None:
    # a dm+d download of OpenCodelists has no code column
    path = write(tmp_path / "statins.csv", "dmd_type,dmd_id,dmd_name\nVMP,319996000,Simvastatin 20mg tablets\n")
    with pytest.raises(SchemaError, match=r"^source: statins\.csv has columns 'dmd_type', 'dmd_id', 'dmd_name'"):
        bh.records.read_codelists(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(SchemaError, match=r"^source: .*empty\.csv is not a readable CSV code list"):
        bh.records.read_codelists(path)


def test_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00c\x00o\x00d\x00e\x00\n\x001")
    with pytest.raises(SchemaError, match=r"^source: .*binary\.csv is not a readable CSV code list"):
        bh.records.read_codelists(path)


def test_file_without_codes(tmp_path: Path) -> None:
    path = write(tmp_path / "nothing.csv", "code,term\n,blank\n")
    with pytest.raises(InputError, match=r"^source: nothing\.csv holds no codes"):
        bh.records.read_codelists(path)


# ------------------------------------------------------------------------------- starter_codelists


def test_starter_lists_are_the_score_coded_conditions() -> None:
    table = bh.records.starter_codelists()
    assert list(table.columns) == ["condition", "code", "term", "coding_system"]
    conditions = set(table["condition"])
    assert len(conditions) == 18
    weights = bh.segmentation.CMS_GENERAL_WEIGHTS
    assert conditions <= set(weights)
    # the two conditions the score defines by prescriptions have no list, and are the only ones missing
    assert "constipation" not in conditions
    assert "painful_condition" not in conditions
    assert set(weights) - conditions == {"constipation", "painful_condition"}


def test_starter_codes_are_snomed_ids_without_duplicates() -> None:
    table = bh.records.starter_codelists()
    codes = table["code"].tolist()
    assert all(re.fullmatch(r"[1-9][0-9]{5,17}", code) for code in codes), codes
    assert len(codes) == len(set(codes))  # no code twice, neither in one list nor in two
    assert (table["coding_system"] == "snomedct").all()
    assert (table["term"].str.strip() != "").all()
    assert table["condition"].value_counts().between(1, 5).all()  # one to five concepts per condition


def test_starter_lists_hold_known_concepts() -> None:
    table = bh.records.starter_codelists()
    by_condition = table.groupby("condition")["code"].apply(set).to_dict()
    assert by_condition["epilepsy"] == {"84757009"}
    assert by_condition["hypertension"] == {"38341003", "59621000"}
    assert by_condition["asthma"] == {"195967001"}
    assert by_condition["atrial_fibrillation"] == {"49436004"}
    assert by_condition["copd"] == {"13645005"}
    term = table.loc[table["code"] == "84757009", "term"].tolist()
    assert term == ["Epilepsy (disorder)"]


def test_starter_lists_are_a_fresh_table_each_time() -> None:
    first = bh.records.starter_codelists()
    first.loc[0, "code"] = "changed"
    del first["term"]  # the caller may change their copy
    second = bh.records.starter_codelists()
    assert "changed" not in second["code"].tolist()
    assert "term" in second.columns


def test_starter_lists_flag_events() -> None:
    out = bh.records.condition_flags(events(), bh.records.starter_codelists(), dates=False)
    assert out["patient_id"].tolist() == [1, 2, 3]
    assert out["hypertension"].tolist() == [True, True, False]
    assert out["asthma"].tolist() == [True, False, False]
    assert out["copd"].tolist() == [False, False, True]
    assert not out["epilepsy"].any()
    assert len(out.columns) == 19


# ------------------------------------------------------------- every form of code list, in flags


def test_dict_of_lists() -> None:
    lists = {"hypertension": [HYPERTENSION, ESSENTIAL_HYPERTENSION], "asthma": [ASTHMA]}
    assert flags(lists) == HYPERTENSION_ASTHMA


@pytest.mark.parametrize(
    "codes",
    [
        {HYPERTENSION, ESSENTIAL_HYPERTENSION},
        (HYPERTENSION, ESSENTIAL_HYPERTENSION),
        pd.Series([HYPERTENSION, ESSENTIAL_HYPERTENSION]),
        np.array([38341003, 59621000]),
        [38341003, 59621000.0],
        [HYPERTENSION, None, ESSENTIAL_HYPERTENSION, " "],  # missing and blank codes are ignored
    ],
    ids=["set", "tuple", "series", "numpy", "numbers", "blanks"],
)
def test_dict_of_other_collections(codes: Any) -> None:
    assert flags({"hypertension": codes, "asthma": [ASTHMA]}) == HYPERTENSION_ASTHMA


def test_table_with_coding_system(backend: Backend) -> None:
    """A code-list table of each kind of frame, with SNOMED CT and ICD-10 rows; the events have two code
    columns, so that their ICD-10 codes would match if the ICD-10 rows were not left out."""
    table = pd.DataFrame(
        {
            "condition": ["hypertension", "hypertension", "asthma", "hypertension", "af"],
            "coding_system": ["snomedct", "snomedct", "snomedct", "icd10", "icd10"],
            "code": [HYPERTENSION, ESSENTIAL_HYPERTENSION, ASTHMA, "I10X", "I48"],
            "term": ["Hypertension", "Essential hypertension", "Asthma", "Essential hypertension", "AF"],
        }
    )
    coded = pd.DataFrame(
        {
            "patient_id": [1, 2, 3, 4],
            "snomed": [HYPERTENSION, None, None, ASTHMA],
            "icd10": [None, "I10X", "I48", None],
            "date": pd.to_datetime(["2018-01-01", "2018-02-02", "2018-03-03", "2018-04-04"]),
        }
    )
    out = bh.records.condition_flags(
        backend(coded), backend(table), code=["snomed", "icd10"], coding_system="snomedct", dates=False
    )
    expected = pd.DataFrame({"patient_id": [1, 4], "hypertension": [True, False], "asthma": [False, True]})
    assert_matches(backend, out, expected)
    out = bh.records.condition_flags(
        backend(coded), backend(table), code=["snomed", "icd10"], coding_system="icd10", match="prefix", dates=False
    )
    expected = pd.DataFrame({"patient_id": [2, 3], "hypertension": [True, False], "af": [False, True]})
    assert_matches(backend, out, expected)


def test_table_without_coding_system_uses_every_row() -> None:
    table = pd.DataFrame(
        {
            "condition": ["hypertension", "asthma", "hypertension"],
            "code": [HYPERTENSION, ASTHMA, 59621000],  # a number among the text
            "coding_system": ["snomedct", "snomedct", "other"],
        }
    )
    assert flags(table) == HYPERTENSION_ASTHMA
    assert flags(table[["condition", "code"]]) == HYPERTENSION_ASTHMA


def test_table_with_numeric_codes() -> None:
    table = pd.DataFrame(
        {"condition": ["hypertension", "hypertension", "asthma"], "code": [38341003, 59621000, 195967001]}
    )
    assert flags(table) == HYPERTENSION_ASTHMA
    assert flags(table.astype({"code": float})) == HYPERTENSION_ASTHMA


def test_table_with_categorical_columns() -> None:
    table = pd.DataFrame(
        {
            "condition": pd.Categorical(["hypertension", "hypertension", "asthma"]),
            "code": pd.Categorical([HYPERTENSION, ESSENTIAL_HYPERTENSION, ASTHMA]),
        }
    )
    assert flags(table) == HYPERTENSION_ASTHMA


def test_table_of_another_kind_of_frame() -> None:
    table = pd.DataFrame(
        {
            "condition": ["hypertension", "hypertension", "asthma"],
            "code": [HYPERTENSION, ESSENTIAL_HYPERTENSION, ASTHMA],
        }
    )
    for kind in ("polars", "polars-lazy", "pyarrow", "duckdb"):
        assert flags(to_backend(table, kind)) == HYPERTENSION_ASTHMA, kind


def test_a_csv_file(tmp_path: Path) -> None:
    path = write(tmp_path / "hypertension.csv", "code,term\n38341003,Hypertension\n59621000,Essential\n")
    expected = {"patient_id": [1, 2], "hypertension": [True, True]}
    assert flags(path) == expected
    assert flags(str(path)) == expected


def test_a_folder_of_csv_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    # conditions in file name order: asthma.csv before hypertension.csv (the README's COPD is not read)
    expected = {"patient_id": [1, 2], "asthma": [True, False], "hypertension": [True, True]}
    assert flags(folder) == expected
    assert flags(str(folder)) == expected


def test_a_list_of_csv_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    expected = HYPERTENSION_ASTHMA
    assert flags([folder / "hypertension.csv", folder / "asthma.csv"]) == expected
    assert flags([str(folder / "hypertension.csv"), str(folder / "asthma.csv")]) == expected
    assert flags((folder / "hypertension.csv", folder / "asthma.csv")) == expected


def test_the_table_read_from_csv_files(tmp_path: Path) -> None:
    table = bh.records.read_codelists(make_folder(tmp_path))
    assert flags(table) == {"patient_id": [1, 2], "asthma": [True, False], "hypertension": [True, True]}


def test_prefix_codes_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path / "af.csv", "code,term\nI48,Atrial fibrillation and flutter\n")
    admissions = pd.DataFrame(
        {
            "patient_id": [1, 2, 3],
            "diag_01": ["I48.9", "I10X", "I480"],
            "date": pd.to_datetime(["2018-01-01", "2018-01-02", "2018-01-03"]),
        }
    )
    out = bh.records.condition_flags(admissions, path, code="diag_01", match="prefix")
    expected = pd.DataFrame(
        {"patient_id": [1, 3], "af": [True, True], "af_first_date": pd.to_datetime(["2018-01-01", "2018-01-03"])}
    )
    assert_indicator_frame_equal(out, expected)


def test_the_forms_give_the_same_result_on_every_backend(backend: Backend, tmp_path: Path) -> None:
    """A dict, a table and a folder of the same lists; two code columns and two conditions."""
    folder = tmp_path / "lists"
    folder.mkdir()
    write(folder / "asthma.csv", "code,term\n195967001,Asthma\n")
    write(folder / "hypertension.csv", "code,term\n38341003,Hypertension\n59621000,Essential\n")
    coded = pd.DataFrame(
        {
            "patient_id": [1, 2, 1, 3],
            "code_a": [HYPERTENSION, None, WEIGHT, COPD],
            "code_b": [None, ESSENTIAL_HYPERTENSION, ASTHMA, None],
            "date": pd.to_datetime(["2016-05-01", "2017-02-02", "2018-07-09", "2015-01-01"]),
        }
    )
    expected = pd.DataFrame(
        {
            "patient_id": [1, 2],
            "asthma": [True, False],
            "asthma_first_date": pd.to_datetime(["2018-07-09", None]),
            "hypertension": [True, True],
            "hypertension_first_date": pd.to_datetime(["2016-05-01", "2017-02-02"]),
        }
    )
    lists = {"asthma": [ASTHMA], "hypertension": [HYPERTENSION, ESSENTIAL_HYPERTENSION]}
    for codelists in (
        lists,
        bh.records.read_codelists(folder),
        folder,
        [folder / "asthma.csv", folder / "hypertension.csv"],
    ):
        out = bh.records.condition_flags(backend(coded), codelists, code=["code_a", "code_b"])
        assert_matches(backend, out, expected)


# ------------------------------------------------------------------------------ bad code lists


def test_unknown_code_list_format(tmp_path: Path) -> None:
    path = write(tmp_path / "hypertension.csv", "snomed_id,description\n38341003,Hypertension\n")
    with pytest.raises(SchemaError, match=r"^source: hypertension\.csv has columns 'snomed_id', 'description'"):
        flags(path)


def test_missing_code_list_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"^source: no code-list file at .*asthma\.csv"):
        flags(tmp_path / "asthma.csv")
    with pytest.raises(DataFileError, match=r"^source: no code-list file at .*asthma\.csv"):
        flags(str(tmp_path / "asthma.csv"))


def test_empty_code_list_folder(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"^source: the folder .* holds no code-list CSV file"):
        flags(tmp_path)


def test_empty_list_of_code_lists() -> None:
    with pytest.raises(InputError, match=r"^codelists: expected a dict of condition -> codes"):
        flags([])


@pytest.mark.parametrize("codelists", [42, None, 3.5, [1, 2]], ids=["int", "none", "float", "list-of-numbers"])
def test_code_lists_of_an_unknown_kind(codelists: Any) -> None:
    with pytest.raises(InputError, match=r"^codelists: expected a dict of condition -> codes, a table") as info:
        flags(codelists)
    assert type(codelists).__qualname__ in str(info.value)


def test_empty_dict() -> None:
    with pytest.raises(InputError, match=r"^codelists: no codes for any condition"):
        flags({})


@pytest.mark.parametrize("codes", [[], [None], ["", "  "], [float("nan")]], ids=["empty", "none", "blank", "nan"])
def test_a_condition_without_codes(codes: list[Any]) -> None:
    with pytest.raises(InputError, match=r"^codelists: no codes for 'asthma'$"):
        flags({"hypertension": [HYPERTENSION], "asthma": codes})


@pytest.mark.parametrize("codes", [ASTHMA, 195967001])
def test_codes_that_are_not_a_list(codes: Any) -> None:
    with pytest.raises(InputError, match=r"^codelists: the codes of 'asthma' must be a list of codes"):
        flags({"asthma": codes})


@pytest.mark.parametrize("name", [1, "", None, ("a", "b")])
def test_condition_names_that_are_not_text(name: Any) -> None:
    with pytest.raises(InputError, match=r"^codelists: condition names must be non-empty text"):
        flags({name: [ASTHMA]})


@pytest.mark.parametrize("missing", ["code", "condition"])
def test_table_without_a_column(missing: str) -> None:
    table = pd.DataFrame({"condition": ["asthma"], "code": [ASTHMA], "term": ["Asthma"]}).drop(columns=missing)
    with pytest.raises(SchemaError, match=rf"^codelists: the table has no column '{missing}'"):
        flags(table)


def test_coding_system_without_its_column() -> None:
    table = pd.DataFrame({"condition": ["asthma"], "code": [ASTHMA]})
    with pytest.raises(SchemaError, match=r"^coding_system: the code-list table has no 'coding_system' column"):
        flags(table, coding_system="snomedct")


def test_coding_system_not_in_the_table() -> None:
    table = pd.DataFrame(
        {"condition": ["asthma", "copd"], "code": [ASTHMA, "J449"], "coding_system": ["snomedct", "icd10"]}
    )
    with pytest.raises(
        InputError, match=r"^coding_system: 'read2' is not in the code lists, which hold 'icd10', 'snomedct'"
    ):
        flags(table, coding_system="read2")


@pytest.mark.parametrize("name", [None, "", "  "])
def test_table_with_a_missing_condition_name(name: Any) -> None:
    table = pd.DataFrame({"condition": ["asthma", name], "code": [ASTHMA, COPD]})
    with pytest.raises(InputError, match=r"^codelists: the condition column has missing names"):
        flags(table)


def test_table_condition_without_codes() -> None:
    table = pd.DataFrame({"condition": ["asthma", "copd"], "code": [ASTHMA, None]})
    with pytest.raises(InputError, match=r"^codelists: no codes for 'copd'$"):
        flags(table)
