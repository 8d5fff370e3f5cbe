"""Episodes -> spells -> practice-level standardised emergency admission rates, at 10 million episodes.

The workload of the hospital-activity issue: ``--episodes`` (10,000,000) synthetic consultant episodes
in the layout of ``bh.datasets.synthetic_blmk().admissions`` are turned into provider spells
(:func:`blmk_health.records.spells`) and then into directly age-sex standardised emergency admission
rates per registered practice for the latest financial year
(:func:`blmk_health.indicators.emergency_admissions` with ``by="practice_code"``,
``standardise="direct"``, ``period="latest"``), against the registered lists of
``bh.datasets.synthetic_blmk(scale=1.0).registrations`` (108 practices SYN001..., 984,000 patients).

The episodes are generated once with numpy (seeded, vectorised; not timed) and written to a Parquet
file in a temporary directory. Each input kind then runs in a fresh Python process, so that its peak
memory (``VmHWM`` on Linux, else ``ru_maxrss``) is its own:

* ``pandas``: the file is read into memory with ``pd.read_parquet`` *before* the timing (the read is
  reported but not timed); the pipeline runs on the in-memory frame;
* ``polars-lazy``: ``pl.scan_parquet(path)``; ``spells`` stays lazy (its checks scan the file) and
  ``emergency_admissions`` collects only the counts per practice, sex, age band and year, so the
  reading of the file *is* in the time;
* ``duckdb``: ``duckdb.read_parquet(path)`` (a lazy relation; the read is in the time, as for Polars).

The registered population is a small pandas frame (4,320 rows) in every case. The time of each input
kind is the best of ``--repeats`` runs of the whole pipeline, with its split into ``spells`` and
``emergency_admissions``; the peak memory is the process's peak resident set over all its runs,
including the input held in memory (for pandas) and the imports. Targets: under 20 s with pandas
input, under 5 s with Polars lazy input.

The script checks that every input kind gives the same table (every count, value and limit of every
practice and of the unattributed row, to ``--rtol`` 1e-9 relative) and that the spells counted are
those generated, and exits with status 1 if not. With ``--strict`` a missed target gives status 2.

Usage (from the project folder)::

    python benchmarks/bench_hospital.py                              # 10,000,000 episodes, best of 3
    python benchmarks/bench_hospital.py --episodes 200000 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

BACKENDS = ("pandas", "polars-lazy", "duckdb")
TARGETS = {"pandas": 20.0, "polars-lazy": 5.0}
EPISODES = "episodes.parquet"
REGISTRATIONS = "registrations.parquet"

#: The financial years of the episodes (admission dates 1 April 2014 to 31 March 2019).
FIRST_DAY = np.datetime64("2014-04-01")
LAST_DAY = np.datetime64("2019-03-31")
LATEST_YEAR = (np.datetime64("2018-04-01"), LAST_DAY)

#: Admission methods (ADMIMETH) and their shares, roughly those of the synthetic data; 99 = not known.
METHODS = {
    "11": 0.29, "12": 0.15, "13": 0.05, "21": 0.32, "22": 0.035, "23": 0.005, "24": 0.023, "25": 0.002,
    "2A": 0.018, "2B": 0.013, "2C": 0.002, "2D": 0.018, "28": 0.013, "31": 0.044, "32": 0.005, "81": 0.013,
    "82": 0.001, "83": 0.001, "99": 0.002,
}  # fmt: skip
EMERGENCY = ("21", "22", "23", "24", "25", "2A", "2B", "2C", "2D", "28")
#: Episodes per spell: 1 to 5, mean 1.19.
EPISODES_PER_SPELL = (0.855, 0.11, 0.025, 0.007, 0.003)
PROVIDERS = {"SYNT01": 0.30, "SYNT02": 0.32, "SYNT03": 0.30, "SYNT99": 0.08}
#: The registered-practice code of spells whose practice is not known (unattributed in the rates).
UNKNOWN_PRACTICE = "V81999"
UNKNOWN_PRACTICE_SHARE = 0.003
N_LSOAS = 533

#: Columns compared across input kinds (those present in every result).
KEY = "practice_code"

IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------------
# Synthetic episodes
# --------------------------------------------------------------------------------------------------


def registrations() -> pd.DataFrame:
    """The registered lists of the synthetic BLMK data: practice x sex x five-year band (4,320 rows)."""
    import blmk_health as bh

    return bh.datasets.synthetic_blmk(scale=1.0).registrations


def _band_start(labels: pd.Series) -> IntArray:
    """First age of NHS England's bands ``0_4``, ..., ``90_94``, ``95+``."""
    return np.asarray(labels.str.extract(r"^(\d+)")[0].astype(int), dtype=np.int64)


@dataclass
class Episodes:
    """The generated episodes as an Arrow table, and the figures the results are checked against."""

    table: Any  # pyarrow.Table
    spells: int
    latest_emergency_spells: int  # emergency spells admitted in the latest financial year (any practice)


def make_episodes(n: int, population: pd.DataFrame, seed: int = 20240601) -> Episodes:
    """``n`` consultant episodes of about ``n / 1.19`` spells, deterministic for a seed.

    Patients are the registered population itself (one per registered person: practice, sex, age at
    the extract of 1 April 2019 and an LSOA near the practice); older patients are admitted more often.
    Spells are spread evenly over five financial years (2014/15 to 2018/19), numbered in order of
    admission, with 1 to 5 episodes each; episodes repeat the spell's admission and discharge dates,
    method, diagnosis, age, practice and area. Lengths of stay are geometric (a third of spells same
    day); 30% of the spells admitted in the last fortnight are unfinished (no discharge date); 0.3% of
    spells have an unknown practice (``V81999``, unattributed) and 0.2% an unknown admission method (99).
    """
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    # Patients: one per registered person.
    counts = population["number_of_patients"].to_numpy(dtype=np.int64)
    cell = np.repeat(np.arange(len(population)), counts)
    practices, practice_of_cell = np.unique(population["practice_code"].to_numpy(dtype=str), return_inverse=True)
    patient_practice = practice_of_cell[cell]
    patient_male = (population["sex"].str.upper().to_numpy(dtype=str) == "MALE")[cell]
    start = _band_start(population["age_group_5"])[cell]
    width = np.where(start >= 95, 10, 5)
    patient_age = start + (rng.random(len(cell)) * width).astype(np.int64)
    patient_lsoa = (patient_practice * 5 + rng.integers(0, 20, len(cell))) % N_LSOAS

    # Spells: episodes per spell until there are n episodes.
    guess = int(n / 1.19 * 1.05) + 10
    per_spell = rng.choice(len(EPISODES_PER_SPELL), size=guess, p=EPISODES_PER_SPELL) + 1
    total = np.cumsum(per_spell)
    if total[-1] < n:  # pragma: no cover - 5% slack
        msg = "too few spells drawn"
        raise RuntimeError(msg)
    n_spells = int(np.searchsorted(total, n)) + 1
    per_spell = per_spell[:n_spells]
    per_spell[-1] -= int(total[n_spells - 1] - n)
    days = int((LAST_DAY - FIRST_DAY).astype(int)) + 1
    admission = np.sort(rng.integers(0, days, n_spells))
    risk = np.exp(0.035 * patient_age)
    patient = rng.choice(len(cell), size=n_spells, p=risk / risk.sum())
    years_before = (days - 1 - admission) // 365
    age = np.clip(patient_age[patient] - years_before, 0, 125)
    method_labels = np.asarray(list(METHODS))
    method_p = np.asarray(list(METHODS.values()))
    method = rng.choice(len(method_labels), size=n_spells, p=method_p / method_p.sum())
    emergency = np.isin(method_labels, EMERGENCY)[method]
    elective = np.char.startswith(method_labels, "1")[method]
    same_day = rng.random(n_spells) < np.where(elective, 0.5, 0.25)
    los = np.where(same_day, 0, rng.geometric(np.where(emergency, 0.2, 0.35)))
    discharge_day = FIRST_DAY + (admission + los)
    unfinished = (admission >= days - 14) & (rng.random(n_spells) < 0.3)
    practice = patient_practice[patient]
    unknown = rng.random(n_spells) < UNKNOWN_PRACTICE_SHARE
    practice_labels = np.append(practices, UNKNOWN_PRACTICE)
    practice = np.where(unknown, len(practices), practice)
    provider_labels = np.asarray(list(PROVIDERS))
    provider = rng.choice(len(provider_labels), size=n_spells, p=list(PROVIDERS.values()))
    letters = np.asarray(list("ABCDEFGHIJKLMNOPQRSTVWXYZ"))
    pool = np.unique(
        np.char.add(
            letters[rng.integers(0, len(letters), 3000)], np.char.zfill(rng.integers(0, 1000, 3000).astype(str), 3)
        )
    )
    popularity = 1.0 / np.arange(1, len(pool) + 1)
    diagnosis = rng.choice(len(pool), size=n_spells, p=popularity / popularity.sum())

    # Episodes: the spell's values repeated, numbered within the spell.
    spell = np.repeat(np.arange(n_spells), per_spell)
    first_row = np.cumsum(per_spell) - per_spell
    order = np.arange(n, dtype=np.int64) - first_row[spell] + 1
    adm_ns = (FIRST_DAY + admission).astype("datetime64[ns]")
    dis_ns = discharge_day.astype("datetime64[ns]")
    dis_ns[unfinished] = np.datetime64("NaT")
    lsoa_labels = np.asarray([f"E0101{7000 + i:04d}" for i in range(N_LSOAS)])

    def text(labels: npt.NDArray[Any], codes: npt.NDArray[Any]) -> Any:
        return pa.array(labels.tolist(), type=pa.string()).take(pa.array(codes[spell], type=pa.int32()))

    table = pa.table(
        {
            "spell_id": pa.array(spell + 1, type=pa.int64()),
            "episode_order": pa.array(order, type=pa.int64()),
            "patient_id": pa.array(patient[spell] + 1, type=pa.int64()),
            "provider_code": text(provider_labels, provider),
            "admission_method": text(method_labels, method),
            "admission_date": pa.array(adm_ns[spell], type=pa.timestamp("ns")),
            "discharge_date": pa.array(dis_ns[spell], type=pa.timestamp("ns"), from_pandas=True),
            "diag_01": text(pool, diagnosis),
            "age": pa.array(age[spell], type=pa.int64()),
            "sex": text(np.asarray(["Female", "Male"]), patient_male[patient].astype(np.int64)),
            "practice_code": text(practice_labels, practice),
            "lsoa_code": text(lsoa_labels, patient_lsoa[patient]),
        }
    )
    latest = (FIRST_DAY + admission >= LATEST_YEAR[0]) & (FIRST_DAY + admission <= LATEST_YEAR[1])
    return Episodes(table, n_spells, int((latest & emergency).sum()))


# --------------------------------------------------------------------------------------------------
# One input kind, in a child process
# --------------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    """The current resident set of this process in MB (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        return _peak_mb()


def _peak_mb() -> float:
    """The peak resident set of this process in MB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` would carry over the parent's
    resident set at the fork (Linux keeps the larger of the two across ``exec``).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _materialise(result: Any) -> pd.DataFrame:
    """The (small) result as a pandas frame: collect a Polars LazyFrame, fetch a DuckDB relation."""
    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "collect"):  # Polars LazyFrame
        result = result.collect()
    if hasattr(result, "to_pandas"):  # Polars DataFrame
        result = result.to_pandas()
    elif hasattr(result, "df"):  # DuckDB relation
        result = result.df()
    return pd.DataFrame(result)


def run_child(backend: str, folder: Path, repeats: int) -> dict[str, Any]:
    """Time the pipeline ``repeats`` times on one input kind; save the result for the value check."""
    import warnings

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import blmk_health as bh

    info: dict[str, Any] = {"backend": backend, "import_s": time.perf_counter() - start}
    population = pd.read_parquet(folder / REGISTRATIONS)
    path = folder / EPISODES
    start = time.perf_counter()
    if backend == "pandas":
        episodes: Any = pd.read_parquet(path)
    elif backend == "polars-lazy":
        import polars as pl

        episodes = pl.scan_parquet(path)
    elif backend == "duckdb":
        import duckdb

        episodes = duckdb.read_parquet(str(path))
    else:  # pragma: no cover - argparse checks
        raise ValueError(backend)
    info["read_s"] = time.perf_counter() - start
    gc.collect()
    info["rss_input_mb"] = _rss_mb()
    runs = []
    table = None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        spells = bh.records.spells(episodes)
        t1 = time.perf_counter()
        result = bh.indicators.emergency_admissions(
            spells, population, by="practice_code", standardise="direct", period="latest"
        )
        table = _materialise(result)
        t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, t2 - t1))
        del spells, result
    best = min(runs)
    info.update(
        total_s=best[0],
        spells_s=best[1],
        rates_s=best[2],
        runs_s=[r[0] for r in runs],
        peak_mb=_peak_mb(),
    )
    assert table is not None
    table.to_pickle(folder / f"result-{backend}.pkl")
    return info


# --------------------------------------------------------------------------------------------------
# Comparison and reporting
# --------------------------------------------------------------------------------------------------


def canonical(table: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by practice (the unattributed row last), numeric columns as floats."""
    out = table.copy()
    out[KEY] = out[KEY].astype(object).where(out[KEY].notna(), None)
    out = out.assign(_key=out[KEY].fillna("~unattributed")).sort_values("_key", kind="stable")
    return out.drop(columns="_key").reset_index(drop=True)


def compare(ours: pd.DataFrame, theirs: pd.DataFrame, rtol: float) -> tuple[float, list[str]]:
    """The largest relative difference over every numeric column, and any problems."""
    problems: list[str] = []
    a_keys, b_keys = ours[KEY].tolist(), theirs[KEY].tolist()
    if a_keys != b_keys:
        return float("inf"), [f"different rows: {len(a_keys)} vs {len(b_keys)}"]
    for column in ("period", "statistic", "method", "confidence"):
        if (
            column in ours
            and column in theirs
            and ours[column].astype(str).tolist() != theirs[column].astype(str).tolist()
        ):
            problems.append(f"{column}: differs")
    worst = 0.0
    numeric = [c for c in ours.columns if c in theirs and pd.api.types.is_numeric_dtype(ours[c])]
    for column in numeric:
        a = pd.to_numeric(ours[column]).to_numpy(dtype=float, na_value=np.nan)
        b = pd.to_numeric(theirs[column]).to_numpy(dtype=float, na_value=np.nan)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            problems.append(f"{column}: missing in different rows")
            continue
        both = ~np.isnan(a)
        scale = np.maximum(np.abs(a[both]), np.abs(b[both]))
        diff = np.abs(a[both] - b[both])
        rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
        column_worst = float(rel.max(initial=0.0))
        worst = max(worst, column_worst)
        if column_worst > rtol:
            problems.append(f"{column}: max relative difference {column_worst:.3g} > {rtol:g}")
    missing = [c for c in ours.columns if c not in theirs] + [c for c in theirs.columns if c not in ours]
    if missing:
        problems.append(f"columns in one result only: {missing}")
    return worst, problems


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _load() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not available on every platform
        return "load average unknown"


def environment() -> str:
    packages = ["blmk-health", "numpy", "pandas", "pyarrow", "narwhals", "polars", "duckdb"]
    return "\n".join(
        [
            f"python {platform.python_version()} ({sys.executable})",
            f"platform {platform.platform()}; {os.cpu_count()} CPUs; {_load()}",
            "; ".join(f"{p} {_version(p)}" for p in packages),
        ]
    )


def table_text(results: list[dict[str, Any]], episodes: int) -> str:
    lines = [
        "| workload | input | seconds (best) | spells (s) | rates (s) | peak MB | MB with input loaded "
        "| target | met? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        target = TARGETS.get(r["backend"])
        met = "-" if target is None else ("yes" if r["total_s"] <= target else "NO")
        lines.append(
            f"| {episodes:,} episodes -> spells -> practice DSRs | {r['backend']} | {r['total_s']:.2f} "
            f"| {r['spells_s']:.2f} | {r['rates_s']:.2f} | {r['peak_mb']:,.0f} | {r['rss_input_mb']:,.0f} "
            f"| {'-' if target is None else f'< {target:g} s'} | {met} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=10_000_000, help="episodes to generate (default 10000000)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs per input kind; the best is shown (default 3)"
    )
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS), help="input kinds to time")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the synthetic episodes")
    parser.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance of the value check (default 1e-9)")
    parser.add_argument("--tmpdir", help="where to make the temporary folder of the Parquet file (default: system's)")
    parser.add_argument("--strict", action="store_true", help="exit with status 2 when a time target is missed")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.episodes < 10 or args.repeats < 1:
        parser.error("--episodes must be >= 10 and --repeats >= 1")
    return args


def _available(backend: str) -> bool:
    module = {"pandas": "pandas", "polars-lazy": "polars", "duckdb": "duckdb"}[backend]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, Path(args.folder), args.repeats)))
        return 0
    import pyarrow.parquet as pq

    print(environment())
    start = time.perf_counter()
    population = registrations()
    generated = make_episodes(args.episodes, population, args.seed)
    print(
        f"\ndata: {args.episodes:,} episodes of {generated.spells:,} spells "
        f"({args.episodes / generated.spells:.2f} per spell), {population['practice_code'].nunique()} practices, "
        f"{int(population['number_of_patients'].sum()):,} registered patients; "
        f"{generated.latest_emergency_spells:,} emergency spells in 2018/19; "
        f"generated in {time.perf_counter() - start:.1f} s (not timed)"
    )
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_hospital_", dir=args.tmpdir) as name:
        folder = Path(name)
        start = time.perf_counter()
        pq.write_table(generated.table, folder / EPISODES)
        population.to_parquet(folder / REGISTRATIONS, index=False)
        size = (folder / EPISODES).stat().st_size / 2**20
        print(f"wrote {folder / EPISODES} ({size:,.0f} MB, {time.perf_counter() - start:.1f} s)")
        latest_emergency = generated.latest_emergency_spells
        del generated
        gc.collect()
        print(
            f"timing: best of {args.repeats} runs per input kind, each kind in a fresh process; "
            "pandas reads the file into memory before the timing, Polars lazy and DuckDB scan it within it\n"
        )
        for backend in args.backends:
            if not _available(backend):
                print(f"{backend}: not installed, skipped")
                continue
            command = [sys.executable, __file__, "--child", backend, "--folder", str(folder)]
            command += ["--repeats", str(args.repeats), "--episodes", str(args.episodes)]
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(f"{backend}: FAILED\n{out.stderr[-3000:]}")
                failures.append(f"{backend}: the pipeline failed")
                continue
            info = json.loads(out.stdout.strip().splitlines()[-1])
            info["result"] = canonical(pd.read_pickle(folder / f"result-{backend}.pkl"))
            results.append(info)
            runs = ", ".join(f"{s:.2f}" for s in info["runs_s"])
            print(
                f"{backend:>12}: best {info['total_s']:.2f} s (spells {info['spells_s']:.2f} s + rates "
                f"{info['rates_s']:.2f} s; runs {runs}); peak {info['peak_mb']:,.0f} MB; "
                f"{info['rss_input_mb']:,.0f} MB before the timing (input read in {info['read_s']:.2f} s, not timed)"
            )

    print()
    if results:
        first = results[0]
        counted = first["result"]["spells"].sum()
        status = "ok" if counted == latest_emergency else "MISMATCH"
        print(
            f"check: {first['backend']} counts {counted:,} emergency spells in the latest year "
            f"(attributed and unattributed); generated {latest_emergency:,}: {status}"
        )
        if counted != latest_emergency:
            failures.append("the spells counted are not those generated")
        for other in results[1:]:
            worst, problems = compare(first["result"], other["result"], args.rtol)
            status = "ok" if not problems else "MISMATCH"
            print(
                f"check: {other['backend']} vs {first['backend']}: {len(other['result'])} rows, every column: "
                f"{status} (max relative difference {worst:.2g})"
            )
            failures += [f"{other['backend']} vs {first['backend']}: {p}" for p in problems]
    print(f"\n{_load()} at the end")
    print(table_text(results, args.episodes))
    misses = [
        f"{r['backend']}: {r['total_s']:.2f} s (target < {TARGETS[r['backend']]:g} s)"
        for r in results
        if r["backend"] in TARGETS and r["total_s"] > TARGETS[r["backend"]]
    ]
    print("\ntargets: pandas < 20 s, Polars lazy < 5 s")
    for miss in misses:
        print(f"  MISSED {miss}")
    if not misses:
        print("  all met" if len(results) == len(BACKENDS) else "  met by the input kinds run")
    if failures:
        print("\nFAILURES:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nvalues: all input kinds agree to {args.rtol:g} relative")
    if args.strict and misses:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
