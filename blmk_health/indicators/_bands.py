"""Age bands in indicator tables: the standard-population weights of each row, and the band checks.

Every function that takes age bands applies the same rule: each band must be a band of the scheme
(for the European Standard Population, start *and* end as a standard band), no group may hold a band
twice, and every group must hold every band (a band with no events is a row with a count of 0).
Messages quote the labels the caller wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import narwhals.stable.v2 as nw
import numpy as np

from blmk_health._age_bands import StandardBands, match_esp2013, missing_bands_message
from blmk_health._frames import TMP, Frame, collect, collect_small, recode
from blmk_health.errors import SchemaError

__all__ = ["BandScheme", "band_counts_off", "esp_weights", "raise_band_problems", "scheme_of_data"]


@dataclass(frozen=True)
class BandScheme:
    """The bands every group must hold: their keys (start ages, or labels) and how to name them."""

    keys: tuple[Any, ...]
    names: dict[Any, str]
    description: str
    fix: str = "add the missing bands with a count of 0"

    @property
    def n(self) -> int:
        """Number of bands."""
        return len(self.keys)


def esp_weights(frame: Frame, age_band: str) -> tuple[Any, Any, BandScheme]:
    """The ESP2013 weight and band start age of each row (narwhals expressions or series), and the scheme."""
    found: list[StandardBands] = []

    def build(labels: list[Any]) -> dict[str, tuple[dict[Any, Any], Any]]:
        bands = match_esp2013(labels)
        found.append(bands)
        return {"weight": (bands.weight_of, nw.Float64), "start": (bands.start_of, nw.Int64)}

    columns = recode(frame, age_band, build)
    bands = found[0]
    scheme = BandScheme(
        bands.starts,
        bands.names,
        f"the 2013 European Standard Population ({bands.n} bands)",
        "add the missing bands with a count of 0 (a band with no events still has its population)",
    )
    return columns["weight"], columns["start"], scheme


def scheme_of_data(frame: Frame, age_band: str) -> BandScheme:
    """The bands present anywhere in the data (every group must then hold all of them)."""
    column = nw.col(age_band).cast(nw.String)
    labels = collect_small(frame.frame.select(column.alias(age_band)).unique()).get_column(age_band).to_list()
    keys = tuple(sorted((v for v in labels if v is not None), key=str))
    return BandScheme(
        keys,
        {k: str(k) for k in keys},
        f"the {len(keys)} bands found in the data",
        "add the missing bands with a count of 0 and their populations, so that their expected events count",
    )


def raise_band_problems(
    rows: Frame,
    by: list[str],
    band: str,
    label: str,
    scheme: BandScheme | None,
    *,
    extra_keys: Sequence[str] = (),
    argument: str = "age_band",
) -> NoReturn:
    """Raise :class:`SchemaError` for repeated or missing bands, quoting the caller's labels.

    Called when a cheap count showed a problem. ``rows`` holds a band key column ``band`` (a start age
    or the label itself) and the caller's label column ``label``; ``extra_keys`` are further columns
    that make a row unique within a band (e.g. the event frequency).
    """
    keys = [*by, band, *extra_keys]
    text = f"{TMP}label"
    labelled = rows.frame.with_columns(nw.col(label).cast(nw.String).alias(text))
    table = collect(
        labelled.group_by(keys).agg(
            nw.len().alias(f"{TMP}rows"),
            nw.col(text).min().alias(f"{TMP}first"),
            nw.col(text).max().alias(f"{TMP}last"),
        ),
        rows,
    ).to_pandas()
    repeated = table[(table[f"{TMP}rows"] > 1) | (table[f"{TMP}first"] != table[f"{TMP}last"])]
    if len(repeated):
        _raise_repeated(repeated, by, extra_keys, argument)
    if scheme is None:  # pragma: no cover - callers only come here when a count was off
        msg = f"internal: {argument} was flagged but no problem was found"
        raise AssertionError(msg)
    _raise_missing(table, by, band, scheme, argument)


def _raise_repeated(repeated: Any, by: list[str], extra_keys: Sequence[str], argument: str) -> NoReturn:
    shown = []
    for values in repeated.head(5).to_dict("records"):
        first, last = values[f"{TMP}first"], values[f"{TMP}last"]
        labels = repr(first) if first == last else f"{first!r} and {last!r}"
        parts = [repr(values[c]) for c in by] + [f"age band {labels}"]
        parts += [f"{k}={values[k]!r}" for k in extra_keys]
        shown.append(f"({', '.join(parts)})")
    what = "group, age band" + "".join(f", {k}" for k in extra_keys)
    msg = (
        f"{argument}: {len(repeated)} ({what}) combination(s) appear on more than one row (first: "
        f"{'; '.join(shown)}); each group needs one row per age band"
    )
    raise SchemaError(msg)


def _raise_missing(table: Any, by: list[str], band: str, scheme: BandScheme, argument: str) -> NoReturn:
    present = dict(table.groupby(by, dropna=False, sort=True)[band].agg(set)) if by else {None: set(table[band])}
    lacking = []
    for key, found in present.items():
        absent = [scheme.names[k] for k in scheme.keys if k not in found]
        if absent:
            lacking.append((key, absent))
    if not lacking:  # pragma: no cover - callers only come here when a count was off
        msg = f"internal: {argument} was flagged but no band is missing"
        raise AssertionError(msg)
    raise SchemaError(missing_bands_message(argument, lacking, len(lacking), scheme.description, scheme.fix))


def band_counts_off(n_bands: Any, n_rows: Any, scheme: BandScheme | None) -> bool:
    """Whether per-group counts of distinct bands and of rows show a repeated or (with a scheme) missing band."""
    bands = np.asarray(n_bands, dtype=float)
    rows = np.asarray(n_rows, dtype=float)
    if (bands != rows).any():
        return True
    return scheme is not None and bool((bands != scheme.n).any())
