"""Reference tables and the built-in synthetic BLMK data.

- :func:`esp2013`: the 2013 European Standard Population (19- and 20-band forms).
- :func:`synthetic_blmk`: a synthetic, realistic BLMK health system (:class:`SyntheticBLMK`).
"""

from blmk_health.datasets._reference import esp2013
from blmk_health.datasets._synthetic import SyntheticBLMK, synthetic_blmk

__all__ = ["SyntheticBLMK", "esp2013", "synthetic_blmk"]
