"""Emergency admissions, bed days, chronic ACSC admissions and readmissions on hand-built spell tables.

Every expected figure is worked out here from the definitions (ESP2013 weights, exact Poisson and Byars
limits from scipy's chi-square, Wilson's score interval), not taken from the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError

#: ESP2013 weights of the 19 five-year bands 0-4, ..., 85-89, 90+ (Eurostat 2013).
ESP = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
BANDS = [f"{5 * i}_{5 * i + 4}" for i in range(18)] + ["90+"]


def population(practices: dict[str, int], **by: dict[str, str]) -> pd.DataFrame:
    """``n`` people in each of the 38 sex x age-band cells of each practice (NHS England's layout)."""
    rows = [
        {"practice_code": p, "sex": sex, "age_group_5": band, "number_of_patients": n}
        for p, n in practices.items()
        for sex in ("MALE", "FEMALE")
        for band in BANDS
    ]
    table = pd.DataFrame(rows)
    for column, mapping in by.items():
        table[column] = table["practice_code"].map(mapping)
    return table


def spells(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """Spells from (practice, age, sex, admission date, method[, bed days, diagnosis])."""
    records = []
    for i, row in enumerate(rows, start=1):
        practice, age, sex, date, method, *rest = row
        days = rest[0] if rest else 1
        records.append(
            {
                "spell_id": i,
                "patient_id": 1000 + i,
                "practice_code": practice,
                "lsoa_code": f"L{practice}",
                "age": age,
                "sex": sex,
                "admission_date": pd.Timestamp(date),
                "discharge_date": pd.Timestamp(date) + pd.Timedelta(days=days),
                "admission_method": method,
                "bed_days": days,
                "same_day": days == 0,
                "diag_01": rest[1] if len(rest) > 1 else "R69X",
            }
        )
    return pd.DataFrame(records)


def exact_lower(x: float) -> float:
    return float(stats.chi2.ppf(0.025, 2 * x) / 2) if x > 0 else 0.0


def exact_upper(x: float) -> float:
    return float(stats.chi2.ppf(0.975, 2 * x + 2) / 2)


def byars(x: float, sign: int) -> float:
    z = stats.norm.ppf(0.975)
    if sign < 0:
        return x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    return (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3


# --- counts and crude rates ---------------------------------------------------------------------------


def test_crude_rate_counts_emergency_spells_only_with_exact_limits_below_10() -> None:
    data = spells(
        [
            ("P1", 30, "Male", "2019-01-01", "21", 3),
            ("P1", 40, "Female", "2019-01-02", "2A", 0),  # same day
            ("P1", 50, "Female", "2019-01-03", "2D", 5),
            ("P1", 50, "Female", "2019-01-03", "11", 9),  # elective: not counted
            ("P1", 50, "Female", "2019-01-03", "31", 9),  # maternity: not emergency
            ("P1", 50, "Female", "2019-01-03", "99", 9),  # not known: counted apart
            ("P1", 50, "Female", "2019-01-03", None, 9),  # missing: counted apart
        ]
    )
    out = bh.indicators.emergency_admissions(data, population({"P1": 10}), standardise=None)
    row = out.iloc[0]
    # 3 emergency spells among 38 x 10 = 380 people: 3 / 380 x 1000.
    assert (row["spells"], row["population"], row["unknown_method"]) == (3, 380, 2)
    assert (row["bed_days"], row["same_day_spells"]) == (8, 1)
    assert row["value"] == pytest.approx(3 / 380 * 1000)
    assert row["lowercl"] == pytest.approx(exact_lower(3) / 380 * 1000)
    assert row["uppercl"] == pytest.approx(exact_upper(3) / 380 * 1000)
    assert row["method"] == "Exact"
    assert row["bed_days_value"] == pytest.approx(8 / 380 * 1000)


def test_crude_limits_switch_to_byars_at_10_spells() -> None:
    nine = spells([("P1", 30, "Male", "2019-01-01", "21")] * 9)
    ten = spells([("P1", 30, "Male", "2019-01-01", "21")] * 10)
    pop = population({"P1": 100})
    out9 = bh.indicators.emergency_admissions(nine, pop, standardise=None).iloc[0]
    out10 = bh.indicators.emergency_admissions(ten, pop, standardise=None).iloc[0]
    assert out9["method"] == "Exact"
    assert out9["lowercl"] == pytest.approx(exact_lower(9) / 3800 * 1000)
    assert out10["method"] == "Byars"
    assert out10["lowercl"] == pytest.approx(byars(10, -1) / 3800 * 1000)
    assert out10["uppercl"] == pytest.approx(byars(10, +1) / 3800 * 1000)


def test_not_elective_definition_adds_maternity_and_other_admissions() -> None:
    data = spells(
        [
            ("P1", 30, "Female", "2019-01-01", "21"),
            ("P1", 30, "Female", "2019-01-01", "31"),
            ("P1", 30, "Female", "2019-01-01", "32"),
            ("P1", 0, "Male", "2019-01-01", "82"),
            ("P1", 30, "Female", "2019-01-01", "12"),
        ]
    )
    pop = population({"P1": 10})
    emergency = bh.indicators.emergency_admissions(data, pop, standardise=None)
    not_elective = bh.indicators.emergency_admissions(data, pop, standardise=None, nel_definition="not elective")
    assert emergency["spells"].tolist() == [1]
    assert not_elective["spells"].tolist() == [4]
    assert not_elective["statistic"].iloc[0].startswith("non-elective spells per 1000")


def test_unattributed_spells_are_counted_in_their_own_row() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21"), ("P9", 30, "Male", "2019-01-01", "21", 4)])
    out = bh.indicators.emergency_admissions(data, population({"P1": 10}), by="practice_code", standardise=None)
    assert out["practice_code"].iloc[0] == "P1"
    assert out["spells"].tolist() == [1, 1]
    last = out.iloc[-1]
    assert pd.isna(last["practice_code"])
    assert last["bed_days"] == 4
    assert np.isnan(last["value"])
    assert last["statistic"] == "unattributed: practice_code not in the population (P9)"


def test_residence_attribution_uses_the_lsoa_and_resident_population() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21"), ("P2", 30, "Male", "2019-01-01", "21")])
    residents = population({"LP1": 5}).rename(
        columns={"practice_code": "lsoa_code", "age_group_5": "age_band", "number_of_patients": "population"}
    )
    out = bh.indicators.emergency_admissions(data, residents, by="lsoa_code", standardise=None, attribution="residence")
    # LP1: 1 spell among 190 residents; LP2 is not in the resident table.
    assert out["spells"].tolist() == [1, 1]
    assert out["value"].iloc[0] == pytest.approx(1 / 190 * 1000)
    assert "lsoa_code not in the population (LP2)" in out["statistic"].iloc[1]


# --- direct standardisation ---------------------------------------------------------------------------


def test_dsr_weights_each_sex_half_of_the_esp2013() -> None:
    data = spells(
        [("P1", 2, "Male", "2019-01-01", "21")] * 10  # band 0-4, male: weight 5000 / 2
        + [("P1", 97, "Female", "2019-01-01", "21")] * 4  # band 90+, female: weight 1000 / 2
    )
    out = bh.indicators.emergency_admissions(data, population({"P1": 100})).iloc[0]
    # sum_i (w_i / 2) x_i / n_i / sum(w) x 1000, with sum(w) = 100,000 over the 19 bands:
    expected = (2500 * 10 / 100 + 500 * 4 / 100) / 100_000 * 1000
    assert out["value"] == pytest.approx(expected)  # 2.7
    # Dobson: var = sum (w_i/2 / n_i)^2 x_i / sum(w)^2 (x 1000^2); limits from Byars' limits of 14.
    variance = ((2500 / 100) ** 2 * 10 + (500 / 100) ** 2 * 4) / 100_000**2 * 1000**2
    lower = expected + math.sqrt(variance / 14) * (byars(14, -1) - 14)
    assert out["lowercl"] == pytest.approx(lower)
    assert out["crude_rate"] == pytest.approx(14 / 3800 * 1000)
    assert out["method"] == "Dobson"


def test_dsr_is_blank_where_an_age_sex_cell_has_no_population() -> None:
    pop = population({"P1": 100, "P2": 100})
    empty = (pop["practice_code"] == "P2") & (pop["age_group_5"] == "90+") & (pop["sex"] == "MALE")
    pop.loc[empty, "number_of_patients"] = 0
    data = spells([("P1", 30, "Male", "2019-01-01", "21")] * 10 + [("P2", 30, "Male", "2019-01-01", "21")] * 10)
    out = bh.indicators.emergency_admissions(data, pop, by="practice_code")
    assert out["value"].iloc[0] == pytest.approx(3250 * 10 / 100 / 100_000 * 1000)  # band 30-34 (6500 / 2), male
    assert np.isnan(out["value"].iloc[1])
    assert out["statistic"].iloc[1].endswith("NA: no population in 1 of the 38 age-sex bands")
    assert out["crude_rate"].iloc[1] == pytest.approx(10 / 3700 * 1000)


def test_dsr_is_blank_below_10_spells_as_the_reference_method() -> None:
    pop = population({"P1": 100})
    nine = bh.indicators.emergency_admissions(spells([("P1", 30, "Male", "2019-01-01", "21")] * 9), pop).iloc[0]
    ten = bh.indicators.emergency_admissions(spells([("P1", 30, "Male", "2019-01-01", "21")] * 10), pop).iloc[0]
    assert np.isnan(nine["value"])
    assert nine["statistic"].endswith("NA for total count < 10")
    assert nine["crude_rate"] == pytest.approx(9 / 3800 * 1000)
    assert ten["value"] == pytest.approx(3250 * 10 / 100 / 100_000 * 1000)


# --- selections: period, ages, diagnoses ------------------------------------------------------------


def test_financial_year_period_includes_1_april_to_31_march() -> None:
    data = spells(
        [
            ("P1", 30, "Male", "2018-03-31", "21"),  # 2017/18
            ("P1", 30, "Male", "2018-04-01", "21"),  # 2018/19
            ("P1", 30, "Male", "2019-03-31", "21"),  # 2018/19
            ("P1", 30, "Male", "2019-04-01", "21"),  # 2019/20
        ]
    )
    out = bh.indicators.emergency_admissions(data, population({"P1": 10}), standardise=None, period="2018/19")
    assert (out["period"].iloc[0], out["spells"].iloc[0], out["outside_period"].iloc[0]) == ("2018/19", 2, 2)
    latest = bh.indicators.emergency_admissions(data, population({"P1": 10}), standardise=None, period="latest")
    assert (latest["period"].iloc[0], latest["spells"].iloc[0]) == ("2019/20", 1)
    dates = bh.indicators.emergency_admissions(
        data, population({"P1": 10}), standardise=None, period=("2018-03-31", "2018-04-01")
    )
    assert (dates["period"].iloc[0], dates["spells"].iloc[0]) == ("2018-03-31 to 2018-04-01", 2)


def test_spells_of_several_financial_years_over_one_population_warn() -> None:
    pop = population({"P1": 10})
    one_year = spells([("P1", 30, "Male", "2017-04-01", "21"), ("P1", 30, "Male", "2018-03-31", "21")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bh.indicators.emergency_admissions(one_year, pop, standardise=None)
    two_years = spells([("P1", 30, "Male", "2018-03-31", "21"), ("P1", 30, "Male", "2018-04-01", "21")])
    with pytest.warns(UserWarning, match=r"in 2 financial years \(2017/18 to 2018/19\).*period='latest'"):
        bh.indicators.emergency_admissions(two_years, pop, standardise=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bh.indicators.emergency_admissions(two_years, pop, standardise=None, by_year=True)
        bh.indicators.emergency_admissions(two_years, pop, standardise=None, period="latest")


def test_by_year_gives_the_change_with_log_method_limits() -> None:
    data = spells([("P1", 30, "Male", "2017-06-01", "21")] * 40 + [("P1", 30, "Male", "2018-06-01", "21")] * 50)
    out = bh.indicators.emergency_admissions(data, population({"P1": 100}), standardise=None, by_year=True)
    assert out["period"].tolist() == ["2017/18", "2018/19"]
    assert out["spells"].tolist() == [40, 50]
    assert np.isnan(out["change"].iloc[0])
    # The same population both years: the change is 50 / 40 - 1 = 25%; se(log ratio) = sqrt(1/40 + 1/50).
    se = math.sqrt(1 / 40 + 1 / 50)
    z = stats.norm.ppf(0.975)
    assert out["change"].iloc[1] == pytest.approx(25.0)
    assert out["change_lowercl"].iloc[1] == pytest.approx((1.25 * math.exp(-z * se) - 1) * 100)
    assert out["change_uppercl"].iloc[1] == pytest.approx((1.25 * math.exp(z * se) - 1) * 100)


def test_ages_select_spells_and_population_of_those_bands() -> None:
    data = spells(
        [
            ("P1", 0, "Male", "2019-01-01", "21", 1, "J189"),
            ("P1", 4, "Female", "2019-01-01", "21", 1, "J219"),
            ("P1", 5, "Female", "2019-01-01", "21", 1, "J219"),  # aged 5: outside 0-4
            ("P1", 3, "Female", "2019-01-01", "21", 1, "A099"),  # not respiratory
            ("P1", 2, "Female", "2019-01-01", "21", 1, "j45.9"),  # lower case, dotted: respiratory
        ]
    )
    out = bh.indicators.emergency_admissions(
        data, population({"P1": 50}), standardise=None, ages=(0, 4), diagnoses="J"
    ).iloc[0]
    # 3 spells among the 0-4 year olds: 2 sexes x 50 = 100 people.
    assert (out["spells"], out["population"]) == (3, 100)
    assert out["value"] == pytest.approx(30.0)
    assert out["statistic"].startswith("emergency spells aged 0-4 with a primary diagnosis J per 1000, crude")


def test_ages_must_cover_whole_bands() -> None:
    data = spells([("P1", 0, "Male", "2019-01-01", "21")])
    with pytest.raises(InputError, match=r"ages: \(0, 3\) does not cover whole five-year age bands"):
        bh.indicators.emergency_admissions(data, population({"P1": 5}), ages=(0, 3))


# --- indirect standardisation -------------------------------------------------------------------------


def test_indirect_standardisation_against_the_whole_table() -> None:
    pop = population({"P1": 100, "P2": 100})
    pop.loc[(pop["practice_code"] == "P2") & (pop["age_group_5"] == "70_74"), "number_of_patients"] = 300
    data = spells(
        [("P1", 72, "Male", "2019-01-01", "21")] * 6
        + [("P2", 72, "Male", "2019-01-01", "21")] * 12
        + [("P2", 20, "Female", "2019-01-01", "21")] * 2
    )
    out = bh.indicators.emergency_admissions(data, pop, by="practice_code", standardise="indirect")
    # Reference rates (both practices): 70-74 male 18 / 400, 20-24 female 2 / 200; overall 20 / 8000.
    expected_p1 = 100 * 18 / 400 + 100 * 2 / 200  # 5.5
    expected_p2 = 300 * 18 / 400 + 100 * 2 / 200  # 14.5
    assert out["expected"].tolist() == pytest.approx([expected_p1, expected_p2])
    overall = 20 / (3800 + 3800 + 400) * 1000
    assert out["value"].tolist() == pytest.approx([6 / expected_p1 * overall, 14 / expected_p2 * overall])
    assert out["lowercl"].iloc[0] == pytest.approx(exact_lower(6) / expected_p1 * overall)


def test_indirect_standardisation_against_a_given_reference() -> None:
    pop = population({"P1": 100})
    data = spells([("P1", 72, "Male", "2019-01-01", "21")] * 3)
    reference = pd.DataFrame(
        {
            "sex": ["Male", "Female"] * 19,
            "age_band": [b for b in BANDS for _ in range(2)],
            "events": 1,
            "population": 50,
        }
    )
    out = bh.indicators.emergency_admissions(data, pop, standardise="indirect", reference=reference).iloc[0]
    # Every reference cell: 1 event per 50 people; 3800 people expect 76; reference rate 38 / 1900.
    assert out["expected"] == pytest.approx(76.0)
    assert out["value"] == pytest.approx(3 / 76 * 38 / 1900 * 1000)


# --- chronic ambulatory-care-sensitive conditions -----------------------------------------------------


def acsc_spells(rows: list[tuple[str, list[str | None], list[str | None]]]) -> pd.DataFrame:
    """Emergency spells of one practice from (method, diagnoses, procedures)."""
    records = []
    for i, (method, diagnoses, procedures) in enumerate(rows, start=1):
        record: dict[str, object] = {
            "spell_id": i,
            "practice_code": "P1",
            "age": 70,
            "sex": "Male",
            "admission_date": pd.Timestamp("2019-01-01"),
            "admission_method": method,
        }
        record.update({f"diag_0{j}": code for j, code in enumerate(diagnoses, start=1)})
        record.update({f"opertn_0{j}": code for j, code in enumerate(procedures, start=1)})
        records.append(record)
    return pd.DataFrame(records)


def count_acsc(data: pd.DataFrame, **kwargs: object) -> int:
    out = bh.indicators.acsc_admissions(
        data, population({"P1": 10}), standardise=None, bed_days=None, same_day=None, **kwargs
    )
    return int(out["spells"].iloc[0])


@pytest.mark.parametrize(
    ("diagnoses", "counted"),
    [
        (["J440", None, None], True),  # COPD, primary
        (["J200", "J449", None], True),  # acute bronchitis with a COPD secondary
        (["J200", None, "J47X"], True),  # ... in any secondary position
        (["J200", "J180", None], False),  # acute bronchitis alone
        (["R069", None, "E105"], True),  # diabetes with a complication, any position
        (["R069", "E109", None], False),  # diabetes without complication (4th character 9)
        (["I10X", None, None], True),  # hypertension, X filler
        (["I119", None, None], True),
        (["I110", None, None], True),  # hypertensive heart disease with heart failure: CHF
        (["I10", None, None], True),  # three characters
        (["J449", None, None], True),
        (["I48", "J440", None], False),  # COPD only as a secondary: not primary
        (["D500", None, None], False),  # iron deficiency anaemia after blood loss: not in the list
        (["D501", None, None], True),
        (["E550", None, None], True),
        (["E551", None, None], False),
    ],
)
def test_acsc_diagnosis_rules(diagnoses: list[str | None], counted: bool) -> None:
    assert count_acsc(acsc_spells([("21", diagnoses, [])])) == int(counted)


def test_acsc_transfers_and_elective_admissions() -> None:
    data = acsc_spells([("2B", ["J450"], []), ("11", ["J450"], []), ("21", ["J450"], [])])
    assert count_acsc(data) == 1
    assert count_acsc(data, exclude_transfers=False) == 2


@pytest.mark.parametrize(
    ("diagnosis", "procedures", "counted"),
    [
        ("I209", ["K401", None], False),  # angina, primary operation K
        ("I209", ["X40", None], False),  # X4 excluded
        ("I209", ["X30", None], True),  # X3 is not
        ("I209", ["Y981", None], True),  # Y: not an operative chapter of the list
        ("I209", [None, "K401"], True),  # angina: the primary procedure only
        ("I500", [None, "K451"], False),  # heart failure: any procedure K0-K4
        ("I500", ["K501", None], False),  # K50 excluded
        ("I500", ["K511", None], True),  # K51 is not
        ("I10X", ["K711", None], False),  # hypertension: K71 excluded
        ("J450", ["K401", None], True),  # asthma: no exclusions
    ],
)
def test_acsc_procedure_exclusions(diagnosis: str, procedures: list[str | None], counted: bool) -> None:
    data = acsc_spells([("21", [diagnosis], procedures)])
    assert count_acsc(data, procedure_columns=["opertn_01", "opertn_02"]) == int(counted)
    assert count_acsc(data) == 1  # without procedure columns, no exclusion applies


def test_acsc_rate_per_100000_and_statistic_says_what_was_applied() -> None:
    data = acsc_spells([("21", ["J450"], [])] * 3)
    out = bh.indicators.acsc_admissions(data, population({"P1": 10}), standardise=None, bed_days=None, same_day=None)
    assert out["value"].iloc[0] == pytest.approx(3 / 380 * 100_000)
    assert "procedure exclusions not applied" in out["statistic"].iloc[0]
    assert "transfers (2B) excluded" in out["statistic"].iloc[0]


def test_acsc_with_a_local_code_list() -> None:
    codes = pd.DataFrame({"condition": ["epilepsy"], "code": ["G40"], "position": ["primary"]})
    none = pd.DataFrame({"condition": [], "opcs": [], "position": []})
    data = acsc_spells([("21", ["G409"], []), ("21", ["J450"], [])])
    assert count_acsc(data, codelist=codes, procedure_exclusions=none) == 1


def test_acsc_code_list_layout_is_checked() -> None:
    data = acsc_spells([("21", ["G409"], [])])
    with pytest.raises(SchemaError, match=r"codelist: column\(s\) \['position'\] not found"):
        count_acsc(data, codelist=pd.DataFrame({"condition": ["x"], "code": ["G40"]}))
    bad = pd.DataFrame({"condition": ["x"], "code": ["G40"], "position": ["secondary"]})
    with pytest.raises(InputError, match="unknown position"):
        count_acsc(data, codelist=bad)


def test_shipped_code_lists() -> None:
    codes = bh.indicators.acsc_codelist()
    assert set(codes["condition"]) == {
        "angina",
        "asthma",
        "congestive heart failure",
        "copd",
        "diabetes complications",
        "hypertension",
        "iron-deficiency anaemia",
        "nutritional deficiencies",
    }
    # Diabetes E10-E14, 4th character 0-8: 5 x 9 codes.
    assert (codes["condition"] == "diabetes complications").sum() == 45
    exclusions = bh.indicators.acsc_codelist(kind="procedure exclusions")
    assert set(exclusions["condition"]) == {"angina", "congestive heart failure", "hypertension"}
    with pytest.raises(InputError, match="kind: expected one of"):
        bh.indicators.acsc_codelist(kind="procedures")


# --- readmissions -------------------------------------------------------------------------------------


def episodes_of(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """Spells from (patient, admission date, discharge date, method[, diagnosis, age, sex, practice])."""
    records = []
    for i, (patient, admitted, discharged, method, *rest) in enumerate(rows, start=1):
        records.append(
            {
                "spell_id": i,
                "patient_id": patient,
                "admission_date": pd.Timestamp(admitted),
                "discharge_date": pd.Timestamp(discharged) if discharged else pd.NaT,
                "admission_method": method,
                "diag_01": rest[0] if rest else "R69X",
                "age": rest[1] if len(rest) > 1 else 60,
                "sex": rest[2] if len(rest) > 2 else "Male",
                "practice_code": rest[3] if len(rest) > 3 else "P1",
            }
        )
    return pd.DataFrame(records)


def test_readmissions_with_no_discharges_in_the_period_give_a_blank_row() -> None:
    data = episodes_of([(1, "2018-05-01", "2018-05-10", "21")])
    out = bh.indicators.readmissions(data, standardise=None, period="2019/20")
    assert (out["discharges"].iloc[0], out["readmissions"].iloc[0]) == (0, 0)
    assert np.isnan(out["value"].iloc[0])
    assert out["statistic"].iloc[0].endswith("NA: no discharges")


def test_readmission_window_counts_0_to_29_days_after_discharge() -> None:
    data = episodes_of(
        [
            (1, "2018-05-01", "2018-05-10", "11"),
            (1, "2018-06-08", "2018-06-09", "21"),  # 29 days after 10 May: a readmission
            (2, "2018-05-01", "2018-05-10", "11"),
            (2, "2018-06-09", "2018-06-10", "21"),  # 30 days: not
            (3, "2018-05-01", "2018-05-10", "11"),
            (3, "2018-05-10", "2018-05-12", "22"),  # the same day: a readmission
            (4, "2018-05-01", "2018-05-10", "21"),
            (4, "2018-05-11", "2018-05-12", "11"),  # elective: not
        ]
    )
    out = bh.indicators.readmissions(data, standardise=None).iloc[0]
    # 8 discharges, 2 readmitted (patients 1 and 3).
    assert (out["discharges"], out["readmissions"]) == (8, 2)
    assert out["value"] == pytest.approx(25.0)
    z = stats.norm.ppf(0.975)
    p, n = 2 / 8, 8
    centre, half = p + z**2 / (2 * n), z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert out["lowercl"] == pytest.approx((centre - half) / (1 + z**2 / n) * 100)
    assert out["method"] == "Wilson"
    shorter = bh.indicators.readmissions(data, window_days=29, standardise=None).iloc[0]
    assert shorter["readmissions"] == 1  # 0-28 days: only patient 3


def test_readmission_is_judged_from_the_most_recent_discharge() -> None:
    data = episodes_of(
        [
            (1, "2018-05-01", "2018-05-10", "21"),
            (1, "2018-05-20", "2018-05-21", "11"),  # elective 10 days later: not a readmission
            (1, "2018-05-25", "2018-05-26", "21"),  # emergency 4 days after the elective stay: readmits it
            (1, "2018-05-04", "2018-05-05", "2B"),  # a transfer before the first discharge: never
        ]
    )
    out = bh.indicators.readmissions(data, standardise=None).iloc[0]
    assert (out["discharges"], out["readmissions"]) == (4, 1)
    with_transfers = bh.indicators.readmissions(data, standardise=None, exclude_transfers=False).iloc[0]
    # The transfer (admitted 4 May) is the next spell after the first (1 May), but starts before its
    # discharge on 10 May: a negative gap, not a readmission.
    assert with_transfers["readmissions"] == 1


def test_transfers_are_not_readmissions_unless_asked() -> None:
    data = episodes_of([(1, "2018-05-01", "2018-05-10", "21"), (1, "2018-05-10", "2018-05-12", "2B")])
    assert bh.indicators.readmissions(data, standardise=None)["readmissions"].iloc[0] == 0
    assert bh.indicators.readmissions(data, standardise=None, exclude_transfers=False)["readmissions"].iloc[0] == 1


def test_cancer_and_obstetric_spells_are_excluded_both_ways() -> None:
    data = episodes_of(
        [
            (1, "2018-05-01", "2018-05-10", "21", "C189"),  # cancer: not a discharge
            (1, "2018-05-12", "2018-05-13", "21", "R10X"),  # ... so this is not a readmission of it
            (2, "2018-05-01", "2018-05-10", "21", "R10X"),
            (2, "2018-05-12", "2018-05-13", "21", "O200"),  # obstetric readmission: not counted, not a discharge
            (3, "2018-05-01", "2018-05-10", "21", "D36"),  # D36: not in D37-D48
            (3, "2018-05-12", "2018-05-13", "21", "D480"),  # D48: excluded
        ]
    )
    out = bh.indicators.readmissions(data, standardise=None).iloc[0]
    # Discharges: spell 2 (patient 1), spell 3 (patient 2), spell 5 (patient 3); no readmission counts.
    assert (out["discharges"], out["readmissions"], out["excluded_spells"]) == (3, 0, 3)
    none = bh.indicators.readmissions(data, standardise=None, exclude={}).iloc[0]
    assert (none["discharges"], none["readmissions"], none["excluded_spells"]) == (6, 3, 0)


def test_deaths_and_unfinished_spells_are_not_discharges() -> None:
    data = episodes_of(
        [(1, "2018-05-01", "2018-05-10", "21"), (2, "2018-05-01", None, "21"), (3, "2018-05-01", "2018-05-03", "21")]
    )
    data["discharge_method"] = ["1", "1", 4]
    out = bh.indicators.readmissions(data, standardise=None, discharge_method="discharge_method").iloc[0]
    assert out["discharges"] == 1
    assert bh.indicators.readmissions(data, standardise=None)["discharges"].iloc[0] == 2


def test_readmissions_indirectly_standardised_by_age_and_sex() -> None:
    rows: list[tuple[object, ...]] = []
    patient = 0
    # P1: 10 discharges aged 80 (4 readmitted), 10 aged 30 (0); P2: 10 aged 80 (2 readmitted), 30 aged 30 (1).
    for practice, age, n, readmitted in (("P1", 80, 10, 4), ("P1", 30, 10, 0), ("P2", 80, 10, 2), ("P2", 30, 30, 1)):
        for i in range(n):
            patient += 1
            rows.append((patient, "2018-05-01", "2018-05-02", "21", "R69X", age, "Male", practice))
            if i < readmitted:
                rows.append((patient, "2018-05-05", "2018-05-06", "21", "R69X", age, "Male", practice))
    data = episodes_of(rows)
    out = bh.indicators.readmissions(data, by="practice_code", period=("2018-05-02", "2018-05-02"))
    # Index discharges on 2 May only: the readmission spells (discharged 6 May) are outside the period.
    # Reference (both practices): aged 80: 6 / 20; aged 30: 1 / 40; overall 7 / 60.
    e1 = 10 * 6 / 20 + 10 * 1 / 40  # 3.25
    e2 = 10 * 6 / 20 + 30 * 1 / 40  # 3.75
    assert out["discharges"].tolist() == [20, 40]
    assert out["readmissions"].tolist() == [4, 3]
    assert out["expected"].tolist() == pytest.approx([e1, e2])
    assert out["value"].tolist() == pytest.approx([4 / e1 * 7 / 60 * 100, 3 / e2 * 7 / 60 * 100])
    assert out["crude_percentage"].tolist() == pytest.approx([20.0, 7.5])
    assert out["method"].tolist() == ["Exact", "Exact"]


def test_readmissions_say_when_follow_up_is_incomplete() -> None:
    # Discharges after the last admission date do not extend the follow-up: no admission after 1 March is seen.
    data = episodes_of([(1, "2019-03-01", "2019-03-20", "21"), (2, "2019-02-01", "2019-05-20", "21")])
    out = bh.indicators.readmissions(data, standardise=None, period="2018/19")
    assert out["discharges"].iloc[0] == 1
    assert "follow-up incomplete: the admissions in the data end on 2019-03-01" in out["statistic"].iloc[0]
    # Admissions to 29 April: 29 days after 31 March, the last day a 30-day readmission can start.
    later = episodes_of([(1, "2019-03-01", "2019-03-20", "21"), (2, "2019-04-29", "2019-04-30", "11")])
    assert "follow-up" not in bh.indicators.readmissions(later, standardise=None, period="2018/19")["statistic"].iloc[0]
    earlier = episodes_of([(1, "2019-03-01", "2019-03-20", "21"), (2, "2019-04-28", "2019-04-30", "11")])
    assert (
        "follow-up incomplete"
        in bh.indicators.readmissions(earlier, standardise=None, period="2018/19")["statistic"].iloc[0]
    )


# --- bad input ----------------------------------------------------------------------------------------


def test_repeated_spell_ids_are_refused() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21")] * 2)
    data["spell_id"] = 7
    with pytest.raises(SchemaError, match=r"repeats 1 spell id\(s\) \(first: 7\).*bh.records.spells"):
        bh.indicators.emergency_admissions(data, population({"P1": 5}))


@pytest.mark.parametrize(("age", "message"), [(-1, "has a negative age"), (126, "has an age above 125")])
def test_ages_out_of_range_are_refused(age: int, message: str) -> None:
    data = spells([("P1", age, "Male", "2019-01-01", "21")])
    with pytest.raises(DomainError, match=message):
        bh.indicators.emergency_admissions(data, population({"P1": 5}))


def test_age_125_is_accepted() -> None:
    data = spells([("P1", 125, "Male", "2019-01-01", "21")])
    assert bh.indicators.emergency_admissions(data, population({"P1": 5}))["spells"].iloc[0] == 1


def test_negative_bed_days_are_refused() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21", -1)])
    with pytest.raises(DomainError, match="has negative bed days"):
        bh.indicators.emergency_admissions(data, population({"P1": 5}))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"standardise": "age"}, InputError, "standardise"),
        ({"attribution": "gp"}, InputError, "attribution"),
        ({"nel_definition": "urgent"}, InputError, "nel_definition: expected one of 'emergency', 'not elective'"),
        ({"per": 0}, InputError, "per"),
        ({"period": "2018/20"}, InputError, "period: expected 'latest', a financial year"),
        ({"period": ("2019-01-02", "2019-01-01")}, InputError, "the end 2019-01-01 is before the start"),
        ({"by_year": "yes"}, InputError, "by_year: expected True or False"),
        ({"diagnoses": [""]}, InputError, "diagnoses: expected ICD-10 codes"),
        ({"reference": pd.DataFrame({"sex": ["Male"]})}, InputError, "reference rates are used by indirect"),
        ({"age": "years"}, SchemaError, "years"),
        ({"by": "cluster_code"}, SchemaError, "cluster_code"),
    ],
)
def test_bad_arguments_name_what_to_fix(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21")])
    with pytest.raises(error, match=message):
        bh.indicators.emergency_admissions(data, population({"P1": 5}), **kwargs)


def test_population_sexes_and_bands_must_be_readable() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21")])
    persons = population({"P1": 5}).assign(sex="ALL")
    with pytest.raises(SchemaError, match="sexes that are neither male nor female: 'ALL'"):
        bh.indicators.emergency_admissions(data, persons)
    wide = population({"P1": 5})
    wide.loc[wide["age_group_5"] == "90+", "age_group_5"] = "85+"
    with pytest.raises(SchemaError, match=r"do not fall within one five-year band.*'85\+'"):
        bh.indicators.emergency_admissions(data, wide)


def test_dates_must_be_dates() -> None:
    data = spells([("P1", 30, "Male", "2019-01-01", "21")])
    data["admission_date"] = data["admission_date"].dt.strftime("%Y-%m-%d")
    with pytest.raises(SchemaError, match="admission_date: column 'admission_date' must hold dates"):
        bh.indicators.emergency_admissions(data, population({"P1": 5}))


def test_readmissions_refuse_episodes() -> None:
    data = episodes_of([(1, "2018-05-01", "2018-05-10", "21"), (1, "2018-05-01", "2018-05-10", "21")])
    data["spell_id"] = 5
    with pytest.raises(SchemaError, match=r"repeats 1 spell id\(s\) \(first: 5\)"):
        bh.indicators.readmissions(data)
    assert bh.indicators.readmissions(data, spell_id=None, standardise=None)["discharges"].iloc[0] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_days": 0}, "window_days: expected a whole number of days from 1"),
        ({"window_days": 30.5}, "window_days"),
        ({"exclude": ["C"]}, "exclude: expected a dict"),
        ({"exclude": {"cancer": [1]}}, "exclude: 'cancer' must list ICD-10 code starts"),
        ({"standardise": "direct"}, "standardise"),
        ({"reference": pd.DataFrame({"sex": ["Male"]})}, r"reference: column\(s\)"),
    ],
)
def test_readmissions_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    data = episodes_of([(1, "2018-05-01", "2018-05-10", "21")])
    with pytest.raises(InputError, match=message):
        bh.indicators.readmissions(data, **kwargs)


def test_readmissions_against_a_given_reference() -> None:
    rows: list[tuple[object, ...]] = [(i, "2018-05-01", "2018-05-02", "21", "R69X", 80, "Male") for i in range(10)]
    rows += [(i, "2018-05-05", "2018-05-06", "21", "R69X", 80, "Male") for i in range(3)]
    data = episodes_of(rows)
    reference = pd.DataFrame(
        {"sex": ["Male", "Female"], "age_band": ["80-84", "80-84"], "readmissions": [20, 5], "discharges": [100, 50]}
    )
    out = bh.indicators.readmissions(data, reference=reference, period=("2018-05-02", "2018-05-02")).iloc[0]
    # Reference: 20% of men aged 80-84 readmitted, 25 of 150 overall; 10 discharges expect 2.
    assert (out["discharges"], out["readmissions"]) == (10, 3)
    assert out["expected"] == pytest.approx(2.0)
    assert out["value"] == pytest.approx(3 / 2 * 25 / 150 * 100)


def test_acsc_diagnosis_columns_by_name() -> None:
    data = acsc_spells([("21", ["R069", None, "E105"], [])]).rename(
        columns={"diag_01": "primary", "diag_02": "second", "diag_03": "third"}
    )
    assert count_acsc(data, diagnosis_columns=["primary", "second", "third"]) == 1
    assert count_acsc(data, diagnosis_columns=["primary", "second"]) == 0  # E105 is in the third
    with pytest.raises(SchemaError, match="spells has no columns named diag_"):
        count_acsc(data)
    with pytest.raises(SchemaError, match="diagnosis_columns: give at least one column"):
        count_acsc(data, diagnosis_columns=[])


def test_readmissions_reference_percentage_is_the_whole_tables_whatever_cells_a_group_has() -> None:
    rows: list[tuple[object, ...]] = []
    # P1: 10 discharges aged 80, 5 readmitted. P2: 10 aged 80 (1 readmitted) and 20 aged 30 (2 readmitted).
    for practice, age, n, readmitted, start in (("P1", 80, 10, 5, 0), ("P2", 80, 10, 1, 100), ("P2", 30, 20, 2, 200)):
        for i in range(n):
            rows.append((start + i, "2018-05-01", "2018-05-02", "21", "R69X", age, "Male", practice))
            if i < readmitted:
                rows.append((start + i, "2018-05-05", "2018-05-06", "21", "R69X", age, "Male", practice))
    out = bh.indicators.readmissions(episodes_of(rows), by="practice_code", period=("2018-05-02", "2018-05-02"))
    # Reference: aged 80: 6 / 20; aged 30: 2 / 20; overall 8 / 40 = 20%, for P1 too (which has no one aged 30).
    e1, e2 = 10 * 6 / 20, 10 * 6 / 20 + 20 * 2 / 20
    assert out["expected"].tolist() == pytest.approx([e1, e2])
    assert out["value"].tolist() == pytest.approx([5 / e1 * 20, 3 / e2 * 20])
    assert out["lowercl"].iloc[0] == pytest.approx(exact_lower(5) / e1 * 20)
