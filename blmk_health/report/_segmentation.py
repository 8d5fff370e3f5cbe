"""The population segmentation the report shows: every registered patient scored and placed in a tier.

Condition flags from the coded GP events, the Cambridge Multimorbidity Score, a logistic :class:`RiskModel`
of an emergency admission in the next 12 months **cross-fitted** (each half of the patients scored by a
model fitted on the other half, so that no patient's score has seen their own outcome), and the 2% / 18% /
80% tiers of the whole system, with care-home residents placed in the complex tier first. Made once per
patients table and shared by the indicator definitions (a ``segmentation = "tiers"`` prepare step) and
the report's section: the definitions get the 0/1 columns summed by practice (``by_practice``), which
they add up for every level.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import blmk_health as bh

__all__ = ["OVERRIDES", "SEGMENT_COLUMNS", "TIERS", "Segmentation", "segmentation"]

#: The tiers, top first, and their shares.
TIERS = ("complex", "high_need", "healthy")
SHARES = (0.02, 0.18, 0.80)
#: Patients placed in a tier before the ranking.
OVERRIDES = {"care_home": "complex"}
#: The 0/1 columns added for the indicator definitions.
SEGMENT_COLUMNS = (
    "registered",
    "tier_complex",
    "tier_high_need",
    "tier_healthy",
    "admitted_next_year",
    "admitted_complex",
    "admitted_top_20",
)
#: Conditions of the Cambridge Multimorbidity Score named otherwise in the built-in code lists.
_CMS_NAMES = {"anxiety_depression": "depression_anxiety", "schizophrenia_bipolar": "smi"}
_OUTCOME = "emergency_admission_next_year"
_NEEDED = ("patient_id", "practice_code", "age", "sex", _OUTCOME)


class SegmentationUnavailableError(Exception):
    """The tables cannot feed the segmentation (the message says why)."""


@dataclass(frozen=True)
class Segmentation:
    """The tiered patients and what the report says about them."""

    tiered: pd.DataFrame
    by_practice: pd.DataFrame
    evaluation: Any  # bh.segmentation.RiskEvaluation (out of fold)
    shares: pd.DataFrame
    features: list[str]
    absent: list[str]


_MADE: list[tuple[tuple[object, ...], Segmentation]] = []


def segmentation(tables: Mapping[str, Any]) -> Segmentation:
    """The segmentation of the ``patients`` table, made once per set of tables (raises why it cannot be made)."""
    missing = [name for name in ("patients", "events", "codelists") if name not in tables]
    if missing:
        msg = f"the data have no {', '.join(map(repr, missing))} table (patient-level GP records)"
        raise SegmentationUnavailableError(msg)
    patients, events, codelists = tables["patients"], tables["events"], tables["codelists"]
    for seen, made in _MADE:
        if len(seen) == 3 and all(a is b for a, b in zip(seen, (patients, events, codelists), strict=True)):
            return made
    frame = pd.DataFrame(patients)
    absent = [c for c in _NEEDED if c not in frame.columns]
    if absent:
        msg = f"the patients table has no column(s) {absent}"
        raise SegmentationUnavailableError(msg)
    made = _segment(frame, pd.DataFrame(events), pd.DataFrame(codelists))
    _MADE[:] = [((patients, events, codelists), made)]
    return made


def _segment(patients: pd.DataFrame, events: pd.DataFrame, codelists: pd.DataFrame) -> Segmentation:
    code = "snomed_code" if "snomed_code" in events.columns else "code"
    system = "snomedct" if "coding_system" in codelists.columns else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the absent conditions are listed in the report
        flags = bh.records.condition_flags(
            events, codelists, code=code, coding_system=system, population=patients[["patient_id"]], dates=False
        )
        cms = bh.segmentation.cambridge_multimorbidity_score(
            flags, conditions={k: v for k, v in _CMS_NAMES.items() if v in flags.columns}, missing="absent"
        )
    absent = [c for c in bh.segmentation.CMS_GENERAL_WEIGHTS if _CMS_NAMES.get(c, c) not in flags.columns]
    data = patients.merge(cms[["patient_id", "cms"]], on="patient_id", how="left")
    outcome = data[_OUTCOME].astype(bool).to_numpy()
    risk, features = _cross_fitted(data, outcome)
    data["risk"] = risk
    tiered = pd.DataFrame(
        bh.segmentation.assign_tiers(data, "risk", shares=SHARES, labels=TIERS, overrides=_overrides(data))
    )
    _add_counts(tiered)
    keep = ["patient_id", "practice_code", "place_code", "age", "sex", "imd_decile", "care_home", "cms", "risk"]
    keep += ["tier", "tier_override", "tier_tied", _OUTCOME, "prior_bed_days", *SEGMENT_COLUMNS]
    tiered = tiered[[c for c in dict.fromkeys(keep) if c in tiered.columns]]  # what the report uses
    evaluation = bh.segmentation.evaluate_scores(outcome, risk)
    shares = pd.DataFrame(bh.segmentation.tier_shares(tiered, shares=SHARES, labels=TIERS))
    by_practice = tiered.groupby("practice_code", observed=True)[list(SEGMENT_COLUMNS)].sum().reset_index()
    by_practice["practice_code"] = by_practice["practice_code"].astype("str")
    return Segmentation(tiered, by_practice, evaluation, shares, features, absent)


def _overrides(data: pd.DataFrame) -> dict[str, str]:
    return {column: tier for column, tier in OVERRIDES.items() if column in data.columns}


def _cross_fitted(data: pd.DataFrame, outcome: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each patient's risk from a logistic model fitted on the other half of the patients."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    risk = np.empty(len(data), dtype=float)
    features: list[str] = []
    for fit_rows, score_rows in folds.split(np.zeros(len(data)), outcome):
        model = bh.segmentation.RiskModel(calibrate=False).fit(data.iloc[fit_rows], outcome[fit_rows])
        risk[score_rows] = model.predict_risk(data.iloc[score_rows])
        features = list(model.features_)
    return risk, features


def _add_counts(tiered: pd.DataFrame) -> None:
    admitted = tiered[_OUTCOME].astype(bool)
    tiered["registered"] = 1
    for tier in TIERS:
        tiered[f"tier_{tier}"] = (tiered["tier"] == tier).astype(np.int64)
    tiered["admitted_next_year"] = admitted.astype(np.int64)
    tiered["admitted_complex"] = (admitted & (tiered["tier"] == "complex")).astype(np.int64)
    top = tiered["tier"].isin(["complex", "high_need"])
    tiered["admitted_top_20"] = (admitted & top).astype(np.int64)
