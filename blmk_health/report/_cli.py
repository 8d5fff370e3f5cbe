"""The ``blmk-health`` command (also ``python -m blmk_health``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from blmk_health.errors import BLMKError

__all__ = ["main", "parser"]

_DESCRIPTION = (
    "Make a BLMK system profile: one self-contained HTML page (index.html) and a tidy table of every "
    "indicator (indicators.parquet, indicators.csv), from the built-in synthetic BLMK or a folder of "
    "published files."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on standard error (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The command-line parser of ``blmk-health``.

    Examples
    --------
    >>> args = parser().parse_args(["report", "--scale", "0.02", "--quiet"])
    >>> args.command, args.scale, args.quiet, args.out
    ('report', 0.02, True, PosixPath('report'))
    """
    main_parser = _Parser(prog="blmk-health", description=_DESCRIPTION)
    main_parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    report = commands.add_parser("report", help="make the BLMK system profile", description=_DESCRIPTION)
    report.add_argument(
        "--out", type=Path, default=Path("report"), metavar="DIR", help="folder to write (default: report)"
    )
    report.add_argument(
        "--data", type=Path, metavar="DIR", help="a folder of published files to read instead of the synthetic BLMK"
    )
    report.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        metavar="S",
        help="share of the synthetic population, 0 < S <= 1 (default 1)",
    )
    report.add_argument("--seed", type=_seed, default=0, metavar="N", help="seed of the synthetic data (default 0)")
    report.add_argument(
        "--no-sdc", action="store_true", help="publish counts as they are (no small-number suppression or rounding)"
    )
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.add_argument("--force", action="store_true", help="write into DIR even if it holds other files")
    return main_parser


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"expected a number such as 0.1 or 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 < value <= 1:
        msg = f"must be above 0 and at most 1, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _seed(text: str) -> int:
    if not text.isdigit():
        msg = f"expected a whole number >= 0, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``blmk-health``; returns the exit status (0 on success, 1 on bad data, 2 on bad arguments).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    blmk-health ...
    0
    """
    args = parser().parse_args(argv)
    if args.version:
        import blmk_health

        print(f"blmk-health {blmk_health.__version__}")
        return 0
    if args.command != "report":
        parser().print_help()
        return 2
    from blmk_health.report._build import build_report

    try:
        index = build_report(
            args.out,
            data=args.data,
            scale=args.scale,
            seed=args.seed,
            sdc=not args.no_sdc,
            force=args.force,
            progress=None if not args.quiet else False,
        )
    except (BLMKError, OSError) as err:
        print(f"blmk-health report: error: {_one_line(err)}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"Report written to {index} (open it in a web browser)")
    return 0


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__
