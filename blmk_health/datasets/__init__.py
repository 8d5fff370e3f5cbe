"""Reference tables and the built-in synthetic BLMK data.

- :func:`esp2013`: the 2013 European Standard Population (19- and 20-band forms).
"""

from __future__ import annotations

from blmk_health.datasets._reference import esp2013

__all__ = ["esp2013"]
