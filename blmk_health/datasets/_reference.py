"""Small reference tables shipped with the package."""

from __future__ import annotations

import pandas as pd

from blmk_health._age_bands import ESP2013_19, ESP2013_20
from blmk_health.errors import InputError

__all__ = ["esp2013"]


def esp2013(bands: int = 19) -> pd.DataFrame:
    """The 2013 European Standard Population, as used for directly standardised rates in England.

    Parameters
    ----------
    bands : {19, 20}, default 19
        19 five-year bands (0-4, 5-9, ..., 85-89, 90+), or the 20-band life-table form with age 0
        (1,000) and 1-4 (4,000) in place of 0-4.

    Returns
    -------
    pandas.DataFrame
        Columns ``age_band`` (labels such as ``"0-4"`` and ``"90+"``), ``start_age``, ``end_age``
        (missing for the open 90+ band) and ``population`` (summing to 100,000).

    Raises
    ------
    InputError
        ``bands`` is not 19 or 20.

    Notes
    -----
    Source: Eurostat (2013), *Revision of the European Standard Population*, report of Eurostat's
    task force, KS-RA-13-028; the 19-band vector is the ``esp2013`` data of PHEindicatormethods.

    Examples
    --------
    >>> import blmk_health as bh
    >>> esp = bh.datasets.esp2013()
    >>> int(esp["population"].sum()), esp["age_band"].iloc[-1]
    (100000, '90+')
    >>> bh.datasets.esp2013(bands=20)["population"].head(2).tolist()
    [1000, 4000]
    """
    if bands not in (19, 20):
        msg = f"bands: expected 19 or 20, got {bands!r}"
        raise InputError(msg)
    table = ESP2013_19 if bands == 19 else ESP2013_20
    labels = [
        f"{start}+" if end is None else (str(start) if start == end else f"{start}-{end}") for start, end, _ in table
    ]
    return pd.DataFrame(
        {
            "age_band": labels,
            "start_age": [start for start, _, _ in table],
            "end_age": pd.array([end for _, end, _ in table], dtype="Int64"),
            "population": [weight for _, _, weight in table],
        }
    )
