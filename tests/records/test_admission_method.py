"""Admission-method groups: ``bh.records.admission_methods()`` and ``bh.records.classify_admission_method()``.

Every code of the NHS Data Dictionary's "ADMISSION METHOD" is checked against its group, with the codes
just outside each group (10, 14, 20, 26, 30, 33, 80, 84, ...) on the other side of the boundary; then the
spellings of one code (numbers, text, spaces, lower case), missing codes, both ``nel_definition``s, the
errors, and the same values on every backend. Expected groups are written out by hand from the table in
the function's docstring, never computed with the code under test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import InputError, SchemaError
from tests.helpers import Backend, to_backend, to_pandas

GROUP_ORDER = ["elective", "emergency", "maternity", "other", "unknown"]

#: Every listed code and its group, written out from the NHS Data Dictionary (not from the package).
LISTED = {
    "11": "elective",
    "12": "elective",
    "13": "elective",
    "21": "emergency",
    "22": "emergency",
    "23": "emergency",
    "24": "emergency",
    "25": "emergency",
    "28": "emergency",
    "2A": "emergency",
    "2B": "emergency",
    "2C": "emergency",
    "2D": "emergency",
    "31": "maternity",
    "32": "maternity",
    "81": "other",
    "82": "other",
    "83": "other",
    "98": "unknown",
    "99": "unknown",
}

#: Codes next to the listed ones that are not codes: each group's boundary from outside.
NOT_CODES = ["10", "14", "20", "26", "27", "29", "2E", "2", "30", "33", "80", "84", "97", "00", "1", "X", ""]


def classify(codes: list[Any]) -> list[str]:
    """The groups of a list of codes, as plain text."""
    return [str(g) for g in bh.records.classify_admission_method(codes).tolist()]


# ------------------------------------------------------------------------------------ the code table


def test_admission_methods_lists_every_code_with_its_group() -> None:
    table = bh.records.admission_methods()
    assert list(table.columns) == ["code", "group", "meaning"]
    # in code order: the 20 codes of LISTED (dicts keep insertion order, written in code order)
    assert table["code"].tolist() == list(LISTED)
    assert dict(zip(table["code"], table["group"], strict=True)) == LISTED
    # 3 elective + 10 emergency + 2 maternity + 3 other + 2 unknown = 20 codes
    assert table.groupby("group").size().to_dict() == {
        "elective": 3,
        "emergency": 10,
        "maternity": 2,
        "other": 3,
        "unknown": 2,
    }
    assert table["meaning"].str.len().min() > 0
    assert table.loc[table["code"] == "21", "meaning"].item().startswith("Emergency Care Department")
    assert table.loc[table["code"] == "99", "meaning"].item().startswith("Not known")


def test_admission_methods_is_a_new_table_each_time() -> None:
    first = bh.records.admission_methods()
    first.loc[0, "group"] = "changed"
    assert bh.records.admission_methods().loc[0, "group"] == "elective"


# --------------------------------------------------------------------------------- codes to groups


@pytest.mark.parametrize(("code", "group"), sorted(LISTED.items()))
def test_every_listed_code_as_text(code: str, group: str) -> None:
    assert classify([code]) == [group]


@pytest.mark.parametrize("code", NOT_CODES)
def test_codes_outside_the_list_are_unknown(code: str) -> None:
    assert classify([code]) == ["unknown"]


@pytest.mark.parametrize(
    ("code", "group"),
    [
        (11, "elective"),
        (13, "elective"),
        (10, "unknown"),  # just below the elective codes
        (14, "unknown"),  # just above them
        (21, "emergency"),
        (28, "emergency"),
        (29, "unknown"),
        (31, "maternity"),
        (32, "maternity"),
        (33, "unknown"),
        (81, "other"),
        (83, "other"),
        (84, "unknown"),
        (98, "unknown"),
        (99, "unknown"),
    ],
)
def test_numeric_codes(code: int, group: str) -> None:
    # an int, a whole float and numpy scalars are the same code as its text
    assert classify([code, float(code), np.int64(code), np.float64(code)]) == [group] * 4


def test_spellings_of_one_code_are_the_same_code() -> None:
    codes = [11, 11.0, "11", " 11 ", "11 ", "\t11", "2a", "2A", " 2d ", "2b", "2c"]
    expected = ["elective"] * 4 + ["elective"] * 2 + ["emergency"] * 5
    assert classify(codes) == expected


def test_non_whole_numbers_are_not_codes() -> None:
    # 11.5 is not 11 and 21.9 is not 21: neither is a listed code
    assert classify([11.5, 21.9]) == ["unknown", "unknown"]


def test_missing_codes_are_unknown() -> None:
    assert classify([None, np.nan, float("nan"), pd.NA, "21"]) == ["unknown"] * 4 + ["emergency"]


def test_codes_result_is_a_categorical_series_of_the_five_groups() -> None:
    out = bh.records.classify_admission_method(["31", "11"])
    assert isinstance(out, pd.Series)
    assert out.name == "admission_group"
    assert list(out.cat.categories) == GROUP_ORDER
    assert out.index.tolist() == [0, 1]
    assert out.tolist() == ["maternity", "elective"]


def test_codes_in_a_series_keep_its_index() -> None:
    codes = pd.Series(["82", "22", None], index=[10, 20, 5])
    out = bh.records.classify_admission_method(codes)
    assert out.index.tolist() == [10, 20, 5]
    assert out.to_dict() == {10: "other", 20: "emergency", 5: "unknown"}


def test_codes_in_a_numpy_array() -> None:
    out = bh.records.classify_admission_method(np.array([12, 24, 32, 99]))
    assert out.tolist() == ["elective", "emergency", "maternity", "unknown"]


def test_empty_sequence_gives_an_empty_series() -> None:
    out = bh.records.classify_admission_method([])
    assert len(out) == 0
    assert list(out.cat.categories) == GROUP_ORDER


@pytest.mark.parametrize("codes", ["11", 11, 11.0])
def test_a_single_code_is_not_a_sequence(codes: Any) -> None:
    with pytest.raises(SchemaError, match=r"codes: expected a table or a sequence of codes, got (str|int|float)"):
        bh.records.classify_admission_method(codes)


# ------------------------------------------------------------------------------------------ tables


def test_table_gains_group_and_non_elective_columns() -> None:
    data = pd.DataFrame(
        {
            "spell_id": [1, 2, 3, 4, 5, 6, 7, 8],
            "admission_method": ["11", "21", "2d", "31", "32", "81", "99", None],
        }
    )
    out = bh.records.classify_admission_method(data)
    assert list(out.columns) == ["spell_id", "admission_method", "admission_group", "non_elective"]
    assert out["spell_id"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert out["admission_method"].tolist()[:7] == ["11", "21", "2d", "31", "32", "81", "99"]
    assert out["admission_group"].tolist() == [
        "elective",
        "emergency",
        "emergency",
        "maternity",
        "maternity",
        "other",
        "unknown",
        "unknown",
    ]
    # default nel_definition="emergency": only the two emergency codes (21 and 2d) are non-elective
    assert out["non_elective"].tolist() == [False, True, True, False, False, False, False, False]
    # the caller's frame is not modified
    assert list(data.columns) == ["spell_id", "admission_method"]


#: One code of each kind, with whether it is non-elective under each definition (worked out by hand:
#: "emergency" = codes starting 2; "not elective" = emergency, maternity and other groups).
NEL_CASES = [
    # code, group, emergency?, not elective?
    ("11", "elective", False, False),
    ("12", "elective", False, False),
    ("13", "elective", False, False),
    ("14", "unknown", False, False),
    ("21", "emergency", True, True),
    ("2B", "emergency", True, True),
    ("31", "maternity", False, True),
    ("32", "maternity", False, True),
    ("81", "other", False, True),
    ("82", "other", False, True),
    ("83", "other", False, True),
    ("98", "unknown", False, False),
    ("99", "unknown", False, False),
    (None, "unknown", False, False),
]


@pytest.mark.parametrize("definition", ["emergency", "not elective"])
def test_nel_definitions(definition: str) -> None:
    data = pd.DataFrame({"admission_method": [code for code, *_ in NEL_CASES]})
    out = bh.records.classify_admission_method(data, nel_definition=definition)
    assert out["admission_group"].tolist() == [group for _, group, _, _ in NEL_CASES]
    column = 2 if definition == "emergency" else 3
    assert out["non_elective"].tolist() == [case[column] for case in NEL_CASES]


def test_maternity_and_other_differ_between_the_definitions() -> None:
    data = pd.DataFrame({"admission_method": ["31", "82", "21", "11"]})
    emergency = bh.records.classify_admission_method(data, nel_definition="emergency")
    not_elective = bh.records.classify_admission_method(data, nel_definition="not elective")
    assert emergency["non_elective"].tolist() == [False, False, True, False]
    assert not_elective["non_elective"].tolist() == [True, True, True, False]


def test_integer_code_column() -> None:
    data = pd.DataFrame({"admission_method": [10, 11, 13, 14, 21, 28, 31, 33, 81, 83, 84, 98]})
    out = bh.records.classify_admission_method(data)
    assert out["admission_group"].tolist() == [
        "unknown",  # 10
        "elective",  # 11
        "elective",  # 13
        "unknown",  # 14
        "emergency",  # 21
        "emergency",  # 28
        "maternity",  # 31
        "unknown",  # 33
        "other",  # 81
        "other",  # 83
        "unknown",  # 84
        "unknown",  # 98
    ]


def test_float_code_column_with_missing_codes() -> None:
    # pandas stores whole-number codes with a gap as floats: 11.0, NaN, 21.0
    data = pd.DataFrame({"admission_method": [11.0, np.nan, 21.0, 32.0]})
    out = bh.records.classify_admission_method(data)
    assert out["admission_group"].tolist() == ["elective", "unknown", "emergency", "maternity"]
    assert out["non_elective"].tolist() == [False, False, True, False]


@pytest.mark.parametrize("name", ["pandas", "polars", "pyarrow"])
def test_non_whole_numbers_in_a_table_are_not_codes(name: str) -> None:
    # 11.5 is not code 11 and 31.5 is not 31, as for codes given as a list
    data = pd.DataFrame({"admission_method": [11.5, 31.5, 21.0]})
    out = to_pandas(bh.records.classify_admission_method(to_backend(data, name)))
    assert out["admission_group"].tolist() == ["unknown", "unknown", "emergency"]


def test_text_codes_with_spaces_and_lower_case_in_a_table() -> None:
    data = pd.DataFrame({"admission_method": [" 11 ", "2a", "2c ", " 82", "ab"]})
    out = bh.records.classify_admission_method(data)
    assert out["admission_group"].tolist() == ["elective", "emergency", "emergency", "other", "unknown"]


def test_categorical_code_column() -> None:
    data = pd.DataFrame({"admission_method": pd.Categorical(["21", "12", "2a", None, "31"])})
    out = bh.records.classify_admission_method(data, nel_definition="not elective")
    assert out["admission_group"].tolist() == ["emergency", "elective", "emergency", "unknown", "maternity"]
    assert out["non_elective"].tolist() == [True, False, True, False, True]


def test_custom_column_names() -> None:
    data = pd.DataFrame({"admimeth": ["22", "13"]})
    out = bh.records.classify_admission_method(data, "admimeth", group="grp", non_elective="nel")
    assert list(out.columns) == ["admimeth", "grp", "nel"]
    assert out["grp"].tolist() == ["emergency", "elective"]
    assert out["nel"].tolist() == [True, False]


def test_pandas_table_keeps_its_index() -> None:
    data = pd.DataFrame({"admission_method": ["11", "21"]}, index=[7, 3])
    out = bh.records.classify_admission_method(data)
    assert out.index.tolist() == [7, 3]
    assert out["admission_group"].to_dict() == {7: "elective", 3: "emergency"}


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("definition", ["nel", "Emergency", "non-elective", "", None, 1])
def test_unknown_nel_definition_raises_naming_the_argument(definition: Any) -> None:
    data = pd.DataFrame({"admission_method": ["11"]})
    with pytest.raises(InputError, match=r"^nel_definition: expected one of 'emergency', 'not elective', got "):
        bh.records.classify_admission_method(data, nel_definition=definition)
    with pytest.raises(InputError, match=r"^nel_definition: "):
        bh.records.classify_admission_method(["11"], nel_definition=definition)


def test_missing_code_column_raises_naming_it() -> None:
    data = pd.DataFrame({"admimeth": ["11"], "spell_id": [1]})
    with pytest.raises(
        SchemaError, match=r"column not found: column='admission_method'\. The data has columns 'admimeth'"
    ):
        bh.records.classify_admission_method(data)
    with pytest.raises(SchemaError, match=r"column not found: column='method'"):
        bh.records.classify_admission_method(data, "method")


@pytest.mark.parametrize(
    ("existing", "kwargs"),
    [
        ("admission_group", {}),
        ("non_elective", {}),
        ("grp", {"group": "grp"}),
        ("admission_method", {"non_elective": "admission_method"}),
    ],
)
def test_added_columns_may_not_overwrite_existing_ones(existing: str, kwargs: dict[str, str]) -> None:
    data = pd.DataFrame({"admission_method": ["11"], existing: ["x"]})
    with pytest.raises(SchemaError, match=rf"codes: columns \['{existing}'\] would be overwritten"):
        bh.records.classify_admission_method(data, **kwargs)


# ---------------------------------------------------------------------------------------- backends


def test_same_groups_on_every_backend(backend: Backend) -> None:
    data = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "admission_method": ["11", " 13 ", "14", "2a", "2D", "32", "83", "99", None],
        }
    )
    expected = data.assign(
        admission_group=[
            "elective",
            "elective",
            "unknown",
            "emergency",
            "emergency",
            "maternity",
            "other",
            "unknown",
            "unknown",
        ],
        # "not elective": emergency, maternity and other
        non_elective=[False, False, False, True, True, True, True, False, False],
    )
    out = bh.records.classify_admission_method(backend(data), nel_definition="not elective")
    backend.assert_matches(out, expected, by="id")


def test_same_groups_from_integer_codes_on_every_backend(backend: Backend) -> None:
    data = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "admission_method": [12, 14, 25, 31, 82, 98]})
    expected = data.assign(
        admission_group=["elective", "unknown", "emergency", "maternity", "other", "unknown"],
        # "emergency": only 25
        non_elective=[False, False, True, False, False, False],
    )
    out = bh.records.classify_admission_method(backend(data))
    backend.assert_matches(out, expected, by="id")


# ------------------------------------------------------------------------------------ synthetic data


def test_synthetic_admissions_groups_match_their_codes() -> None:
    episodes = bh.datasets.synthetic_blmk(scale=0.02).admissions
    out = bh.records.classify_admission_method(episodes, nel_definition="emergency")
    assert len(out) == len(episodes)
    codes = episodes["admission_method"].astype(str).str.strip().str.upper()
    # counted independently from the codes themselves
    is_emergency = codes.str.startswith("2")
    assert (out["admission_group"] == "emergency").sum() == is_emergency.sum() > 0
    assert (out["admission_group"] == "elective").sum() == codes.isin(["11", "12", "13"]).sum() > 0
    assert (out["admission_group"] == "maternity").sum() == codes.isin(["31", "32"]).sum()
    assert (out["admission_group"] == "other").sum() == codes.isin(["81", "82", "83"]).sum()
    assert out["non_elective"].tolist() == is_emergency.tolist()
