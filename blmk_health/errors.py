"""Errors raised by blmk_health.

Every error the library raises on purpose derives from :class:`BLMKError`. Bad input raises
:class:`InputError` (also a :class:`ValueError`, so ``except ValueError`` keeps working) or one of
its subclasses. Messages name the argument, the column, how many rows are affected and the first
offending values, so that the problem can be found in the caller's data without a debugger.

A reader given a path where it cannot read a file (nothing there, a folder, a file it may not read)
raises :class:`DataFileError`, which is both an :class:`InputError` and a :class:`FileNotFoundError`
(so ``except FileNotFoundError``, ``except OSError`` and ``except ValueError`` all keep working); its
message names the path and the file the reader expected there.

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

import os

__all__ = [
    "BLMKError",
    "DataFileError",
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


class DataFileError(InputError, FileNotFoundError):
    """A reader cannot read the file it was given: no file at the path, a folder, or a file it may not read.

    Also a :class:`FileNotFoundError` (an :class:`OSError`) and a :class:`ValueError`. The message names
    the path and the file expected there; ``filename`` holds the path and ``errno`` the reason
    (``errno.ENOENT``, ``errno.EISDIR``, ``errno.EACCES``, ...).

    Examples
    --------
    >>> import blmk_health as bh
    >>> try:
    ...     bh.io.read_imd("no/such/imd.csv")
    ... except FileNotFoundError as err:
    ...     print(type(err).__name__, err.filename)
    DataFileError no/such/imd.csv
    """

    def __init__(self, message: str, filename: str | None = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        if errno is not None:
            self.errno = errno
            self.strerror = os.strerror(errno)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[type[DataFileError], tuple[str, str | None, int | None]]:
        return (type(self), (str(self), self.filename, self.errno))
