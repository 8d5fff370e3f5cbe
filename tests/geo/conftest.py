"""Fixtures of the geography tests: a small synthetic hierarchy, and the real BLMK files."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import blmk_health as bh
import blmk_health.geo

LUTON, MK, BEDFORD, CBEDS = "E06000032", "E06000042", "E06000055", "E06000056"


@pytest.fixture
def practices() -> pd.DataFrame:
    """Six practices in three clusters, two places and one ICB (the synthetic_blmk practices layout)."""
    return pd.DataFrame(
        {
            "practice_code": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "practice_name": ["One", "Two", "Three", "Four", "Five", "Six"],
            "cluster_code": ["C1", "C1", "C2", "C2", "C3", "C3"],
            "cluster_name": ["North", "North", "South", "South", "East", "East"],
            "place_code": [LUTON, LUTON, LUTON, LUTON, MK, MK],
            "place_name": ["Luton"] * 4 + ["Milton Keynes"] * 2,
            "icb_code": ["QHG"] * 6,
            "icb_name": ["BLMK"] * 6,
            "list_size": [1000, 2000, 3000, 4000, 5000, 6000],
        }
    )


@pytest.fixture
def hierarchy(practices: pd.DataFrame) -> bh.geo.Hierarchy:
    return bh.geo.Hierarchy.from_frame(practices)


# ----------------------------------------------------------------------------- real data
def _io(name: str) -> Any:
    """A reader of bh.io, or None while bh.io does not provide it."""
    try:
        import blmk_health.io as io
    except ImportError:  # pragma: no cover - before bh.io existed
        return None
    return getattr(io, name, None)


@pytest.fixture(scope="session")
def epcn(blmk_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(details, core_partners), from bh.io.read_epcn when it exists, else read here with pandas."""
    details_path = blmk_dir / "epcn_2020_BLMK_pcn_details.csv"
    partners_path = blmk_dir / "epcn_2020_BLMK_core_partner_details.csv"
    reader = _io("read_epcn")
    if reader is not None:
        result = reader(details_path, partners_path)
        return result.details, result.core_partners
    return pd.read_csv(details_path, dtype=str), pd.read_csv(partners_path, dtype=str)


@pytest.fixture(scope="session")
def epraccur(blmk_dir: Path) -> pd.DataFrame:
    path = blmk_dir / "epraccur_2019-12_BLMK.csv"
    reader = _io("read_epraccur")
    if reader is not None:
        return reader(path)
    raw = pd.read_csv(path, header=None, dtype=str)
    return pd.DataFrame(
        {
            "practice_code": raw[0],
            "practice_name": raw[1],
            "postcode": raw[9],
            "open_date": raw[10],
            "close_date": raw[11],
            "status": raw[12],
            "commissioner_code": raw[14],
            "prescribing_setting": raw[25],
        }
    )


@pytest.fixture(scope="session")
def real_hierarchy(epcn: tuple[pd.DataFrame, pd.DataFrame], epraccur: pd.DataFrame) -> bh.geo.Hierarchy:
    details, partners = epcn
    # Hilton PCN (Ampthill, MK45) is the one PCN the postcode evidence cannot place: MK45 reaches Bedford.
    return bh.geo.Hierarchy.from_epcn(details, partners, practices=epraccur, overrides={"U83511": CBEDS})


@pytest.fixture(scope="session")
def real_lsoas(blmk_dir: Path) -> Any:
    """The 533 LSOA11 polygons in EPSG:27700, columns lsoa_code, place_code (from the file name)."""
    import geopandas as gpd

    frames = []
    for path in sorted(glob.glob(str(blmk_dir / "boundaries" / "lsoa_2011_E06*.geojson"))):
        gdf = gpd.read_file(path)
        frames.append(gdf.assign(place_code=Path(path).stem.split("_")[-1]))
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).to_crs("EPSG:27700")
    return gdf.rename(columns={"LSOA11CD": "lsoa_code", "LSOA11NM": "lsoa_name"})


@pytest.fixture(scope="session")
def real_imd(blmk_dir: Path) -> pd.DataFrame:
    return pd.read_csv(blmk_dir / "imd2019_decile_BLMK_lsoa11.csv", dtype={"lsoa11cd": str})
