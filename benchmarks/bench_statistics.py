"""Side-by-side timings of blmk_health's core statistics against PHStatsMethods and a bare numpy floor.

One deterministic synthetic input (``--areas`` areas x the 19 ESP2013 age bands, with deaths,
populations and England reference counts per band) is fed to four statistics:

* ``dsr``        directly standardised rate per 100,000 (ESP2013, Dobson CIs), grouped by area;
* ``isr``        indirectly standardised ratio (exact / Byars CIs), grouped by area;
* ``crude_rate`` crude rate per 100,000 (exact / Byars CIs), counts summed by area;
* ``proportion`` proportion (Wilson CIs), counts summed by area.

Each is run by

* blmk_health on a pandas frame, and on a Polars frame (when Polars is installed);
* PHStatsMethods 0.1.16 (``ph_dsr``, ``ph_ISRatio``, ``ph_rate``, ``ph_proportion``), when it is
  installed (it is GPL-3, so it lives in a separate benchmark venv; see ``benchmarks/README.md``);
* a bare numpy "floor": the area keys factorised once, grouped sums by ``np.bincount`` and the same
  CI primitives (:mod:`blmk_health.indicators.ci`). It is the least work that gives the same numbers,
  and blmk_health should stay within 3x of it.

The script checks that every value, limit and count of blmk_health agrees with PHStatsMethods and
with the floor to ``--rtol`` (1e-9) relative, missing values in the same places, and exits with
status 1 if not. It then prints the median times of ``--repeats`` runs (after one warm-up run) and
the ratios PHStatsMethods / blmk_health (target >= 50) and blmk_health / floor (target <= 3). With
``--strict`` a missed target also gives a non-zero exit status (2).

Usage::

    python benchmarks/bench_statistics.py                   # 10,000 areas
    python benchmarks/bench_statistics.py --areas 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.metadata
import io
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import blmk_health as bh
from blmk_health.indicators import ci

try:  # GPL-3: only ever called, from a separate benchmark venv
    phsm: Any = importlib.import_module("PHStatsMethods")
except ImportError:  # pragma: no cover - depends on the venv
    phsm = None

try:
    pl: Any = importlib.import_module("polars")
except ImportError:  # pragma: no cover - depends on the venv
    pl = None

FloatArray = npt.NDArray[np.float64]

#: The 19 ESP2013 age bands and their standard populations (METHODS.md section 2.2).
BANDS: tuple[str, ...] = (
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
    "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
)  # fmt: skip
ESP2013: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip
#: Rough annual all-cause death rates per person by band, England-like.
DEATH_RATE: tuple[float, ...] = (
    0.0009, 0.00008, 0.0001, 0.00025, 0.0004, 0.0005, 0.0007, 0.001, 0.0015, 0.0023,
    0.0034, 0.005, 0.0078, 0.012, 0.019, 0.032, 0.056, 0.10, 0.20,
)  # fmt: skip
#: England's population by band (the reference population of the indirect standardisation).
ENGLAND_POP: tuple[int, ...] = (
    3_200_000, 3_500_000, 3_500_000, 3_300_000, 3_500_000, 3_800_000, 4_000_000, 3_900_000, 3_700_000,
    3_600_000, 3_900_000, 3_900_000, 3_400_000, 3_000_000, 2_900_000, 2_200_000, 1_500_000, 900_000, 550_000,
)  # fmt: skip

MULTIPLIER = 100_000
CONFIDENCE = 0.95
#: The reference suppresses a DSR whose total count is below this.
DSR_MIN_COUNT = 10
TARGET_VS_PH = 50.0
TARGET_VS_FLOOR = 3.0

KEY = "area"
VALUE_COLUMNS = ("value", "lowercl", "uppercl")


# --------------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------------


def make_data(areas: int, seed: int = 20240601) -> pd.DataFrame:
    """One row per area and ESP2013 age band, sorted by area then band; deterministic for a seed.

    Area populations are log-normal (median 2,000 people, like an LSOA; the smallest few hundred),
    each area has its own age structure and mortality level, and deaths are Poisson. So about one
    area in ten has fewer than 10 deaths (its DSR is suppressed). Every population is >= 1, deaths
    never exceed the population of their band (so proportions are valid), and every area has at
    least one death (PHStatsMethods' ``byars_upper`` raises on a zero count).
    """
    rng = np.random.default_rng(seed)
    n_bands = len(BANDS)
    esp = np.asarray(ESP2013, dtype=float)
    share = esp / esp.sum() * rng.lognormal(0.0, 0.3, size=(areas, n_bands))
    share /= share.sum(axis=1, keepdims=True)
    total_pop = rng.lognormal(np.log(2_000), 0.5, size=areas)
    pop = np.maximum(np.rint(total_pop[:, None] * share), 1).astype(np.int64)
    risk = rng.lognormal(0.0, 0.2, size=areas)
    deaths = np.minimum(rng.poisson(pop * np.asarray(DEATH_RATE) * risk[:, None]), pop)
    no_deaths = deaths.sum(axis=1) == 0
    deaths[no_deaths, -1] = 1
    eng_pop = np.asarray(ENGLAND_POP, dtype=np.int64)
    eng_deaths = np.rint(eng_pop * np.asarray(DEATH_RATE)).astype(np.int64)
    width = max(8, len(str(areas)))
    names = np.array([f"E{i:0{width}d}" for i in range(areas)], dtype=object)
    return pd.DataFrame(
        {
            KEY: np.repeat(names, n_bands),
            "age_band": np.tile(np.asarray(BANDS, dtype=object), areas),
            "deaths": deaths.ravel(),
            "pop": pop.ravel(),
            "eng_deaths": np.tile(eng_deaths, areas),
            "eng_pop": np.tile(eng_pop, areas),
        }
    )


# --------------------------------------------------------------------------------------------------
# The numpy floor: factorise the keys, np.bincount, the same CI primitives
# --------------------------------------------------------------------------------------------------


def _factorise(data: pd.DataFrame) -> tuple[npt.NDArray[np.intp], Any]:
    codes, uniques = pd.factorize(data[KEY], sort=True)
    return codes, uniques


def _sums(codes: npt.NDArray[np.intp], k: int, *columns: FloatArray) -> list[FloatArray]:
    return [np.bincount(codes, weights=column, minlength=k).astype(np.float64) for column in columns]


def floor_dsr(data: pd.DataFrame) -> pd.DataFrame:
    """DSR per 100,000 with Dobson limits, suppressed below 10 deaths."""
    codes, uniques = _factorise(data)
    band_codes, band_labels = pd.factorize(data["age_band"])
    weight_of = dict(zip(BANDS, ESP2013, strict=True))
    w = np.array([weight_of[label] for label in band_labels], dtype=float)[band_codes]
    x = data["deaths"].to_numpy(dtype=float)
    n = data["pop"].to_numpy(dtype=float)
    w_over_n = w / n
    total, total_pop, sum_xwn, sum_w, sum_var = _sums(codes, len(uniques), x, n, x * w_over_n, w, x * w_over_n**2)
    rate = sum_xwn / sum_w
    var = sum_var / sum_w**2
    keep = total >= DSR_MIN_COUNT
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = ci.dobson_lower(rate, var, total, CONFIDENCE) * MULTIPLIER
        upper = ci.dobson_upper(rate, var, total, CONFIDENCE) * MULTIPLIER
    return pd.DataFrame(
        {
            KEY: uniques,
            "total_count": total,
            "total_pop": total_pop,
            "value": np.where(keep, rate * MULTIPLIER, np.nan),
            "lowercl": np.where(keep, lower, np.nan),
            "uppercl": np.where(keep, upper, np.nan),
        }
    )


def floor_isr(data: pd.DataFrame) -> pd.DataFrame:
    """Indirectly standardised ratio with exact (< 10) or Byars limits."""
    codes, uniques = _factorise(data)
    x = data["deaths"].to_numpy(dtype=float)
    n = data["pop"].to_numpy(dtype=float)
    expected_rows = data["eng_deaths"].to_numpy(dtype=float) / data["eng_pop"].to_numpy(dtype=float) * n
    observed, expected = _sums(codes, len(uniques), x, expected_rows)
    return pd.DataFrame(
        {
            KEY: uniques,
            "observed": observed,
            "expected": expected,
            "value": observed / expected,
            "lowercl": ci.poisson_lower(observed, CONFIDENCE) / expected,
            "uppercl": ci.poisson_upper(observed, CONFIDENCE) / expected,
        }
    )


def _area_totals(data: pd.DataFrame) -> tuple[Any, FloatArray, FloatArray]:
    """The area keys (sorted) and each area's total deaths and population."""
    codes, uniques = _factorise(data)
    x, n = _sums(codes, len(uniques), data["deaths"].to_numpy(dtype=float), data["pop"].to_numpy(dtype=float))
    return uniques, x, n


def floor_crude_rate(data: pd.DataFrame) -> pd.DataFrame:
    """Crude rate per 100,000 of the area totals with exact (< 10) or Byars limits."""
    uniques, x, n = _area_totals(data)
    return pd.DataFrame(
        {
            KEY: uniques,
            "deaths": x,
            "pop": n,
            "value": x / n * MULTIPLIER,
            "lowercl": ci.poisson_lower(x, CONFIDENCE) / n * MULTIPLIER,
            "uppercl": ci.poisson_upper(x, CONFIDENCE) / n * MULTIPLIER,
        }
    )


def floor_proportion(data: pd.DataFrame) -> pd.DataFrame:
    """Proportion of the area totals with Wilson limits."""
    uniques, x, n = _area_totals(data)
    return pd.DataFrame(
        {
            KEY: uniques,
            "deaths": x,
            "pop": n,
            "value": x / n,
            "lowercl": ci.wilson_lower(x, n, CONFIDENCE),
            "uppercl": ci.wilson_upper(x, n, CONFIDENCE),
        }
    )


# --------------------------------------------------------------------------------------------------
# blmk_health and PHStatsMethods calls
# --------------------------------------------------------------------------------------------------


def bh_dsr(data: Any) -> Any:
    return bh.indicators.dsr(data, "deaths", "pop", by=KEY, age_band="age_band", multiplier=MULTIPLIER)


def bh_isr(data: Any) -> Any:
    return bh.indicators.isr(data, "deaths", "pop", "eng_deaths", "eng_pop", by=KEY, kind="ratio")


def bh_crude_rate(data: Any) -> Any:
    return bh.indicators.crude_rate(data, "deaths", "pop", by=KEY, multiplier=MULTIPLIER)


def bh_proportion(data: Any) -> Any:
    return bh.indicators.proportion(data, "deaths", "pop", by=KEY)


def _ph() -> Any:
    if phsm is None:  # pragma: no cover - only called when installed
        msg = "PHStatsMethods is not installed"
        raise RuntimeError(msg)
    return phsm


def ph_dsr(data: pd.DataFrame) -> pd.DataFrame:
    # ph_dsr adds a column to the frame it is given and prints the age-band join: give it a copy
    # (a few ms, included in its time) and swallow the print.
    with contextlib.redirect_stdout(io.StringIO()):
        out: pd.DataFrame = _ph().ph_dsr(
            data.copy(), "deaths", "pop", "age_band", group_cols=KEY, multiplier=MULTIPLIER
        )
    return out


def ph_isr(data: pd.DataFrame) -> pd.DataFrame:
    out: pd.DataFrame = _ph().ph_ISRatio(data, "deaths", "pop", "eng_deaths", "eng_pop", group_cols=KEY)
    return out


def ph_crude_rate(data: pd.DataFrame) -> pd.DataFrame:
    out: pd.DataFrame = _ph().ph_rate(data, "deaths", "pop", group_cols=KEY, multiplier=MULTIPLIER)
    return out


def ph_proportion(data: pd.DataFrame) -> pd.DataFrame:
    out: pd.DataFrame = _ph().ph_proportion(data, "deaths", "pop", group_cols=KEY)
    return out


_PH_LIMITS = {"Value": "value", "lower_95_ci": "lowercl", "upper_95_ci": "uppercl"}


@dataclass(frozen=True)
class Benchmark:
    """One statistic, as each contender computes it, and how to line their outputs up."""

    name: str
    counts: tuple[str, str]
    blmk: Callable[[Any], Any]
    floor: Callable[[pd.DataFrame], pd.DataFrame]
    ph: Callable[[pd.DataFrame], pd.DataFrame]
    ph_names: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.counts, *VALUE_COLUMNS]


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "dsr", ("total_count", "total_pop"), bh_dsr, floor_dsr, ph_dsr,
        {"Total Count": "total_count", "Total Pop": "total_pop", **_PH_LIMITS},
    ),
    Benchmark(
        "isr", ("observed", "expected"), bh_isr, floor_isr, ph_isr,
        {"Observed": "observed", "Expected": "expected", **_PH_LIMITS},
    ),
    Benchmark("crude_rate", ("deaths", "pop"), bh_crude_rate, floor_crude_rate, ph_crude_rate, dict(_PH_LIMITS)),
    Benchmark("proportion", ("deaths", "pop"), bh_proportion, floor_proportion, ph_proportion, dict(_PH_LIMITS)),
)  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Timing and comparison
# --------------------------------------------------------------------------------------------------


def measure(call: Callable[[Any], Any], data: Any, repeats: int) -> tuple[float, Any]:
    """Median wall time (seconds) of ``repeats`` calls after one warm-up call, and the warm-up's result."""
    result = call(data)
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        call(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def canonical(result: Any, columns: list[str], rename: dict[str, str] | None = None) -> pd.DataFrame:
    """The key and compared columns of a result, as a pandas frame of floats sorted by key."""
    if pl is not None and isinstance(result, pl.DataFrame):
        result = result.to_pandas()
    frame = pd.DataFrame(result).rename(columns=rename or {})
    missing = [c for c in [KEY, *columns] if c not in frame.columns]
    if missing:
        msg = f"result lacks columns {missing}; it has {list(frame.columns)}"
        raise AssertionError(msg)
    out = pd.DataFrame({KEY: frame[KEY].astype(str).to_numpy()})
    for column in columns:
        out[column] = pd.to_numeric(frame[column]).to_numpy(dtype=float, na_value=np.nan)
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


@dataclass
class Agreement:
    """How far one result is from another: worst relative difference per column, and any problems."""

    worst: dict[str, float]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def max_rel(self) -> float:
        return max(self.worst.values(), default=0.0)


def agree(ours: pd.DataFrame, theirs: pd.DataFrame, columns: list[str], rtol: float) -> Agreement:
    """Compare two canonical results column by column, relative to the larger magnitude."""
    problems: list[str] = []
    worst: dict[str, float] = {}
    if len(ours) != len(theirs) or not np.array_equal(ours[KEY].to_numpy(), theirs[KEY].to_numpy()):
        only_ours = sorted(set(ours[KEY]) - set(theirs[KEY]))[:5]
        only_theirs = sorted(set(theirs[KEY]) - set(ours[KEY]))[:5]
        problems.append(
            f"different groups: {len(ours)} vs {len(theirs)} rows; only ours {only_ours}, only theirs {only_theirs}"
        )
        return Agreement(worst, problems)
    for column in columns:
        a = ours[column].to_numpy()
        b = theirs[column].to_numpy()
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        if not np.array_equal(nan_a, nan_b):
            bad = np.flatnonzero(nan_a != nan_b)
            shown = ", ".join(f"{ours[KEY].iloc[i]}: {float(a[i])!r} vs {float(b[i])!r}" for i in bad[:3])
            problems.append(f"{column}: missing in different rows ({len(bad)} rows; first {shown})")
        both = ~(nan_a | nan_b)
        scale = np.maximum(np.abs(a[both]), np.abs(b[both]))
        diff = np.abs(a[both] - b[both])
        rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
        worst[column] = float(rel.max(initial=0.0))
        if worst[column] > rtol:
            i = int(np.argmax(rel))
            row = int(np.flatnonzero(both)[i])
            problems.append(
                f"{column}: max relative difference {worst[column]:.3g} > {rtol:g} "
                f"({int((rel > rtol).sum())} rows; worst {ours[KEY].iloc[row]}: {float(a[row])!r} vs {float(b[row])!r})"
            )
    return Agreement(worst, problems)


@dataclass
class Row:
    """Timings (seconds) of one statistic."""

    name: str
    blmk_pandas: float
    floor: float
    blmk_polars: float | None = None
    ph: float | None = None


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment() -> str:
    packages = ["blmk-health", "PHStatsMethods", "numpy", "pandas", "scipy", "narwhals", "polars", "pyarrow"]
    lines = [
        f"python {platform.python_version()} ({sys.executable})",
        f"platform {platform.platform()}; {os.cpu_count()} CPUs; {_load()}",
        "; ".join(f"{p} {_version(p)}" for p in packages),
    ]
    return "\n".join(lines)


def _load() -> str:
    """The 1-minute load average: other busy processes on a small machine skew the timings."""
    try:
        return f"load average {os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not available on every platform
        return "load average unknown"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:,.1f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    return "-" if top is None or bottom is None else f"{top / bottom:,.1f}x"


def table(rows: list[Row]) -> str:
    header = (
        "| statistic | PHStatsMethods (ms) | blmk_health pandas (ms) | blmk_health Polars (ms) | numpy floor (ms) "
        "| PHStatsMethods / blmk | blmk pandas / floor | blmk Polars / floor |"
    )
    lines = [header, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r.name} | {_ms(r.ph)} | {_ms(r.blmk_pandas)} | {_ms(r.blmk_polars)} | {_ms(r.floor)} "
            f"| {_ratio(r.ph, r.blmk_pandas)} | {_ratio(r.blmk_pandas, r.floor)} | {_ratio(r.blmk_polars, r.floor)} |"
        )
    return "\n".join(lines)


def target_misses(rows: list[Row]) -> list[str]:
    misses = []
    for r in rows:
        if r.ph is not None and r.ph / r.blmk_pandas < TARGET_VS_PH:
            misses.append(
                f"{r.name}: blmk_health is {r.ph / r.blmk_pandas:.1f}x faster than PHStatsMethods "
                f"(target >= {TARGET_VS_PH:g}x)"
            )
        for label, seconds in (("pandas", r.blmk_pandas), ("Polars", r.blmk_polars)):
            if seconds is not None and seconds / r.floor > TARGET_VS_FLOOR:
                misses.append(
                    f"{r.name}: blmk_health on {label} takes {seconds / r.floor:.1f}x the numpy floor "
                    f"(target <= {TARGET_VS_FLOOR:g}x)"
                )
    return misses


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--areas", type=int, default=10_000, help="number of areas (x 19 age bands rows; default 10000)"
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of blmk_health and the floor (default 7)")
    parser.add_argument(
        "--ph-repeats", type=int, default=3, help="timed runs of PHStatsMethods, which is slow (default 3)"
    )
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the synthetic data")
    parser.add_argument(
        "--rtol", type=float, default=1e-9, help="relative tolerance of the value checks (default 1e-9)"
    )
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHMARKS], help="run only these statistics")
    parser.add_argument("--skip-ph", action="store_true", help="do not run PHStatsMethods even if it is installed")
    parser.add_argument("--strict", action="store_true", help="exit with status 2 when a speed target is missed")
    args = parser.parse_args(argv)
    if args.areas < 1 or args.repeats < 1 or args.ph_repeats < 1:
        parser.error("--areas, --repeats and --ph-repeats must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_ph = phsm is not None and not args.skip_ph
    print(environment())
    data = make_data(args.areas, args.seed)
    per_area = data.groupby(KEY, sort=False)["deaths"].sum()
    print(
        f"\ndata: {args.areas:,} areas x {len(BANDS)} age bands = {len(data):,} rows; "
        f"{int((per_area < DSR_MIN_COUNT).sum()):,} areas with < {DSR_MIN_COUNT} deaths (DSR suppressed); "
        f"median deaths per area {per_area.median():g}"
    )
    polars_data = pl.from_pandas(data) if pl is not None else None
    ph_data = data.copy()
    if not run_ph:
        reason = "--skip-ph given" if args.skip_ph else "PHStatsMethods is not installed in this venv"
        print(f"PHStatsMethods: skipped ({reason}); comparing with the numpy floor only")
    if polars_data is None:
        print("Polars: not installed; blmk_health is timed on pandas input only")
    print(f"timing: median of {args.repeats} runs ({args.ph_repeats} for PHStatsMethods) after one warm-up run\n")

    rows: list[Row] = []
    failures: list[str] = []
    for bench in BENCHMARKS:
        if args.only and bench.name not in args.only:
            continue
        t_floor, floor_out = measure(bench.floor, data, args.repeats)
        t_bh, bh_out = measure(bench.blmk, data, args.repeats)
        row = Row(bench.name, t_bh, t_floor)
        floor_c = canonical(floor_out, bench.columns)
        checks = [("blmk_health pandas vs numpy floor", canonical(bh_out, bench.columns), floor_c)]
        if polars_data is not None:
            row.blmk_polars, bh_pl_out = measure(bench.blmk, polars_data, args.repeats)
            checks.append(("blmk_health Polars vs numpy floor", canonical(bh_pl_out, bench.columns), floor_c))
        if run_ph:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row.ph, ph_out = measure(bench.ph, ph_data, args.ph_repeats)
            checks.append(
                ("blmk_health pandas vs PHStatsMethods", checks[0][1], canonical(ph_out, bench.columns, bench.ph_names))
            )
        rows.append(row)
        for label, ours, theirs in checks:
            result = agree(ours, theirs, bench.columns, args.rtol)
            status = "ok" if result.ok else "MISMATCH"
            print(f"{bench.name:>10}: {label}: {status} (max relative difference {result.max_rel:.2g})")
            failures += [f"{bench.name}: {label}: {p}" for p in result.problems]

    print(f"\n{_load()} at the end (the benchmark itself adds about 1)")
    print(table(rows))
    misses = target_misses(rows)
    print(
        f"\ntargets: PHStatsMethods / blmk_health >= {TARGET_VS_PH:g}x; "
        f"blmk_health / numpy floor <= {TARGET_VS_FLOOR:g}x"
    )
    for miss in misses:
        print(f"  MISSED {miss}")
    if not misses:
        print("  all met")
    if failures:
        print("\nVALUE MISMATCHES:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nvalues: all agree to {args.rtol:g} relative")
    if args.strict and misses:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
