"""QOF achievement (HYP006, AF007 of 2018-19) and expected prevalence (hypertension, AF) of the synthetic patients.

``qof_achievement`` is drawn from its own random stream, so every other table stays the same; the
``expected_prevalence`` table is computed (no randomness) with :func:`blmk_health.indicators.expected_prevalence`
from the patients and the generator's ``prevalence_rates``. The model and its calibration are in
``docs/synthetic-data.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._people import People
from blmk_health.datasets._synthetic._tables import as_text
from blmk_health.indicators import expected_prevalence
from blmk_health.io import QOF_INDICATORS

__all__ = [
    "AF_NOT_TREATED",
    "EXPECTED_CONDITIONS",
    "HYP_NOT_TREATED",
    "build_expected_prevalence",
    "build_qof_achievement",
    "cha2ds2_vasc",
]

#: People with hypertension not treated to target in BLMK (as the BLMK plans quote it), at scale 1.
HYP_NOT_TREATED = 27_100
#: People with high-risk AF not optimally treated (anticoagulated) in BLMK (as the BLMK plans quote it), at scale 1.
AF_NOT_TREATED = 2_400
#: Share of the HYP006 register exception-reported: Milton Keynes CCG 2016-17, 1,876 of 35,408
#: (as the BLMK plans quote it).
HYP_EXCEPTION_SHARE = 1_876 / (33_532 + 1_876)
#: Share of the AF007 eligible patients exception-reported (ILLUSTRATIVE).
AF_EXCEPTION_SHARE = 0.08
#: Between-practice spread (standard deviation on the logit scale) of exception and treatment shares
#: (ILLUSTRATIVE).
EXCEPTION_SPREAD = 0.35
TREATMENT_SPREAD = 0.30
#: The conditions of the synthetic ``expected_prevalence`` table.
EXPECTED_CONDITIONS = ("atrial_fibrillation", "hypertension")

_COLUMNS = ["practice_code", "indicator_code", "indicator", "numerator", "denominator", "exceptions"]


def cha2ds2_vasc(people: People) -> np.ndarray:
    """The CHA2DS2-VASc stroke-risk score of each patient from the recorded (diagnosed) conditions.

    Congestive heart failure 1, hypertension 1, age 75+ 2, diabetes 1, stroke/TIA 2, vascular disease
    (coronary heart disease here) 1, age 65-74 1, female 1.
    """
    dx = {key: people.diagnosed[:, j] for j, key in enumerate(par.CONDITION_KEYS)}
    age = people.age
    score = (
        dx["heart_failure"].astype(np.int64)
        + dx["hypertension"]
        + 2 * (age >= 75)
        + dx["diabetes"]
        + 2 * dx["stroke_tia"]
        + dx["chd"]
        + ((age >= 65) & (age < 75))
        + ~people.male
    )
    return np.asarray(score, dtype=np.int64)


def _indicator_counts(
    rng: np.random.Generator, eligible: np.ndarray, exception_share: float, not_treated: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numerators, denominators and exceptions per practice, calibrated to ``not_treated`` in expectation.

    Each practice excepts a share of its eligible patients (logit-normal around ``exception_share``);
    of the rest (the denominator), each is treated to target with the practice's probability
    ``expit(mu + effect)``, ``mu`` solved so that the expected number not treated (exceptions
    included) equals ``not_treated``.
    """
    k = len(eligible)
    share = special.expit(special.logit(exception_share) + EXCEPTION_SPREAD * rng.standard_normal(k))
    exceptions = rng.binomial(eligible, share)
    denominator = eligible - exceptions
    effect = TREATMENT_SPREAD * rng.standard_normal(k)
    gap = not_treated - exceptions.sum()

    def missed(mu: float) -> float:
        return float((denominator * special.expit(-(mu + effect))).sum() - gap)

    if gap <= 0 or denominator.sum() == 0:
        mu = 20.0
    elif gap >= denominator.sum():
        mu = -20.0
    else:
        mu = float(optimize.brentq(missed, -20.0, 20.0, xtol=1e-12))
    numerator = rng.binomial(denominator, special.expit(mu + effect))
    return numerator, denominator, exceptions


def build_qof_achievement(rng: np.random.Generator, geo: Geography, people: People, scale: float) -> pd.DataFrame:
    """HYP006 and AF007 of 2018-19 per practice, from who is on the registers (a stream of its own)."""
    n_practices = len(geo.practice_list)
    diagnosed = {key: people.diagnosed[:, j] for j, key in enumerate(par.CONDITION_KEYS)}
    indicators = (
        ("HYP006", diagnosed["hypertension"], HYP_EXCEPTION_SHARE, HYP_NOT_TREATED),
        ("AF007", diagnosed["atrial_fibrillation"] & (cha2ds2_vasc(people) >= 2), AF_EXCEPTION_SHARE, AF_NOT_TREATED),
    )
    frames = []
    for code, eligible, share, target in indicators:
        per_practice = np.bincount(people.practice[eligible], minlength=n_practices)
        numerator, denominator, exceptions = _indicator_counts(rng, per_practice, share, target * scale)
        frames.append(
            pd.DataFrame(
                {
                    "practice_code": geo.practice_codes,
                    "indicator_code": code,
                    "indicator": QOF_INDICATORS[code],
                    "numerator": numerator.astype(np.int64),
                    "denominator": denominator.astype(np.int64),
                    "exceptions": exceptions.astype(np.int64),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)[_COLUMNS]
    as_text(out, ["practice_code", "indicator_code", "indicator"])
    return out.sort_values(["practice_code", "indicator_code"], ignore_index=True)


def build_expected_prevalence(patients: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Expected cases of hypertension and AF per practice: the generator's rates (by sex, age and IMD
    decile) applied to the registered patients with :func:`blmk_health.indicators.expected_prevalence`."""
    frames = []
    for condition in EXPECTED_CONDITIONS:
        out = expected_prevalence(
            patients,
            rates[rates["condition"] == condition],
            on=("sex", "imd_decile"),
            by="practice_code",
            count=None,
            age="age",
            metadata=False,
        )
        frames.append(out.assign(condition=condition))
    table: pd.DataFrame = pd.concat(frames, ignore_index=True)
    table = table[["practice_code", "condition", "expected", "population", "applies_to"]]
    as_text(table, ["practice_code", "condition", "applies_to"])
    table["population"] = table["population"].astype(np.int64)
    return table.sort_values(["practice_code", "condition"], ignore_index=True)
