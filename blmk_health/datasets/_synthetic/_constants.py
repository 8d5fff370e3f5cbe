"""Fixed parameters of the synthetic BLMK generator.

Every number here is described in ``docs/synthetic-data.md`` with its source and status (VERIFIED,
VERIFIED (secondary), UNVERIFIED or ILLUSTRATIVE). Published figures are used only where they are
marked VERIFIED in ``shared/reference/PREVALENCE_SEGMENTATION.md``; everything else is a documented
modelling assumption chosen to give plausible, England-like data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------------

ICB_CODE = "QHG"
ICB_NAME = "Bedfordshire, Luton and Milton Keynes"

#: Reference date of the extract: ages, registrations and events are as at this date.
REFERENCE_DATE = dt.date(2019, 3, 31)
#: Extract date written on the registrations table (the day after the reference date).
EXTRACT_DATE = dt.date(2019, 4, 1)
#: Two financial years of hospital activity; the later one is the patients' "prior year".
ADMISSION_YEARS = ((dt.date(2017, 4, 1), dt.date(2018, 3, 31)), (dt.date(2018, 4, 1), dt.date(2019, 3, 31)))
#: Three calendar years of deaths.
DEATHS_PERIOD = (2016, 2018)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    population_mid2018: int
    registered: int  # registered patients at scale 1
    postcode_area: str
    #: GP patients per fully qualified GP FTE (target)
    patients_per_gp: float
    #: relative age structure: (children 0-15, adults 20-44, older 65+) multipliers
    age_tilt: tuple[float, float, float]


# Registered totals: Bedfordshire CCG area 467,000 split between Bedford and Central Bedfordshire in
# proportion to their mid-2018 residents; Luton 230,000; Milton Keynes 287,000 (984,000 in all).
PLACES: tuple[Place, ...] = (
    Place(
        "E06000055",
        "Bedford",
        171_623,
        176_061,
        "ZZ1",
        2_240.0,
        (1.02, 1.0, 0.98),
    ),
    Place(
        "E06000056",
        "Central Bedfordshire",
        283_606,
        290_939,
        "ZZ2",
        2_240.0,
        (0.98, 0.95, 1.10),
    ),
    Place(
        "E06000032",
        "Luton",
        214_109,
        230_000,
        "ZZ3",
        2_800.0,
        (1.18, 1.10, 0.72),
    ),
    Place(
        "E06000042",
        "Milton Keynes",
        268_607,
        287_000,
        "ZZ4",
        2_240.0,
        (1.12, 1.05, 0.80),
    ),
)

#: Counts of LSOAs in each IMD 2019 national decile (1 = most deprived) in the real BLMK LSOA11s,
#: from ``shared/data/blmk/imd2019_decile_BLMK_lsoa11.csv`` (the deciles of the package data
#: ``blmk_health/datasets/data/blmk_lsoa11.parquet``; a test checks they agree). They weight the true
#: proportions in good health of each place (``general_health``).
IMD_DECILE_MIX: dict[str, tuple[int, ...]] = {
    "E06000055": (4, 10, 11, 12, 10, 10, 14, 13, 10, 9),
    "E06000056": (0, 3, 10, 7, 11, 14, 23, 15, 42, 32),
    "E06000032": (4, 29, 18, 18, 21, 7, 9, 10, 5, 0),
    "E06000042": (8, 10, 10, 15, 13, 17, 22, 29, 18, 10),
}


@dataclass(frozen=True)
class Cluster:
    code: str
    name: str
    place_code: str
    n_practices: int
    centre: tuple[float, float]
    spread: float  # sd of practice locations around the centre, metres


CLUSTERS: tuple[Cluster, ...] = (
    Cluster("SYNC01", "Bedford", "E06000055", 24, (505_000.0, 250_000.0), 3_500.0),
    Cluster("SYNC02", "Ivel Valley", "E06000056", 9, (518_000.0, 243_000.0), 3_000.0),
    Cluster("SYNC03", "Chiltern Vale", "E06000056", 10, (501_000.0, 222_000.0), 2_500.0),
    Cluster("SYNC04", "West Mid Beds", "E06000056", 6, (503_000.0, 236_500.0), 3_000.0),
    Cluster("SYNC05", "Leighton Buzzard", "E06000056", 4, (492_500.0, 225_500.0), 1_500.0),
    Cluster("SYNC06", "Medics United", "E06000032", 5, (507_000.0, 224_500.0), 900.0),
    Cluster("SYNC07", "Larkside", "E06000032", 8, (507_500.0, 221_500.0), 900.0),
    Cluster("SYNC08", "South East Luton", "E06000032", 7, (511_000.0, 221_500.0), 900.0),
    Cluster("SYNC09", "Kingsway", "E06000032", 8, (511_000.0, 224_500.0), 900.0),
    Cluster("SYNC10", "Milton Keynes North", "E06000042", 7, (485_500.0, 244_000.0), 2_000.0),
    Cluster("SYNC11", "Milton Keynes East", "E06000042", 7, (490_000.0, 238_000.0), 2_000.0),
    Cluster("SYNC12", "Milton Keynes Southern", "E06000042", 7, (487_000.0, 232_000.0), 2_000.0),
    Cluster("SYNC13", "Milton Keynes West", "E06000042", 6, (481_000.0, 238_500.0), 2_000.0),
)

# --------------------------------------------------------------------------------------------------
# Age structure (20 life-table bands: 0, 1-4, 5-9, ..., 85-89, 90+)
# --------------------------------------------------------------------------------------------------

BAND_STARTS = np.array([0, 1, *range(5, 95, 5)], dtype=np.int64)
BAND_WIDTHS = np.array([1, 4, *([5] * 17), 16], dtype=np.int64)  # 90+ drawn over 90-105
BAND_LABELS: tuple[str, ...] = ("0", "1-4", *(f"{a}-{a + 4}" for a in range(5, 90, 5)), "90+")

#: Approximate share of England's population in each band (mid-2018 shape, ILLUSTRATIVE).
ENGLAND_AGE_SHARE = np.array(
    [1.1, 4.8, 6.3, 5.8, 5.5, 6.2, 6.9, 6.8, 6.5, 6.1, 6.8, 7.0, 6.3, 5.4, 5.4, 4.9, 3.4, 2.5, 1.5, 0.8]
)
#: Share of males in each band (ILLUSTRATIVE, England-like).
MALE_SHARE = np.array([0.512] * 5 + [0.505] * 4 + [0.50] * 4 + [0.495] + [0.48, 0.47, 0.45, 0.42, 0.37, 0.30])

# --------------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------------

#: Broad age bands of the prevalence rates.
PREV_BAND_STARTS = np.array([0, 16, 25, 35, 45, 55, 65, 75, 85], dtype=np.int64)
PREV_BAND_LABELS: tuple[str, ...] = ("0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    #: true prevalence by PREV band, male then female
    male: tuple[float, ...]
    female: tuple[float, ...]
    #: log relative prevalence per decile step towards more deprived
    deprivation_slope: float
    #: share of true cases that are diagnosed (recorded); a scalar or by PREV band (male, female)
    diagnosed: float | tuple[tuple[float, ...], tuple[float, ...]]
    status: str
    source: str
    qof_group: str
    qof_min_age: int  # 0 = whole list
    #: years before the reference date over which the first diagnosis is spread (at most)
    history_years: float
    min_onset_age: int
    #: log effect on the emergency-admission rate
    admission_effect: float


_HSE_RR = "Faculty of Public Health Hypertension Ready Reckoner (HSE), via Devon JSNA Table 9.1"
_ONS_UNDX = (
    "undiagnosed share: ONS, Risk factors for undiagnosed high blood pressure in England 2015-2019 "
    "(16-34 and 75+ VERIFIED; 35-74 interpolated and calibrated, UNVERIFIED)"
)

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "hypertension",
        "Hypertension",
        (0.0, 0.06, 0.11, 0.20, 0.35, 0.51, 0.64, 0.64, 0.64),
        (0.0, 0.02, 0.05, 0.11, 0.23, 0.47, 0.64, 0.75, 0.75),
        0.069,
        (
            (0.0, 0.34, 0.45, 0.45, 0.47, 0.53, 0.66, 0.83, 0.83),
            (0.0, 0.74, 0.56, 0.53, 0.56, 0.59, 0.69, 0.79, 0.79),
        ),
        "VERIFIED (secondary)",
        f"{_HSE_RR}; IMD gradient HSE 2021 (23% to 40%, VERIFIED); {_ONS_UNDX}",
        "HYP",
        0,
        25.0,
        16,
        0.05,
    ),
    Condition(
        "atrial_fibrillation",
        "Atrial fibrillation",
        (0.0001, 0.0005, 0.001, 0.0035, 0.0105, 0.032, 0.086, 0.19, 0.275),
        (0.0001, 0.0003, 0.0007, 0.0017, 0.0052, 0.017, 0.054, 0.138, 0.23),
        0.01,
        0.70,
        "UNVERIFIED",
        "age-sex shape ILLUSTRATIVE, set near Norberg 2013 aggregates (VERIFIED: 16.8% at 75+, 21.9% at 85+); "
        "undiagnosed share about 30% (BJGP 2018: 425,000 undiagnosed vs about 1m diagnosed, VERIFIED)",
        "AF",
        0,
        12.0,
        18,
        0.30,
    ),
    Condition(
        "diabetes",
        "Diabetes",
        (0.002, 0.01, 0.02, 0.05, 0.10, 0.15, 0.21, 0.22, 0.18),
        (0.002, 0.008, 0.015, 0.035, 0.07, 0.11, 0.16, 0.17, 0.14),
        0.08,
        0.80,
        "UNVERIFIED",
        "ILLUSTRATIVE; shape informed by HSE 2019 table quoted in secondary code",
        "DM",
        17,
        20.0,
        0,
        0.30,
    ),
    Condition(
        "copd",
        "COPD",
        (0.0, 0.013, 0.013, 0.013, 0.0238, 0.069, 0.1003, 0.1165, 0.1165),
        (0.0, 0.0089, 0.0089, 0.0089, 0.02, 0.0411, 0.0481, 0.0555, 0.0555),
        0.12,
        0.45,
        "UNVERIFIED",
        "PHE COPD prevalence model rates (Nacul et al.) as quoted in secondary code",
        "COPD",
        0,
        15.0,
        35,
        0.60,
    ),
    Condition(
        "chd",
        "Coronary heart disease",
        (0.0, 0.0, 0.001, 0.006, 0.025, 0.07, 0.13, 0.20, 0.24),
        (0.0, 0.0, 0.0005, 0.002, 0.008, 0.025, 0.06, 0.11, 0.16),
        0.07,
        0.85,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "CHD",
        0,
        20.0,
        30,
        0.30,
    ),
    Condition(
        "heart_failure",
        "Heart failure",
        (0.0, 0.0, 0.0005, 0.001, 0.004, 0.01, 0.03, 0.07, 0.13),
        (0.0, 0.0, 0.0003, 0.0008, 0.002, 0.006, 0.02, 0.05, 0.11),
        0.07,
        0.75,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "HF",
        0,
        10.0,
        30,
        0.70,
    ),
    Condition(
        "stroke_tia",
        "Stroke / TIA",
        (0.0, 0.0005, 0.001, 0.003, 0.01, 0.025, 0.05, 0.09, 0.13),
        (0.0, 0.0005, 0.001, 0.003, 0.008, 0.018, 0.04, 0.08, 0.12),
        0.06,
        0.95,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "STIA",
        0,
        15.0,
        18,
        0.30,
    ),
    Condition(
        "ckd",
        "Chronic kidney disease (stage 3-5)",
        (0.0, 0.0, 0.003, 0.006, 0.015, 0.04, 0.11, 0.25, 0.40),
        (0.0, 0.0, 0.004, 0.008, 0.02, 0.05, 0.14, 0.30, 0.45),
        0.05,
        0.60,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "CKD",
        18,
        12.0,
        25,
        0.30,
    ),
    Condition(
        "dementia",
        "Dementia",
        (0.0, 0.0, 0.0, 0.0002, 0.001, 0.004, 0.02, 0.07, 0.20),
        (0.0, 0.0, 0.0, 0.0002, 0.001, 0.004, 0.022, 0.09, 0.27),
        0.03,
        0.65,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "DEM",
        0,
        6.0,
        40,
        0.60,
    ),
    Condition(
        "asthma",
        "Asthma",
        (0.09, 0.10, 0.08, 0.07, 0.07, 0.07, 0.08, 0.08, 0.07),
        (0.07, 0.10, 0.09, 0.09, 0.09, 0.09, 0.10, 0.09, 0.08),
        0.03,
        0.90,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "AST",
        6,
        30.0,
        1,
        0.20,
    ),
    Condition(
        "cancer",
        "Cancer",
        (0.001, 0.002, 0.004, 0.008, 0.018, 0.04, 0.08, 0.13, 0.16),
        (0.001, 0.003, 0.008, 0.018, 0.035, 0.055, 0.08, 0.10, 0.11),
        0.0,
        0.97,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "CAN",
        0,
        15.0,
        0,
        0.40,
    ),
    Condition(
        "depression_anxiety",
        "Depression / anxiety",
        (0.01, 0.10, 0.13, 0.14, 0.14, 0.12, 0.10, 0.09, 0.09),
        (0.02, 0.18, 0.22, 0.22, 0.21, 0.18, 0.15, 0.13, 0.13),
        0.06,
        0.70,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "DEP",
        18,
        15.0,
        10,
        0.30,
    ),
    Condition(
        "smi",
        "Serious mental illness",
        (0.0, 0.006, 0.011, 0.013, 0.013, 0.011, 0.009, 0.008, 0.008),
        (0.0, 0.004, 0.008, 0.010, 0.011, 0.010, 0.009, 0.009, 0.009),
        0.10,
        0.95,
        "ILLUSTRATIVE",
        "ILLUSTRATIVE",
        "MH",
        0,
        20.0,
        14,
        0.50,
    ),
)
CONDITION_KEYS: tuple[str, ...] = tuple(c.key for c in CONDITIONS)

#: Correlation of the latent health factor shared by all conditions (Gaussian copula).
COPULA_RHO = 0.35
#: Log change in the diagnosed share per decile step towards more deprived.
DIAGNOSIS_DEPRIVATION_SLOPE = -0.015
#: Upper bound of any true prevalence after the deprivation multiplier.
MAX_PREVALENCE = 0.95

# SNOMED CT concept ids (international release unless noted) with relative weights of use.
SNOMED_CODES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "hypertension": (
        ("38341003", "Hypertensive disorder, systemic arterial (disorder)", 0.4),
        ("59621000", "Essential hypertension (disorder)", 0.6),
    ),
    "atrial_fibrillation": (("49436004", "Atrial fibrillation (disorder)", 1.0),),
    "diabetes": (
        ("44054006", "Diabetes mellitus type 2 (disorder)", 0.85),
        ("46635009", "Diabetes mellitus type 1 (disorder)", 0.08),
        ("73211009", "Diabetes mellitus (disorder)", 0.07),
    ),
    "copd": (("13645005", "Chronic obstructive lung disease (disorder)", 1.0),),
    "chd": (
        ("414545008", "Ischemic heart disease (disorder)", 0.4),
        ("53741008", "Coronary arteriosclerosis (disorder)", 0.2),
        ("22298006", "Myocardial infarction (disorder)", 0.25),
        ("194828000", "Angina (disorder)", 0.15),
    ),
    "heart_failure": (("84114007", "Heart failure (disorder)", 1.0),),
    "stroke_tia": (
        ("230690007", "Cerebrovascular accident (disorder)", 0.6),
        ("266257000", "Transient ischemic attack (disorder)", 0.4),
    ),
    "ckd": (
        ("709044004", "Chronic kidney disease (disorder)", 0.3),
        ("433144002", "Chronic kidney disease stage 3 (disorder)", 0.6),
        ("431857002", "Chronic kidney disease stage 4 (disorder)", 0.1),
    ),
    "dementia": (
        ("52448006", "Dementia (disorder)", 0.6),
        ("26929004", "Alzheimer's disease (disorder)", 0.4),
    ),
    "asthma": (("195967001", "Asthma (disorder)", 1.0),),
    "cancer": (
        ("363346000", "Malignant neoplastic disease (disorder)", 0.4),
        ("254837009", "Malignant neoplasm of breast (disorder)", 0.25),
        ("399068003", "Malignant tumor of prostate (disorder)", 0.15),
        ("363406005", "Malignant tumor of colon (disorder)", 0.1),
        ("363358000", "Malignant tumor of lung (disorder)", 0.1),
    ),
    "depression_anxiety": (
        ("35489007", "Depressive disorder (disorder)", 0.5),
        ("370143000", "Major depressive disorder (disorder)", 0.15),
        ("197480006", "Anxiety disorder (disorder)", 0.35),
    ),
    "smi": (
        ("58214004", "Schizophrenia (disorder)", 0.5),
        ("13746004", "Bipolar disorder (disorder)", 0.5),
    ),
}

#: Codes that are not diagnoses (noise events): code, term.
SNOMED_OTHER: tuple[tuple[str, str], ...] = (
    ("75367002", "Blood pressure (observable entity)"),
    ("27113001", "Body weight (observable entity)"),
    ("86198006", "Administration of vaccine product containing only Influenza virus antigen (procedure)"),
)

#: ICD-10 codes (HES 4-character form, no dot, X filler) recorded as secondary diagnoses.
ICD10_COMORBIDITY: dict[str, str] = {
    "hypertension": "I10X",
    "atrial_fibrillation": "I489",
    "diabetes": "E119",
    "copd": "J449",
    "chd": "I259",
    "heart_failure": "I509",
    "stroke_tia": "I693",
    "ckd": "N183",
    "dementia": "F03X",
    "asthma": "J459",
    "cancer": "C809",
    "depression_anxiety": "F329",
    "smi": "F209",
}

#: Primary diagnoses of emergency spells caused by a condition: (code, weight) and the relative
#: propensity of a patient with the condition to be admitted for it.
ICD10_EMERGENCY_BY_CONDITION: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "hypertension": (0.08, (("I10X", 1.0),)),
    "atrial_fibrillation": (0.8, (("I489", 1.0),)),
    "diabetes": (0.35, (("E111", 0.4), ("E115", 0.3), ("E116", 0.3))),
    "copd": (2.0, (("J441", 0.8), ("J440", 0.2))),
    "chd": (0.8, (("I209", 0.5), ("I214", 0.35), ("I219", 0.15))),
    "heart_failure": (1.6, (("I500", 0.7), ("I509", 0.3))),
    "stroke_tia": (0.5, (("I639", 0.5), ("G459", 0.5))),
    "ckd": (0.35, (("N179", 1.0),)),
    "dementia": (0.4, (("F03X", 0.5), ("F051", 0.5))),
    "asthma": (0.4, (("J459", 0.6), ("J46X", 0.4))),
    "cancer": (0.6, (("C349", 0.3), ("C509", 0.2), ("C189", 0.2), ("C61X", 0.15), ("C787", 0.15))),
    "depression_anxiety": (0.2, (("F329", 0.5), ("F419", 0.3), ("X609", 0.2))),
    "smi": (0.6, (("F209", 0.6), ("F319", 0.4))),
}
#: Weight of a generic (not condition-related) primary diagnosis.
GENERIC_EMERGENCY_WEIGHT = 3.0
#: Generic emergency diagnoses by age group: children (<16), adults (16-64), older (65+).
ICD10_EMERGENCY_GENERIC: tuple[tuple[tuple[str, float], ...], ...] = (
    (("J069", 0.25), ("A099", 0.2), ("R509", 0.15), ("J219", 0.15), ("S099", 0.15), ("R104", 0.1)),
    (
        ("R074", 0.22),
        ("R104", 0.22),
        ("L039", 0.12),
        ("N390", 0.1),
        ("K359", 0.1),
        ("S099", 0.08),
        ("J189", 0.08),
        ("R55X", 0.08),
    ),
    (("J189", 0.22), ("N390", 0.18), ("R296", 0.15), ("S720", 0.12), ("R074", 0.12), ("R55X", 0.1), ("L039", 0.11)),
)
ICD10_ELECTIVE: tuple[tuple[str, float], ...] = (
    ("H269", 0.2),
    ("K802", 0.12),
    ("M179", 0.12),
    ("M169", 0.1),
    ("K409", 0.12),
    ("K573", 0.14),
    ("D259", 0.05),
    ("N40X", 0.05),
    ("Z511", 0.1),
)
ICD10_MATERNITY: tuple[tuple[str, float], ...] = (("O809", 0.5), ("O479", 0.2), ("O429", 0.15), ("O702", 0.15))

# --------------------------------------------------------------------------------------------------
# Hospital activity
# --------------------------------------------------------------------------------------------------

#: Emergency admissions per person-year by 20-band age (shape only; the level is calibrated).
EMERGENCY_AGE_RATE = (
    np.array([280, 75, 35, 35, 55, 60, 60, 60, 60, 62, 67, 75, 85, 100, 120, 155, 210, 290, 400, 520], dtype=np.float64)
    / 1000.0
)
#: Target emergency spells per 1,000 population per year, age-sex standardised (ESP2013).
EMERGENCY_TARGET_DSR = 104.0
#: Allowance for the expected spells lost when a patient's overlapping spells are removed and
#: readmissions fall after the period (calibrated numerically: the realised rate is about 7% lower).
EMERGENCY_OVERLAP_ALLOWANCE = 1.07
#: Gamma shape of the unobserved heterogeneity of the admission rate (mean 1).
EMERGENCY_GAMMA_SHAPE = 50.0
#: Log effect of the latent health factor on the admission rate.
LATENT_ADMISSION_EFFECT = 0.1
#: Log effect per decile step towards more deprived.
IMD_ADMISSION_EFFECT = 0.05
CARE_HOME_ADMISSION_EFFECT = 0.3
FRAILTY_ADMISSION_EFFECT = {"fit": 0.0, "mild": 0.2, "moderate": 0.45, "severe": 0.8}
#: Probability that an emergency spell is followed by a linked emergency readmission within 30 days.
READMISSION_BASE = 0.01
#: Elective admissions per person-year by 20-band age.
ELECTIVE_AGE_RATE = (
    np.array(
        [40, 30, 25, 25, 35, 45, 55, 60, 70, 85, 110, 135, 170, 210, 260, 300, 320, 300, 240, 180], dtype=np.float64
    )
    / 1000.0
)
MATERNITY_RATE = 0.06  # per woman aged 16-44 per year (antepartum admissions, method 31)
TRANSFER_RATE = 0.003  # non-emergency transfers in (method 81) per person-year

#: Emergency admission methods and their shares.
EMERGENCY_METHODS: tuple[tuple[str, float], ...] = (
    ("21", 0.72),
    ("22", 0.08),
    ("23", 0.01),
    ("24", 0.05),
    ("2A", 0.04),
    ("2B", 0.03),
    ("2D", 0.04),
    ("28", 0.03),
)
ELECTIVE_METHODS: tuple[tuple[str, float], ...] = (("11", 0.6), ("12", 0.3), ("13", 0.1))

PROVIDERS: tuple[tuple[str, str], ...] = (
    ("SYNT01", "Synthetic Bedford Hospital"),
    ("SYNT02", "Synthetic Luton Hospital"),
    ("SYNT03", "Synthetic Milton Keynes Hospital"),
    ("SYNT99", "Synthetic out-of-area provider"),
)
PROVIDER_SHARES: dict[str, tuple[float, float, float, float]] = {
    "E06000055": (0.88, 0.04, 0.03, 0.05),
    "E06000056": (0.40, 0.35, 0.10, 0.15),
    "E06000032": (0.03, 0.92, 0.01, 0.04),
    "E06000042": (0.02, 0.01, 0.92, 0.05),
}

# --------------------------------------------------------------------------------------------------
# Mortality (Gompertz-Makeham, England-like 2016-18 levels)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gompertz:
    makeham: float
    level: float
    slope: float
    infant: float
    child: float


MORTALITY = {
    "Male": Gompertz(0.0004, 2.0e-5, 0.098, 0.0042, 0.00012),
    "Female": Gompertz(0.00025, 1.2e-5, 0.101, 0.0035, 0.0001),
}
#: Place mortality level relative to the England-like table (ILLUSTRATIVE).
PLACE_MORTALITY = {"E06000055": 1.0, "E06000056": 0.9, "E06000032": 1.12, "E06000042": 1.02}
#: Target slope index of inequality in life expectancy at birth (years) by place and sex.
SII_TARGET = {
    ("E06000055", "Male"): 7.5,
    ("E06000055", "Female"): 5.5,
    ("E06000056", "Male"): 6.0,
    ("E06000056", "Female"): 4.5,
    ("E06000032", "Male"): 10.0,
    ("E06000032", "Female"): 6.0,
    ("E06000042", "Male"): 7.0,
    ("E06000042", "Female"): 8.0,
}
#: Relative strength of the deprivation effect on mortality by 20-band age.
DEPRIVATION_AGE_PROFILE = np.array(
    [1.0, 1.0, 1.0, 1.0, 1.3, 1.5, 1.5, 1.5, 1.5, 1.5, 1.4, 1.4, 1.3, 1.2, 1.1, 1.0, 0.8, 0.6, 0.45, 0.3]
)

# --------------------------------------------------------------------------------------------------
# Workforce
# --------------------------------------------------------------------------------------------------

#: Shares of fully qualified GP FTE by role, and mean FTE per person (for headcounts).
GP_ROLES: tuple[tuple[str, float, float], ...] = (
    ("Partner", 0.47, 0.80),
    ("Salaried GP", 0.46, 0.62),
    ("GP Locum", 0.07, 0.35),
)
REGISTRAR_FTE_PER_TRAINING_PRACTICE = 1.2
TRAINING_PRACTICE_SHARE = 0.45
NURSE_FTE_PER_PATIENT = 1.0 / 4_000.0

# --------------------------------------------------------------------------------------------------
# General health (the survey input of healthy life expectancy)
# --------------------------------------------------------------------------------------------------

#: Mid-ages (years) at which the proportion in good or very good health is anchored: childhood (the
#: proportion is flat up to here), mid-life and 85-89. Between anchors the log-odds are linear in the
#: band's mid-age; beyond the last one the second slope continues (90+ is lower than 85-89).
GOOD_HEALTH_ANCHOR_AGES = (12.5, 57.5, 87.5)
#: Proportion in good or very good health at those ages, England-average deprivation (ILLUSTRATIVE).
#: With the England-like death rates above they give healthy life expectancy at birth of 63.1 (men)
#: and 63.6 years (women), 79% and 77% of life expectancy, near the ONS UK figures of 2014-16 and
#: 2017-19 (see ``docs/synthetic-data.md``).
GOOD_HEALTH_ANCHORS = {"Male": (0.95, 0.68, 0.52), "Female": (0.95, 0.64, 0.50)}
#: Change in the log-odds of good health per national IMD decile (less deprived is healthier),
#: multiplied by :data:`DEPRIVATION_AGE_PROFILE` (ILLUSTRATIVE). Together with a mortality gradient of
#: 7-9 years of life expectancy it gives a slope index of inequality in healthy life expectancy over
#: national deciles of about 18.5 years (ONS, England 2012-14: 19.0 men, 20.2 women).
GOOD_HEALTH_DEPRIVATION_SLOPE = 0.10
#: Survey respondents per resident of the cell (a three-year pooled survey; ILLUSTRATIVE).
GOOD_HEALTH_SAMPLING_FRACTION = 0.015
#: Fewest respondents of a cell, so that every proportion has a defined sampling variance.
GOOD_HEALTH_MIN_RESPONDENTS = 20
