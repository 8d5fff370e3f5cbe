"""Hospital admissions, primary-care events, QOF registers, registrations and workforce."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from blmk_health._age_bands import ESP2013_19
from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._people import People
from blmk_health.datasets._synthetic._tables import categorical

_REF = np.datetime64(par.REFERENCE_DATE, "D")
_DAY = np.timedelta64(1, "D")
_EMERGENCY, _ELECTIVE, _MATERNITY, _TRANSFER = 0, 1, 2, 3


def _ns(days: np.ndarray) -> np.ndarray:
    """Day numbers since the epoch to datetime64[ns]."""
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    codes = np.array([c for c, _ in options])
    w = np.array([w for _, w in options], dtype=np.float64)
    return codes[rng.choice(len(codes), size=size, p=w / w.sum())]


@dataclass(frozen=True)
class Risk:
    rate: np.ndarray  # expected index emergency admissions per year
    readmit: np.ndarray  # probability that an emergency spell is followed by a readmission
    p_next: np.ndarray
    outcome_next: np.ndarray


def _age_band20(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(par.BAND_STARTS, age, side="right") - 1


def _dsr_per_1000(expected: np.ndarray, age: np.ndarray, male: np.ndarray) -> float:
    """Age-sex standardised rate (ESP2013, 19 bands, each sex half of the standard)."""
    band19 = np.minimum(age // 5, 18)
    weights = np.array([w for _, _, w in ESP2013_19], dtype=np.float64)
    total = 0.0
    for sex in (True, False):
        sel = male == sex
        num = np.bincount(band19[sel], weights=expected[sel], minlength=19)
        den = np.bincount(band19[sel], minlength=19).astype(np.float64)
        rate = np.divide(num, den, out=np.zeros(19), where=den > 0)
        total += 0.5 * float((rate * weights).sum() / weights.sum())
    return 1000.0 * total


def build_risk(rng: np.random.Generator, people: People) -> Risk:
    n = len(people.age)
    effects = np.array([c.admission_effect for c in par.CONDITIONS])
    frail = np.array([par.FRAILTY_ADMISSION_EFFECT[k] for k in ("fit", "mild", "moderate", "severe")])
    lp = (
        people.true.astype(np.float64) @ effects
        + np.where(people.frailty >= 0, frail[np.maximum(people.frailty, 0)], 0.0)
        + par.CARE_HOME_ADMISSION_EFFECT * people.care_home
        + par.IMD_ADMISSION_EFFECT * (5.5 - people.decile)
        + par.LATENT_ADMISSION_EFFECT * people.latent
    )
    hetero = rng.gamma(par.EMERGENCY_GAMMA_SHAPE, 1.0 / par.EMERGENCY_GAMMA_SHAPE, n)
    raw = par.EMERGENCY_AGE_RATE[_age_band20(people.age)] * np.exp(lp) * hetero
    n_true = people.true.sum(axis=1)
    readmit = np.minimum(par.READMISSION_BASE * (1.0 + 0.6 * (people.age >= 75) + 0.15 * n_true), 0.5)
    standardised = _dsr_per_1000(raw * (1.0 + readmit), people.age, people.male)
    level = par.EMERGENCY_TARGET_DSR * par.EMERGENCY_OVERLAP_ALLOWANCE / standardised
    rate = raw * level
    p_next = 1.0 - np.exp(-rate)
    return Risk(rate=rate, readmit=readmit, p_next=p_next, outcome_next=rng.random(n) < p_next)


def _los(rng: np.random.Generator, kind: np.ndarray, age: np.ndarray, frailty: np.ndarray) -> np.ndarray:
    n = len(kind)
    mean_stay = np.select(
        [kind == _EMERGENCY, kind == _ELECTIVE, kind == _MATERNITY],
        [2.5 + 0.07 * np.maximum(age - 40, 0) + 1.5 * np.maximum(frailty, 0), np.full(n, 3.0), np.full(n, 1.5)],
        4.0,
    )
    p_zero = np.select(
        [kind == _EMERGENCY, kind == _ELECTIVE, kind == _MATERNITY],
        [np.where(age < 65, 0.32, 0.18), np.full(n, 0.72), np.full(n, 0.3)],
        0.1,
    )
    stay = rng.geometric(1.0 / mean_stay)
    return np.where(rng.random(n) < p_zero, 0, stay).astype(np.int64)


def build_admissions(
    rng: np.random.Generator, geo: Geography, people: People, risk: Risk
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """HES-like episodes for two financial years, and each patient's prior-year emergency spells and bed days."""
    n = len(people.age)
    starts = [np.datetime64(a, "D") for a, _ in par.ADMISSION_YEARS]
    last = np.datetime64(par.ADMISSION_YEARS[-1][1], "D")
    idx_parts: list[np.ndarray] = []
    kind_parts: list[np.ndarray] = []
    day_parts: list[np.ndarray] = []
    female_16_44 = (~people.male) & (people.age >= 16) & (people.age <= 44)
    elective_rate = par.ELECTIVE_AGE_RATE[_age_band20(people.age)] * np.exp(0.12 * people.diagnosed.sum(axis=1))
    for start in starts:
        for spell_kind, lam in (
            (_EMERGENCY, risk.rate),
            (_ELECTIVE, elective_rate),
            (_MATERNITY, np.where(female_16_44, par.MATERNITY_RATE, 0.0)),
            (_TRANSFER, np.full(n, par.TRANSFER_RATE)),
        ):
            counts = rng.poisson(lam)
            who = np.repeat(np.arange(n), counts)
            idx_parts.append(who)
            kind_parts.append(np.full(len(who), spell_kind, dtype=np.int8))
            day_parts.append(start + rng.integers(0, 365, len(who)) * _DAY)
    who = np.concatenate(idx_parts)
    kind = np.concatenate(kind_parts)
    adm = np.concatenate(day_parts)
    los = _los(rng, kind, people.age[who], people.frailty[who])
    # linked emergency readmissions after emergency spells
    emerg = np.flatnonzero(kind == _EMERGENCY)
    linked = emerg[rng.random(len(emerg)) < risk.readmit[who[emerg]]]
    gap = np.floor(30 * rng.random(len(linked)) ** 1.6).astype(np.int64)
    r_who = who[linked]
    r_adm = adm[linked] + (los[linked] + gap) * _DAY
    r_kind = np.full(len(linked), _EMERGENCY, dtype=np.int8)
    r_los = _los(rng, r_kind, people.age[r_who], people.frailty[r_who])
    who = np.concatenate([who, r_who])
    kind = np.concatenate([kind, r_kind])
    adm = np.concatenate([adm, r_adm])
    los = np.concatenate([los, r_los])

    # drop spells before birth or after the period, then overlapping spells of the same patient
    birth = _REF - np.round((people.age + people.birthday_fraction) * 365.25).astype(np.int64) * _DAY
    keep = (adm <= last) & (adm > birth[who])
    who, kind, adm, los = who[keep], kind[keep], adm[keep], los[keep]
    order = np.lexsort((kind, adm, who))
    who, kind, adm, los = who[order], kind[order], adm[order], los[order]
    dis = adm + los * _DAY
    while True:
        same = np.r_[False, who[1:] == who[:-1]]
        prev_dis = np.r_[adm[:1], dis[:-1]]
        clash = same & (adm < prev_dis)
        if not clash.any():
            break
        ok = ~clash
        who, kind, adm, los, dis = who[ok], kind[ok], adm[ok], los[ok], dis[ok]
    n_spells = len(who)

    # admission methods, providers, diagnoses
    method = np.empty(n_spells, dtype=object)
    for k, options in (
        (_EMERGENCY, par.EMERGENCY_METHODS),
        (_ELECTIVE, par.ELECTIVE_METHODS),
        (_MATERNITY, (("31", 1.0),)),
        (_TRANSFER, (("81", 1.0),)),
    ):
        sel = kind == k
        method[sel] = _pick(rng, options, int(sel.sum()))
    place = geo.practice_place[people.practice[who]]
    shares = np.array([par.PROVIDER_SHARES[p.code] for p in par.PLACES])[place]
    provider = (rng.random(n_spells)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    provider = np.minimum(provider, len(par.PROVIDERS) - 1)

    age_adm = people.age[who] - np.maximum(
        0, np.ceil((_REF - adm) / _DAY / 365.25 - people.birthday_fraction[who]).astype(np.int64)
    )
    age_adm = np.maximum(age_adm, 0)
    primary = _primary_diagnoses(rng, kind, who, age_adm, people)
    secondary = _secondary_diagnoses(rng, who, people, primary)

    # episodes: long spells have more consultant episodes
    n_ep = 1 + np.minimum(rng.poisson(0.05 + los / 15.0), 4)
    spell = np.repeat(np.arange(n_spells), n_ep)
    ep_order = np.arange(len(spell)) - np.repeat(np.cumsum(n_ep) - n_ep, n_ep) + 1
    frac_start = (ep_order - 1) / n_ep[spell]
    frac_end = ep_order / n_ep[spell]
    ep_start = adm[spell] + np.floor(los[spell] * frac_start).astype(np.int64) * _DAY
    ep_end = adm[spell] + np.floor(los[spell] * frac_end).astype(np.int64) * _DAY

    spell_order = np.lexsort((who, adm))
    spell_id = np.empty(n_spells, dtype=np.int64)
    spell_id[spell_order] = np.arange(1, n_spells + 1)
    practice_codes = geo.practices["practice_code"].to_numpy(dtype=object)
    lsoa_codes = geo.lsoas["lsoa_code"].to_numpy(dtype=object)
    pw = who[spell]
    icd_categories = sorted({*primary, *(c for c in secondary.ravel() if c is not None)})
    table = pd.DataFrame(
        {
            "spell_id": spell_id[spell],
            "episode_order": ep_order.astype(np.int64),
            "patient_id": (pw + 1).astype(np.int64),
            "provider_code": categorical(provider[spell], [p for p, _ in par.PROVIDERS]),
            "admission_method": pd.Categorical(
                method[spell], categories=sorted({c for opts in _METHOD_OPTIONS for c, _ in opts})
            ),
            "admission_date": _ns(adm[spell]),
            "discharge_date": _ns(dis[spell]),
            "episode_start": _ns(ep_start),
            "episode_end": _ns(ep_end),
            "diag_01": pd.Categorical(primary[spell], categories=icd_categories),
            "diag_02": pd.Categorical(secondary[spell, 0], categories=icd_categories),
            "diag_03": pd.Categorical(secondary[spell, 1], categories=icd_categories),
            "diag_04": pd.Categorical(secondary[spell, 2], categories=icd_categories),
            "age": age_adm[spell].astype(np.int64),
            "sex": categorical(np.where(people.male[pw], 0, 1), ["Male", "Female"]),
            "practice_code": categorical(people.practice[pw], practice_codes),
            "lsoa_code": categorical(people.lsoa[pw], lsoa_codes),
        }
    )
    table = table.sort_values(["spell_id", "episode_order"], ignore_index=True)

    prior = (kind == _EMERGENCY) & (adm >= starts[-1])
    prior_count = np.bincount(who[prior], minlength=n).astype(np.int64)
    prior_bed_days = np.bincount(who[prior], weights=los[prior], minlength=n).astype(np.int64)
    return table, prior_count, prior_bed_days


_METHOD_OPTIONS = (par.EMERGENCY_METHODS, par.ELECTIVE_METHODS, (("31", 1.0),), (("81", 1.0),))


def _primary_diagnoses(
    rng: np.random.Generator, kind: np.ndarray, who: np.ndarray, age: np.ndarray, people: People
) -> np.ndarray:
    n = len(kind)
    out = np.empty(n, dtype=object)
    group = np.select([age < 16, age < 65], [0, 1], 2)
    # emergency and transfers: a condition-specific cause or a generic one
    acute = np.flatnonzero((kind == _EMERGENCY) | (kind == _TRANSFER))
    weights = np.column_stack(
        [
            people.true[who[acute], j] * par.ICD10_EMERGENCY_BY_CONDITION[key][0]
            for j, key in enumerate(par.CONDITION_KEYS)
        ]
        + [np.full(len(acute), par.GENERIC_EMERGENCY_WEIGHT)]
    )
    cum = np.cumsum(weights, axis=1)
    choice = (rng.random(len(acute))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    for j, key in enumerate(par.CONDITION_KEYS):
        sel = acute[choice == j]
        out[sel] = _pick(rng, par.ICD10_EMERGENCY_BY_CONDITION[key][1], len(sel))
    generic = acute[choice == len(par.CONDITION_KEYS)]
    for g, options in enumerate(par.ICD10_EMERGENCY_GENERIC):
        sel = generic[group[generic] == g]
        out[sel] = _pick(rng, options, len(sel))
    elective = np.flatnonzero(kind == _ELECTIVE)
    out[elective] = _pick(rng, par.ICD10_ELECTIVE, len(elective))
    cancer = people.true[who[elective], par.CONDITION_KEYS.index("cancer")]
    chemo = out[elective] == "Z511"
    out[elective[chemo & ~cancer]] = "K573"
    # sex-specific codes
    male = people.male[who]
    out[(out == "N40X") & ~male] = "K409"
    out[(out == "D259") & male] = "K409"
    out[(out == "C61X") & ~male] = "C509"
    maternity = np.flatnonzero(kind == _MATERNITY)
    out[maternity] = _pick(rng, par.ICD10_MATERNITY, len(maternity))
    return out


def _secondary_diagnoses(rng: np.random.Generator, who: np.ndarray, people: People, primary: np.ndarray) -> np.ndarray:
    """Up to three comorbidities (the patient's true conditions, each recorded with probability 0.7)."""
    n = len(who)
    codes = np.array([par.ICD10_COMORBIDITY[k] for k in par.CONDITION_KEYS], dtype=object)
    recorded = people.true[who] & (rng.random((n, len(codes))) < 0.7)
    recorded &= codes[None, :] != primary[:, None]
    key = np.where(recorded, rng.random((n, len(codes))), 2.0)
    top = np.argsort(key, axis=1)[:, :3]
    present = np.take_along_axis(key, top, axis=1) < 2.0
    out: np.ndarray = np.where(present, codes[top], np.full(top.shape, None, dtype=object))
    return out


def build_events(rng: np.random.Generator, people: People) -> pd.DataFrame:
    """Coded primary-care events: diagnoses (with repeat recordings) and a few routine codes."""
    pid_parts: list[np.ndarray] = []
    code_parts: list[np.ndarray] = []
    day_parts: list[np.ndarray] = []
    ref = _REF.astype(np.int64)
    for j, cond in enumerate(par.CONDITIONS):
        who = np.flatnonzero(people.diagnosed[:, j])
        if len(who) == 0:
            continue
        span = np.minimum(cond.history_years, np.maximum(people.age[who] - cond.min_onset_age, 0) + 0.5)
        first = ref - np.floor(rng.random(len(who)) * span * 365.25).astype(np.int64)
        options = par.SNOMED_CODES[cond.key]
        code = _pick(rng, tuple((c, w) for c, _, w in options), len(who))
        if cond.key == "diabetes":
            code[people.age[who] < 30] = "46635009"
        if cond.key == "cancer":
            code[(code == "399068003") & ~people.male[who]] = "363346000"
            code[(code == "254837009") & people.male[who]] = "363346000"
        repeats = rng.poisson(1.2, len(who))
        r_idx = np.repeat(np.arange(len(who)), repeats)
        r_day = first[r_idx] + np.floor(rng.random(len(r_idx)) * (ref - first[r_idx] + 1)).astype(np.int64)
        pid_parts += [who, who[r_idx]]
        code_parts += [code, code[r_idx]]
        day_parts += [first, r_day]
    adult = np.flatnonzero(people.age >= 16)
    htn = people.diagnosed[adult, 0]
    for routine, lam in (("75367002", 0.4 + 1.6 * htn), ("27113001", np.full(len(adult), 0.5))):
        counts = rng.poisson(lam)
        who = np.repeat(adult, counts)
        pid_parts.append(who)
        code_parts.append(np.full(len(who), routine, dtype=object))
        day_parts.append(ref - rng.integers(0, 730, len(who)))
    eligible = np.flatnonzero((people.age >= 65) | (people.diagnosed.any(axis=1) & (people.age >= 2)))
    for season in (2017, 2018):
        got = eligible[rng.random(len(eligible)) < 0.65]
        start = np.datetime64(dt.date(season, 9, 15), "D").astype(np.int64)
        pid_parts.append(got)
        code_parts.append(np.full(len(got), "86198006", dtype=object))
        day_parts.append(start + rng.integers(0, 100, len(got)))
    pid = np.concatenate(pid_parts)
    code = np.concatenate(code_parts)
    day = np.concatenate(day_parts)
    order = np.lexsort((code, day, pid))
    diagnoses = {c for opts in par.SNOMED_CODES.values() for c, _, _ in opts}
    categories = sorted(diagnoses | {c for c, _ in par.SNOMED_OTHER})
    return pd.DataFrame(
        {
            "patient_id": (pid[order] + 1).astype(np.int64),
            "snomed_code": pd.Categorical(code[order], categories=categories),
            "date": _ns(day[order]),
        }
    )


def codelists_table() -> pd.DataFrame:
    rows = [(key, "snomedct", code, term) for key, opts in par.SNOMED_CODES.items() for code, term, _ in opts]
    rows += [(key, "icd10", code, _ICD10_TERMS[code]) for key, code in par.ICD10_COMORBIDITY.items()]
    out = pd.DataFrame(rows, columns=["condition", "coding_system", "code", "term"])
    return out.astype("str")


_ICD10_TERMS = {
    "I10X": "Essential (primary) hypertension",
    "I489": "Atrial fibrillation and atrial flutter, unspecified",
    "E119": "Type 2 diabetes mellitus without complications",
    "J449": "Chronic obstructive pulmonary disease, unspecified",
    "I259": "Chronic ischaemic heart disease, unspecified",
    "I509": "Heart failure, unspecified",
    "I693": "Sequelae of cerebral infarction",
    "N183": "Chronic kidney disease, stage 3",
    "F03X": "Unspecified dementia",
    "J459": "Asthma, unspecified",
    "C809": "Malignant neoplasm, primary site unspecified",
    "F329": "Depressive episode, unspecified",
    "F209": "Schizophrenia, unspecified",
}


def build_qof(geo: Geography, people: People) -> pd.DataFrame:
    n_pr = len(geo.practice_list)
    rows = []
    codes = geo.practices["practice_code"].tolist()
    for j, cond in enumerate(par.CONDITIONS):
        eligible = people.age >= cond.qof_min_age
        register = np.bincount(people.practice[eligible & people.diagnosed[:, j]], minlength=n_pr)
        denominator = np.bincount(people.practice[eligible], minlength=n_pr)
        list_type = "TOTAL" if cond.qof_min_age == 0 else f"{cond.qof_min_age}OV"
        for i in range(n_pr):
            rows.append((codes[i], cond.qof_group, cond.key, int(register[i]), list_type, int(denominator[i])))
    out = pd.DataFrame(
        rows,
        columns=["practice_code", "group_code", "condition", "register", "patient_list_type", "practice_list_size"],
    )
    for col in ("practice_code", "group_code", "condition", "patient_list_type"):
        out[col] = out[col].astype("str")
    return out.sort_values(["practice_code", "group_code"], ignore_index=True)


def build_registrations(geo: Geography, people: People) -> pd.DataFrame:
    n_pr = len(geo.practice_list)
    quin = np.minimum(people.age // 5, 19)
    labels = [f"{5 * k}_{5 * k + 4}" for k in range(19)] + ["95+"]
    counts = np.bincount(
        (people.practice * 2 + np.where(people.male, 0, 1)) * 20 + quin, minlength=n_pr * 2 * 20
    ).reshape(n_pr, 2, 20)
    codes = geo.practices["practice_code"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "extract_date": pd.Timestamp(par.EXTRACT_DATE).as_unit("ns"),
            "practice_code": pd.array(np.repeat(codes, 40), dtype="str"),
            "sex": pd.array(np.tile(np.repeat(["MALE", "FEMALE"], 20), n_pr), dtype="str"),
            "age_group_5": pd.array(np.tile(labels, 2 * n_pr), dtype="str"),
            "number_of_patients": counts.reshape(-1).astype(np.int64),
        }
    )


def build_workforce(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    n = len(geo.practice_list)
    lists = geo.practice_list.astype(np.float64)
    fq = np.zeros(n)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(geo.practice_place == p)
        raw = lists[idx] * rng.lognormal(0.0, 0.2, len(idx))
        fq[idx] = raw * (lists[idx].sum() / place.patients_per_gp) / raw.sum()
    shares = np.array([s for _, s, _ in par.GP_ROLES])[None, :] * rng.lognormal(0.0, 0.3, (n, len(par.GP_ROLES)))
    shares[:, 2] *= rng.random(n) < 0.6  # many practices use no locums
    role_fte = fq[:, None] * shares / shares.sum(axis=1, keepdims=True)
    training = rng.random(n) < par.TRAINING_PRACTICE_SHARE * np.clip(lists / np.median(lists), 0.5, 1.8)
    registrar = np.where(training, fq * 0.25 * rng.lognormal(0.0, 0.3, n), 0.0)
    nurse = lists * par.NURSE_FTE_PER_PATIENT * rng.lognormal(0.0, 0.25, n)
    roles = [("GP", name, role_fte[:, k], per_person) for k, (name, _, per_person) in enumerate(par.GP_ROLES)] + [
        ("GP", "GP Registrar", registrar, 0.9),
        ("Nurses", "Practice Nurse", nurse, 0.6),
    ]
    codes = geo.practices["practice_code"].to_numpy(dtype=object)
    names = geo.practices["practice_name"].to_numpy(dtype=object)
    frames = []
    for group, role, fte, per_person in roles:
        fte = np.round(fte, 2)
        hc = np.where(fte > 0, np.maximum(1, np.round(fte / per_person)), 0).astype(np.float64)
        for measure, value in (("FTE", fte), ("HC", hc)):
            frames.append(
                pd.DataFrame(
                    {
                        "practice_code": codes,
                        "practice_name": names,
                        "staff_group": group,
                        "detailed_staff_role": role,
                        "measure": measure,
                        "value": value,
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    for col in ("practice_code", "practice_name", "staff_group", "detailed_staff_role", "measure"):
        out[col] = out[col].astype("str")
    return out.sort_values(["practice_code", "staff_group", "detailed_staff_role", "measure"], ignore_index=True)
