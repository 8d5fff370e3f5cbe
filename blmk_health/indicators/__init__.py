"""Indicator statistics with confidence intervals, identical to PHEindicatormethods.

The functions here take a data frame (pandas, Polars, PyArrow, DuckDB, PySpark, ...) and return the
same kind of frame, with the reference package's column names and suppression rules:

- :func:`crude_rate`, :func:`proportion`, :func:`mean`: rates (exact / Byars), proportions
  (Wilson) and means (Student's t).
- :func:`dsr`, :func:`isr`: directly (Dobson) and indirectly standardised rates and ratios.
- :func:`quantiles`: assignment to quantiles (deprivation deciles).
- :func:`life_expectancy`, :func:`healthy_life_expectancy`: abridged life tables (Chiang, Silcocks)
  and the Sullivan method.
- :func:`sii`, :func:`le_gap`: slope and relative index of inequality, and the gap in life expectancy
  across deprivation deciles.
- :func:`patients_per_gp`, :func:`workforce_trajectory`: the GP workforce against the registered list
  and against its plans.
- :func:`expected_prevalence`, :func:`prevalence_gap`, :func:`treatment_gap`: expected against
  recorded prevalence (the undiagnosed), and patients not treated to target.
- :func:`emergency_admissions`, :func:`acsc_admissions`, :func:`readmissions`: emergency spells and bed
  days per population (crude, directly or indirectly age-sex standardised), chronic
  ambulatory-care-sensitive admissions, and emergency readmissions within 30 days.
- :mod:`~blmk_health.indicators.ci`: the confidence-interval primitives.
- :func:`catalogue`: the definitions of every indicator the library computes.
"""

from blmk_health.indicators import ci
from blmk_health.indicators._catalogue import catalogue
from blmk_health.indicators._le_gap import le_gap
from blmk_health.indicators.hospital import acsc_admissions, acsc_codelist, emergency_admissions, readmissions
from blmk_health.indicators.life_expectancy import healthy_life_expectancy, life_expectancy
from blmk_health.indicators.primary_care import (
    expected_prevalence,
    patients_per_gp,
    prevalence_gap,
    treatment_gap,
    workforce_trajectory,
)
from blmk_health.indicators.quantiles import quantiles
from blmk_health.indicators.rates import crude_rate, mean, proportion
from blmk_health.indicators.sii import sii
from blmk_health.indicators.standardised import dsr, isr

__all__ = [
    "acsc_admissions",
    "acsc_codelist",
    "catalogue",
    "ci",
    "crude_rate",
    "dsr",
    "emergency_admissions",
    "expected_prevalence",
    "healthy_life_expectancy",
    "isr",
    "le_gap",
    "life_expectancy",
    "mean",
    "patients_per_gp",
    "prevalence_gap",
    "proportion",
    "quantiles",
    "readmissions",
    "sii",
    "treatment_gap",
    "workforce_trajectory",
]
