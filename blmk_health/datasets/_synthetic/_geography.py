"""Places, clusters, practices and small areas (with polygons) of the synthetic BLMK."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from blmk_health.datasets._synthetic import _constants as par

#: Points towards which deprivation rises in each place (town centres; Dunstable/Houghton Regis in
#: Central Bedfordshire; Bletchley side of central Milton Keynes).
_DEPRIVATION_POLES = {
    "E06000055": (505_000.0, 249_500.0),
    "E06000056": (502_000.0, 223_500.0),
    "E06000032": (509_000.0, 222_000.0),
    "E06000042": (486_500.0, 235_000.0),
}
_CRS = "EPSG:27700"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code of a UK postcode


@dataclass(frozen=True)
class Geography:
    places: pd.DataFrame
    clusters: pd.DataFrame
    practices: pd.DataFrame
    lsoas: Any  # geopandas.GeoDataFrame
    population: pd.DataFrame
    lsoa_place: np.ndarray  # place index of each LSOA
    lsoa_xy: np.ndarray  # (n, 2) seed point of each LSOA (inside its polygon)
    lsoa_decile: np.ndarray
    lsoa_local_rank: np.ndarray  # (rank + 0.5) / n within place, 0 = most deprived
    lsoa_cell_share: np.ndarray  # (n, 2, 20) expected share of the LSOA population by sex and band
    lsoa_pop: np.ndarray  # (n, 2, 20) realised population
    practice_place: np.ndarray
    practice_xy: np.ndarray
    practice_list: np.ndarray


def _sample_in(
    rng: np.random.Generator, polygon: Any, n: int, centre: tuple[float, float] | None, sd: float
) -> np.ndarray:
    """n points inside ``polygon``: Gaussian around ``centre`` (if given) or uniform on its bounds."""
    import shapely

    minx, miny, maxx, maxy = polygon.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(4 * (n - have), 16)
        if centre is None:
            pts = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        else:
            pts = rng.normal(loc=centre, scale=sd, size=(m, 2))
        pts = pts[shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])]
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    raw = total * weights / weights.sum()
    base: np.ndarray = np.floor(raw).astype(np.int64)
    short = total - int(base.sum())
    if short:
        base[np.argsort(-(raw - base), kind="stable")[:short]] += 1
    return base


def _seeds(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Any]:
    import shapely

    region = shapely.Polygon(par.REGION_OUTLINE)
    outlines = {code: shapely.Polygon(pts).intersection(region) for code, pts in par.PLACE_SEED_OUTLINES.items()}
    rest = region.difference(shapely.union_all(list(outlines.values())))
    xy: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    for p, place in enumerate(par.PLACES):
        poly = outlines.get(place.code, rest)
        n_urban = round(place.n_lsoas * place.urban_share)
        pts = np.concatenate(
            [
                _sample_in(rng, poly, n_urban, place.centre, place.urban_sd),
                _sample_in(rng, poly, place.n_lsoas - n_urban, None, 0.0),
            ]
        )
        xy.append(pts)
        owner.append(np.full(len(pts), p))
    return np.concatenate(xy), np.concatenate(owner), region


def _tessellate(xy: np.ndarray, region: Any) -> np.ndarray:
    """Voronoi cells of the seed points, clipped to the region, in the order of the points."""
    import shapely

    cells = shapely.voronoi_polygons(shapely.MultiPoint(xy), extend_to=region, ordered=True)
    parts = np.asarray(shapely.get_parts(cells))
    clipped = shapely.intersection(parts, region)
    out: np.ndarray = np.asarray(shapely.make_valid(clipped))
    return out


def _deprivation(rng: np.random.Generator, xy: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(xy)
    decile = np.zeros(n, dtype=np.int64)
    local_rank = np.zeros(n)
    local_decile = np.zeros(n, dtype=np.int64)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(owner == p)
        pole = np.array(_DEPRIVATION_POLES[place.code])
        dist = np.hypot(*(xy[idx] - pole).T)
        score = -dist / np.median(dist) + rng.normal(0.0, 0.45, len(idx))  # high = deprived
        order = np.argsort(-score, kind="stable")  # most deprived first
        mix = np.array(par.IMD_DECILE_MIX[place.code], dtype=np.float64)
        counts = _largest_remainder(len(idx), mix)
        decile[idx[order]] = np.repeat(np.arange(1, 11), counts)
        ranks = np.empty(len(idx))
        ranks[order] = np.arange(len(idx))
        local_rank[idx] = (ranks + 0.5) / len(idx)
        local_decile[idx] = np.floor(ranks * 10 / len(idx)).astype(np.int64) + 1
    return decile, local_rank, local_decile


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
    import geopandas as gpd

    xy, owner, region = _seeds(rng)
    cells = _tessellate(xy, region)
    decile, local_rank, local_decile = _deprivation(rng, xy, owner)
    cell_share = _age_shares(rng, owner, local_rank)
    size = rng.lognormal(0.0, 0.15, len(xy))

    n_lsoa = len(xy)
    pop = np.zeros((n_lsoa, 2, 20), dtype=np.int64)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(owner == p)
        w = (size[idx, None, None] * cell_share[idx]).ravel()
        pop[idx] = rng.multinomial(round(place.population_mid2018 * scale), w / w.sum()).reshape(len(idx), 2, 20)

    place_codes = np.array([p.code for p in par.PLACES])
    place_names = np.array([p.name for p in par.PLACES])
    counters = np.zeros(len(par.PLACES), dtype=np.int64)
    names = []
    for o in owner:
        counters[o] += 1
        names.append(f"Synthetic {par.PLACES[o].name} {counters[o]:03d}")
    lsoa_codes = [f"SYNL{i + 1:04d}" for i in range(n_lsoa)]
    totals = pop.sum(axis=2)
    lsoas = gpd.GeoDataFrame(
        {
            "lsoa_code": pd.array(lsoa_codes, dtype="str"),
            "lsoa_name": pd.array(names, dtype="str"),
            "place_code": pd.array(place_codes[owner], dtype="str"),
            "place_name": pd.array(place_names[owner], dtype="str"),
            "imd_decile": decile.astype(np.int64),
            "imd_local_decile": local_decile,
            "population": totals.sum(axis=1),
            "population_male": totals[:, 0],
            "population_female": totals[:, 1],
        },
        geometry=gpd.GeoSeries(cells, crs=_CRS),
    )

    rows = n_lsoa * 2 * 20
    population = pd.DataFrame(
        {
            "lsoa_code": pd.Categorical(np.repeat(lsoa_codes, 40), categories=lsoa_codes),
            "place_code": pd.array(np.repeat(place_codes[owner], 40), dtype="str"),
            "imd_decile": np.repeat(decile, 40),
            "sex": pd.Categorical(np.tile(np.repeat(["Male", "Female"], 20), n_lsoa), categories=["Male", "Female"]),
            "age_band": pd.Categorical(np.tile(par.BAND_LABELS, 2 * n_lsoa), categories=list(par.BAND_LABELS)),
            "start_age": np.tile(par.BAND_STARTS, 2 * n_lsoa),
            "population": pop.reshape(rows),
        }
    )

    clusters, practices, practice_place, practice_xy, practice_list = _practices(
        rng, scale, xy, owner, cells, place_codes, place_names
    )
    registered = np.bincount(practice_place, weights=practice_list, minlength=len(par.PLACES)).astype(np.int64)
    places = pd.DataFrame(
        {
            "place_code": pd.array(place_codes, dtype="str"),
            "place_name": pd.array(place_names, dtype="str"),
            "icb_code": pd.array([par.ICB_CODE] * len(par.PLACES), dtype="str"),
            "icb_name": pd.array([par.ICB_NAME] * len(par.PLACES), dtype="str"),
            "population_mid2018": np.array([p.population_mid2018 for p in par.PLACES], dtype=np.int64),
            "synthetic_population": np.bincount(owner, weights=totals.sum(axis=1)).astype(np.int64),
            "registered_patients": registered,
            "n_lsoas": np.bincount(owner, minlength=len(par.PLACES)).astype(np.int64),
        }
    )
    return Geography(
        places=places,
        clusters=clusters,
        practices=practices,
        lsoas=lsoas,
        population=population,
        lsoa_place=owner,
        lsoa_xy=xy,
        lsoa_decile=decile,
        lsoa_local_rank=local_rank,
        lsoa_cell_share=cell_share,
        lsoa_pop=pop,
        practice_place=practice_place,
        practice_xy=practice_xy,
        practice_list=practice_list,
    )


def _practices(
    rng: np.random.Generator,
    scale: float,
    lsoa_xy: np.ndarray,
    owner: np.ndarray,
    cells: np.ndarray,
    place_codes: np.ndarray,
    place_names: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    import shapely

    place_index = {p.code: i for i, p in enumerate(par.PLACES)}
    cl_rows = []
    pr_place: list[int] = []
    pr_cluster: list[int] = []
    pr_xy: list[np.ndarray] = []
    for k, cl in enumerate(par.CLUSTERS):
        p = place_index[cl.place_code]
        cl_rows.append((cl.code, cl.name, cl.place_code, par.PLACES[p].name, cl.n_practices))
        pts = rng.normal(loc=cl.centre, scale=cl.spread, size=(cl.n_practices, 2))
        place_cells = cells[owner == p]
        inside = np.zeros(len(pts), dtype=bool)
        for cell in place_cells:
            inside |= shapely.contains_xy(cell, pts[:, 0], pts[:, 1])
        if not inside.all():  # move stray practices to the nearest LSOA seed of the place
            seeds = lsoa_xy[owner == p]
            for j in np.flatnonzero(~inside):
                pts[j] = seeds[np.argmin(np.hypot(*(seeds - pts[j]).T))]
        pr_xy.append(pts)
        pr_place += [p] * cl.n_practices
        pr_cluster += [k] * cl.n_practices
    practice_place = np.array(pr_place)
    practice_cluster = np.array(pr_cluster)
    practice_xy = np.concatenate(pr_xy)
    n = len(practice_place)

    weights = rng.lognormal(0.0, 0.45, n)
    practice_list = np.zeros(n, dtype=np.int64)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(practice_place == p)
        total = max(round(place.registered * scale), len(idx))
        w = weights[idx] / weights[idx].sum()
        practice_list[idx] = 1 + rng.multinomial(total - len(idx), w)

    codes = [f"SYN{i + 1:03d}" for i in range(n)]
    within = np.zeros(n, dtype=np.int64)
    seen: dict[int, int] = {}
    for i, k in enumerate(practice_cluster):
        seen[k] = seen.get(k, 0) + 1
        within[i] = seen[k]
    names = [f"Synthetic {par.CLUSTERS[k].name} Practice {w}" for k, w in zip(practice_cluster, within, strict=True)]
    postcodes = [
        f"{par.PLACES[p].postcode_area} {1 + i % 9}{_INWARD_LETTERS[(i // 9) % 20]}{_INWARD_LETTERS[(i * 7) % 20]}"
        for i, p in enumerate(practice_place)
    ]
    first = dt.date(1948, 7, 5).toordinal()
    open_days = rng.integers(first, dt.date(2015, 12, 31).toordinal(), n)
    open_dates = np.array([np.datetime64(dt.date.fromordinal(int(d)), "D") for d in open_days]).astype("datetime64[ns]")
    practices = pd.DataFrame(
        {
            "practice_code": pd.array(codes, dtype="str"),
            "practice_name": pd.array(names, dtype="str"),
            "cluster_code": pd.array([par.CLUSTERS[k].code for k in practice_cluster], dtype="str"),
            "cluster_name": pd.array([par.CLUSTERS[k].name for k in practice_cluster], dtype="str"),
            "place_code": pd.array(place_codes[practice_place], dtype="str"),
            "place_name": pd.array(place_names[practice_place], dtype="str"),
            "icb_code": pd.array([par.ICB_CODE] * n, dtype="str"),
            "icb_name": pd.array([par.ICB_NAME] * n, dtype="str"),
            "list_size": practice_list,
            "postcode": pd.array(postcodes, dtype="str"),
            "open_date": open_dates,
            "easting": practice_xy[:, 0].round(0),
            "northing": practice_xy[:, 1].round(0),
        }
    )
    clusters = pd.DataFrame(
        cl_rows, columns=["cluster_code", "cluster_name", "place_code", "place_name", "n_practices"]
    )
    for col in ("cluster_code", "cluster_name", "place_code", "place_name"):
        clusters[col] = clusters[col].astype("str")
    clusters["n_practices"] = clusters["n_practices"].astype(np.int64)
    clusters["list_size"] = np.bincount(practice_cluster, weights=practice_list).astype(np.int64)
    return clusters, practices, practice_place, practice_xy, practice_list
