"""Places, clusters, practices and small areas of the synthetic BLMK: synthetic practices on the real small areas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from blmk_health.datasets._small_areas import SmallAreas, lsoa11
from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._tables import SEXES, as_text

_CRS = "EPSG:27700"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code of a UK postcode
_PLACE_CODES = np.array([p.code for p in par.PLACES])
_PLACE_NAMES = np.array([p.name for p in par.PLACES])
_PLACE_INDEX = {p.code: i for i, p in enumerate(par.PLACES)}


@dataclass(frozen=True)
class Geography:
    places: pd.DataFrame
    clusters: pd.DataFrame
    practices: pd.DataFrame
    lsoas: Any  # geopandas.GeoDataFrame
    population: pd.DataFrame
    lsoa_place: np.ndarray  # place index of each LSOA
    lsoa_xy: np.ndarray  # (n, 2) a point inside each LSOA (its representative point)
    lsoa_decile: np.ndarray
    lsoa_local_rank: np.ndarray  # (rank + 0.5) / n within place, 0 = most deprived
    lsoa_cell_share: np.ndarray  # (n, 2, 20) expected share of the LSOA population by sex and band
    lsoa_pop: np.ndarray  # (n, 2, 20) realised population
    practice_place: np.ndarray
    practice_xy: np.ndarray
    practice_list: np.ndarray

    @property
    def practice_codes(self) -> np.ndarray:
        """The practice codes (object array), in practice-index order."""
        codes: np.ndarray = self.practices["practice_code"].to_numpy(dtype=object)
        return codes

    @property
    def lsoa_codes(self) -> np.ndarray:
        """The LSOA codes (object array), in LSOA-index order."""
        codes: np.ndarray = self.lsoas["lsoa_code"].to_numpy(dtype=object)
        return codes


def _neighbour_deciles(areas: SmallAreas) -> np.ndarray:
    """Mean national IMD decile of each LSOA's neighbours (the LSOAs its polygon touches)."""
    import shapely

    left, right = shapely.STRtree(areas.geometry).query(areas.geometry, predicate="intersects")
    keep = left != right
    n = len(areas)
    sums = np.bincount(left[keep], weights=areas.imd_decile[right[keep]], minlength=n)
    counts = np.bincount(left[keep], minlength=n)
    out: np.ndarray = np.divide(sums, counts, out=areas.imd_decile.astype(np.float64), where=counts > 0)
    return out


def _local_ranking(areas: SmallAreas, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local deprivation rank (``(rank + 0.5) / n``, 0 = most deprived) and local decile of each LSOA.

    The published IMD 2019 gives deciles, not scores, so a synthetic order within each national decile
    stands in for the score: LSOAs whose neighbours are more deprived come first, then LSOA code order.
    It does not depend on the seed. Local deciles have equal numbers of LSOAs within each place.
    """
    neighbours = _neighbour_deciles(areas)
    local_rank = np.zeros(len(areas))
    local_decile = np.zeros(len(areas), dtype=np.int64)
    for p in range(len(par.PLACES)):
        idx = np.flatnonzero(owner == p)
        order = np.lexsort((idx, neighbours[idx], areas.imd_decile[idx]))  # most deprived first
        ranks = np.empty(len(idx))
        ranks[order] = np.arange(len(idx))
        local_rank[idx] = (ranks + 0.5) / len(idx)
        local_decile[idx] = np.floor(ranks * 10 / len(idx)).astype(np.int64) + 1
    return local_rank, local_decile


def _age_shares(rng: np.random.Generator, owner: np.ndarray, local_rank: np.ndarray) -> np.ndarray:
    """(n, 2, 20) expected population shares of each LSOA by sex (male, female) and band."""
    n = len(owner)
    tilt = np.array([p.age_tilt for p in par.PLACES])[owner]  # (n, 3)
    band = np.ones((n, 20))
    band[:, 0:4] *= tilt[:, [0]]
    band[:, 5:10] *= tilt[:, [1]]
    band[:, 14:] *= tilt[:, [2]]
    dep = (0.5 - local_rank)[:, None] * 2.0  # +1 most deprived, -1 least
    band[:, 0:4] *= np.exp(0.15 * dep)
    band[:, 14:] *= np.exp(-0.25 * dep)
    shares = par.ENGLAND_AGE_SHARE[None, :] * band * rng.lognormal(0.0, 0.08, (n, 20))
    shares /= shares.sum(axis=1, keepdims=True)
    return np.stack([shares * par.MALE_SHARE, shares * (1.0 - par.MALE_SHARE)], axis=1)


def build_geography(rng: np.random.Generator, scale: float) -> Geography:
    """The real small areas (local deprivation order, residents), then practices and clusters, then places.

    The stages draw from ``rng`` in this order, which fixes the data for a given seed. Everything but the
    list sizes (the last draw) is the same at every ``scale``: the residents are generated at full size.
    """
    areas = lsoa11()
    owner = np.array([_PLACE_INDEX[code] for code in areas.place_code], dtype=np.int64)
    xy = _points_inside(areas.geometry)
    local_rank, local_decile = _local_ranking(areas, owner)
    cell_share = _age_shares(rng, owner, local_rank)
    pop = _residents(rng, owner, cell_share)
    sites = _practice_sites(rng, xy, owner, areas.geometry)
    open_dates = _open_dates(rng, len(sites.place))
    practice_list = _list_sizes(rng, scale, sites.place)
    return Geography(
        places=_place_table(owner, pop, sites.place, practice_list),
        clusters=_cluster_table(sites.cluster, practice_list),
        practices=_practice_table(sites, practice_list, open_dates),
        lsoas=_lsoa_table(areas, owner, local_decile, pop),
        population=_population_table(areas, pop),
        lsoa_place=owner,
        lsoa_xy=xy,
        lsoa_decile=areas.imd_decile,
        lsoa_local_rank=local_rank,
        lsoa_cell_share=cell_share,
        lsoa_pop=pop,
        practice_place=sites.place,
        practice_xy=sites.xy,
        practice_list=practice_list,
    )


def _points_inside(geometry: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates of a point inside each geometry (GEOS's point on surface)."""
    import shapely

    out: np.ndarray = shapely.get_coordinates(shapely.point_on_surface(geometry))
    return out


def _residents(rng: np.random.Generator, owner: np.ndarray, cell_share: np.ndarray) -> np.ndarray:
    """(n, 2, 20) residents of each LSOA by sex and band, at full size whatever the ``scale``: each place's
    mid-2018 population shared out multinomially by the LSOAs' sizes (lognormal) and age-sex structures."""
    size = rng.lognormal(0.0, 0.15, len(owner))
    pop = np.zeros((len(owner), 2, 20), dtype=np.int64)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(owner == p)
        w = (size[idx, None, None] * cell_share[idx]).ravel()
        pop[idx] = rng.multinomial(place.population_mid2018, w / w.sum()).reshape(len(idx), 2, 20)
    return pop


def _lsoa_table(areas: SmallAreas, owner: np.ndarray, local_decile: np.ndarray, pop: np.ndarray) -> Any:
    """The real small areas with their polygons and deciles and the synthetic residents (a GeoDataFrame)."""
    import geopandas as gpd

    totals = pop.sum(axis=2)
    return gpd.GeoDataFrame(
        {
            "lsoa_code": pd.array(areas.code, dtype="str"),
            "lsoa_name": pd.array(areas.name, dtype="str"),
            "place_code": pd.array(_PLACE_CODES[owner], dtype="str"),
            "place_name": pd.array(_PLACE_NAMES[owner], dtype="str"),
            "imd_decile": areas.imd_decile.astype(np.int64),
            "imd_local_decile": local_decile,
            "population": totals.sum(axis=1),
            "population_male": totals[:, 0],
            "population_female": totals[:, 1],
        },
        geometry=gpd.GeoSeries(np.array(areas.geometry), crs=_CRS),
    )


def _population_table(areas: SmallAreas, pop: np.ndarray) -> pd.DataFrame:
    """Residents by LSOA, sex and age band (long layout)."""
    n_lsoa = len(areas)
    lsoa_codes = [str(code) for code in areas.code]
    return pd.DataFrame(
        {
            "lsoa_code": pd.Categorical(np.repeat(lsoa_codes, 40), categories=lsoa_codes),
            "place_code": pd.array(np.repeat(areas.place_code, 40), dtype="str"),
            "imd_decile": np.repeat(areas.imd_decile, 40),
            "sex": pd.Categorical(np.tile(np.repeat(SEXES, 20), n_lsoa), categories=list(SEXES)),
            "age_band": pd.Categorical(np.tile(par.BAND_LABELS, 2 * n_lsoa), categories=list(par.BAND_LABELS)),
            "start_age": np.tile(par.BAND_STARTS, 2 * n_lsoa),
            "population": pop.reshape(n_lsoa * 2 * 20),
        }
    )


@dataclass(frozen=True)
class _Sites:
    """Where the practices are."""

    place: np.ndarray  # place index of each practice
    cluster: np.ndarray  # cluster index of each practice
    xy: np.ndarray  # (n, 2) location


def _practice_sites(rng: np.random.Generator, lsoa_xy: np.ndarray, owner: np.ndarray, cells: np.ndarray) -> _Sites:
    """Practices scattered around their cluster's centre, each inside an LSOA of the cluster's place
    (a practice that falls outside is moved to the nearest LSOA point of the place)."""
    import shapely

    pr_place: list[int] = []
    pr_cluster: list[int] = []
    pr_xy: list[np.ndarray] = []
    for k, cl in enumerate(par.CLUSTERS):
        p = _PLACE_INDEX[cl.place_code]
        pts = rng.normal(loc=cl.centre, scale=cl.spread, size=(cl.n_practices, 2))
        inside = np.zeros(len(pts), dtype=bool)
        for cell in cells[owner == p]:
            inside |= shapely.contains_xy(cell, pts[:, 0], pts[:, 1])
        if not inside.all():
            seeds = lsoa_xy[owner == p]
            for j in np.flatnonzero(~inside):
                pts[j] = seeds[np.argmin(np.hypot(*(seeds - pts[j]).T))]
        pr_xy.append(pts)
        pr_place += [p] * cl.n_practices
        pr_cluster += [k] * cl.n_practices
    return _Sites(place=np.array(pr_place), cluster=np.array(pr_cluster), xy=np.concatenate(pr_xy))


def _list_sizes(rng: np.random.Generator, scale: float, practice_place: np.ndarray) -> np.ndarray:
    """Registered patients of each practice: its place's total shared out by lognormal weights (one or more each)."""
    n = len(practice_place)
    weights = rng.lognormal(0.0, 0.45, n)
    practice_list = np.zeros(n, dtype=np.int64)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(practice_place == p)
        total = max(round(place.registered * scale), len(idx))
        w = weights[idx] / weights[idx].sum()
        practice_list[idx] = 1 + rng.multinomial(total - len(idx), w)
    return practice_list


def _open_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Opening dates (datetime64[ns]) uniform from the start of the NHS (5 July 1948) to 2015."""
    first = dt.date(1948, 7, 5).toordinal()
    open_days = rng.integers(first, dt.date(2015, 12, 31).toordinal(), n)
    return np.array([np.datetime64(dt.date.fromordinal(int(d)), "D") for d in open_days]).astype("datetime64[ns]")


def _practice_table(sites: _Sites, practice_list: np.ndarray, open_dates: np.ndarray) -> pd.DataFrame:
    """The practices: codes ``SYN001``..., names numbered within their cluster, made-up postcodes."""
    n = len(practice_list)
    within = np.zeros(n, dtype=np.int64)
    seen: dict[int, int] = {}
    for i, k in enumerate(sites.cluster):
        seen[k] = seen.get(k, 0) + 1
        within[i] = seen[k]
    names = [f"Synthetic {par.CLUSTERS[k].name} Practice {w}" for k, w in zip(sites.cluster, within, strict=True)]
    postcodes = [
        f"{par.PLACES[p].postcode_area} {1 + i % 9}{_INWARD_LETTERS[(i // 9) % 20]}{_INWARD_LETTERS[(i * 7) % 20]}"
        for i, p in enumerate(sites.place)
    ]
    return pd.DataFrame(
        {
            "practice_code": pd.array([f"SYN{i + 1:03d}" for i in range(n)], dtype="str"),
            "practice_name": pd.array(names, dtype="str"),
            "cluster_code": pd.array([par.CLUSTERS[k].code for k in sites.cluster], dtype="str"),
            "cluster_name": pd.array([par.CLUSTERS[k].name for k in sites.cluster], dtype="str"),
            "place_code": pd.array(_PLACE_CODES[sites.place], dtype="str"),
            "place_name": pd.array(_PLACE_NAMES[sites.place], dtype="str"),
            "icb_code": pd.array([par.ICB_CODE] * n, dtype="str"),
            "icb_name": pd.array([par.ICB_NAME] * n, dtype="str"),
            "list_size": practice_list,
            "postcode": pd.array(postcodes, dtype="str"),
            "open_date": open_dates,
            "easting": sites.xy[:, 0].round(0),
            "northing": sites.xy[:, 1].round(0),
        }
    )


def _cluster_table(practice_cluster: np.ndarray, practice_list: np.ndarray) -> pd.DataFrame:
    """The GP clusters with their place, number of practices and registered patients."""
    rows = [
        (cl.code, cl.name, cl.place_code, par.PLACES[_PLACE_INDEX[cl.place_code]].name, cl.n_practices)
        for cl in par.CLUSTERS
    ]
    clusters = pd.DataFrame(rows, columns=["cluster_code", "cluster_name", "place_code", "place_name", "n_practices"])
    as_text(clusters, ["cluster_code", "cluster_name", "place_code", "place_name"])
    clusters["n_practices"] = clusters["n_practices"].astype(np.int64)
    clusters["list_size"] = np.bincount(practice_cluster, weights=practice_list).astype(np.int64)
    return clusters


def _place_table(
    owner: np.ndarray, pop: np.ndarray, practice_place: np.ndarray, practice_list: np.ndarray
) -> pd.DataFrame:
    """The four places with their real mid-2018 population and the synthetic residents and patients."""
    n_places = len(par.PLACES)
    return pd.DataFrame(
        {
            "place_code": pd.array(_PLACE_CODES, dtype="str"),
            "place_name": pd.array(_PLACE_NAMES, dtype="str"),
            "icb_code": pd.array([par.ICB_CODE] * n_places, dtype="str"),
            "icb_name": pd.array([par.ICB_NAME] * n_places, dtype="str"),
            "population_mid2018": np.array([p.population_mid2018 for p in par.PLACES], dtype=np.int64),
            "synthetic_population": np.bincount(owner, weights=pop.sum(axis=(1, 2))).astype(np.int64),
            "registered_patients": np.bincount(practice_place, weights=practice_list, minlength=n_places).astype(
                np.int64
            ),
            "n_lsoas": np.bincount(owner, minlength=n_places).astype(np.int64),
        }
    )
