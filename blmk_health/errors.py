"""Errors raised by blmk_health.

Every error the library raises on purpose derives from :class:`BLMKError`. Bad input raises
:class:`InputError` (also a :class:`ValueError`, so ``except ValueError`` keeps working) or one of
its subclasses. Messages name the argument, the column, how many rows are affected and the first
offending values, so that the problem can be found in the caller's data without a debugger.

Examples
--------
>>> import pandas as pd
>>> import blmk_health as bh
>>> try:
...     bh.indicators.crude_rate(pd.DataFrame({"x": [-1], "n": [10]}), "x", "n")
... except bh.errors.DomainError as err:
...     print(type(err).__name__)
DomainError
"""

from __future__ import annotations

__all__ = [
    "BLMKError",
    "DomainError",
    "InputError",
    "ReferenceDataError",
    "SchemaError",
]


class BLMKError(Exception):
    """Base class of every error raised by blmk_health."""


class InputError(BLMKError, ValueError):
    """The caller's input cannot be used: wrong arguments, columns or values."""


class SchemaError(InputError):
    """A table lacks a column, has a column of the wrong type, or has the wrong shape.

    Also raised for duplicated keys and for age bands that do not match a standard population.
    """


class DomainError(InputError):
    """A value lies outside the range the method allows (a negative count, a zero denominator, ...)."""


class ReferenceDataError(InputError):
    """A code is unknown to the reference data it is looked up in (a practice, an area, a band)."""
