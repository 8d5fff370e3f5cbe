"""Benchmark: life expectancy and SII at scale (a script, not a test).

Targets (issue 5):

- ``life_expectancy`` for 10,000 areas x 20 age bands at all start ages: under 1 s;
- ``sii`` with 100,000 repetitions for 1,000 groups x 10 deciles: under 10 s.

Each timing is the best of a few runs (the first call also pays for imports and warm-up).

Usage (from the project folder)::

    python benchmarks/bench_life_expectancy.py
    python benchmarks/bench_life_expectancy.py --areas 1000 --groups 100   # a quick check
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import blmk_health as bh

BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
RATES = (
    np.array(
        [3.5, 0.15, 0.08, 0.09, 0.25, 0.4, 0.5, 0.7, 1.0, 1.5, 2.3, 3.6, 5.8, 9.0, 14.5, 24.0, 40.0, 70.0, 125.0, 250.0]
    )
    / 1000
)


def best_of(function: Callable[[], Any], runs: int = 3) -> float:
    """Shortest wall time of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def life_table_data(n_areas: int, seed: int = 1) -> pd.DataFrame:
    """Deaths and populations for ``n_areas`` areas x 20 bands (about 10,000 people per area)."""
    rng = np.random.default_rng(seed)
    pops = rng.integers(300, 900, size=(n_areas, 20)).astype(float)
    pops[:, 0] = pops[:, 0] / 5
    pops[:, -1] = pops[:, -1] / 4
    deaths = rng.poisson(pops * RATES)
    deaths[:, -1] = np.maximum(deaths[:, -1], 1)
    return pd.DataFrame(
        {
            "area": np.repeat([f"E0100{i:04d}" for i in range(n_areas)], 20),
            "age_band": np.tile(BANDS, n_areas),
            "deaths": deaths.ravel(),
            "population": pops.ravel(),
        }
    )


def sii_data(n_groups: int, n_deciles: int = 10, seed: int = 2) -> pd.DataFrame:
    """Life expectancy, its SE and the population per group and decile."""
    rng = np.random.default_rng(seed)
    decile = np.tile(np.arange(1, n_deciles + 1), n_groups)
    return pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_groups), n_deciles),
            "decile": decile,
            "population": rng.integers(5_000, 30_000, size=n_groups * n_deciles),
            "value": 74 + 0.9 * decile + rng.normal(0, 0.5, size=n_groups * n_deciles),
            "se": rng.uniform(0.3, 1.5, size=n_groups * n_deciles),
        }
    )


def main(argv: list[str] | None = None) -> None:
    """Print the timings."""
    import warnings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=10_000, help="areas of the life-table input (default 10000)")
    parser.add_argument("--groups", type=int, default=1_000, help="groups of the SII input (default 1000)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    le_input = life_table_data(args.areas)
    seconds = best_of(lambda: bh.indicators.life_expectancy(le_input, "deaths", "population", "age_band", by="area"))
    print(
        f"life_expectancy, {args.areas:,} areas x 20 bands, all start ages ({len(le_input):,} rows): "
        f"{seconds:.2f} s (target < 1 s for 10,000 areas)"
    )
    try:
        import polars as pl

        lazy = pl.from_pandas(le_input).lazy()
        seconds = best_of(lambda: bh.indicators.life_expectancy(lazy, "deaths", "population", "age_band", by="area"))
        print(f"  the same from a Polars LazyFrame: {seconds:.2f} s")
    except ImportError:  # pragma: no cover
        pass

    sii_input = sii_data(args.groups)
    seconds = best_of(
        lambda: bh.indicators.sii(sii_input, "decile", "population", value="value", se="se", by="group", seed=1), runs=2
    )
    print(
        f"sii, 100,000 repetitions, {args.groups:,} groups x 10 deciles: {seconds:.2f} s "
        "(target < 10 s for 1,000 groups)"
    )
    seconds = best_of(
        lambda: bh.indicators.sii(
            sii_input, "decile", "population", value="value", se="se", by="group", rii=True, seed=1
        ),
        runs=1,
    )
    print(f"  the same with the RII: {seconds:.2f} s")
    rates = sii_input.assign(
        value=sii_input["value"] / 1000, lower=sii_input["value"] / 1100, upper=sii_input["value"] / 900
    )
    seconds = best_of(
        lambda: bh.indicators.sii(
            rates.head(1000),
            "decile",
            "population",
            value="value",
            lower_cl="lower",
            upper_cl="upper",
            value_type="rate",
            by="group",
            seed=1,
        ),
        runs=1,
    )
    print(f"  rates without transform (every decile drawn), {min(args.groups, 100)} groups: {seconds:.2f} s")


if __name__ == "__main__":
    main()
