"""Input checks shared by the whole package.

Every message names the argument, the column, how many rows are affected and the first offending
values. Checks on a lazy frame run as one small query (sums of flags), and only when a check fails is a
second query run to fetch the offending values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw

from blmk_health._frames import Frame, collect_small
from blmk_health.errors import DomainError, InputError, SchemaError

__all__ = [
    "Check",
    "check_positive_number",
    "check_values",
    "describe_values",
    "require_columns",
    "require_numeric",
]

_SHOW = 5


@dataclass(frozen=True)
class Check:
    """A row-level rule: ``condition`` is true on the offending rows (nulls never offend).

    ``probe`` is an optional cheap aggregate (e.g. the column's minimum) and ``flagged`` tells from its
    value whether any row may offend; without them the offending rows are counted directly.
    """

    argument: str
    column: str
    condition: nw.Expr
    problem: str
    rule: str
    error: type[InputError] = DomainError
    probe: nw.Expr | None = None
    flagged: Callable[[Any], bool] | None = None

    @classmethod
    def below(
        cls,
        argument: str,
        column: str,
        bound: float,
        problem: str,
        rule: str,
        *,
        inclusive: bool = False,
        error: type[InputError] = DomainError,
    ) -> Check:
        """Rows whose value is below ``bound`` (or at it, if ``inclusive``) offend."""
        condition = nw.col(column) <= bound if inclusive else nw.col(column) < bound

        def flagged(minimum: Any) -> bool:
            if minimum is None or minimum != minimum:  # all missing (NaN != NaN)
                return False
            return bool(minimum <= bound if inclusive else minimum < bound)

        return cls(argument, column, condition, problem, rule, error, nw.col(column).min(), flagged)

    @classmethod
    def missing(
        cls, argument: str, column: str, problem: str, rule: str, *, error: type[InputError] = DomainError
    ) -> Check:
        """Rows whose value is missing offend."""
        return cls(argument, column, nw.col(column).is_null(), problem, rule, error, nw.col(column).null_count(), bool)


def describe_values(values: Iterable[Any], limit: int = _SHOW) -> str:
    """Format the first few offending values for an error message."""
    shown = list(values)[:limit]
    return ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in shown)


def require_columns(frame: Frame, wanted: Sequence[tuple[str, str]]) -> None:
    """Raise :class:`SchemaError` if any ``(argument, column)`` pair names a missing column."""
    present = set(frame.columns)
    missing = [(arg, col) for arg, col in wanted if col not in present]
    if missing:
        named = "; ".join(f"{arg}={col!r}" for arg, col in missing)
        available = ", ".join(repr(c) for c in frame.columns[:20])
        more = " ..." if len(frame.columns) > 20 else ""
        msg = f"column not found: {named}. The data has columns {available}{more}"
        raise SchemaError(msg)


def require_numeric(frame: Frame, wanted: Sequence[tuple[str, str]]) -> None:
    """Raise :class:`SchemaError` if any ``(argument, column)`` column is not numeric."""
    schema = frame.schema
    bad = [(arg, col, schema[col]) for arg, col in wanted if not schema[col].is_numeric()]
    if not bad:
        return
    arg, col, dtype = bad[0]
    sample = collect_small(frame.frame.select(nw.col(col)).head(_SHOW))
    values = describe_values(sample.get_column(col).to_list())
    others = "".join(f"; {a}={c!r} is {d}" for a, c, d in bad[1:])
    msg = f"{arg}: column {col!r} must be numeric but is {dtype} (first values: {values}){others}"
    raise SchemaError(msg)


def _count(condition: nw.Expr) -> nw.Expr:
    return condition.fill_null(value=False).cast(nw.Int64).sum()


def check_values(frame: Frame, checks: Sequence[Check], extra: Mapping[str, nw.Expr] | None = None) -> dict[str, Any]:
    """Run the row-level ``checks`` in one pass and raise on the first that fails.

    ``extra`` aggregates (e.g. the latest date) are computed in the same pass and returned by name.
    """
    extra = dict(extra or {})
    if not checks and not extra:
        return {}
    probes = collect_small(
        frame.frame.select(
            [(c.probe if c.probe is not None else _count(c.condition)).alias(f"c{i}") for i, c in enumerate(checks)]
            + [expr.alias(f"x{i}") for i, expr in enumerate(extra.values())]
        )
    )
    row = probes.row(0)
    found = dict(zip(extra, row[len(checks) :], strict=True))
    for check, probe in zip(checks, row[: len(checks)], strict=True):
        flagged = check.flagged(probe) if check.flagged is not None else bool(probe)
        if not flagged:
            continue
        counted = collect_small(frame.frame.select(_count(check.condition).alias("n")))
        n_bad = int(counted.item(0, 0) or 0)
        if not n_bad:
            continue
        offending = collect_small(
            frame.frame.filter(check.condition.fill_null(value=False)).select(nw.col(check.column)).head(_SHOW)
        )
        values = describe_values(offending.get_column(check.column).to_list())
        rows = "row" if n_bad == 1 else "rows"
        msg = (
            f"{check.argument}: column {check.column!r} {check.problem} in {n_bad} {rows} "
            f"(first offending values: {values}); {check.rule}"
        )
        raise check.error(msg)
    return found


def check_positive_number(value: Any, argument: str) -> float:
    """Return ``value`` as a float, or raise :class:`DomainError` if it is not a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{argument}: expected a positive number, got {value!r}"
        raise DomainError(msg)
    number = float(value)
    if not number > 0 or number == float("inf"):
        msg = f"{argument}: must be a finite number greater than 0, got {value!r}"
        raise DomainError(msg)
    return number


def check_flag(value: Any, argument: str) -> bool:
    """``value`` if it is ``True`` or ``False``, else :class:`InputError` naming ``argument``."""
    if not isinstance(value, bool):
        msg = f"{argument}: expected True or False, got {value!r}"
        raise InputError(msg)
    return value


def check_choice(value: Any, argument: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, or raise :class:`InputError` listing them."""
    if value not in choices:
        msg = f"{argument}: expected one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        raise InputError(msg)
    return value


def reject_clashes(names: Iterable[str], reserved: Iterable[str], argument: str) -> None:
    """Raise :class:`SchemaError` if input columns would be overwritten by output columns."""
    clash = sorted(set(names) & set(reserved))
    if clash:
        msg = (
            f"{argument}: columns {clash!r} would be overwritten by the result's columns of the same name; "
            "rename them first"
        )
        raise SchemaError(msg)
