"""The one path in: the checks every public function that takes a table runs first, in one place.

Every public statistic (and :func:`blmk_health.geo.rollup`) starts with :func:`prepare`: it wraps the
caller's frame, normalises ``by``, parses ``confidence``, ``multiplier``, ``seed`` and ``repetitions``,
checks that the named columns exist (and are numeric where they must be) and that no output column would
overwrite an input. A new function adds its own rules after this call, never a second copy of these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from blmk_health._confidence import Confidence, parse_confidence
from blmk_health._frames import Frame, as_list, ingest
from blmk_health._validation import check_positive_number, reject_clashes, require_columns, require_numeric
from blmk_health.errors import DomainError, SchemaError

__all__ = [
    "UNUSED",
    "Prepared",
    "check_repetitions",
    "check_seed",
    "check_whole_number",
    "prepare",
]

#: The minimum number of simulation draws (the reference's minimum for the SII).
MIN_REPETITIONS = 1000


class _Unused:
    """Marks an argument the function does not take (``None`` is a meaningful value of some)."""

    def __repr__(self) -> str:
        return "UNUSED"


UNUSED: Any = _Unused()

Named = Sequence[tuple[str, str | None]]


@dataclass(frozen=True)
class Prepared:
    """The checked arguments of a call: the wrapped frame, the ``by`` columns and the parsed options."""

    frame: Frame
    by: list[str]
    confidence: Confidence
    multiplier: float
    rng: np.random.Generator | None
    repetitions: int | None
    outputs: list[str]


def prepare(
    data: Any,
    *,
    argument: str = "data",
    columns: Named = (),
    numeric: Named = (),
    by: str | Sequence[str] | None = None,
    not_in_by: Named = (),
    confidence: Any = UNUSED,
    any_levels: bool = False,
    multiplier: Any = UNUSED,
    seed: Any = UNUSED,
    repetitions: Any = UNUSED,
    outputs: Sequence[str] | Callable[[Confidence], Sequence[str]] = (),
    clash: Literal["by", "data"] = "by",
) -> Prepared:
    """Check the arguments every table-taking function shares, and wrap ``data``.

    ``columns`` and ``numeric`` are ``(argument, column)`` pairs that must exist (``None`` columns are
    skipped), those in ``numeric`` numeric too; ``not_in_by`` columns that may not be grouping columns
    too. ``confidence`` is one level or the pair (0.95, 0.998) (any levels with ``any_levels``);
    ``multiplier`` must be a positive number; ``seed`` and ``repetitions`` are checked when given.
    ``outputs`` are the result's column names (or a function of the parsed confidence giving them):
    they must not clash with the ``by`` columns (``clash="by"``, for one row per group) or with any
    input column (``clash="data"``, for results that keep the input's rows).

    Examples
    --------
    >>> import pandas as pd
    >>> p = prepare(pd.DataFrame({"x": [1], "n": [2], "area": ["A"]}), columns=[("x", "x")], by="area",
    ...             confidence=95)
    >>> p.by, p.confidence.levels
    (['area'], (0.95,))
    """
    frame = ingest(data, argument)
    by_cols = as_list(by, "by")
    conf = Confidence((0.95,)) if confidence is UNUSED else parse_confidence(confidence, any_levels=any_levels)
    mult = 1.0 if multiplier is UNUSED else check_positive_number(multiplier, "multiplier")
    reps = None if repetitions is UNUSED else check_repetitions(repetitions)
    rng = None if seed is UNUSED else check_seed(seed)
    present = list(dict.fromkeys((arg, col) for arg, col in [*numeric, *columns] if col is not None))
    require_columns(frame, [*present, *[("by", c) for c in by_cols]])
    for arg, col in not_in_by:
        if col is not None and col in by_cols:
            msg = f"by: {col!r} is the {arg} column and cannot also be a grouping column"
            raise SchemaError(msg)
    require_numeric(frame, [(arg, col) for arg, col in numeric if col is not None])
    names = list(outputs(conf) if callable(outputs) else outputs)
    if clash == "by":
        reject_clashes(by_cols, names, "by")
    else:
        reject_clashes(frame.columns, names, argument)
    return Prepared(frame, by_cols, conf, mult, rng, reps, names)


def check_whole_number(value: Any, argument: str, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int, or :class:`DomainError` unless it is a whole number in [minimum, maximum].

    Examples
    --------
    >>> check_whole_number(10, "n", 1)
    10
    """
    in_range = (
        not isinstance(value, bool)
        and isinstance(value, (int, np.integer))
        and value >= minimum
        and (maximum is None or value <= maximum)
    )
    if not in_range:
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        msg = f"{argument}: expected a whole number {bounds}, got {value!r}"
        raise DomainError(msg)
    return int(value)


def check_repetitions(repetitions: Any) -> int:
    """``repetitions`` as an int, or :class:`DomainError` unless a whole number >= 1000.

    Examples
    --------
    >>> check_repetitions(100_000)
    100000
    """
    if isinstance(repetitions, bool) or not isinstance(repetitions, (int, np.integer)):
        msg = f"repetitions: expected a whole number, got {repetitions!r}"
        raise DomainError(msg)
    if repetitions < MIN_REPETITIONS:
        msg = f"repetitions: must be at least {MIN_REPETITIONS} (the reference's minimum), got {repetitions!r}"
        raise DomainError(msg)
    return int(repetitions)


def check_seed(seed: Any) -> np.random.Generator:
    """A numpy generator from ``seed`` (None, a non-negative int, a SeedSequence or a Generator).

    Examples
    --------
    >>> int(check_seed(1).integers(1000)) == int(check_seed(1).integers(1000))
    True
    """
    if (
        seed is None
        or isinstance(seed, (np.random.SeedSequence, np.random.Generator))
        or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)
    ):
        return np.random.default_rng(seed)
    msg = f"seed: expected None, a non-negative integer or a numpy Generator, got {seed!r}"
    raise DomainError(msg)
