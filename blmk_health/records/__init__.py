"""Patient- and episode-level preparation shared by the indicators and segmentation.

Admission-method groups (:func:`classify_admission_method`, :func:`admission_methods`), hospital
provider spells from consultant episodes (:func:`spells`), and patient x condition flags from coded
events (:func:`condition_flags`) with code lists read by :func:`read_codelists` or the starter lists of
:func:`starter_codelists`. Everything runs in the caller's backend, lazily on lazy frames (Polars,
DuckDB, PySpark), without collecting the rows.

Examples
--------
>>> import blmk_health as bh
>>> bh.records.classify_admission_method([11, "21", "31"]).tolist()
['elective', 'emergency', 'maternity']
"""

from blmk_health.records._admission import admission_methods, classify_admission_method
from blmk_health.records._codelists import read_codelists, starter_codelists
from blmk_health.records._conditions import condition_flags
from blmk_health.records._spells import SPELL_COLUMNS, spells

__all__ = [
    "SPELL_COLUMNS",
    "admission_methods",
    "classify_admission_method",
    "condition_flags",
    "read_codelists",
    "spells",
    "starter_codelists",
]
