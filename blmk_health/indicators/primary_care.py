"""Primary-care indicators: patients per GP, workforce trajectories, expected and undiagnosed prevalence,
treatment gaps.

- :func:`patients_per_gp`: registered patients per GP (FTE or headcount) or other staff group, and its
  inverse (staff per 10,000 patients), with practices that made no workforce return reported.
- :func:`workforce_trajectory`: actual against planned against target over time, with signed variances.
- :func:`expected_prevalence`: expected cases from age-sex (and other) specific rates applied to a
  population.
- :func:`prevalence_gap`: recorded against expected cases: the estimated undiagnosed, and the detection
  ratio with exact / Byars limits.
- :func:`treatment_gap`: patients on a register not treated to target, from QOF-style counts, in both
  published views (net of exceptions, and of everyone eligible).

Every function takes any frame narwhals supports and returns the kind it was given; rolled up, every
ratio is a ratio of summed counts.
"""

from blmk_health.indicators._prevalence import expected_prevalence, prevalence_gap, treatment_gap
from blmk_health.indicators._workforce import patients_per_gp, workforce_trajectory

__all__ = ["expected_prevalence", "patients_per_gp", "prevalence_gap", "treatment_gap", "workforce_trajectory"]
