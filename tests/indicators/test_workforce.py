"""Patients per GP and the workforce trajectory: hand-worked numbers, both published workforce layouts, the real
April 2026 BLMK list file, the BLMK trajectory of issue 10, every bad input and every backend.

The workforce fixtures in ``data/`` are written in the published layouts of NHS England's practice-level
"General Practice Workforce" CSVs (the wide "detailed" file and the long "high level" file, see
``docs/workforce.md``); their figures are invented. In both, practice A81001 has GP roles 2.0 partner +
1.0 salaried + 0.5 locum + 1.0 GP in training grade (ST3) = 4.5 FTE, A81002 3.0 partner FTE, no nurse figure
(``ND``) and no direct patient care staff, A81003 2.5 salaried + 0.8 in training grade (F2) = 3.3 FTE and an
admin headcount of 4 people, one of whom holds two roles (so its roles' headcounts add up to 5, and only the
``Total`` row is right), and A81005 is not registered here. A81004 is registered but made no return.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, ReferenceDataError, SchemaError
from blmk_health.indicators._workforce import STAFF, patients_per_gp, workforce_trajectory
from tests.helpers import Backend

DATA = Path(__file__).parent / "data"
WIDE = DATA / "workforce_detailed_fixture.csv"
LONG = DATA / "workforce_high_level_fixture.csv"
BLMK_FIXTURE = DATA / "workforce_high_level_blmk_fixture.csv"
LIST_FILE = "gp-reg-pat-prac-all_2026-04_BLMK.csv"

#: Registered patients: two rows (sexes) per practice; clusters C1 (A81001, A81002), C2 (A81003, A81004).
PATIENTS = {"A81001": (4000, 5000), "A81002": (3000, 3000), "A81003": (2600, 2600), "A81004": (1500, 1500)}
CLUSTER = {"A81001": "C1", "A81002": "C1", "A81003": "C2", "A81004": "C2"}

#: Each practice's staff by hand from the fixtures (NaN: no figure): (FTE, headcount) per staff group.
STAFF_BY_HAND: dict[str, dict[str, tuple[float, float]]] = {
    "gp": {"A81001": (4.5, 6), "A81002": (3.0, 3), "A81003": (3.3, 4)},
    "gp_excl_registrars": {"A81001": (3.5, 5), "A81002": (3.0, 3), "A81003": (2.5, 3)},
    "gp_qualified_permanent": {"A81001": (3.0, 4), "A81002": (3.0, 3), "A81003": (2.5, 3)},
    "nurses": {"A81001": (1.6, 2), "A81002": (np.nan, np.nan), "A81003": (1.0, 1)},
    "direct_patient_care": {"A81001": (1.2, 2), "A81002": (0.0, 0), "A81003": (0.6, 1)},
    "admin": {"A81001": (3.0, 5), "A81002": (2.0, 3), "A81003": (2.4, 4)},
}
CODES = ["A81001", "A81002", "A81003", "A81004"]
LISTS = np.array([9000, 6000, 5200, 3000], dtype=float)


def registrations() -> pd.DataFrame:
    rows = [
        (code, CLUSTER[code], "Luton", sex, n)
        for code, pair in PATIENTS.items()
        for sex, n in zip(("MALE", "FEMALE"), pair, strict=True)
    ]
    return pd.DataFrame(rows, columns=["practice_code", "cluster", "place", "sex", "number_of_patients"])


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return bh.io.read_gp_workforce(WIDE)


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return bh.io.read_gp_workforce(LONG)


def expected_staff(staff: str, measure: str) -> np.ndarray:
    k = 0 if measure == "fte" else 1
    return np.array([STAFF_BY_HAND[staff].get(code, (np.nan, np.nan))[k] for code in CODES], dtype=float)


# ------------------------------------------------------------------------------------ hand-worked


def test_fully_qualified_gp_fte_by_practice_worked_by_hand(wide: pd.DataFrame) -> None:
    out = patients_per_gp(registrations(), wide)
    assert out["practice_code"].tolist() == CODES
    assert out["patients"].tolist() == [9000, 6000, 5200, 3000]
    assert out["patients"].dtype == np.int64
    np.testing.assert_allclose(out["staff"], [3.5, 3.0, 2.5, np.nan])
    np.testing.assert_allclose(out["value"], [9000 / 3.5, 2000.0, 2080.0, np.nan])
    np.testing.assert_allclose(out["value"].iloc[0], 2571.4285714285716)
    np.testing.assert_allclose(out["staff_per_10000"], [10_000 * 3.5 / 9000, 5.0, 10_000 * 2.5 / 5200, np.nan])
    assert out["practices"].tolist() == [1, 1, 1, 1]
    assert out["practices_without_return"].tolist() == [0, 0, 0, 1]
    assert out["patients_without_return"].tolist() == [0, 0, 0, 3000]
    what = "patients per fully qualified GP FTE (excluding GPs in training grade)"
    assert out["statistic"].tolist() == [what, what, what, f"{what} NA: no workforce return"]
    assert out["method"].iloc[0] == "ratio of sums: registered patients / staff FTE (1.0 FTE = 37.5 hours a week)"


@pytest.mark.parametrize("measure", ["fte", "headcount"])
@pytest.mark.parametrize("staff", sorted(STAFF))
def test_every_staff_group_and_measure_in_both_layouts(
    wide: pd.DataFrame, long: pd.DataFrame, staff: str, measure: str
) -> None:
    """The wide and the long published layouts give the same hand-worked staff and ratios."""
    staff_fig = expected_staff(staff, measure)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(staff_fig > 0, LISTS / staff_fig, np.nan)
        per_10000 = 10_000 * staff_fig / LISTS
    for workforce in (wide, long):
        out = patients_per_gp(registrations(), workforce, measure=measure, staff=staff)
        np.testing.assert_allclose(out["staff"], staff_fig, err_msg=f"{staff} {measure}")
        np.testing.assert_allclose(out["value"], ratio, err_msg=f"{staff} {measure}")
        np.testing.assert_allclose(out["staff_per_10000"], per_10000, err_msg=f"{staff} {measure}")
        assert out["practices_without_return"].tolist() == [int(np.isnan(s)) for s in staff_fig]
        unit = "FTE" if measure == "fte" else "headcount"
        assert out["statistic"].str.startswith(f"patients per {STAFF[staff].noun} {unit}").all()


def test_the_three_gp_definitions_differ_as_defined(long: pd.DataFrame) -> None:
    """All GPs >= fully qualified (no GPs in training grade) >= qualified permanent (no locums either)."""
    fte = {s: patients_per_gp(registrations(), long, staff=s)["staff"].iloc[0] for s in ("gp", "gp_excl_registrars")}
    fte["gp_qualified_permanent"] = patients_per_gp(registrations(), long, staff="gp_qualified_permanent")["staff"][0]
    assert fte["gp"] - fte["gp_excl_registrars"] == pytest.approx(1.0)  # the ST3 registrar
    assert fte["gp_excl_registrars"] - fte["gp_qualified_permanent"] == pytest.approx(0.5)  # the locum


def test_missing_figure_and_zero_staff_are_reported_not_zero_nor_infinite(wide: pd.DataFrame) -> None:
    nurses = patients_per_gp(registrations(), wide, staff="nurses").set_index("practice_code")
    assert np.isnan(nurses.loc["A81002", "staff"])
    assert np.isnan(nurses.loc["A81002", "value"])
    assert nurses.loc["A81002", "statistic"].endswith("NA: workforce figure missing")
    assert nurses.loc["A81002", "practices_without_return"] == 1
    dpc = patients_per_gp(registrations(), wide, staff="direct_patient_care").set_index("practice_code")
    assert dpc.loc["A81002", "staff"] == 0.0  # a return with no staff: zero, not missing
    assert np.isnan(dpc.loc["A81002", "value"])  # never infinity
    assert dpc.loc["A81002", "staff_per_10000"] == 0.0
    assert dpc.loc["A81002", "statistic"].endswith("NA: no staff of this group")
    assert dpc.loc["A81002", "practices_without_return"] == 0
    assert not np.isinf(dpc["value"]).any()


def test_a_practice_without_a_return_is_kept_and_not_zero(long: pd.DataFrame) -> None:
    out = patients_per_gp(registrations(), long, by="cluster")
    c2 = out.set_index("cluster").loc["C2"]
    assert c2["practices"] == 2
    assert c2["practices_without_return"] == 1
    assert c2["patients"] == 8200
    assert c2["patients_without_return"] == 3000
    assert c2["staff"] == pytest.approx(2.5)
    assert c2["value"] == pytest.approx(5200 / 2.5)  # not 8200 / 2.5: the practice without a return is left out
    assert c2["statistic"].endswith(": 1 practice(s) without a workforce return or figure left out")
    no_staff = patients_per_gp(registrations().query("practice_code == 'A81004'"), long, by="cluster")
    assert np.isnan(no_staff["staff"].iloc[0])  # a group with no return has no staff figure, not 0
    assert no_staff["statistic"].iloc[0].endswith("NA: no workforce return")


def test_zero_staff_boundary() -> None:
    """0 FTE gives a blank value with its reason; 0.01 FTE gives a value."""
    reg = pd.DataFrame({"practice_code": ["P1", "P2"], "number_of_patients": [1000, 1000]})
    wf = pd.DataFrame({"practice_code": ["P1", "P2"], "measure": ["total_gp_extg_fte"] * 2, "value": [0.0, 0.01]})
    out = patients_per_gp(reg, wf)
    assert np.isnan(out["value"].iloc[0])
    assert out["statistic"].iloc[0].endswith("no staff of this group")
    assert out["value"].iloc[1] == pytest.approx(100_000)
    assert "NA" not in out["statistic"].iloc[1]


def test_weighted_patients(wide: pd.DataFrame) -> None:
    reg = registrations().groupby(["practice_code", "cluster"], as_index=False)["number_of_patients"].sum()
    reg["weighted"] = reg["practice_code"].map({"A81001": 9500.5, "A81002": 5800.0, "A81003": 5600.0, "A81004": 3100.0})
    out = patients_per_gp(reg, wide, by="cluster", weighted="weighted").set_index("cluster")
    assert out.loc["C1", "weighted_patients"] == pytest.approx(15300.5)
    assert out.loc["C1", "weighted_per_staff"] == pytest.approx(15300.5 / 6.5)
    assert out.loc["C2", "weighted_patients"] == pytest.approx(8700.0)  # every practice
    assert out.loc["C2", "weighted_per_staff"] == pytest.approx(5600.0 / 2.5)  # those with a figure
    assert "weighted_patients" not in patients_per_gp(reg, wide).columns


def test_practices_only_in_the_workforce_are_not_used(wide: pd.DataFrame) -> None:
    out = patients_per_gp(registrations(), wide, by=None)
    assert out["practices"].iloc[0] == 4  # A81005 (workforce only) is not counted
    assert out["staff"].iloc[0] == pytest.approx(9.0)


def test_long_layout_without_total_rows_sums_the_roles() -> None:
    reg = pd.DataFrame({"practice_code": ["P1"], "number_of_patients": [6000]})
    wf = pd.DataFrame(
        {
            "practice_code": ["P1"] * 3,
            "staff_group": ["GP"] * 3,
            "staff_role": ["Partner", "Salaried", "GP Registrar"],
            "measure": ["FTE"] * 3,
            "value": [1.5, 1.0, 0.5],
        }
    )
    assert patients_per_gp(reg, wf)["staff"].iloc[0] == pytest.approx(2.5)
    assert patients_per_gp(reg, wf, staff="gp")["staff"].iloc[0] == pytest.approx(3.0)
    assert np.isnan(patients_per_gp(reg, wf, staff="nurses")["value"].iloc[0])  # a return with no nurses: 0


# ------------------------------------------------------------------------------------ rollups


@pytest.mark.parametrize("measure", ["fte", "headcount"])
@pytest.mark.parametrize("staff", ["gp_excl_registrars", "nurses", "direct_patient_care"])
def test_rollups_are_ratios_of_summed_counts(long: pd.DataFrame, staff: str, measure: str) -> None:
    reg = registrations()
    practices = patients_per_gp(reg, long, measure=measure, staff=staff)
    practices["cluster"] = practices["practice_code"].map(CLUSTER)
    with_figure = practices[practices["staff"].notna()]
    for by, keys in (("cluster", practices["cluster"]), ("place", pd.Series("Luton", index=practices.index))):
        out = patients_per_gp(reg, long, by=by, measure=measure, staff=staff).set_index(by)
        patients_sum = with_figure.groupby(keys[with_figure.index])["patients"].sum()
        staff_sum = with_figure.groupby(keys[with_figure.index])["staff"].sum()
        np.testing.assert_allclose(out.loc[staff_sum.index, "staff"], staff_sum)
        expected = np.where(staff_sum > 0, patients_sum / staff_sum.where(staff_sum > 0), np.nan)
        np.testing.assert_allclose(out.loc[staff_sum.index, "value"], expected)
        assert out["patients"].sum() == practices["patients"].sum()
        assert out["practices_without_return"].sum() == practices["practices_without_return"].sum()
    icb = patients_per_gp(reg, long, by=None, measure=measure, staff=staff)
    assert icb["value"].iloc[0] == pytest.approx(with_figure["patients"].sum() / with_figure["staff"].sum())


def test_a_rollup_is_not_an_average_of_practice_ratios(long: pd.DataFrame) -> None:
    c1 = patients_per_gp(registrations(), long, by="cluster").set_index("cluster").loc["C1", "value"]
    assert c1 == pytest.approx(15000 / 6.5)  # 2,307.7
    assert c1 != pytest.approx((9000 / 3.5 + 6000 / 3.0) / 2)  # 2,285.7, the average of the practices' ratios


# ------------------------------------------------------------------------------------ real BLMK file


def test_real_april_2026_list_with_a_published_layout_workforce(blmk_dir: Path) -> None:
    reg = bh.io.read_gp_registrations(blmk_dir / LIST_FILE)
    assert len(reg) == 85
    assert int(reg["patients"].sum()) == 1_146_928
    workforce = bh.io.read_gp_workforce(BLMK_FIXTURE)
    out = patients_per_gp(reg, workforce, patients="patients").set_index("practice_code")
    assert len(out) == 85  # every practice of the list is reported
    assert out.loc["E81002", "value"] == pytest.approx(10195 / 4.25)  # 5.25 FTE less 1.0 in training grade
    assert out.loc["E81003", "value"] == pytest.approx(21349 / 9.0)
    assert out.loc["E81004", "value"] == pytest.approx(12423 / 5.3)  # locums count as fully qualified
    assert out.loc["E81005", "value"] == pytest.approx(10764 / 4.6)
    assert out.loc["E81007", "statistic"].endswith("NA: workforce figure missing")
    reasons = out["statistic"].str.extract(r"NA: (.*)$")[0]
    assert (reasons == "no workforce return").sum() == 79
    assert out["staff"].isna().sum() == 80
    assert (out["staff"] == 0).sum() == 0
    total = patients_per_gp(reg, workforce, by=None, patients="patients")
    assert total["patients"].iloc[0] == 1_146_928
    assert total["practices_without_return"].iloc[0] == 80
    covered = 10195 + 21349 + 12423 + 10764 + 9499
    assert total["patients_without_return"].iloc[0] == 1_146_928 - covered
    assert total["value"].iloc[0] == pytest.approx(covered / (4.25 + 9 + 5.3 + 4.6 + 3.8))


def test_real_list_against_a_workforce_of_another_date_warns(blmk_dir: Path) -> None:
    reg = bh.io.read_gp_registrations(blmk_dir / LIST_FILE)
    workforce = bh.io.read_gp_workforce(BLMK_FIXTURE).assign(extract_date=pd.Timestamp("2026-03-31"))
    with pytest.warns(UserWarning, match=r"registrations extract_date 2026-04-01, workforce extract_date 2026-03-31"):
        patients_per_gp(reg, workforce, patients="patients")


# ------------------------------------------------------------------------------------ bad input


def small_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = pd.DataFrame({"practice_code": ["P1", "P2"], "number_of_patients": [1000, 2000]})
    wf = pd.DataFrame({"practice_code": ["P1", "P2"], "measure": ["total_gp_extg_fte"] * 2, "value": [1.0, 2.0]})
    return reg, wf


def test_dates_equal_do_not_warn_and_dates_that_differ_warn_naming_both() -> None:
    reg, wf = small_tables()
    reg["extract_date"] = pd.Timestamp("2019-04-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patients_per_gp(reg, wf.assign(extract_date=pd.Timestamp("2019-04-01")))
        patients_per_gp(reg, wf)  # only one table has a date: nothing to compare
    with pytest.warns(
        UserWarning, match=r"different dates: registrations extract_date 2019-04-01, workforce .*2018-09-30"
    ):
        patients_per_gp(reg, wf.assign(extract_date=dt.date(2018, 9, 30)))


def test_a_table_of_two_dates_is_refused() -> None:
    reg, wf = small_tables()
    reg["extract_date"] = [pd.Timestamp("2019-04-01"), pd.Timestamp("2019-05-01")]
    with pytest.raises(
        SchemaError, match=r"registrations: column 'extract_date' holds 2 dates .*2019-04-01, 2019-05-01"
    ):
        patients_per_gp(reg, wf)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda r, w: (r, pd.concat([w, w.iloc[:1]])), SchemaError, r"1 practice\(s\) repeat a row .*'P1'"),
        (lambda r, w: (r, w.assign(value=[1.0, -0.01])), DomainError, r"negative FTE or headcount in 1 row .*-0.01"),
        (lambda r, w: (r.assign(number_of_patients=[1000, -1]), w), DomainError, "negative number of patients"),
        (lambda r, w: (r.drop(columns="practice_code"), w), SchemaError, "practice='practice_code'"),
        (lambda r, w: (r, w.drop(columns="measure")), SchemaError, "workforce='measure'"),
        (lambda r, w: (r, w.drop(columns="value")), SchemaError, "workforce='value'"),
        (lambda r, w: (r, w.assign(value=["1", "2"])), SchemaError, "'value' must be numeric"),
        (lambda r, w: (r.assign(number_of_patients=["a", "b"]), w), SchemaError, "must be numeric"),
        (lambda r, w: (r, w.assign(measure="total_nurses_fte")), SchemaError, "neither the wide layout's"),
        (lambda r, w: (r.assign(practice_code=["P1", None]), w), DomainError, "missing practice code"),
    ],
)
def test_bad_inputs(change: object, error: type[Exception], match: str) -> None:
    reg, wf = change(*small_tables())  # type: ignore[operator]
    with pytest.raises(error, match=match):
        patients_per_gp(reg, wf)


def test_negative_boundary_zero_is_accepted() -> None:
    reg, wf = small_tables()
    out = patients_per_gp(reg.assign(number_of_patients=[0, 2000]), wf.assign(value=[0.0, 2.0]))
    assert out["patients"].tolist() == [0, 2000]


def test_unknown_staff_and_measure() -> None:
    reg, wf = small_tables()
    with pytest.raises(InputError, match=r"staff: expected one of 'gp', 'gp_excl_registrars'.* got 'doctors'"):
        patients_per_gp(reg, wf, staff="doctors")
    with pytest.raises(InputError, match=r"measure: expected one of 'fte', 'headcount', got 'hours'"):
        patients_per_gp(reg, wf, measure="hours")


def test_long_layout_bad_inputs(long: pd.DataFrame) -> None:
    reg = registrations()
    with pytest.raises(SchemaError, match="workforce='staff_role'"):
        patients_per_gp(reg, long.drop(columns="staff_role"))
    with pytest.raises(SchemaError, match=r"repeat a row of \['staff_group', 'staff_role', 'measure'\]"):
        patients_per_gp(reg, pd.concat([long, long.iloc[:1]]), staff="admin")
    mixed = pd.concat(
        [long, pd.DataFrame({"practice_code": ["A81001"], "measure": ["total_gp_extg_fte"], "value": [1]})]
    )
    with pytest.raises(SchemaError, match="mixes the wide layout"):
        patients_per_gp(reg, mixed)
    odd = long.copy()
    odd.loc[(odd["staff_role"] == "Total") & (odd["staff_group"] == "GP"), "value"] = 0.5
    with pytest.raises(DomainError, match=r"add up to more than their group's 'Total' at 2 practice\(s\)"):
        patients_per_gp(reg, odd)


def test_a_practice_in_two_groups_is_refused() -> None:
    reg, wf = small_tables()
    reg = pd.concat([reg.assign(sex="M"), reg.assign(sex="F")])
    with pytest.raises(SchemaError, match=r"practice\(s\) 'P1', 'P2' fall in more than one group of \['sex'\]"):
        patients_per_gp(reg, wf, by="sex")


def test_an_output_column_in_by_is_refused() -> None:
    reg, wf = small_tables()
    with pytest.raises(SchemaError, match="overwritten"):
        patients_per_gp(reg.assign(staff="x"), wf, by=["practice_code", "staff"])


# ------------------------------------------------------------------------------------ backends


def test_patients_per_gp_on_every_backend(backend: Backend, long: pd.DataFrame) -> None:
    reg = registrations().assign(weighted=lambda d: d["number_of_patients"] * 1.1)
    for by in ("practice_code", "cluster", None):
        expected = patients_per_gp(reg, long, by=by, weighted="weighted")
        result = patients_per_gp(backend(reg), backend(long), by=by, weighted="weighted")
        backend.assert_matches(result, expected)
    expected = patients_per_gp(reg, long, by="cluster", staff="nurses", measure="headcount")
    backend.assert_matches(
        patients_per_gp(backend(reg), backend(long), by="cluster", staff="nurses", measure="headcount"), expected
    )


def test_workforce_trajectory_on_every_backend(backend: Backend) -> None:
    ref = bh.datasets.blmk_gp_workforce_trajectory()
    expected = workforce_trajectory(ref.actuals, plan=ref.plan, target=ref.target, by="workforce")
    result = workforce_trajectory(
        backend(ref.actuals), plan=backend(ref.plan), target=backend(ref.target), by="workforce"
    )
    backend.assert_matches(result, expected)


# ------------------------------------------------------------------------------------ trajectory

#: The BLMK table of issue 10, typed from the issue: GP FTE excluding registrars.
ISSUE_ACTUALS = (
    "Sep-17 416.1, Dec-17 422.3, Mar-18 427.9, Jun-18 429, Sep-18 429.3, Dec-18 435.3, Mar-19 450.5, "
    "Jun-19 452.4, Sep-19 453.9, Dec-19 470.1, Mar-20 507.9, Jun-20 523.1, Sep-20 538.4"
)
ISSUE_PLAN = "Mar-18 424.3, Jun-18 426.3, Sep-18 428, Dec-18 438.7, Mar-19 450.6, Sep-20 537.8"


def parse(text: str) -> pd.DataFrame:
    pairs = [item.split() for item in text.split(", ")]
    return pd.DataFrame({"period": [p for p, _ in pairs], "value": [float(v) for _, v in pairs]})


def issue_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    actuals = parse(ISSUE_ACTUALS)
    actuals["kind"] = ["actual"] * 5 + ["planned"] * 8  # Sep-17 to Sep-18 actual, Dec-18 on planned
    return actuals, parse(ISSUE_PLAN)


def test_the_issue_table_exactly() -> None:
    actuals, plan = issue_table()
    out = workforce_trajectory(actuals, plan=plan, target=537.5).set_index("period")
    assert out.loc["Sep-20", "variance_from_target"] == 0.9  # +0.9, exactly
    assert out.loc["Dec-18", "variance_from_plan"] == -3.4  # 3.4 below the May 2018 trajectory
    variances = {"Mar-18": 3.6, "Jun-18": 2.7, "Sep-18": 1.3, "Dec-18": -3.4, "Mar-19": -0.1, "Sep-20": 0.6}
    assert out["variance_from_plan"].dropna().to_dict() == variances
    assert out["variance_from_target"].notna().sum() == 1
    assert out["target"].dropna().tolist() == [537.5]
    assert out["kind"].tolist() == ["actual"] * 5 + ["planned"] * 8
    assert out.index.tolist() == actuals["period"].tolist()
    assert out.loc["Sep-17", "statistic"] == "workforce against plan and target"


def test_the_reference_dataset_is_the_published_table() -> None:
    ref = bh.datasets.blmk_gp_workforce_trajectory()
    actuals, plan = issue_table()
    gp = ref.actuals[ref.actuals["workforce"] == "GP FTE excluding registrars"].drop(columns="workforce")
    pd.testing.assert_frame_equal(gp.reset_index(drop=True), actuals, check_dtype=False)
    pd.testing.assert_frame_equal(ref.plan.drop(columns="workforce"), plan, check_dtype=False)
    out = workforce_trajectory(ref.actuals, plan=ref.plan, target=ref.target, by="workforce")
    wider = out[out["workforce"] == "wider workforce"]
    assert wider["period"].tolist() == ["Sep-17", "Sep-20"]
    assert wider["value"].tolist() == [1420.6, 1542.1]
    assert wider["variance_from_target"].tolist()[1] == 42.7  # +42.7 against 1,499.4
    assert wider["plan"].isna().all()  # no earlier trajectory of the wider workforce
    gp_out = out[out["workforce"] == "GP FTE excluding registrars"].set_index("period")
    assert gp_out.loc["Sep-20", "variance_from_target"] == 0.9
    assert gp_out.loc["Dec-18", "variance_from_plan"] == -3.4
    assert "not checked against the original plan documents" in ref.source


def month_end(label: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.strptime(label, "%b-%y")) + pd.offsets.MonthEnd(0)


def test_periods_as_dates_and_labels_in_any_order() -> None:
    actuals, plan = issue_table()
    by_labels = workforce_trajectory(actuals, plan=plan, target=537.5, metadata=False)
    dated = actuals.assign(period=actuals["period"].map(month_end)).sample(frac=1, random_state=3)
    by_dates = workforce_trajectory(dated, plan=plan, target=537.5, metadata=False)  # plan still in labels
    assert by_dates["period"].tolist() == [month_end(p) for p in actuals["period"]]  # in time order
    assert by_dates["period"].dtype == dated["period"].dtype  # dates stay dates
    pd.testing.assert_frame_equal(by_dates.drop(columns="period"), by_labels.drop(columns="period"))
    iso = actuals.assign(period=[month_end(p).strftime("%Y-%m") for p in actuals["period"]])
    long_labels = actuals.assign(period=[month_end(p).strftime("%B %Y") for p in actuals["period"]])
    for other in (iso, long_labels):
        result = workforce_trajectory(other, plan=plan, target=537.5, metadata=False)
        pd.testing.assert_frame_equal(result.drop(columns="period"), by_labels.drop(columns="period"))


def test_labels_are_ordered_in_time_not_alphabetically() -> None:
    actuals = pd.DataFrame({"period": ["Sep-18", "Mar-18", "Dec-17"], "value": [3.0, 2.0, 1.0]})
    out = workforce_trajectory(actuals, target=2.5)
    assert out["period"].tolist() == ["Dec-17", "Mar-18", "Sep-18"]
    assert out["variance_from_target"].tolist()[-1] == 0.5  # the target is at the last period in time


def test_target_table_by_group_and_one_number_for_every_group() -> None:
    actuals = pd.DataFrame(
        {
            "place": ["Luton", "Luton", "Bedford", "Bedford", "Milton Keynes"],
            "period": ["Sep-17", "Sep-18", "Sep-17", "Sep-18", "Sep-18"],
            "value": [100.0, 110.0, 80.0, 85.5, 60.0],
        }
    )
    targets = pd.DataFrame({"place": ["Luton", "Bedford"], "value": [105.0, 90.0]})
    out = workforce_trajectory(actuals, target=targets, by="place")
    assert out["place"].tolist() == ["Bedford", "Bedford", "Luton", "Luton", "Milton Keynes"]  # sorted by group
    assert out["target"].tolist()[1] == 90.0
    assert out["variance_from_target"].tolist()[1] == -4.5
    assert out["variance_from_target"].tolist()[3] == 5.0
    assert np.isnan(out["target"].tolist()[4])  # no target for Milton Keynes
    assert np.isnan(out["target"].tolist()[0])  # only at the last period
    same = workforce_trajectory(actuals, target=100, by="place")
    assert same["variance_from_target"].dropna().tolist() == [-14.5, 10.0, -40.0]


def test_without_kind_plan_or_target() -> None:
    actuals = pd.DataFrame({"period": ["Sep-17", "Sep-18"], "value": [1.0, np.nan]})
    out = workforce_trajectory(actuals)
    assert out["kind"].tolist() == ["actual", "actual"]
    assert out[["plan", "variance_from_plan", "target", "variance_from_target"]].isna().all().all()
    assert out["statistic"].tolist()[1] == "workforce against plan and target NA: no value for this period"
    assert workforce_trajectory(actuals.assign(kind="planned"), kind=None)["kind"].tolist() == ["actual", "actual"]
    assert workforce_trajectory(actuals.assign(kind=" Planned "))["kind"].tolist() == ["planned", "planned"]


def test_plan_periods_beyond_the_actuals_are_named() -> None:
    actuals, plan = issue_table()
    longer = pd.concat([plan, pd.DataFrame({"period": ["Dec-20"], "value": [540.0]})])
    with pytest.warns(UserWarning, match=r"plan: 1 period\(s\) not in actuals are not shown \(first: 'Dec-20'\)"):
        out = workforce_trajectory(actuals, plan=longer)
    assert len(out) == 13
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        workforce_trajectory(actuals, plan=plan)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a, p: workforce_trajectory(a.assign(period="Q3 2018"), plan=p), DomainError, "'Q3 2018'"),
        (lambda a, p: workforce_trajectory(a.assign(period=None)), DomainError, "neither dates nor month labels"),
        (lambda a, p: workforce_trajectory(pd.concat([a, a.iloc[:1]])), SchemaError, "repeat a period"),
        (lambda a, p: workforce_trajectory(a, plan=pd.concat([p, p.iloc[:1]])), SchemaError, "plan: 2 rows repeat"),
        (
            lambda a, p: workforce_trajectory(a.assign(kind="forecast")),
            DomainError,
            "other than 'actual' and 'planned'",
        ),
        (lambda a, p: workforce_trajectory(a, target=float("nan")), DomainError, "finite number"),
        (lambda a, p: workforce_trajectory(a, target="537.5"), DomainError, "expected a number or a table"),
        (lambda a, p: workforce_trajectory(a, target=[537.5]), DomainError, "expected a number or a table"),
        (lambda a, p: workforce_trajectory(a, target=pd.DataFrame({"value": [1.0, 2.0]})), SchemaError, "one row"),
        (lambda a, p: workforce_trajectory(a.drop(columns="value")), SchemaError, "value='value'"),
        (lambda a, p: workforce_trajectory(a.assign(value="x")), SchemaError, "must be numeric"),
        (lambda a, p: workforce_trajectory(a.assign(g="A"), plan=p, by="g"), SchemaError, "by='g'"),
        (lambda a, p: workforce_trajectory(a, plan=p.rename(columns={"value": "fte"})), SchemaError, "value='value'"),
    ],
)
def test_trajectory_bad_inputs(call: object, error: type[Exception], match: str) -> None:
    actuals, plan = issue_table()
    with pytest.raises(error, match=match):
        call(actuals, plan)  # type: ignore[operator]


def test_target_groups_must_exist_and_be_unique() -> None:
    actuals = pd.DataFrame({"place": ["Luton"], "period": ["Sep-18"], "value": [1.0]})
    with pytest.raises(
        ReferenceDataError, match=r"target: 1 group\(s\) of \['place'\] are not in actuals \(first: 'Lutn'\)"
    ):
        workforce_trajectory(actuals, target=pd.DataFrame({"place": ["Lutn"], "value": [2.0]}), by="place")
    with pytest.raises(SchemaError, match=r"one row per group .*repeated: 'Luton', 'Luton'"):
        workforce_trajectory(actuals, target=pd.DataFrame({"place": ["Luton"] * 2, "value": [2.0, 3.0]}), by="place")
