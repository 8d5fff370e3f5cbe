"""Hospital admissions, primary-care events, QOF registers and registrations (the workforce: ``_workforce.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from blmk_health._age_bands import ESP2013_19
from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._people import People
from blmk_health.datasets._synthetic._tables import as_text, categorical, sex_categorical

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


#: The admission-method codes (with relative weights) of each kind of spell.
_METHODS_BY_KIND: tuple[tuple[int, tuple[tuple[str, float], ...]], ...] = (
    (_EMERGENCY, par.EMERGENCY_METHODS),
    (_ELECTIVE, par.ELECTIVE_METHODS),
    (_MATERNITY, (("31", 1.0),)),
    (_TRANSFER, (("81", 1.0),)),
)
_METHOD_CATEGORIES = sorted({code for _, options in _METHODS_BY_KIND for code, _ in options})


@dataclass(frozen=True)
class _Spells:
    """Hospital spells, one element of each array a spell."""

    who: np.ndarray  # patient index
    kind: np.ndarray  # int8: _EMERGENCY, _ELECTIVE, _MATERNITY or _TRANSFER
    adm: np.ndarray  # admission date, datetime64[D]
    los: np.ndarray  # length of stay in days, int64

    @property
    def dis(self) -> np.ndarray:
        """Discharge dates."""
        out: np.ndarray = self.adm + self.los * _DAY
        return out

    def take(self, rows: np.ndarray) -> _Spells:
        """The spells selected by ``rows`` (a boolean mask or positions), in that order."""
        return _Spells(self.who[rows], self.kind[rows], self.adm[rows], self.los[rows])

    def append(self, other: _Spells) -> _Spells:
        """These spells followed by ``other``."""
        return _Spells(
            np.concatenate([self.who, other.who]),
            np.concatenate([self.kind, other.kind]),
            np.concatenate([self.adm, other.adm]),
            np.concatenate([self.los, other.los]),
        )


@dataclass(frozen=True)
class _Coding:
    """What is recorded about each spell."""

    method: np.ndarray  # admission method code
    provider: np.ndarray  # index into par.PROVIDERS
    age: np.ndarray  # age at admission
    primary: np.ndarray  # ICD-10 code
    secondary: np.ndarray  # (spells, 3) ICD-10 codes or None


@dataclass(frozen=True)
class _Episodes:
    """Consultant episodes, one element of each array an episode."""

    spell: np.ndarray  # position of the episode's spell
    order: np.ndarray  # 1, 2, ... within the spell
    start: np.ndarray  # datetime64[D]
    end: np.ndarray  # datetime64[D]


def build_admissions(
    rng: np.random.Generator, geo: Geography, people: People, risk: Risk
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """HES-like episodes for two financial years, and each patient's prior-year emergency spells and bed days.

    The stages draw from ``rng`` in this order, which fixes the data for a given seed.
    """
    starts = [np.datetime64(a, "D") for a, _ in par.ADMISSION_YEARS]
    last = np.datetime64(par.ADMISSION_YEARS[-1][1], "D")
    spells = _draw_spells(rng, people, risk, starts)
    spells = spells.append(_readmissions(rng, people, risk, spells))
    spells = _possible_spells(people, spells, last)
    coding = _code_spells(rng, geo, people, spells)
    episodes = _split_into_episodes(rng, spells)
    table = _episode_table(geo, people, spells, coding, episodes)
    prior_count, prior_bed_days = _prior_emergency_use(len(people.age), spells, since=starts[-1])
    return table, prior_count, prior_bed_days


def _draw_spells(rng: np.random.Generator, people: People, risk: Risk, starts: Sequence[np.datetime64]) -> _Spells:
    """Index spells of each kind in each financial year: Poisson counts, days uniform over the year."""
    n = len(people.age)
    female_16_44 = (~people.male) & (people.age >= 16) & (people.age <= 44)
    elective_rate = par.ELECTIVE_AGE_RATE[_age_band20(people.age)] * np.exp(0.12 * people.diagnosed.sum(axis=1))
    rates = (
        (_EMERGENCY, risk.rate),
        (_ELECTIVE, elective_rate),
        (_MATERNITY, np.where(female_16_44, par.MATERNITY_RATE, 0.0)),
        (_TRANSFER, np.full(n, par.TRANSFER_RATE)),
    )
    idx_parts: list[np.ndarray] = []
    kind_parts: list[np.ndarray] = []
    day_parts: list[np.ndarray] = []
    for start in starts:
        for spell_kind, lam in rates:
            counts = rng.poisson(lam)
            who = np.repeat(np.arange(n), counts)
            idx_parts.append(who)
            kind_parts.append(np.full(len(who), spell_kind, dtype=np.int8))
            day_parts.append(start + rng.integers(0, 365, len(who)) * _DAY)
    who = np.concatenate(idx_parts)
    kind = np.concatenate(kind_parts)
    return _Spells(who, kind, np.concatenate(day_parts), _los(rng, kind, people.age[who], people.frailty[who]))


def _readmissions(rng: np.random.Generator, people: People, risk: Risk, spells: _Spells) -> _Spells:
    """Emergency readmissions linked to emergency spells, 0-29 days after discharge (early days likelier)."""
    emerg = np.flatnonzero(spells.kind == _EMERGENCY)
    linked = emerg[rng.random(len(emerg)) < risk.readmit[spells.who[emerg]]]
    gap = np.floor(30 * rng.random(len(linked)) ** 1.6).astype(np.int64)
    who = spells.who[linked]
    kind = np.full(len(linked), _EMERGENCY, dtype=np.int8)
    adm = spells.adm[linked] + (spells.los[linked] + gap) * _DAY
    return _Spells(who, kind, adm, _los(rng, kind, people.age[who], people.frailty[who]))


def _possible_spells(people: People, spells: _Spells, last: np.datetime64) -> _Spells:
    """Spells sorted by patient, date and kind, without those before birth or after ``last`` and without
    those that start before the patient's previous spell ends."""
    birth = _REF - np.round((people.age + people.birthday_fraction) * 365.25).astype(np.int64) * _DAY
    spells = spells.take((spells.adm <= last) & (spells.adm > birth[spells.who]))
    spells = spells.take(np.lexsort((spells.kind, spells.adm, spells.who)))
    while True:
        same = np.r_[False, spells.who[1:] == spells.who[:-1]]
        prev_dis = np.r_[spells.adm[:1], spells.dis[:-1]]
        clash = same & (spells.adm < prev_dis)
        if not clash.any():
            return spells
        spells = spells.take(~clash)


def _code_spells(rng: np.random.Generator, geo: Geography, people: People, spells: _Spells) -> _Coding:
    """Admission method, provider, age at admission and diagnoses of each spell."""
    n_spells = len(spells.who)
    method = np.empty(n_spells, dtype=object)
    for k, options in _METHODS_BY_KIND:
        sel = spells.kind == k
        method[sel] = _pick(rng, options, int(sel.sum()))
    place = geo.practice_place[people.practice[spells.who]]
    shares = np.array([par.PROVIDER_SHARES[p.code] for p in par.PLACES])[place]
    provider = (rng.random(n_spells)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    provider = np.minimum(provider, len(par.PROVIDERS) - 1)
    elapsed: np.ndarray = _REF - spells.adm
    whole_years_ago = np.ceil(elapsed / _DAY / 365.25 - people.birthday_fraction[spells.who])
    age = np.maximum(people.age[spells.who] - np.maximum(0, whole_years_ago.astype(np.int64)), 0)
    primary = _primary_diagnoses(rng, spells.kind, spells.who, age, people)
    secondary = _secondary_diagnoses(rng, spells.who, people, primary)
    return _Coding(method=method, provider=provider, age=age, primary=primary, secondary=secondary)


def _split_into_episodes(rng: np.random.Generator, spells: _Spells) -> _Episodes:
    """Consultant episodes that divide each stay evenly: long spells have more (one to five)."""
    los = spells.los
    n_ep = 1 + np.minimum(rng.poisson(0.05 + los / 15.0), 4)
    spell = np.repeat(np.arange(len(los)), n_ep)
    order = np.arange(len(spell)) - np.repeat(np.cumsum(n_ep) - n_ep, n_ep) + 1
    frac_start = (order - 1) / n_ep[spell]
    frac_end = order / n_ep[spell]
    start = spells.adm[spell] + np.floor(los[spell] * frac_start).astype(np.int64) * _DAY
    end = spells.adm[spell] + np.floor(los[spell] * frac_end).astype(np.int64) * _DAY
    return _Episodes(spell=spell, order=order, start=start, end=end)


def _episode_table(
    geo: Geography, people: People, spells: _Spells, coding: _Coding, episodes: _Episodes
) -> pd.DataFrame:
    """The admissions table: one row an episode, spells numbered in order of admission date."""
    n_spells = len(spells.who)
    spell_id = np.empty(n_spells, dtype=np.int64)
    spell_id[np.lexsort((spells.who, spells.adm))] = np.arange(1, n_spells + 1)
    spell = episodes.spell
    pw = spells.who[spell]
    icd_categories = sorted({*coding.primary, *(c for c in coding.secondary.ravel() if c is not None)})
    diagnoses = [coding.primary[spell], *(coding.secondary[spell, k] for k in range(3))]
    table = pd.DataFrame(
        {
            "spell_id": spell_id[spell],
            "episode_order": episodes.order.astype(np.int64),
            "patient_id": (pw + 1).astype(np.int64),
            "provider_code": categorical(coding.provider[spell], [p for p, _ in par.PROVIDERS]),
            "admission_method": pd.Categorical(coding.method[spell], categories=_METHOD_CATEGORIES),
            "admission_date": _ns(spells.adm[spell]),
            "discharge_date": _ns(spells.dis[spell]),
            "episode_start": _ns(episodes.start),
            "episode_end": _ns(episodes.end),
            **{f"diag_{k:02d}": pd.Categorical(d, categories=icd_categories) for k, d in enumerate(diagnoses, 1)},
            "age": coding.age[spell].astype(np.int64),
            "sex": sex_categorical(people.male[pw]),
            "practice_code": categorical(people.practice[pw], geo.practice_codes),
            "lsoa_code": categorical(people.lsoa[pw], geo.lsoa_codes),
        }
    )
    return table.sort_values(["spell_id", "episode_order"], ignore_index=True)


def _prior_emergency_use(n: int, spells: _Spells, since: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Each of the ``n`` patients' emergency spells and their bed days, admitted on or after ``since``."""
    prior = (spells.kind == _EMERGENCY) & (spells.adm >= since)
    count = np.bincount(spells.who[prior], minlength=n).astype(np.int64)
    bed_days = np.bincount(spells.who[prior], weights=spells.los[prior], minlength=n).astype(np.int64)
    return count, bed_days


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
    codes = geo.practice_codes
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
    as_text(out, ["practice_code", "group_code", "condition", "patient_list_type"])
    return out.sort_values(["practice_code", "group_code"], ignore_index=True)


def build_registrations(geo: Geography, people: People) -> pd.DataFrame:
    n_pr = len(geo.practice_list)
    quin = np.minimum(people.age // 5, 19)
    labels = [f"{5 * k}_{5 * k + 4}" for k in range(19)] + ["95+"]
    counts = np.bincount(
        (people.practice * 2 + np.where(people.male, 0, 1)) * 20 + quin, minlength=n_pr * 2 * 20
    ).reshape(n_pr, 2, 20)
    codes = geo.practice_codes
    return pd.DataFrame(
        {
            "extract_date": pd.Timestamp(par.EXTRACT_DATE).as_unit("ns"),
            "practice_code": pd.array(np.repeat(codes, 40), dtype="str"),
            "sex": pd.array(np.tile(np.repeat(["MALE", "FEMALE"], 20), n_pr), dtype="str"),
            "age_group_5": pd.array(np.tile(labels, 2 * n_pr), dtype="str"),
            "number_of_patients": counts.reshape(-1).astype(np.int64),
        }
    )
