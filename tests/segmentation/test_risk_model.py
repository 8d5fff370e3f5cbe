"""``bh.segmentation.RiskModel``: a scikit-learn classifier of an emergency admission in the next year.

scikit-learn's own estimator checks run on the default model, the uncalibrated logistic model and the
uncalibrated gradient boosting; then the scikit-learn contract by hand (``fit`` returns the model,
``clone``, ``Pipeline``, ``cross_val_score``, learned attributes ending in ``_``), the features, the
errors, an external score, gradient boosting against scikit-learn's own classifier, every in-memory
frame kind against pandas, and the end-to-end check on synthetic data: condition flags, the Cambridge
Multimorbidity Score and a model fitted on half the patients must discriminate on the other half nearly
as well as the generator's true risks, and be calibrated.

Everything runs with one thread (``threadpool_limits``): histogram gradient boosting's OpenMP threads
slow it down by tens of seconds on a busy two-core machine, and the results do not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import estimator_checks_generator
from threadpoolctl import threadpool_limits

import blmk_health as bh
from blmk_health.errors import InputError, SchemaError
from blmk_health.segmentation import RiskModel, cambridge_multimorbidity_score, evaluate_scores
from tests.helpers import to_backend

OUTCOME = "emergency_admission_next_year"
ORACLE = "emergency_admission_probability"

#: The default features the synthetic patients hold (they have no ``cms``), in DEFAULT_FEATURES order.
SYNTHETIC_DEFAULTS = [
    "age",
    "sex",
    "prior_emergency_admissions",
    "prior_bed_days",
    "care_home",
    "efi_score",
    "frailty_category",
    "imd_decile",
]


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return bh.datasets.synthetic_blmk(scale=0.005).patients


@pytest.fixture(scope="module")
def fitted(patients: pd.DataFrame) -> RiskModel:
    with threadpool_limits(1):
        return RiskModel().fit(patients, patients[OUTCOME])


def halves(n: int, seed: int = 20240) -> np.ndarray:
    """A seeded random half of ``n`` patients (True: training)."""
    return np.random.default_rng(seed).permutation(n) < n // 2


# ------------------------------------------------------------------ scikit-learn's estimator checks

#: 3-fold Platt calibration needs at least 3 patients of each class; these checks fit on a few rows of
#: three classes (``y = X[:, 0].astype(int)``), so the calibrated model cannot fit them. The same checks
#: run on ``RiskModel(calibrate=False)``, where they must pass.
#: The array-API check runs only with SCIPY_ARRAY_API=1 and otherwise skips, and nothing may skip under
#: CI; RiskModel does not claim array-API support (its ``array_api_support`` tag is False), so it is left out.
NOT_RUN = frozenset({"check_array_api_input"})

CHECKED = [
    RiskModel(),
    RiskModel(calibrate=False),
    RiskModel(estimator="hist_gradient_boosting", calibrate=False),
]


def check_name(check: Any) -> str:
    return check.func.__name__ if isinstance(check, partial) else check.__name__


def sklearn_checks() -> Iterator[Any]:
    """scikit-learn's checks of each estimator in :data:`CHECKED` (as ``parametrize_with_checks`` makes
    them), every one expected to pass, without :data:`NOT_RUN`."""
    for model in CHECKED:
        generated = estimator_checks_generator(
            model,
            legacy=True,
        )
        for item in generated:
            marks = item.marks if hasattr(item, "marks") else ()
            estimator, check = item.values if hasattr(item, "values") else item
            name = check_name(check)
            if name not in NOT_RUN:
                yield pytest.param(estimator, check, marks=marks, id=f"{model!r}-{name}")


def test_only_the_array_api_check_is_left_out() -> None:
    names = [check_name(check) for _, check in estimator_checks_generator(RiskModel(), legacy=True)]
    assert set(names) >= NOT_RUN
    assert not RiskModel().__sklearn_tags__().array_api_support
    kept = [param.id.split("-", 1)[1] for param in sklearn_checks() if param.id.startswith("RiskModel()-")]
    assert sorted(kept) == sorted(name for name in names if name not in NOT_RUN)


@pytest.mark.parametrize(("estimator", "check"), list(sklearn_checks()))
def test_sklearn_estimator_checks(estimator: RiskModel, check: Any) -> None:
    check(estimator)


# ----------------------------------------------------------------------- the scikit-learn contract


def test_fit_returns_the_model_and_learned_attributes_end_in_underscore(patients: pd.DataFrame) -> None:
    model = RiskModel(calibrate=False)
    before = set(vars(model))
    assert before == {"estimator", "features", "calibrate", "random_state", "score_column"}
    assert model.fit(patients, patients[OUTCOME]) is model
    learned = set(vars(model)) - before
    assert learned == {"classes_", "n_features_in_", "feature_names_in_", "features_", "model_"}
    assert all(name.endswith("_") for name in learned)
    assert model.get_params() == {
        "estimator": "logistic",
        "features": None,
        "calibrate": False,
        "random_state": 0,
        "score_column": None,
    }
    assert model.classes_.tolist() == [0, 1]
    assert model.n_features_in_ == patients.shape[1]
    assert model.feature_names_in_.tolist() == list(patients.columns)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_risk"])
def test_unfitted_model_refuses_to_predict(patients: pd.DataFrame, method: str) -> None:
    with pytest.raises(NotFittedError):
        getattr(RiskModel(), method)(patients)
    with pytest.raises(NotFittedError):
        getattr(RiskModel(score_column="age"), method)(patients)


def test_unfitted_model_refuses_to_evaluate(patients: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        RiskModel().evaluate(patients, patients[OUTCOME])


def test_clone_gives_an_unfitted_copy_that_refits_to_the_same_risks(fitted: RiskModel, patients: pd.DataFrame) -> None:
    copy = clone(fitted)
    assert copy is not fitted
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_")
    with pytest.raises(NotFittedError):
        copy.predict_proba(patients)
    copy.fit(patients, patients[OUTCOME])
    np.testing.assert_allclose(copy.predict_risk(patients), fitted.predict_risk(patients), rtol=1e-10)
    other = clone(RiskModel(estimator="hist_gradient_boosting", features=["age"], calibrate=False, random_state=3))
    assert other.get_params()["random_state"] == 3
    assert other.get_params()["features"] == ["age"]


def test_predictions_are_consistent(fitted: RiskModel, patients: pd.DataFrame) -> None:
    proba = fitted.predict_proba(patients)
    risk = fitted.predict_risk(patients)
    assert proba.shape == (len(patients), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(proba[:, 1], risk)
    assert ((risk > 0) & (risk < 1)).all()
    np.testing.assert_array_equal(fitted.predict(patients), (risk > 0.5).astype(int))


def test_evaluate_is_evaluate_scores_of_the_risks(fitted: RiskModel, patients: pd.DataFrame) -> None:
    y = patients[OUTCOME]
    ours = fitted.evaluate(patients, y, tops=(0.05,), confidence=0.9)
    direct = evaluate_scores(y.astype(int), fitted.predict_risk(patients), tops=(0.05,), confidence=0.9)
    pd.testing.assert_frame_equal(ours.to_frame(), direct.to_frame())
    assert ours.c_statistic == pytest.approx(roc_auc_score(y, fitted.predict_risk(patients)), rel=1e-12)


def test_works_inside_a_pipeline(fitted: RiskModel, patients: pd.DataFrame) -> None:
    pipe = Pipeline([("identity", FunctionTransformer()), ("model", RiskModel())])
    assert pipe.fit(patients, patients[OUTCOME]) is pipe
    np.testing.assert_allclose(pipe.predict_proba(patients), fitted.predict_proba(patients), rtol=1e-10)
    np.testing.assert_array_equal(pipe.predict(patients), fitted.predict(patients))
    assert pipe.named_steps["model"].features_ == SYNTHETIC_DEFAULTS


def test_cross_val_score_equals_a_loop_by_hand(patients: pd.DataFrame) -> None:
    y = patients[OUTCOME].astype(int)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    model = RiskModel(calibrate=False)
    scores = cross_val_score(model, patients, y, cv=folds, scoring="roc_auc")
    by_hand = []
    for train, test in folds.split(patients, y):
        fold_model = RiskModel(calibrate=False).fit(patients.iloc[train], y.iloc[train])
        by_hand.append(roc_auc_score(y.iloc[test], fold_model.predict_risk(patients.iloc[test])))
    np.testing.assert_allclose(scores, by_hand, rtol=1e-12)
    assert (scores > 0.65).all()


def test_score_method_and_default_cross_val_score_give_accuracy(patients: pd.DataFrame) -> None:
    # ClassifierMixin.score (accuracy) is what cross_val_score and GridSearchCV use without `scoring`:
    # the `score` parameter must not hide it.
    y = patients[OUTCOME].astype(int)
    model = RiskModel(calibrate=False).fit(patients, y)
    assert callable(model.score)
    assert model.score(patients, y) == accuracy_score(y, model.predict(patients))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    scores = cross_val_score(RiskModel(calibrate=False), patients, y, cv=folds)
    assert not np.isnan(scores).any()
    assert (scores > 0.5).all()


# ----------------------------------------------------------------------------------------- features


def test_default_features_are_the_listed_columns_a_table_holds(patients: pd.DataFrame) -> None:
    model = RiskModel(calibrate=False).fit(patients, patients[OUTCOME])
    assert model.features_ == SYNTHETIC_DEFAULTS
    with_cms = patients.assign(cms=0.0)
    model = RiskModel(calibrate=False).fit(with_cms, patients[OUTCOME])
    assert model.features_ == [*SYNTHETIC_DEFAULTS[:2], "cms", *SYNTHETIC_DEFAULTS[2:]]
    assert tuple(bh.segmentation.DEFAULT_FEATURES) == (
        "age",
        "sex",
        "cms",
        "prior_emergency_admissions",
        "prior_bed_days",
        "care_home",
        "efi_score",
        "frailty_category",
        "imd_decile",
    )


def test_table_without_default_features_uses_every_column() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"b": rng.normal(size=200), "a": rng.normal(size=200)})
    y = (table["a"] + rng.normal(size=200) > 0).astype(int)
    model = RiskModel(calibrate=False).fit(table, y)
    assert model.features_ == ["b", "a"]
    numpy_model = RiskModel(calibrate=False).fit(table.to_numpy(), y.to_numpy())
    assert numpy_model.features_ == ["x0", "x1"]
    assert not hasattr(numpy_model, "feature_names_in_")
    np.testing.assert_allclose(numpy_model.predict_risk(table.to_numpy()), model.predict_risk(table), rtol=1e-10)


def test_explicit_features_are_the_only_ones_used(patients: pd.DataFrame) -> None:
    y = patients[OUTCOME]
    model = RiskModel(features=["age", "care_home"], calibrate=False).fit(patients, y)
    assert model.features_ == ["age", "care_home"]
    risk = model.predict_risk(patients)
    # Scrambling every other column changes nothing.
    scrambled = patients.copy()
    for column in ["prior_emergency_admissions", "prior_bed_days", "efi_score", "imd_decile"]:
        scrambled[column] = scrambled[column].sample(frac=1, random_state=0).to_numpy()
    np.testing.assert_array_equal(model.predict_risk(scrambled), risk)
    # ... but the features do: older people are at higher risk.
    older = patients.assign(age=patients["age"] + 10)
    assert not np.allclose(model.predict_risk(older), risk)
    # One feature as a string.
    assert RiskModel(features="age", calibrate=False).fit(patients, y).features_ == ["age"]


def test_missing_feature_raises_a_schema_error(patients: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match=r"features: column\(s\) \['frailty_score'\] are not in X"):
        RiskModel(features=["age", "frailty_score"]).fit(patients, patients[OUTCOME])


def test_no_features_raises(patients: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="features: name at least one column"):
        RiskModel(features=[]).fit(patients, patients[OUTCOME])


def test_integer_column_names_are_used() -> None:
    # A pandas frame straight from a numpy array has columns 0, 1, ... (not text).
    rng = np.random.default_rng(1)
    array = rng.normal(size=(300, 2))
    y = (array[:, 0] + rng.normal(size=300) > 0).astype(int)
    model = RiskModel(calibrate=False).fit(pd.DataFrame(array), y)
    expected = RiskModel(calibrate=False).fit(array, y).predict_risk(array)
    np.testing.assert_allclose(model.predict_risk(pd.DataFrame(array)), expected, rtol=1e-10)


def test_missing_values_in_a_zero_one_feature_are_filled() -> None:
    # "Missing numbers are filled with the median and flagged": a 0/1 column with gaps is a number too.
    rng = np.random.default_rng(2)
    n = 400
    age = rng.integers(20, 90, n).astype(float)
    smoker = rng.integers(0, 2, n).astype(float)
    smoker[::7] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-(age - 60) / 10))).astype(int)
    table = pd.DataFrame({"age": age, "smoker": smoker})
    risk = RiskModel(features=["age", "smoker"]).fit(table, y).predict_risk(table)
    assert np.isfinite(risk).all()
    assert ((risk > 0) & (risk < 1)).all()


# ------------------------------------------------------------------------------------------- errors


def test_unknown_estimator_raises(patients: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"estimator: expected one of 'logistic', 'hist_gradient_boosting', got 'xgb'"):
        RiskModel(estimator="xgb").fit(patients, patients[OUTCOME])


def test_one_class_raises(patients: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="y: only one class"):
        RiskModel().fit(patients, np.zeros(len(patients), dtype=int))


def test_lengths_of_x_and_y_must_match(patients: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=f"X and y: {len(patients)} patients in X but 10 outcomes in y"):
        RiskModel().fit(patients, patients[OUTCOME].iloc[:10])


def test_outcome_frame_must_have_one_column(patients: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="y: expected one outcome column, got 2"):
        RiskModel().fit(patients, patients[[OUTCOME, "care_home"]])


# ------------------------------------------------------------------------------------ external score


def test_external_score_is_predicted_as_it_is(patients: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    table = patients.assign(acg=rng.random(len(patients)))
    y = patients[OUTCOME]
    model = RiskModel(score_column="acg").fit(table, y)
    assert model.model_ is None  # nothing fitted
    assert model.features_ == ["acg"]
    np.testing.assert_array_equal(model.predict_risk(table), table["acg"].to_numpy())
    np.testing.assert_array_equal(model.predict_proba(table), np.column_stack([1 - table["acg"], table["acg"]]))
    # New patients: their own column, nothing learned from the first.
    others = table.assign(acg=rng.random(len(table)))
    np.testing.assert_array_equal(model.predict_risk(others), others["acg"].to_numpy())
    # Evaluated like a fitted model.
    ours = model.evaluate(table, y)
    direct = evaluate_scores(y.astype(int), table["acg"])
    pd.testing.assert_frame_equal(ours.to_frame(), direct.to_frame())
    assert ours.probabilities


def test_external_score_on_another_scale_is_ranked(patients: pd.DataFrame) -> None:
    y = patients[OUTCOME]
    bands = patients["prior_emergency_admissions"].clip(upper=5) + 1  # 1 to 6
    table = patients.assign(band=bands)
    model = RiskModel(score_column="band").fit(table, y)
    np.testing.assert_array_equal(model.predict_risk(table), bands.to_numpy(dtype=float))
    result = model.evaluate(table, y)
    assert not result.probabilities
    assert np.isnan(result.brier)
    assert result.c_statistic == pytest.approx(roc_auc_score(y, bands), rel=1e-12)


def test_external_score_column_must_exist(patients: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="acg_score"):
        RiskModel(score_column="acg_score").fit(patients, patients[OUTCOME])


# --------------------------------------------------------------------------------- gradient boosting


def test_gradient_boosting_equals_sklearns_classifier_on_numbers(patients: pd.DataFrame) -> None:
    numbers = ["age", "prior_bed_days", "imd_decile", "efi_score"]  # missing eFI below 65 stays missing
    y = patients[OUTCOME].astype(int)
    model = RiskModel(estimator="hist_gradient_boosting", features=numbers, calibrate=False, random_state=4)
    model.fit(patients, y)
    reference = HistGradientBoostingClassifier(random_state=4).fit(patients[numbers].to_numpy(float), y)
    expected = reference.predict_proba(patients[numbers].to_numpy(float))[:, 1]
    np.testing.assert_allclose(model.predict_risk(patients), expected, rtol=1e-12)


def test_calibrated_gradient_boosting_on_mixed_columns(patients: pd.DataFrame) -> None:
    train = halves(len(patients))
    fit_on, test_on = patients[train], patients[~train]
    model = RiskModel(estimator="hist_gradient_boosting").fit(fit_on, fit_on[OUTCOME])
    assert model.features_ == SYNTHETIC_DEFAULTS  # text, categories, booleans and numbers with gaps
    assert isinstance(model.model_, CalibratedClassifierCV)
    risk = model.predict_risk(test_on)
    assert ((risk > 0) & (risk < 1)).all()
    result = model.evaluate(test_on, test_on[OUTCOME])
    # The generator's true risks reach about 0.76 on these patients; a broken coding of the columns
    # (categories as numbers, flags shuffled) falls to chance.
    assert result.c_statistic > 0.65


# ------------------------------------------------------------------------------- other frame kinds


@pytest.mark.parametrize("kind", ["polars", "polars-lazy", "pyarrow"])
def test_other_frames_give_the_pandas_predictions(kind: str, fitted: RiskModel, patients: pd.DataFrame) -> None:
    y = patients[OUTCOME].to_numpy()
    frame = to_backend(patients, kind)
    model = RiskModel().fit(frame, y)
    assert model.features_ == SYNTHETIC_DEFAULTS
    np.testing.assert_allclose(model.predict_risk(frame), fitted.predict_risk(patients), rtol=1e-9)
    # A pandas-fitted model predicts the same from the other kind.
    np.testing.assert_allclose(fitted.predict_risk(frame), fitted.predict_risk(patients), rtol=1e-9)


def test_polars_outcomes(patients: pd.DataFrame) -> None:
    features = ["age", "prior_emergency_admissions"]
    y = patients[OUTCOME]
    expected = RiskModel(features=features, calibrate=False).fit(patients, y).predict_risk(patients)
    frame = pl.from_pandas(patients[features])
    for outcome in (pl.Series(y.to_numpy()), pl.DataFrame({"y": y.to_numpy()})):
        model = RiskModel(features=features, calibrate=False).fit(frame, outcome)
        assert model.classes_.tolist() == [0, 1]
        np.testing.assert_allclose(model.predict_risk(frame), expected, rtol=1e-10)


# ----------------------------------------------------------------------- end to end on synthetic data


def test_model_on_synthetic_data_nearly_matches_the_true_risks() -> None:
    d = bh.datasets.synthetic_blmk(scale=0.1)
    flags = bh.records.condition_flags(
        d.events,
        d.codelists,
        code="snomed_code",
        coding_system="snomedct",
        population=d.patients[["patient_id"]],
        dates=False,
    )
    conditions = {"anxiety_depression": "depression_anxiety", "schizophrenia_bipolar": "smi"}
    with pytest.warns(UserWarning, match="counted as absent in every patient: alcohol_problems"):
        scored = cambridge_multimorbidity_score(flags, conditions=conditions, missing="absent")
    data = d.patients.merge(scored[["patient_id", "cms"]], on="patient_id", how="left", validate="one_to_one")
    assert len(data) == len(d.patients)
    assert data["cms"].notna().all()
    assert data["cms"].max() > 3  # the score is not all zero

    train = halves(len(data), seed=7)
    fit_on, held_out = data[train], data[~train]
    model = RiskModel().fit(fit_on, fit_on[OUTCOME])
    assert "cms" in model.features_
    result = model.evaluate(held_out, held_out[OUTCOME])
    oracle = evaluate_scores(held_out[OUTCOME], held_out[ORACLE])
    assert result.n == oracle.n == len(held_out)
    assert abs(result.c_statistic - oracle.c_statistic) < 0.02, (result.c_statistic, oracle.c_statistic)
    assert 0.9 < result.calibration_slope < 1.1, result.calibration_slope
