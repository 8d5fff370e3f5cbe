"""The real BLMK small areas (the 533 LSOAs of 2011) shipped as package data.

``data/blmk_lsoa11.parquet`` is built by ``scripts/build_package_data.py`` from public ONS, OS and MHCLG
files; sources, licence and attribution are in ``data/NOTICE.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = ["ATTRIBUTION", "BOUNDARY_ATTRIBUTION", "DATA_FILE", "IMD_ATTRIBUTION", "NOTICE_FILE", "SmallAreas", "lsoa11"]

#: The package file of the small areas, and its licence and attribution, relative to this package.
DATA_FILE = "data/blmk_lsoa11.parquet"
NOTICE_FILE = "data/NOTICE.md"
#: Attribution to print wherever the boundaries are shown (maps, reports) ...
BOUNDARY_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0; Contains OS data "
    "© Crown copyright and database right 2011."
)
#: ... and wherever the deprivation deciles are.
IMD_ATTRIBUTION = (
    "IMD: English Indices of Deprivation 2019, Ministry of Housing, Communities and Local Government, OGL v3."
)
ATTRIBUTION = f"{BOUNDARY_ATTRIBUTION} {IMD_ATTRIBUTION}"


@dataclass(frozen=True)
class SmallAreas:
    """The LSOAs as read-only arrays, sorted by code."""

    code: np.ndarray  # object array of str
    name: np.ndarray  # object array of str
    place_code: np.ndarray  # object array of str (the council)
    imd_decile: np.ndarray  # int64, IMD 2019 national decile (1 = most deprived)
    geometry: np.ndarray  # shapely Polygon / MultiPolygon, EPSG:27700

    def __len__(self) -> int:
        return len(self.code)


@functools.lru_cache(maxsize=1)
def lsoa11() -> SmallAreas:
    """Read the package file once (its arrays are read-only; shapely geometries are immutable)."""
    import geopandas as gpd

    with resources.as_file(resources.files(__package__ or "blmk_health.datasets").joinpath(DATA_FILE)) as path:
        table = gpd.read_parquet(path)
    arrays = {
        "code": table["lsoa_code"].to_numpy(dtype=object),
        "name": table["lsoa_name"].to_numpy(dtype=object),
        "place_code": table["place_code"].to_numpy(dtype=object),
        "imd_decile": table["imd_decile"].to_numpy(dtype=np.int64),
        "geometry": table.geometry.to_numpy(),
    }
    for values in arrays.values():
        values.setflags(write=False)
    return SmallAreas(**arrays)
