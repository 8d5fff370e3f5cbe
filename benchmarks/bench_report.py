"""How long `blmk-health report` takes, step by step, and its peak memory, at full size and at --scale 0.02.

Each scale runs in a fresh Python process (so that its peak memory is its own): the steps of
``bh.report.build_report`` are timed one by one, then the whole command is run once more end to end.

    python benchmarks/bench_report.py                 # scales 1 and 0.02, prints a table
    python benchmarks/bench_report.py --scales 0.02   # one scale

Targets (issue 9): a full-size report in under 60 s and 4 GB; --scale 0.02 in under 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {1.0: (60.0, 4096.0), 0.02: (15.0, 4096.0)}


def _steps(scale: float) -> dict[str, float]:
    """Time each step of the report in this process; returns seconds per step and the peak RSS in MB."""
    import warnings

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import blmk_health as bh
    from blmk_health.report._build import _write
    from blmk_health.report._page import report_page

    times = {"import": time.perf_counter() - start}

    def timed(name: str, work):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - t
        return result

    bundle = timed("read data (synthetic_blmk)", lambda: bh.report.DataBundle.synthetic_blmk(scale=scale))
    table = timed("compute indicators", lambda: bh.report.compute_indicators(bundle))
    table = timed("protect small numbers", lambda: bh.report.protect_small_numbers(table))
    page = timed("figures and page", lambda: report_page(bundle, table))
    with tempfile.TemporaryDirectory() as folder:
        timed("write files", lambda: _write(Path(folder), page, table))
    times["total"] = sum(times.values())
    times["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return times


def _command(scale: float) -> tuple[float, float]:
    """The whole command, end to end, in its own child process: seconds and that child's peak RSS in MB."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable,
            "-m",
            "blmk_health",
            "report",
            "--scale",
            str(scale),
            "--out",
            f"{folder}/r",
            "--quiet",
        ]
        out = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.02])
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_steps(args.child)))
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for scale in args.scales:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(scale)], check=True, capture_output=True, text=True
        )
        steps = json.loads(out.stdout.strip().splitlines()[-1])
        command, command_peak = _command(scale)
        limit_s, limit_mb = TARGETS.get(scale, (float("nan"), float("nan")))
        print(f"\n--scale {scale:g}")
        print("| step | seconds |\n|---|---|")
        for name, seconds in steps.items():
            if name != "peak MB":
                print(f"| {name} | {seconds:.1f} |")
        print(f"| peak memory of the steps | {steps['peak MB']:.0f} MB |")
        print(f"| `blmk-health report --scale {scale:g}`, end to end | {command:.1f} s, peak {command_peak:.0f} MB |")
        verdict = "met" if command <= limit_s and command_peak <= limit_mb else "MISSED"
        print(f"target: under {limit_s:.0f} s and {limit_mb / 1024:.0f} GB: {verdict}")


if __name__ == "__main__":
    main()
