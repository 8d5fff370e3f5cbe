"""The built-in synthetic BLMK dataset (:func:`synthetic_blmk`).

The generative model is described, assumption by assumption, in ``docs/synthetic-data.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._activity import (
    Risk,
    build_admissions,
    build_events,
    build_qof,
    build_registrations,
    build_risk,
    codelists_table,
)
from blmk_health.datasets._synthetic._geography import Geography, build_geography
from blmk_health.datasets._synthetic._health import build_general_health
from blmk_health.datasets._synthetic._mortality import build_deaths
from blmk_health.datasets._synthetic._people import FRAILTY_LEVELS, People, build_people, prevalence_rates_table
from blmk_health.datasets._synthetic._qof import build_expected_prevalence, build_qof_achievement
from blmk_health.datasets._synthetic._tables import categorical, sex_categorical
from blmk_health.datasets._synthetic._workforce import build_workforce
from blmk_health.errors import DomainError, InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from blmk_health.geo import Hierarchy

__all__ = ["MAX_SCALE", "MIN_SCALE", "SyntheticBLMK", "synthetic_blmk"]

#: Smallest accepted ``scale``: about 1,000 patients, so that every practice keeps some.
MIN_SCALE = 0.001
#: Largest accepted ``scale``: memory grows linearly (about 1 GB at scale 1).
MAX_SCALE = 2.0
#: One random stream per stage, ``SeedSequence(seed).spawn(len(_STREAMS))`` in this order. New stages are
#: appended: the first children of a spawn do not depend on how many are spawned, so the streams (and
#: the tables) of the earlier stages stay the same.
_STREAMS = (
    "geography",
    "people",
    "risk",
    "admissions",
    "events",
    "workforce",
    "deaths",
    "general_health",
    "wider_workforce",
    "qof_achievement",
)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class SyntheticBLMK:
    """Tables of the synthetic BLMK health system, as returned by :func:`synthetic_blmk`.

    Every attribute except ``scale``, ``seed`` and ``reference_date`` is a pandas DataFrame
    (``lsoas`` is a GeoDataFrame). Column-by-column descriptions are in ``docs/synthetic-data.md``.

    Attributes
    ----------
    scale, seed : float, int
        The arguments the data were generated with.
    reference_date : datetime.date
        Date at which ages, registrations and GP events are taken (31 March 2019).
    places, clusters, practices : pandas.DataFrame
        The geography: 4 places (local authorities), 13 GP clusters, 108 practices.
    lsoas : geopandas.GeoDataFrame
        The 533 real BLMK small areas (LSOA 2011) with their council, real IMD 2019 decile and
        generalised polygons (EPSG:27700), and their synthetic residents.
    population, deaths : pandas.DataFrame
        LSOA x sex x 20 age bands: synthetic resident population, and deaths over 2016-18 (full
        size at every ``scale``).
    general_health : pandas.DataFrame
        Place x sex x 20 age bands: the proportion of survey respondents in good or very good
        general health (``good_health``) and the number of respondents (``respondents``), the survey
        input of healthy life expectancy (full size at every ``scale``).
    patients : pandas.DataFrame
        One row per registered patient, with true and diagnosed conditions, frailty and risk.
    events : pandas.DataFrame
        Coded primary-care events (patient, SNOMED CT code, date).
    codelists : pandas.DataFrame
        The SNOMED CT and ICD-10 codes of each condition used by the generator.
    registrations, workforce, qof_registers : pandas.DataFrame
        Practice list sizes by sex and quinary age, the workforce (GPs, nurses, direct patient care,
        admin/non-clinical; long layout, a few practices without a return), and
        QOF registers.
    admissions : pandas.DataFrame
        HES-like episodes for two financial years (2017/18 and 2018/19).
    prevalence_rates : pandas.DataFrame
        The true age-sex-deprivation prevalence rates the generator used.
    qof_achievement : pandas.DataFrame
        QOF achievement of 2018-19 per practice for HYP006 (blood pressure 150/90 mmHg or less) and
        AF007 (anticoagulation of AF with CHA2DS2-VASc >= 2): numerator, denominator, exceptions.
    expected_prevalence : pandas.DataFrame
        Expected cases of hypertension and AF per practice (the ``prevalence_rates`` applied to the
        patients) and the population they apply to.
    """

    scale: float
    seed: int
    reference_date: dt.date
    places: pd.DataFrame
    clusters: pd.DataFrame
    practices: pd.DataFrame
    lsoas: gpd.GeoDataFrame
    population: pd.DataFrame
    deaths: pd.DataFrame
    general_health: pd.DataFrame
    patients: pd.DataFrame
    events: pd.DataFrame
    codelists: pd.DataFrame
    registrations: pd.DataFrame
    workforce: pd.DataFrame
    qof_registers: pd.DataFrame
    admissions: pd.DataFrame
    prevalence_rates: pd.DataFrame
    qof_achievement: pd.DataFrame
    expected_prevalence: pd.DataFrame

    @property
    def hierarchy(self) -> Hierarchy:
        """The practice -> cluster -> place -> ICB hierarchy of the synthetic practices.

        Built with :meth:`blmk_health.geo.Hierarchy.from_frame` from :attr:`practices` (codes and
        names of every level), in force from each practice's ``open_date``.

        Examples
        --------
        >>> import blmk_health as bh
        >>> h = bh.datasets.synthetic_blmk(scale=0.01).hierarchy
        >>> h.map(["SYN001"], to="place")
        ['E06000055']
        """
        from blmk_health.geo import Hierarchy

        return Hierarchy.from_frame(self.practices, start="open_date")

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name, in a fixed order.

        Examples
        --------
        >>> import blmk_health as bh
        >>> sorted(bh.datasets.synthetic_blmk(scale=0.01).tables())[:3]
        ['admissions', 'clusters', 'codelists']
        """
        return {name: getattr(self, name) for name in _TABLES}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={len(table):,}" for name, table in self.tables().items())
        return f"SyntheticBLMK(scale={self.scale!r}, seed={self.seed!r}, rows: {shapes})"


#: The fields of :class:`SyntheticBLMK` that hold tables, in declaration order.
_TABLES = tuple(f.name for f in fields(SyntheticBLMK) if f.name not in {"scale", "seed", "reference_date"})


def _check_arguments(scale: Any, seed: Any) -> tuple[float, int]:
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        msg = f"scale: expected a number, got {type(scale).__name__} {scale!r}"
        raise InputError(msg)
    value = float(scale)
    if not math.isfinite(value) or not (MIN_SCALE <= value <= MAX_SCALE):
        msg = (
            f"scale: expected a number from {MIN_SCALE} to {MAX_SCALE} (1.0 is the real system size, about "
            f"985,000 patients), got {scale!r}"
        )
        raise DomainError(msg)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        msg = f"seed: expected an integer, got {type(seed).__name__} {seed!r}"
        raise InputError(msg)
    if int(seed) < 0:
        msg = f"seed: expected a non-negative integer, got {seed!r}"
        raise DomainError(msg)
    return value, int(seed)


def synthetic_blmk(scale: float = 1.0, seed: int = 0) -> SyntheticBLMK:
    """Generate the synthetic Bedfordshire, Luton and Milton Keynes health system.

    The tables come from a documented generative model (``docs/synthetic-data.md``): four places
    with their real ONS codes and mid-2018 populations, 13 GP clusters and 108 practices with
    synthetic codes (``SYN001``...), the 533 real small areas (LSOA 2011) of BLMK with their real
    boundaries and IMD 2019 deciles (package data; Office for National Statistics and Ordnance
    Survey data, Open Government Licence v3.0), and one row per registered patient with true and
    diagnosed conditions, frailty, hospital use and the true probability of an emergency
    admission. No person, practice, population count or event describes a real one.

    Parameters
    ----------
    scale : float, default 1.0
        Size of the patient-level tables relative to the real system (1.0: about 984,000
        registered patients): patients, events, admissions, registrations, QOF registers,
        workforce FTE and practice list sizes scale. The resident tables (``population``,
        ``deaths``, ``general_health`` and the populations of ``lsoas`` and ``places``) are
        generated at full size (937,945 residents) whatever the ``scale``, so that life
        expectancy and its deprivation gap have values on a small copy. Places, clusters,
        practices and small areas keep their number. Must lie between 0.001 and 2.0.
    seed : int, default 0
        Seed of the random generator. The same ``scale`` and ``seed`` give identical tables;
        each table has its own random stream (``numpy.random.SeedSequence.spawn``).

    Returns
    -------
    SyntheticBLMK
        A frozen dataclass of pandas DataFrames (``lsoas`` is a GeoDataFrame in EPSG:27700).

    Raises
    ------
    InputError
        ``scale`` is not a number or ``seed`` is not an integer.
    DomainError
        ``scale`` is outside [0.001, 2.0] or not finite, or ``seed`` is negative.

    See Also
    --------
    esp2013 : the 2013 European Standard Population.

    Notes
    -----
    The full size takes about 10 s and 1 GB on a 2-core machine; ``scale=0.01`` under a second.
    For a given ``seed``, ``population``, ``deaths``, ``general_health`` and ``lsoas`` are the same
    at every ``scale``.
    ``prevalence_rates`` holds the true rates used, so expected-prevalence and risk methods can be
    checked against the truth held in ``patients`` (``*_true`` and ``*_diagnosed`` columns,
    ``emergency_admission_probability`` and ``emergency_admission_next_year``).

    Examples
    --------
    >>> import blmk_health as bh
    >>> data = bh.datasets.synthetic_blmk(scale=0.01, seed=0)
    >>> len(data.practices), data.practices["practice_code"].iloc[0]
    (108, 'SYN001')
    >>> int(data.practices["list_size"].sum()) == len(data.patients)
    True
    >>> data.lsoas.crs.to_epsg(), len(data.lsoas), data.lsoas["lsoa_code"].iloc[0]
    (27700, 533, 'E01015693')
    >>> int(data.population["population"].sum())  # residents: full size at every scale
    937945
    >>> sorted(data.places["place_name"])
    ['Bedford', 'Central Bedfordshire', 'Luton', 'Milton Keynes']
    """
    scale_value, seed_value = _check_arguments(scale, seed)
    children = np.random.SeedSequence(seed_value).spawn(len(_STREAMS))
    streams = {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)}
    geo = build_geography(streams["geography"], scale_value)
    people = build_people(streams["people"], geo)
    risk = build_risk(streams["risk"], people)
    admissions, prior_count, prior_bed_days = build_admissions(streams["admissions"], geo, people, risk)
    events = build_events(streams["events"], people)
    patients = _patients_table(geo, people, risk, prior_count, prior_bed_days)
    return SyntheticBLMK(
        scale=scale_value,
        seed=seed_value,
        reference_date=par.REFERENCE_DATE,
        places=geo.places,
        clusters=geo.clusters,
        practices=geo.practices,
        lsoas=geo.lsoas,
        population=geo.population,
        deaths=build_deaths(streams["deaths"], geo),
        general_health=build_general_health(streams["general_health"], geo),
        patients=patients,
        events=events,
        codelists=codelists_table(),
        registrations=build_registrations(geo, people),
        workforce=build_workforce(streams["workforce"], streams["wider_workforce"], geo),
        qof_registers=build_qof(geo, people),
        admissions=admissions,
        prevalence_rates=prevalence_rates_table(),
        qof_achievement=build_qof_achievement(streams["qof_achievement"], geo, people, scale_value),
        expected_prevalence=build_expected_prevalence(patients, prevalence_rates_table()),
    )


def _patients_table(
    geo: Geography, people: People, risk: Risk, prior_count: np.ndarray, prior_bed_days: np.ndarray
) -> pd.DataFrame:
    """One row per registered patient: residence, demographics, conditions, frailty and hospital use."""
    practice_clusters = geo.practices["cluster_code"].to_numpy(dtype=object)
    cluster_codes = sorted(set(practice_clusters))
    cluster_of = np.searchsorted(cluster_codes, practice_clusters)
    place_codes = [p.code for p in par.PLACES]
    n = len(people.age)
    frailty = categorical(people.frailty, list(FRAILTY_LEVELS), ordered=True)
    columns: dict[str, Any] = {
        "patient_id": np.arange(1, n + 1, dtype=np.int64),
        "practice_code": categorical(people.practice, geo.practice_codes),
        "cluster_code": categorical(cluster_of[people.practice], cluster_codes),
        "place_code": categorical(geo.practice_place[people.practice], place_codes),
        "lsoa_code": categorical(people.lsoa, geo.lsoa_codes),
        "sex": sex_categorical(people.male),
        "age": people.age,
        "imd_decile": people.decile.astype(np.int64),
        "care_home": people.care_home,
    }
    for j, key in enumerate(par.CONDITION_KEYS):
        columns[f"{key}_true"] = people.true[:, j]
        columns[f"{key}_diagnosed"] = people.diagnosed[:, j]
    columns["efi_score"] = np.round(people.efi, 3)
    columns["frailty_category"] = frailty
    columns["prior_emergency_admissions"] = prior_count
    columns["prior_bed_days"] = prior_bed_days
    columns["emergency_admission_probability"] = risk.p_next
    columns["emergency_admission_next_year"] = risk.outcome_next
    return pd.DataFrame(columns)
