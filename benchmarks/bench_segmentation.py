"""Segmentation at scale: tiers of 10 million patients, the risk model on 1 million, condition flags.

1. ``bh.segmentation.assign_tiers(data, "risk", within="practice_code", overrides={"care_home":
   "complex"})`` on ``--patients`` (10,000,000) synthetic patients in 300 practices, on pandas, Polars
   eager, Polars lazy (the result collected) and DuckDB (the result fetched as Arrow), against two
   floors doing the same ranking and cutting with the override and nothing else (no checks, no tied
   flag, tier codes not labels): bare Polars (one lazy query) and bare numpy (``lexsort`` and a cut
   per group). Their tiers are checked to be ours. Targets: pandas < 10 s, Polars < 3 s.
2. ``bh.segmentation.RiskModel()`` fitted to the patients of ``synthetic_blmk(scale=--scale)``
   (984,000 at scale 1) and ``y = emergency_admission_next_year``; also ``calibrate=False`` and
   ``estimator="hist_gradient_boosting"``. Target: the default fit < 30 s.
3. ``bh.records.condition_flags`` of the same data's events (2.5 million at scale 1) with its SNOMED CT
   code lists, on pandas and Polars lazy (collected). No target.

Data generation is not timed. Each measurement is the best of ``--repeats`` runs (``--fit-repeats``
for the fits), with no warm-up run; peak MB is the peak resident set during its runs above the resident
set just before them (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``), so the input is not
counted but everything a backend allocates (Rust, C++ or numpy) is.

Usage (from the project folder)::

    python benchmarks/bench_segmentation.py
    python benchmarks/bench_segmentation.py --patients 500000 --scale 0.05 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.metadata
import os
import platform
import resource
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl

import blmk_health as bh

LABELS = np.asarray(["complex", "high_need", "healthy"])
Row = dict[str, Any]


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field))


def measure(run: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Best seconds of ``repeats`` runs, peak MB above the resident set before them, the last result."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident set
        before = _status_mb("VmRSS:")
    except OSError:  # pragma: no cover - not Linux: the process's peak so far
        before = 0.0
    best, result = float("inf"), None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    try:
        peak = _status_mb("VmHWM:")
    except OSError:  # pragma: no cover
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return best, peak - before, result


def make_patients(n: int, seed: int = 20240601) -> pd.DataFrame:
    """``n`` patients in 300 practices of uneven size; risk uniform to 4 dp (ties), 0.4% in care homes."""
    rng = np.random.default_rng(seed)
    codes = [f"P{k:05d}" for k in range(300)]
    weight = rng.lognormal(0.0, 0.5, 300)
    practice = rng.choice(300, size=n, p=weight / weight.sum())
    return pd.DataFrame(
        {
            "patient_id": np.arange(1, n + 1, dtype=np.int64),
            "practice_code": pd.Categorical.from_codes(practice, categories=pd.Index(codes)),
            "risk": np.round(rng.random(n), 4),
            "care_home": rng.random(n) < 0.004,
        }
    )


def floor_numpy(patients: pd.DataFrame) -> npt.NDArray[np.int8]:
    """Tier codes: override first, then rank by (-risk, patient_id) within practice and cut."""
    group = patients["practice_code"].cat.codes.to_numpy()
    home = patients["care_home"].to_numpy()
    order = np.lexsort((patients["patient_id"].to_numpy(), -patients["risk"].to_numpy(), home, group))
    sizes = np.bincount(group)
    starts = np.cumsum(sizes) - sizes
    g = group[order]
    rank = np.arange(1, len(order) + 1) - starts[g]  # 1-based within practice, care homes last
    top = np.maximum((2 * sizes + 50) // 100 - np.bincount(group, weights=home).astype(np.int64), 0)
    reach = top + (20 * sizes + 50) // 100 - (2 * sizes + 50) // 100
    tier = np.where(home[order], 0, np.where(rank <= top[g], 0, np.where(rank <= reach[g], 1, 2)))
    out = np.empty(len(order), dtype=np.int8)
    out[order] = tier
    return out


def floor_polars(frame: pl.DataFrame) -> pl.DataFrame:
    """The same in one Polars lazy query (tier codes in the frame's row order)."""
    n = pl.len().over("practice_code")
    c0, c1 = (2 * n + 50) // 100, (20 * n + 50) // 100
    top = pl.max_horizontal(c0 - pl.col("care_home").sum().over("practice_code"), 0)
    # ranking a struct is 2.4x faster than a window with order_by (int_range or cum_sum) in Polars 2.1
    rank = pl.struct("care_home", -pl.col("risk"), "patient_id").rank("ordinal").over("practice_code")
    tier = pl.when("care_home").then(0).when(rank <= top).then(0).when(rank <= top + c1 - c0).then(1).otherwise(2)
    return frame.lazy().select(pl.col("patient_id"), tier.cast(pl.Int8).alias("tier")).collect()


def tiers_workload(args: argparse.Namespace, rows: list[Row]) -> None:
    start = time.perf_counter()
    patients = make_patients(args.patients)
    frame = pl.from_pandas(patients)
    print(f"tiers: {len(patients):,} patients, 300 practices, {patients['care_home'].sum():,} in care homes, "
          f"{patients['risk'].nunique():,} distinct risks; made in {time.perf_counter() - start:.1f} s")  # fmt: skip
    call: dict[str, Any] = {"within": "practice_code", "overrides": {"care_home": "complex"}}
    inputs: dict[str, Callable[[], Any]] = {
        "pandas": lambda: bh.segmentation.assign_tiers(patients, "risk", **call),
        "Polars": lambda: bh.segmentation.assign_tiers(frame, "risk", **call),
        "Polars lazy": lambda: bh.segmentation.assign_tiers(frame.lazy(), "risk", **call).collect(),
    }
    if not args.skip_duckdb:
        import duckdb

        arrow = frame.to_arrow()
        inputs["DuckDB"] = lambda: bh.segmentation.assign_tiers(
            duckdb.from_arrow(arrow), "risk", **call
        ).to_arrow_table()
    floors: dict[str, Callable[[], Any]] = {"numpy floor": lambda: floor_numpy(patients),
                                            "Polars floor": lambda: floor_polars(frame)}  # fmt: skip
    expected: Any = None
    for name, run in {**floors, **inputs}.items():
        seconds, peak, result = measure(run, args.repeats)
        if name == "numpy floor":
            expected, codes = result, result
        elif name == "Polars floor":
            codes = result["tier"].to_numpy()
        else:
            table = pl.from_pandas(result) if name == "pandas" else pl.DataFrame(result)
            table = table.sort("patient_id")  # DuckDB need not keep the row order
            codes = pd.Categorical(table["tier"].to_numpy(), categories=LABELS).codes
        same = bool(np.array_equal(codes, expected))
        target = {"pandas": 10.0, "Polars": 3.0, "Polars lazy": 3.0}.get(name)
        rows.append({"workload": f"assign_tiers, {len(patients):,} patients", "backend": name, "s": seconds,
                     "mb": peak, "target": target, "same": same})  # fmt: skip
        print(f"  {name:>12}: {seconds:6.2f} s, peak +{peak:,.0f} MB, tiers as the numpy floor: {same}")
    floor = min(r["s"] for r in rows if r["backend"].endswith("floor"))
    for row in rows:
        row["floor"] = None if row["backend"].endswith("floor") else row["s"] / floor


def model_workload(args: argparse.Namespace, data: Any, rows: list[Row]) -> None:
    patients = data.patients
    y = patients["emergency_admission_next_year"]
    print(f"risk model: {len(patients):,} patients, {y.mean():.1%} admitted")
    fits = {
        "logistic, calibrated": bh.segmentation.RiskModel(),
        "logistic, calibrate=False": bh.segmentation.RiskModel(calibrate=False),
        "gradient boosting, calibrated": bh.segmentation.RiskModel(estimator="hist_gradient_boosting"),
    }
    for name, model in fits.items():
        seconds, peak, fitted = measure(functools.partial(model.fit, patients, y), args.fit_repeats)
        auc = bh.segmentation.evaluate_scores(y.to_numpy(dtype=int), fitted.predict_risk(patients))
        rows.append({"workload": f"RiskModel().fit, {len(patients):,} patients", "backend": name, "s": seconds,
                     "mb": peak, "target": 30.0 if name == "logistic, calibrated" else None})  # fmt: skip
        print(f"  {name:>30}: {seconds:6.2f} s, peak +{peak:,.0f} MB; {len(fitted.features_)} features; "
              f"c-statistic (in sample) {auc.c_statistic:.3f}")  # fmt: skip


def flags_workload(args: argparse.Namespace, data: Any, rows: list[Row]) -> None:
    events, lists = data.events, data.codelists
    print(f"condition flags: {len(events):,} events, {len(lists[lists['coding_system'] == 'snomedct']):,} codes")
    lazy = pl.from_pandas(events).lazy()
    call: dict[str, Any] = {"code": "snomed_code", "coding_system": "snomedct"}
    runs = {
        "pandas": lambda: bh.records.condition_flags(events, lists, **call),
        "Polars lazy": lambda: bh.records.condition_flags(lazy, lists, **call).collect(),
    }
    results = {}
    for name, run in runs.items():
        seconds, peak, results[name] = measure(run, args.repeats)
        rows.append({"workload": f"condition_flags, {len(events):,} events", "backend": name, "s": seconds,
                     "mb": peak, "target": None})  # fmt: skip
        print(f"  {name:>12}: {seconds:6.2f} s, peak +{peak:,.0f} MB, {len(results[name]):,} patients")
    a, b = results["pandas"], results["Polars lazy"].to_pandas()
    flags = [c for c in a.columns if a[c].dtype == bool]
    same = len(a) == len(b) and all(a[c].sum() == b[c].sum() for c in flags)
    print(f"  pandas and Polars lazy agree on the patients and the count of every flag: {same}")


def environment() -> str:
    packages = ["numpy", "pandas", "pyarrow", "narwhals", "polars", "duckdb", "scikit-learn"]
    versions = "; ".join(f"{p} {importlib.metadata.version(p)}" for p in packages)
    return f"python {platform.python_version()}; {platform.platform()}; {os.cpu_count()} CPUs\n{versions}"


def table_text(rows: list[Row]) -> str:
    lines = ["| workload | backend | seconds | peak MB | x floor | target | met? |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r['floor']:.1f}x" if r.get("floor") else "-"
        target, met = (
            ("-", "-") if r["target"] is None else (f"< {r['target']:g} s", "yes" if r["s"] < r["target"] else "NO")
        )
        lines.append(
            f"| {r['workload']} | {r['backend']} | {r['s']:.2f} | {r['mb']:,.0f} | {ratio} | {target} | {met} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000_000, help="patients to tier (default 10000000)")
    parser.add_argument("--scale", type=float, default=1.0, help="synthetic_blmk scale for parts 2 and 3")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each tiering and flags call (best shown)")
    parser.add_argument("--fit-repeats", type=int, default=1, help="runs of each model fit (best shown)")
    parser.add_argument("--skip-duckdb", action="store_true", help="do not time assign_tiers on DuckDB")
    parser.add_argument("--strict", action="store_true", help="exit with status 2 when a target is missed")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(environment(), f"load average {os.getloadavg()[0]:.2f}", sep="\n")
    rows: list[Row] = []
    tiers_workload(args, rows)
    gc.collect()
    start = time.perf_counter()
    data = bh.datasets.synthetic_blmk(scale=args.scale)
    print(f"synthetic_blmk(scale={args.scale:g}) made in {time.perf_counter() - start:.1f} s (not timed)")
    model_workload(args, data, rows)
    flags_workload(args, data, rows)
    print(f"load average {os.getloadavg()[0]:.2f} at the end\n\n{table_text(rows)}")
    wrong = [r["backend"] for r in rows if r.get("same") is False]
    missed = [f"{r['workload']}, {r['backend']}" for r in rows if r["target"] is not None and r["s"] >= r["target"]]
    print("\n".join([f"MISSED {m}" for m in missed] + [f"WRONG TIERS {w}" for w in wrong]) or "all targets met")
    return 1 if wrong else 2 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
