"""Parsing of the ``confidence`` argument and the names of confidence-limit columns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from blmk_health.errors import DomainError

__all__ = ["Confidence", "format_multiplier", "parse_confidence", "parse_level"]

_PAIR = (0.95, 0.998)


def parse_level(value: Any, argument: str = "confidence") -> float:
    """One confidence level as a fraction; values of 90 or more are read as percentages.

    Raises :class:`DomainError` unless the level lies in [0.9, 1] (or [90, 100]).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(float(value)):
        msg = f"{argument}: expected a number such as 0.95 or 95, got {value!r}"
        raise DomainError(msg)
    level = float(value)
    if level >= 90:
        level = level / 100
    if not 0.9 <= level <= 1:
        msg = f"{argument}: confidence level must lie in [0.9, 1] (or [90, 100] as a percentage), got {value!r}"
        raise DomainError(msg)
    return level


def _fmt(number: float) -> str:
    text = f"{round(number, 10):.10f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Confidence:
    """Parsed confidence levels (fractions), in the order given."""

    levels: tuple[float, ...]

    @property
    def label(self) -> str:
        """The ``confidence`` metadata value, e.g. ``"95%"`` or ``"95%, 99.8%"``."""
        return ", ".join(f"{_fmt(level * 100)}%" for level in self.levels)

    def names(self, prefix: str = "") -> list[tuple[str, str]]:
        """Lower and upper column names per level: ``lowercl``/``uppercl`` or ``lower95_0cl``/..."""
        if len(self.levels) == 1:
            return [(f"{prefix}lowercl", f"{prefix}uppercl")]
        out = []
        for level in self.levels:
            tag = f"{level * 100:.1f}".replace(".", "_")
            out.append((f"{prefix}lower{tag}cl", f"{prefix}upper{tag}cl"))
        return out

    def limit_names(self, prefix: str = "") -> list[str]:
        """Every limit column name, lower then upper per level: ``["lowercl", "uppercl"]`` or the four."""
        return [name for pair in self.names(prefix) for name in pair]


def parse_confidence(
    confidence: Any,
    argument: str = "confidence",
    *,
    any_levels: bool = False,
) -> Confidence:
    """Parse ``confidence``: one level, or the pair (0.95, 0.998) (any levels if ``any_levels``)."""
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
        return Confidence((parse_level(confidence, argument),))
    if isinstance(confidence, (str, bytes)) or not isinstance(confidence, Sequence):
        msg = f"{argument}: expected a level such as 0.95 or the pair (0.95, 0.998), got {confidence!r}"
        raise DomainError(msg)
    raw = list(confidence)
    if not raw:
        msg = f"{argument}: at least one confidence level is needed"
        raise DomainError(msg)
    levels = tuple(parse_level(v, argument) for v in raw)
    if len(levels) == 1:
        return Confidence(levels)
    if not any_levels and not (
        len(levels) == len(_PAIR) and all(math.isclose(a, b) for a, b in zip(levels, _PAIR, strict=True))
    ):
        msg = f"{argument}: two levels must be exactly (0.95, 0.998) (or (95, 99.8)), got {tuple(raw)!r}"
        raise DomainError(msg)
    if not any_levels:
        levels = _PAIR
    return Confidence(levels)


def format_multiplier(multiplier: float) -> str:
    """Write a multiplier as the reference does: ``100000``, not ``1e+05`` or ``100000.0``."""
    if float(multiplier).is_integer():
        return str(int(multiplier))
    return _fmt(float(multiplier))
