"""Population segmentation: multimorbidity, frailty, a risk model and the 2% / 18% / 80% tiers.

The chain the BLMK plans' "Optum model" rests on, with every choice explicit: condition flags from coded
records (:func:`blmk_health.records.condition_flags`) give the Cambridge Multimorbidity Score
(:func:`cambridge_multimorbidity_score`); eFI scores give frailty categories (:func:`frailty_category`);
a :class:`RiskModel` (a scikit-learn estimator) predicts an emergency admission in the next 12 months
and is judged by :func:`evaluate_scores`; :func:`assign_tiers` ranks the scores within groups and cuts
them by population share; :func:`tier_shares` and :func:`tier_profile` report what the tiers hold.

scikit-learn and statsmodels are imported when first used, so ``import blmk_health`` stays fast.

Examples
--------
>>> import blmk_health as bh
>>> bh.segmentation.frailty_category([0.05, 0.3]).tolist()
['fit', 'moderate']
"""

from __future__ import annotations

from typing import Any

from blmk_health.segmentation._evaluate import RiskEvaluation, evaluate_scores
from blmk_health.segmentation._profile import tier_profile, tier_shares
from blmk_health.segmentation._scores import (
    CMS_GENERAL_WEIGHTS,
    CMS_SOURCE,
    EFI_CUT_POINTS,
    EFI_SOURCE,
    FRAILTY_CATEGORIES,
    cambridge_multimorbidity_score,
    frailty_category,
)
from blmk_health.segmentation._tiers import assign_tiers

__all__ = [
    "CMS_GENERAL_WEIGHTS",
    "CMS_SOURCE",
    "EFI_CUT_POINTS",
    "EFI_SOURCE",
    "FRAILTY_CATEGORIES",
    "RiskEvaluation",
    "RiskModel",
    "assign_tiers",
    "cambridge_multimorbidity_score",
    "evaluate_scores",
    "frailty_category",
    "tier_profile",
    "tier_shares",
]


def __getattr__(name: str) -> Any:
    """``RiskModel`` on first use, so that scikit-learn is imported only when it is needed."""
    if name in ("RiskModel", "DEFAULT_FEATURES"):
        from blmk_health.segmentation import _model

        return getattr(_model, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
