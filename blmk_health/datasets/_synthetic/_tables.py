"""Small helpers to build the output tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def categorical(
    codes: np.ndarray, categories: Sequence[str] | np.ndarray, ordered: bool = False
) -> pd.Categorical[str]:
    """A Categorical from integer codes (-1 for missing) and its categories."""
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int64), categories=pd.Index([str(c) for c in categories]), ordered=ordered
    )
