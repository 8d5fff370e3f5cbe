"""Readers for the published NHS England, ODS, ONS, OHID, MHCLG and QOF files.

Each reader maps the publisher's column names explicitly to documented snake_case columns, parses
dates to ``datetime64[ns]`` and counts to nullable integers, accepts a path or a file-like object, and
raises :class:`~blmk_health.errors.DataFileError` (also a ``FileNotFoundError``) for a path where no
file can be read, naming the file it expected there, :class:`~blmk_health.errors.SchemaError` for a
file of the wrong kind (naming the columns it expected and those it found), with line numbers for
malformed rows and values, and :class:`~blmk_health.errors.ReferenceDataError` for malformed codes.
No row is dropped silently: a filtered read reports the rows it left out in ``attrs["dropped"]`` (and
logs them to ``blmk_health.io`` at INFO level).

The readers are pandas-only by design: they parse files (small, published tables) row by row, so that
every error can name its line, and return pandas DataFrames (a GeoDataFrame for boundaries), which
every other function of the library accepts as they are; convert them (``polars.from_pandas``, ...)
if you work in another library. :func:`read_epcn` also takes the two ePCN sheets as data frames of
any kind narwhals supports (``pd.read_excel`` output, say), and its own output back.

Examples
--------
>>> import io
>>> import blmk_health as bh
>>> bh.io.read_imd(io.StringIO("lsoa,imd10\\nE01015693,8\\n")).loc[0, "imd_decile"]
np.int64(8)
"""

from blmk_health.io._boundaries import read_boundaries
from blmk_health.io._fingertips import read_fingertips
from blmk_health.io._imd import read_imd
from blmk_health.io._ods import EPCN, read_epcn, read_epraccur
from blmk_health.io._ons import read_ons_population
from blmk_health.io._qof import QOF_INDICATORS, read_qof_achievement, read_qof_prevalence
from blmk_health.io._registrations import read_gp_registrations
from blmk_health.io._workforce import read_gp_workforce

__all__ = [
    "EPCN",
    "QOF_INDICATORS",
    "read_boundaries",
    "read_epcn",
    "read_epraccur",
    "read_fingertips",
    "read_gp_registrations",
    "read_gp_workforce",
    "read_imd",
    "read_ons_population",
    "read_qof_achievement",
    "read_qof_prevalence",
]
