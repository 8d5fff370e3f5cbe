"""A scikit-learn estimator of the risk of an emergency admission in the next 12 months."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from blmk_health._frames import is_frame, is_pandas_frame, to_pandas
from blmk_health.errors import InputError, SchemaError
from blmk_health.segmentation._evaluate import RiskEvaluation, evaluate_scores

__all__ = ["DEFAULT_FEATURES", "RiskModel"]

#: The features used when ``features`` is not given and a table holds them (those it lacks are skipped).
DEFAULT_FEATURES = (
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
_ESTIMATORS = ("logistic", "hist_gradient_boosting")


class RiskModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Predict an emergency admission in the next 12 months from what a GP record holds.

    A scikit-learn classifier (``fit`` returns the model, learned attributes end in ``_``; it works in
    a ``Pipeline``, with ``clone``, ``cross_val_score`` and ``GridSearchCV``) for the risk scores that
    the 2% / 18% / 80% tiers are cut from (:func:`assign_tiers`).

    - ``estimator="logistic"``: a logistic regression on the features, numbers entering as cubic
      splines (so that risk can rise faster with age in old age), text and categories one-hot coded,
      booleans as 0/1. Transparent, and fast on a million patients.
    - ``estimator="hist_gradient_boosting"``: scikit-learn's histogram gradient boosting, which finds
      interactions itself.
    - ``calibrate=True`` recalibrates the predicted risks with Platt scaling fitted by 3-fold
      cross-validation (``CalibratedClassifierCV``), which matters most for gradient boosting (fewer
      folds when an outcome has fewer than 3 patients; none when it has only one).

    Features: with ``features=None``, a table's columns among :data:`DEFAULT_FEATURES` (age, sex, the
    Cambridge Multimorbidity Score ``cms``, prior emergency admissions and bed days, care-home
    residence, the eFI score and frailty category, IMD decile; missing numbers, such as the eFI of
    people under 65, are filled with the median and flagged) when it holds any of them, else every column; or name the
    columns yourself (e.g. the condition flags instead of the score). Numpy arrays use every column.

    A licensed tool's score (e.g. the ACG system or QAdmissions, which must not be re-implemented) can
    be used instead of fitting: ``RiskModel(score_column="acg_score")`` learns nothing, predicts the
    column's values (``predict_risk``; ``predict_proba`` only when they are probabilities, 0 to 1; a
    score on another scale, such as an ACG resource band, ranks patients but has no calibration), and
    is evaluated and tiered like a fitted model.

    Parameters
    ----------
    estimator : {"logistic", "hist_gradient_boosting"}, default "logistic"
    features : list of str, optional
        Columns to predict from (tables only).
    calibrate : bool, default True
    random_state : int, default 0
        Seed of the cross-validation folds and of the gradient boosting.
    score_column : str, optional
        The column of an externally supplied score, used instead of fitting.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The outcome's classes.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names seen in ``fit`` (tables only).
    features_ : list of str
        The columns the model uses.
    model_ : sklearn estimator
        The fitted pipeline (``None`` with an external ``score_column``).

    Examples
    --------
    >>> import blmk_health as bh
    >>> data = bh.datasets.synthetic_blmk(scale=0.005).patients
    >>> model = bh.segmentation.RiskModel().fit(data, data["emergency_admission_next_year"])
    >>> model.features_
    ['age', 'sex', 'prior_emergency_admissions', 'prior_bed_days', 'care_home', 'efi_score', 'frailty_category',
     'imd_decile']
    >>> risk = model.predict_risk(data)
    >>> bool(0 < risk.min() and risk.max() < 1)
    True
    """

    def __init__(
        self,
        estimator: str = "logistic",
        features: Sequence[str] | None = None,
        calibrate: bool = True,
        random_state: int | None = 0,
        score_column: str | None = None,
    ) -> None:
        self.estimator = estimator
        self.features = features
        self.calibrate = calibrate
        self.random_state = random_state
        self.score_column = score_column

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def fit(self, X: Any, y: Any) -> RiskModel:  # noqa: N803 - scikit-learn's names
        """Fit the model to patients ``X`` and their outcomes ``y`` (0/1 or True/False); returns it."""
        if self.estimator not in _ESTIMATORS:
            msg = f"estimator: expected one of {', '.join(map(repr, _ESTIMATORS))}, got {self.estimator!r}"
            raise InputError(msg)
        X = _as_table(X)  # noqa: N806
        y = _outcome(y)
        if is_pandas_frame(X):
            validate_data(self, X, skip_check_array=True)
            if len(X) != len(y):
                msg = f"X and y: {len(X)} patients in X but {len(y)} outcomes in y"
                raise InputError(msg)
        else:
            X, y = validate_data(self, X, y)  # noqa: N806
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            only = self.classes_[0].item()
            msg = f"y: only one class ({only!r}) is present; the model needs both outcomes to learn from"
            raise InputError(msg)
        if self.score_column is not None:
            table = _frame(X)
            if self.score_column not in table.columns:
                msg = f"score_column: {self.score_column!r} is not a column of X ({list(table.columns)[:20]!r})"
                raise SchemaError(msg)
            self.features_ = [self.score_column]
            self.model_ = None
            return self
        table = _frame(X)
        self.features_ = _features(table, self.features)
        self.model_ = _pipeline(table[self.features_], y, self.estimator, self.calibrate, self.random_state)
        self.model_.fit(table[self.features_], y)
        return self

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:  # noqa: N803
        """Probabilities of each class (``classes_`` order), one row per patient."""
        risk = self._positive(X)
        if self.model_ is None:
            if not np.all((risk >= 0) & (risk <= 1)):
                msg = (
                    f"X: the external score {self.score_column!r} is not a probability (values outside 0 to 1): "
                    "use predict_risk to rank patients by it"
                )
                raise InputError(msg)
            return np.column_stack([1.0 - risk, risk])
        return risk

    def predict(self, X: Any) -> npt.NDArray[Any]:  # noqa: N803
        """The most probable class of each patient."""
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])

    def predict_risk(self, X: Any) -> npt.NDArray[np.float64]:  # noqa: N803
        """The predicted risk of the outcome (or the external score) of each patient, as a 1-d array."""
        proba = self._positive(X)
        if self.model_ is None:
            return proba
        return np.asarray(proba[:, -1], dtype=float)

    def evaluate(
        self,
        X: Any,  # noqa: N803
        y: Any,
        *,
        tops: Sequence[float] = (0.02, 0.2),
        confidence: float = 0.95,
    ) -> RiskEvaluation:
        """The c-statistic with DeLong limits, Brier score, calibration slope and intercept, calibration
        table and plot, and sensitivity and PPV at the top 2% and 20% (:func:`evaluate_scores`), on
        patients ``X`` with outcomes ``y`` (held-out patients, for an honest figure)."""
        return evaluate_scores(_outcome(y), self.predict_risk(X), tops=tops, confidence=confidence)

    def _positive(self, X: Any) -> npt.NDArray[np.float64]:  # noqa: N803
        check_is_fitted(self, "classes_")
        X = _as_table(X)  # noqa: N806
        if is_pandas_frame(X):
            validate_data(self, X, skip_check_array=True, reset=False)
        else:
            X = validate_data(self, X, reset=False)  # noqa: N806
        table = _frame(X)
        if self.model_ is None:
            values = pd.to_numeric(table[self.score_column], errors="coerce").to_numpy(dtype=float)
            return np.asarray(values, dtype=float)
        return np.asarray(self.model_.predict_proba(table[self.features_]), dtype=float)


def _as_table(X: Any) -> Any:  # noqa: N803
    """A frame of any backend as pandas (modelling is in memory); arrays as they are."""
    if is_frame(X) and not is_pandas_frame(X):
        return to_pandas(X, "X")
    return X


def _outcome(y: Any) -> npt.NDArray[Any]:
    if is_frame(y):
        table = to_pandas(y, "y")
        if table.shape[1] != 1:
            msg = f"y: expected one outcome column, got {table.shape[1]}"
            raise InputError(msg)
        y = table.iloc[:, 0]
    values = np.asarray(y)
    if values.dtype == bool:
        values = values.astype(np.int64)
    return values


def _frame(X: Any) -> pd.DataFrame:  # noqa: N803
    if is_pandas_frame(X):
        table: pd.DataFrame = X
        return table
    array = np.asarray(X)
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _features(table: pd.DataFrame, features: Sequence[str] | None) -> list[str]:
    if features is None:
        found = [c for c in DEFAULT_FEATURES if c in table.columns]
        return found or list(table.columns)
    if isinstance(features, str):
        features = [features]
    missing = [c for c in features if c not in table.columns]
    if missing:
        msg = f"features: column(s) {missing!r} are not in X, which has {list(table.columns)[:20]!r}"
        raise SchemaError(msg)
    if not features:
        msg = "features: name at least one column"
        raise InputError(msg)
    return list(features)


def _pipeline(
    table: pd.DataFrame, y: npt.NDArray[Any], estimator: str, calibrate: bool, random_state: int | None
) -> Any:
    """The preprocessing and the estimator for the columns' kinds, calibrated if asked."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, SplineTransformer, StandardScaler

    numbers, binary, categories = _kinds(table)
    boosting = estimator == "hist_gradient_boosting"
    steps: list[tuple[str, Any, list[str]]] = []
    if numbers:
        spline = SplineTransformer(n_knots=5, degree=3, extrapolation="linear")
        fill = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        steps.append(("numbers", "passthrough" if boosting else make_pipeline(fill, StandardScaler(), spline), numbers))
    if binary:
        most = SimpleImputer(strategy="most_frequent", add_indicator=True, keep_empty_features=True)
        steps.append(("binary", "passthrough" if boosting else most, binary))
    if categories:
        coder = (
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
            if boosting
            else OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        )
        steps.append(("categories", coder, categories))
    prepare = ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)
    if boosting:
        n_numeric = len(numbers) + len(binary)
        mask = [False] * n_numeric + [True] * len(categories)
        model: Any = HistGradientBoostingClassifier(
            categorical_features=mask if categories else None, random_state=random_state
        )
    else:
        model = LogisticRegression(solver="newton-cholesky", max_iter=200)
    pipeline = Pipeline([("prepare", _ToNumbers(binary, categories)), ("columns", prepare), ("model", model)])
    smallest = int(min(np.unique(y, return_counts=True)[1]))
    if not calibrate or smallest < 2:  # too few patients of one outcome to cross-validate the calibration
        return pipeline
    folds = StratifiedKFold(n_splits=min(3, smallest), shuffle=True, random_state=random_state)
    return CalibratedClassifierCV(pipeline, method="sigmoid", cv=folds)


def _kinds(table: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Numeric columns with more than two values, boolean-like columns, and text or category columns."""
    numbers: list[str] = []
    binary: list[str] = []
    categories: list[str] = []
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_bool_dtype(values):
            binary.append(column)
        elif pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            (numbers if values.nunique(dropna=True) > 2 else binary).append(column)
        else:
            categories.append(column)
    return numbers, binary, categories


class _ToNumbers(BaseEstimator):  # type: ignore[misc]
    """Booleans as 0/1 floats and categories or text as text, so that every backend's frame fits alike."""

    def __init__(self, binary: list[str] | None = None, categories: list[str] | None = None) -> None:
        self.binary = binary
        self.categories = categories

    def fit(self, X: Any, y: Any = None) -> _ToNumbers:  # noqa: N803
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        out = X.copy()
        for column in self.binary or []:
            values = pd.to_numeric(out[column].astype(object).where(out[column].notna(), None), errors="coerce")
            out[column] = values.astype(float)
        for column in self.categories or []:  # text as Python objects: no Arrow strings to convert back
            texts = ["None" if pd.isna(v) else str(v) for v in out[column].astype(object).to_numpy()]
            out[column] = pd.Series(texts, index=out.index, dtype=object)
        return out
