"""Small helpers to build the output tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SEXES = ("Male", "Female")


def categorical(
    codes: np.ndarray, categories: Sequence[str] | np.ndarray, ordered: bool = False
) -> pd.Categorical[str]:
    """A Categorical from integer codes (-1 for missing) and its categories."""
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int64), categories=pd.Index([str(c) for c in categories]), ordered=ordered
    )


def sex_categorical(male: np.ndarray) -> pd.Categorical[str]:
    """The ``sex`` column (``Male``, ``Female``) from a boolean array."""
    return categorical(np.where(male, 0, 1), SEXES)


def as_text(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``table`` with ``columns`` turned to the string dtype (in place; returned for chaining)."""
    for column in columns:
        table[column] = table[column].astype("str")
    return table
