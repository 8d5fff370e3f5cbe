"""Reference tables and the built-in synthetic BLMK data.

- :func:`esp2013`: the 2013 European Standard Population (19- and 20-band forms).
- :func:`blmk_gp_workforce_trajectory`: the BLMK plans' GP workforce trajectory, 2017-2020 (as quoted).
- :func:`synthetic_blmk`: a synthetic, realistic BLMK health system (:class:`SyntheticBLMK`), on the
  real BLMK small areas.
- :data:`BOUNDARY_ATTRIBUTION`, :data:`IMD_ATTRIBUTION`: the words to print wherever the small areas'
  boundaries or deprivation deciles are shown (Open Government Licence v3.0, Ordnance Survey).
"""

from blmk_health.datasets._reference import esp2013
from blmk_health.datasets._small_areas import BOUNDARY_ATTRIBUTION, IMD_ATTRIBUTION
from blmk_health.datasets._synthetic import SyntheticBLMK, synthetic_blmk
from blmk_health.datasets._trajectory import GPWorkforceTrajectory, blmk_gp_workforce_trajectory

__all__ = [
    "BOUNDARY_ATTRIBUTION",
    "IMD_ATTRIBUTION",
    "GPWorkforceTrajectory",
    "SyntheticBLMK",
    "blmk_gp_workforce_trajectory",
    "esp2013",
    "synthetic_blmk",
]
