"""The practice -> cluster -> place -> ICB hierarchy, with effective dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from blmk_health._frames import series_like, to_pandas
from blmk_health._validation import describe_values
from blmk_health.errors import DomainError, ReferenceDataError, SchemaError
from blmk_health.geo._common import as_date, check_option, check_table_columns, date_column, describe_codes
from blmk_health.geo._places import ICB, PLACES, place_from_postcode

__all__ = ["LEVELS", "Hierarchy"]

#: The default levels, from the bottom up.
LEVELS: tuple[str, ...] = ("practice", "cluster", "place", "icb")

_START = "start"
_END = "end"
_MIN = pd.Timestamp("1678-01-01")
_MAX = pd.Timestamp("2261-12-31")
_ODS_PRACTICE = re.compile(r"^[A-Z][0-9]{5}$")
_ODS_PCN = re.compile(r"^U[0-9]{5}$")


def _fmt(stamp: Any) -> str:
    if pd.isna(stamp) or stamp <= _MIN or stamp >= _MAX:
        return "open"
    return str(pd.Timestamp(stamp).date())


def _as_codes(values: pd.Series) -> pd.Series:
    """Codes as Python str objects, ``None`` where missing (numbers become their text)."""
    out = values.astype(object).where(values.notna(), None)
    return out.map(lambda v: v if v is None or isinstance(v, str) else str(v)).astype(object)


class Hierarchy:
    """Practices, clusters, places and the ICB, nested, with the dates each relationship is in force.

    A hierarchy is a table of *paths*: each row gives a bottom-level code (a practice), the code of
    each level above it (cluster, place, ICB; missing where a practice has none, e.g. a practice in
    no PCN) and the dates between which that row is in force (``start`` and ``end``, both inclusive;
    missing means open). Build one with :meth:`from_frame` or :meth:`from_epcn` (or, for the
    synthetic data, ``bh.datasets.synthetic_blmk().hierarchy``).

    Parameters
    ----------
    paths : pandas.DataFrame
        One column per level (named as the level), plus optional ``start`` and ``end`` dates.
    levels : sequence of str, default ("practice", "cluster", "place", "icb")
        Level names from the bottom up; any names may be used (e.g. ``("practice", "pcn", "icb")``).
    names : mapping, optional
        ``{level: {code: name}}``.
    validate : bool, default True
        Run :meth:`validate` now.

    Examples
    --------
    >>> import pandas as pd
    >>> import blmk_health as bh
    >>> df = pd.DataFrame({
    ...     "practice_code": ["P1", "P2", "P3"],
    ...     "cluster_code": ["C1", "C1", "C2"],
    ...     "place_code": ["E06000032", "E06000032", "E06000042"],
    ...     "icb_code": ["QHG"] * 3,
    ... })
    >>> h = bh.geo.Hierarchy.from_frame(df)
    >>> h
    Hierarchy(practice: 3, cluster: 2, place: 2, icb: 1; 3 paths)
    >>> h.map(["P1", "P3"], to="place")
    ['E06000032', 'E06000042']
    >>> h.members("cluster", "C1")
    ['P1', 'P2']
    """

    def __init__(
        self,
        paths: pd.DataFrame,
        levels: Sequence[str] = LEVELS,
        names: Mapping[str, Mapping[str, str]] | None = None,
        *,
        validate: bool = True,
    ) -> None:
        levels = tuple(levels)
        if len(levels) < 1 or len(set(levels)) != len(levels) or not all(isinstance(v, str) for v in levels):
            msg = f"levels: expected distinct level names, got {levels!r}"
            raise SchemaError(msg)
        missing = [lv for lv in levels if lv not in paths.columns]
        if missing:
            msg = f"paths: column(s) for level(s) {missing!r} not found; the table has {list(paths.columns)!r}"
            raise SchemaError(msg)
        table = pd.DataFrame({lv: _as_codes(paths[lv]) for lv in levels})
        for col in (_START, _END):
            if col in paths.columns:
                table[col] = date_column(paths[col], "paths", col)
            else:
                table[col] = pd.Series(pd.NaT, index=paths.index, dtype="datetime64[ns]")
        table = table.drop_duplicates().reset_index(drop=True)
        self._levels = levels
        self._paths = table
        self._names: dict[str, dict[str, str]] = {lv: dict((names or {}).get(lv, {})) for lv in levels}
        if validate:
            self.validate()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_frame(
        cls,
        data: Any,
        practice: str | None = "practice_code",
        cluster: str | None = "cluster_code",
        place: str | None = "place_code",
        icb: str | None = "icb_code",
        *,
        start: str | None = None,
        end: str | None = None,
        names: Mapping[str, str] | None = None,
        levels: Mapping[str, str] | None = None,
        validate: bool = True,
    ) -> Hierarchy:
        """A hierarchy from a table with one row per practice (or per practice and period).

        Parameters
        ----------
        data : DataFrame
            Any supported frame, e.g. ``bh.datasets.synthetic_blmk().practices``.
        practice, cluster, place, icb : str or None
            The code column of each level; ``None`` leaves the level out.
        start, end : str, optional
            Columns of the first and last dates (inclusive) a row is in force; missing means open.
        names : mapping, optional
            ``{level: name column}``. By default, for a level read from ``<x>_code``, the column
            ``<x>_name`` is used when present. Pass ``{}`` for no names.
        levels : mapping, optional
            ``{level name: code column}`` from the bottom up, replacing the four keywords: for
            example ``{"practice": "practice_code", "pcn": "pcn_code", "icb": "icb_code"}``.
        validate : bool, default True
            Check the hierarchy (see :meth:`validate`).

        Returns
        -------
        Hierarchy

        Raises
        ------
        SchemaError
            A column is missing, a code sits under two parents on the same date, or there is a cycle.
        DomainError
            A code is malformed (empty or padded with spaces) or a date cannot be read.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> df = pd.DataFrame({
        ...     "practice_code": ["P1", "P1"], "cluster_code": ["C1", "C2"],
        ...     "start": ["2019-10-01", "2021-04-01"], "end": ["2021-03-31", None],
        ... })
        >>> h = bh.geo.Hierarchy.from_frame(df, place=None, icb=None, start="start", end="end")
        >>> h.at("2020-06-30").map("P1", to="cluster"), h.at("2022-01-01").map("P1", to="cluster")
        ('C1', 'C2')
        """
        table = to_pandas(data, "data")
        if levels is not None:
            level_cols = dict(levels)
        else:
            given = {"practice": practice, "cluster": cluster, "place": place, "icb": icb}
            level_cols = {lv: col for lv, col in given.items() if col is not None}
        if not level_cols:
            msg = "levels: at least one level column is needed"
            raise SchemaError(msg)
        wanted = [*level_cols.items()] + [
            (arg, col) for arg, col in (("start", start), ("end", end)) if col is not None
        ]
        if names is None:
            name_cols = {}
            for lv, col in level_cols.items():
                for guess in (col[:-5] + "_name" if col.endswith("_code") else None, f"{lv}_name"):
                    if guess is not None and guess in table.columns:
                        name_cols[lv] = guess
                        break
        else:
            name_cols = dict(names)
            wanted += [(f"names[{lv!r}]", col) for lv, col in name_cols.items()]
        missing = [(arg, col) for arg, col in wanted if col not in table.columns]
        if missing:
            named = "; ".join(f"{arg}={col!r}" for arg, col in missing)
            msg = f"column not found: {named}. The data has columns {list(table.columns)[:20]!r}"
            raise SchemaError(msg)
        paths = pd.DataFrame({lv: table[col] for lv, col in level_cols.items()})
        if start is not None:
            paths[_START] = table[start]
        if end is not None:
            paths[_END] = table[end]
        name_maps: dict[str, dict[str, str]] = {}
        for lv, col in name_cols.items():
            pairs = pd.DataFrame({"c": _as_codes(table[level_cols[lv]]), "n": table[col]}).dropna()
            pairs = pairs.iloc[::-1].drop_duplicates("c")  # the last row's name wins
            name_maps[lv] = {str(c): str(n) for c, n in zip(pairs["c"], pairs["n"], strict=True)}
        return cls(paths, levels=tuple(level_cols), names=name_maps, validate=validate)

    @classmethod
    def from_epcn(
        cls,
        details: Any,
        core_partners: Any = None,
        practices: Any = None,
        places: Any = None,
        *,
        overrides: Mapping[str, str] | None = None,
        icb: str = "QHG",
        validate: bool = True,
        ambiguous: str = "raise",
    ) -> Hierarchy:
        """The BLMK hierarchy from the ePCN tables (PCNs as clusters).

        Each practice-PCN relationship is a path from its start date to its end date (inclusive;
        open when there is none), capped by the PCN's close date. The place of a PCN is the one place
        consistent with the postcode district of its address (``postcode_districts``) narrowed by its
        commissioner code, and, when ``practices`` is given, with the districts and commissioners of
        all its member practices. A PCN left with two candidate places raises, unless ``overrides`` or
        ``places`` settles it.

        Parameters
        ----------
        details : DataFrame or EPCN
            The "PCN Details" table (``pcn_code``, ``pcn_name``, ``commissioner_code``, ``postcode``,
            ``close_date``), or the object ``bh.io.read_epcn`` returns (then omit ``core_partners``).
            Tables of the sheets with their published headers (``PCN Code``, ...; both tables alike)
            are read with ``bh.io.read_epcn`` first, with its checks.
        core_partners : DataFrame
            The "PCN Core Partner Details" table (``practice_code``, ``practice_name``, ``pcn_code``,
            ``start_date``, ``end_date``).
        practices : DataFrame, optional
            ``bh.io.read_epraccur`` output (``practice_code``, ``practice_name``, ``postcode``,
            ``commissioner_code``, ``open_date``, ``close_date``, ``prescribing_setting``). Its
            postcodes add evidence for the places, and GP practices (setting 4) in no PCN join the
            hierarchy with no cluster, from their open to their close date.
        places : mapping or DataFrame, optional
            A user-supplied place for each PCN or practice: ``{code: place_code}`` or a table with
            ``place_code`` and ``pcn_code`` or ``practice_code``. It replaces the derivation.
        overrides : mapping, optional
            Places keyed by PCN code, practice code, postcode, sector or district, used where the
            derivation is ambiguous (see :func:`place_from_postcode`).
        ambiguous : {"raise", "leave"}, default "raise"
            A PCN whose place stays ambiguous: raise naming it and its candidate places, or leave its
            practices without a place (they still belong to their cluster and the ICB, and rollups to
            places leave them out: ``rollup(..., unmapped="group")`` puts them in an explicit row).
        icb : str, default "QHG"
            Code of the ICB above the places.
        validate : bool, default True
            Check the hierarchy.

        Returns
        -------
        Hierarchy
            Levels ``practice``, ``cluster`` (PCN), ``place`` and ``icb``, with names.

        Raises
        ------
        SchemaError
            A column is missing, a practice is in two PCNs on the same date, or one table has the published
            headers and the other our names.
        DomainError
            A malformed practice or PCN code, postcode or date.
        ReferenceDataError
            A relationship names a PCN absent from ``details``, or a PCN's place is ambiguous.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> details = pd.DataFrame({
        ...     "pcn_code": ["U51229", "U74819"], "pcn_name": ["MEDICS PCN", "CARITAS MEDICAL PCN"],
        ...     "commissioner_code": ["06P", "06F"], "postcode": ["LU3 1RW", "MK40 4HR"],
        ...     "open_date": pd.to_datetime(["2019-10-01"] * 2), "close_date": pd.NaT,
        ... })
        >>> partners = pd.DataFrame({
        ...     "practice_code": ["E81005", "E81021"], "practice_name": ["BELL HOUSE", "QUEENS PARK"],
        ...     "pcn_code": ["U51229", "U74819"], "pcn_name": ["MEDICS PCN", "CARITAS MEDICAL PCN"],
        ...     "start_date": pd.to_datetime(["2019-10-01"] * 2), "end_date": pd.NaT,
        ... })
        >>> h = bh.geo.Hierarchy.from_epcn(details, partners)
        >>> h.map(["E81005", "E81021"], to="place")
        ['E06000032', 'E06000055']
        """
        check_option(ambiguous, "ambiguous", ("raise", "leave"))
        det, cp = _epcn_tables(details, core_partners)
        prac = None if practices is None else _practices_table(practices)
        paths = _relationship_paths(det, cp)
        place_of_pcn, place_of_practice = _pcn_places(det, cp, prac, places, overrides, ambiguous)
        paths["place"] = [
            place_of_practice.get(p, place_of_pcn.get(c))
            for p, c in zip(paths["practice"], paths["cluster"], strict=True)
        ]
        unplaced = paths.loc[paths["place"].isna(), "practice"]
        if len(unplaced) and ambiguous == "raise":
            msg = f"places: {len(unplaced)} practice(s) have no place (first: {describe_codes(unplaced)})"
            raise ReferenceDataError(msg)
        if prac is not None:
            solo = _practices_in_no_pcn(prac, cp, place_of_practice, overrides)
            if len(solo):
                paths = pd.concat([paths, solo], ignore_index=True)
        paths["icb"] = icb
        names = _epcn_names(det, cp, prac, icb)
        return cls(paths[["practice", "cluster", "place", "icb", _START, _END]], LEVELS, names, validate=validate)

    # ------------------------------------------------------------------ basic properties
    @property
    def levels(self) -> tuple[str, ...]:
        """Level names from the bottom up."""
        return self._levels

    @property
    def paths(self) -> pd.DataFrame:
        """A copy of the table of paths: one column per level, ``start`` and ``end``."""
        return self._paths.copy()

    def __repr__(self) -> str:
        counts = ", ".join(f"{lv}: {self._paths[lv].nunique()}" for lv in self._levels)
        return f"Hierarchy({counts}; {len(self._paths)} paths)"

    def codes(self, level: str, at: Any = None) -> list[str]:
        """The codes at ``level`` (in force on ``at``, when given), sorted.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({"practice_code": ["P2", "P1"], "cluster_code": ["C", "C"]}),
        ...                                 place=None, icb=None)
        >>> h.codes("practice")
        ['P1', 'P2']
        """
        self._level_index(level, "level")
        return sorted(self._in_force(at)[level].dropna().unique().tolist())

    def names(self, level: str) -> dict[str, str]:
        """``{code: name}`` of the areas at ``level`` that have a name."""
        self._level_index(level, "level")
        return dict(self._names.get(level, {}))

    def to_frame(self, at: Any = None) -> pd.DataFrame:
        """The paths as a flat table: ``<level>_code`` and ``<level>_name`` for every level, ``start``, ``end``.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({"practice_code": ["P1"], "cluster_code": ["C1"]}),
        ...                                 place=None, icb=None)
        >>> list(h.to_frame().columns)
        ['practice_code', 'practice_name', 'cluster_code', 'cluster_name', 'start', 'end']
        """
        paths = self._in_force(at)
        out: dict[str, Any] = {}
        for lv in self._levels:
            out[f"{lv}_code"] = paths[lv]
            out[f"{lv}_name"] = paths[lv].map(self._names.get(lv, {})).astype(object)
        out[_START] = paths[_START]
        out[_END] = paths[_END]
        return pd.DataFrame(out).sort_values([f"{lv}_code" for lv in self._levels]).reset_index(drop=True)

    # ------------------------------------------------------------------ queries
    def at(self, date: Any) -> Hierarchy:
        """The hierarchy in force on ``date`` (relationships whose start <= date <= end).

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> df = pd.DataFrame({"practice_code": ["P1", "P2"], "cluster_code": ["C1", "C1"],
        ...                    "end": ["2020-03-31", None]})
        >>> bh.geo.Hierarchy.from_frame(df, place=None, icb=None, end="end").at("2020-04-01").codes("practice")
        ['P2']
        """
        paths = self._in_force(date)
        return Hierarchy(paths, self._levels, self._names, validate=False)

    def map(
        self,
        codes: Any,
        to: str,
        *,
        from_level: str | None = None,
        at: Any = None,
        unknown: str = "raise",
    ) -> Any:
        """The code at level ``to`` of each code at ``from_level``.

        Parameters
        ----------
        codes : str, sequence of str or pandas.Series
            Codes at ``from_level``.
        to : str
            Target level (at or above ``from_level``).
        from_level : str, optional
            Level of ``codes``; the bottom level (practice) by default.
        at : date, optional
            Use the hierarchy in force on this date. Without it, each code must have had one
            ``to`` area over the whole history.
        unknown : {"raise", "missing"}, default "raise"
            Codes absent from the hierarchy (on ``at``), or with no area at ``to`` (a practice in no
            PCN, for ``to="cluster"``): raise, or give ``None``.

        Returns
        -------
        str, list or pandas.Series
            Of the shape of ``codes`` (a Series keeps its index).

        Raises
        ------
        ReferenceDataError
            An unknown level or code, or a code that moved between areas when ``at`` is not given.
        SchemaError
            ``codes`` is neither a code nor a sequence of codes.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({
        ...     "practice_code": ["P1", "P2"], "cluster_code": ["C1", "C2"], "place_code": ["L", "L"]}), icb=None)
        >>> h.map("P2", to="cluster"), h.map(["C1", "C2"], from_level="cluster", to="place")
        ('C2', ['L', 'L'])
        """
        from_level = self._levels[0] if from_level is None else from_level
        check_option(unknown, "unknown", ("raise", "missing"))
        values = _code_values(codes)
        pairs = self._pairs(from_level, to, at, values)
        mapping = dict(zip(pairs["from"], pairs["to"], strict=True))
        bad = [v for v in values if mapping.get(v) is None]
        if bad and unknown == "raise":
            known = [v for v in bad if v in mapping]
            when = "" if at is None else " on " + _fmt(as_date(at, "at"))
            what = f"{len(bad)} code(s) have no {to} in the hierarchy{when}"
            detail = f" ({len(known)} of them are in it but have no {to})" if known else ""
            msg = f"codes: {what}{detail}: {describe_codes(bad)}"
            raise ReferenceDataError(msg)
        out = [mapping.get(v) for v in values]
        if isinstance(codes, str) or codes is None:
            return out[0]
        return series_like(out, codes, f"{to}_code")

    def members(self, level: str, code: str, *, of: str | None = None, at: Any = None) -> list[str]:
        """The codes at level ``of`` (practices by default) inside the area ``code`` at ``level``.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({
        ...     "practice_code": ["P1", "P2", "P3"], "cluster_code": ["C1", "C1", "C2"],
        ...     "place_code": ["L", "L", "L"]}), icb=None)
        >>> h.members("place", "L"), h.members("place", "L", of="cluster")
        (['P1', 'P2', 'P3'], ['C1', 'C2'])
        """
        top = self._level_index(level, "level")
        of = self._levels[0] if of is None else of
        bottom = self._level_index(of, "of")
        if bottom > top:
            msg = f"of: level {of!r} is above {level!r}; members are taken from a level at or below it"
            raise ReferenceDataError(msg)
        paths = self._in_force(at)
        rows = paths[paths[level] == code]
        if rows.empty:
            when = "" if at is None else " on " + _fmt(as_date(at, "at"))
            msg = f"code: {code!r} is not a {level} in the hierarchy{when}"
            raise ReferenceDataError(msg)
        return sorted(rows[of].dropna().unique().tolist())

    # ------------------------------------------------------------------ validation
    def validate(self, known: Mapping[str, Iterable[str]] | None = None) -> Hierarchy:
        """Check the hierarchy and return it; raise on the first problem found.

        Checks: codes are non-empty text without surrounding spaces; every path has a bottom-level
        code; no relationship ends before it starts; no code sits under two parents on the same date
        (a practice in two clusters, a cluster in two places, ...); no cycles (a code that is its own
        ancestor); and, with ``known``, every code is one of the known codes of its level.

        Parameters
        ----------
        known : mapping, optional
            ``{level: codes}``, e.g. ``{"place": bh.geo.PLACES}``.

        Returns
        -------
        Hierarchy
            ``self``.

        Raises
        ------
        DomainError
            A malformed code, or an end date before a start date.
        SchemaError
            A path without a bottom-level code, a code under two parents on one date, or a cycle.
        ReferenceDataError
            A code not among ``known``, or ``known`` names an unknown level.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> df = pd.DataFrame({"practice_code": ["P1", "P1"], "cluster_code": ["C1", "C2"]})
        >>> try:
        ...     bh.geo.Hierarchy.from_frame(df, place=None, icb=None)
        ... except bh.errors.SchemaError as err:
        ...     print(str(err)[:63])
        hierarchy: 1 practice(s) sit under two parents on the same date
        """
        paths = self._paths
        for lv in self._levels:
            values = paths[lv].dropna()
            bad = values[values.map(lambda v: v == "" or v != v.strip())]
            if len(bad):
                msg = (
                    f"hierarchy: level {lv!r} has {len(bad)} malformed code(s) (empty or padded with spaces): "
                    f"{describe_codes(bad)}"
                )
                raise DomainError(msg)
        bottom = self._levels[0]
        if paths[bottom].isna().any():
            partial = paths.loc[paths[bottom].isna(), list(self._levels[1:])].astype(str).agg("/".join, axis=1)
            msg = (
                f"hierarchy: {int(paths[bottom].isna().sum())} path(s) have no {bottom} code "
                f"(first: {describe_codes(partial)})"
            )
            raise SchemaError(msg)
        backwards = paths[paths[_START].notna() & paths[_END].notna() & (paths[_END] < paths[_START])]
        if len(backwards):
            msg = (
                f"hierarchy: {len(backwards)} relationship(s) end before they start "
                f"(first {bottom}s: {describe_codes(backwards[bottom])})"
            )
            raise DomainError(msg)
        self._check_cycles()
        self._check_parents()
        if known is not None:
            for lv, allowed in known.items():
                self._level_index(lv, "known")
                allowed_set = set(allowed)
                stray = sorted(set(paths[lv].dropna()) - allowed_set)
                if stray:
                    msg = f"hierarchy: level {lv!r} has {len(stray)} unknown code(s): {describe_codes(stray)}"
                    raise ReferenceDataError(msg)
        return self

    # ------------------------------------------------------------------ internals
    def _level_index(self, level: Any, argument: str) -> int:
        if level not in self._levels:
            msg = f"{argument}: the hierarchy has no level {level!r}; its levels are {', '.join(self._levels)}"
            raise ReferenceDataError(msg)
        return self._levels.index(level)

    def _in_force(self, at: Any) -> pd.DataFrame:
        paths = self._paths
        if at is None:
            return paths
        day = as_date(at, "at")
        mask = (paths[_START].isna() | (paths[_START] <= day)) & (paths[_END].isna() | (paths[_END] >= day))
        return paths[mask.to_numpy(dtype=bool)].reset_index(drop=True)

    def _lookup(self, from_level: str, to: str, at: Any) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """Unique ``from`` -> ``to`` pairs in force on ``at`` and, separately, the codes that moved."""
        low = self._level_index(from_level, "from_level")
        high = self._level_index(to, "to")
        if high < low:
            msg = f"to: level {to!r} is below {from_level!r}; a rollup or map goes up the hierarchy"
            raise ReferenceDataError(msg)
        paths = self._in_force(at)
        rows = paths[paths[from_level].notna()]
        pairs = pd.DataFrame({"from": rows[from_level], "to": rows[to], _START: rows[_START], _END: rows[_END]})
        distinct = pairs.drop_duplicates(["from", "to"])
        counts = distinct.groupby("from", dropna=False)["to"].size()
        moving = set(counts[counts > 1].index)
        moved = {code: pairs[pairs["from"] == code] for code in sorted(moving)}
        unique = distinct[~distinct["from"].isin(moving)][["from", "to"]].reset_index(drop=True)
        unique["to"] = pd.Series([v if isinstance(v, str) else None for v in unique["to"]], dtype=object)
        return unique, moved

    def _pairs(self, from_level: str, to: str, at: Any, codes: Sequence[Any] | None) -> pd.DataFrame:
        """Unique ``from`` -> ``to`` pairs in force on ``at`` (of ``codes`` only, when given).

        Raises :class:`ReferenceDataError` for a code (of ``codes``, when given) that moved between ``to``
        areas: only a code with one area over the period can be looked up without a date.
        """
        unique, moved = self._lookup(from_level, to, at)
        hit = sorted(moved) if codes is None else sorted({c for c in codes if c in moved})
        if hit:
            raise ReferenceDataError(_moved_message(moved, hit, from_level, to))
        if codes is None:
            return unique
        return unique[unique["from"].isin(codes)].reset_index(drop=True)

    def lookup(self, to: str, *, from_level: str | None = None, at: Any = None, codes: Any = None) -> pd.DataFrame:
        """The ``from_level`` -> ``to`` lookup as a table (``<from>_code``, ``<to>_code``, ``<to>_name``).

        Parameters
        ----------
        to : str
            Target level (at or above ``from_level``).
        from_level : str, optional
            Level of the codes looked up; the bottom level (practice) by default.
        at : date, optional
            Use the hierarchy in force on this date. Without it, each code looked up must have had one
            ``to`` area over the whole history.
        codes : str or sequence of str, optional
            Only these ``from_level`` codes (e.g. the distinct codes of a table): one row for each of them
            that is in the hierarchy (on ``at``); codes not in it, and missing values (``None``, NaN), are
            left out. Only a code among them that moved between ``to`` areas raises. By default, every code.

        Returns
        -------
        pandas.DataFrame
            One row per code, sorted by code: ``<from>_code``, ``<to>_code`` (missing where the code has
            no area at ``to``, e.g. a practice in no PCN) and ``<to>_name`` (missing where unnamed). When
            ``from_level`` is ``to``, only ``<to>_code`` and ``<to>_name``.

        Raises
        ------
        ReferenceDataError
            An unknown level, ``to`` below ``from_level``, or a code (of ``codes``, when given) that moved
            between ``to`` areas when ``at`` is not given.
        SchemaError
            ``codes`` is not a code or a sequence of text codes.

        Examples
        --------
        >>> import pandas as pd
        >>> import blmk_health as bh
        >>> h = bh.geo.Hierarchy.from_frame(pd.DataFrame({"practice_code": ["P1", "P2"], "cluster_code": ["C", "C"],
        ...                                               "cluster_name": ["North", "North"]}), place=None, icb=None)
        >>> h.lookup("cluster")
          practice_code cluster_code cluster_name
        0            P1            C        North
        1            P2            C        North
        >>> h.lookup("cluster", codes=["P2", "P9", None])
          practice_code cluster_code cluster_name
        0            P2            C        North
        """
        from_level = self._levels[0] if from_level is None else from_level
        unique = self._pairs(from_level, to, at, None if codes is None else _text_codes(codes))
        out = pd.DataFrame(
            {
                f"{from_level}_code": unique["from"].astype(object),
                f"{to}_code": unique["to"].astype(object),
                f"{to}_name": unique["to"].map(self._names.get(to, {})).astype(object),
            }
        )
        if from_level == to:
            out = pd.DataFrame({f"{to}_code": out[f"{to}_code"], f"{to}_name": out[f"{to}_name"]})
        return out.sort_values(list(out.columns[:1])).reset_index(drop=True)

    def _check_parents(self) -> None:
        paths = self._paths
        start = paths[_START].fillna(_MIN)
        end = paths[_END].fillna(_MAX)
        for i, child in enumerate(self._levels[:-1]):
            above = list(self._levels[i + 1 :])
            rows = paths[paths[child].notna()]
            parent = pd.Series("(none)", index=rows.index, dtype=object)
            for lv in reversed(above):
                present = rows[lv].notna()
                parent = parent.where(~present, lv + " " + rows[lv].astype(str).map(repr))
            frame = pd.DataFrame(
                {"child": rows[child], "parent": parent, "s": start[rows.index], "e": end[rows.index]}
            ).drop_duplicates()
            n_parents = frame.groupby("child")["parent"].nunique()
            suspects = frame[frame["child"].isin(n_parents[n_parents > 1].index)]
            if suspects.empty:
                continue
            pairs = suspects.merge(suspects, on="child")
            clash = pairs[
                (pairs["parent_x"] < pairs["parent_y"])
                & (pairs["s_x"] <= pairs["e_y"])
                & (pairs["s_y"] <= pairs["e_x"])
            ]
            if clash.empty:
                continue
            clash = clash.sort_values(["child", "parent_x", "parent_y"])
            shown = [
                f"{child_code!r} in {px} and {py} on {_fmt(max(pd.Timestamp(sx), pd.Timestamp(sy)))}"
                for child_code, px, py, sx, sy in clash.drop_duplicates("child")
                .head(5)[["child", "parent_x", "parent_y", "s_x", "s_y"]]
                .itertuples(index=False, name=None)
            ]
            n = clash["child"].nunique()
            msg = (
                f"hierarchy: {n} {child}(s) sit under two parents on the same date: {'; '.join(shown)}. "
                f"A {child} must belong to one {self._levels[i + 1]} at a time: end one relationship "
                "before the next starts"
            )
            raise SchemaError(msg)

    def _check_cycles(self) -> None:
        paths = self._paths
        edges: dict[str, set[str]] = {}
        for i, child in enumerate(self._levels[:-1]):
            parent = paths[list(self._levels[i + 1 :])].bfill(axis=1).iloc[:, 0]
            for c, p in zip(paths[child], parent, strict=True):
                if isinstance(c, str) and isinstance(p, str):
                    edges.setdefault(c, set()).add(p)
        state: dict[str, int] = {}
        for root in sorted(edges):
            if state.get(root):
                continue
            stack: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
            trail = [root]
            state[root] = 1
            while stack:
                node, todo = stack[-1]
                if not todo:
                    state[node] = 2
                    stack.pop()
                    trail.pop()
                    continue
                nxt = todo.pop(0)
                if state.get(nxt) == 1:
                    loop = [*trail[trail.index(nxt) :], nxt]
                    shown = " -> ".join(repr(c) for c in loop)
                    msg = f"hierarchy: there is a cycle: {shown}; a code cannot be its own ancestor"
                    raise SchemaError(msg)
                if not state.get(nxt):
                    state[nxt] = 1
                    trail.append(nxt)
                    stack.append((nxt, sorted(edges.get(nxt, ()))))


def _moved_message(moved: Mapping[str, pd.DataFrame], codes: Sequence[str], from_level: str, to: str) -> str:
    parts = []
    for code in codes[:5]:
        rows = moved[code].sort_values(_START, na_position="first")
        spans = ", ".join(
            f"{r.to!r} ({_fmt(getattr(r, _START))} to {_fmt(getattr(r, _END))})" for r in rows.itertuples()
        )
        parts.append(f"{code!r}: {spans}")
    return (
        f"at: {len(codes)} {from_level} code(s) belonged to more than one {to} over time ({'; '.join(parts)}); "
        "pass at= to use the hierarchy in force on one date"
    )


def _code_values(codes: Any) -> list[Any]:
    """``codes`` (one code, or a sequence, array or series of codes) as a list."""
    if isinstance(codes, str) or codes is None:
        return [codes]
    for method in ("tolist", "to_list", "to_pylist"):
        convert = getattr(codes, method, None)
        if callable(convert):
            return list(convert())
    try:
        return list(codes)
    except TypeError:
        msg = f"codes: expected a code or a sequence of codes, got {type(codes).__module__}.{type(codes).__qualname__}"
        raise SchemaError(msg) from None


def _is_missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _text_codes(codes: Any) -> list[Any]:
    """``codes`` as a list of text codes and missing values, or :class:`SchemaError` naming the others."""
    values = _code_values(codes)
    bad = [v for v in values if not isinstance(v, str) and not _is_missing(v)]
    if bad:
        msg = (
            f"codes: expected text codes (str, or None where missing), got {len(bad)} other value(s): "
            f"{describe_values(bad)}"
        )
        raise SchemaError(msg)
    return values


def _check_pattern(values: pd.Series, pattern: re.Pattern[str], argument: str, column: str, expected: str) -> None:
    present = values.dropna()
    bad = present[~present.map(lambda v: bool(pattern.match(v)))]
    if len(bad):
        msg = (
            f"{argument}: column {column!r} has {len(bad)} malformed code(s) (expected {expected}): "
            f"{describe_codes(bad)}"
        )
        raise DomainError(msg)


def _name_map(codes: pd.Series, names: pd.Series) -> dict[str, str]:
    pairs = pd.DataFrame({"c": _as_codes(codes), "n": names}).dropna().drop_duplicates("c", keep="last")
    return {str(c): str(n) for c, n in zip(pairs["c"], pairs["n"], strict=True)}


def _places_argument(places: Any) -> dict[str, str]:
    if isinstance(places, Mapping):
        return {str(k): str(v) for k, v in places.items()}
    table = to_pandas(places, "places")
    key = next((c for c in ("pcn_code", "cluster_code", "practice_code") if c in table.columns), None)
    if key is None or "place_code" not in table.columns:
        msg = (
            "places: expected a mapping {code: place_code} or a table with 'place_code' and one of "
            f"'pcn_code', 'cluster_code', 'practice_code'; got columns {list(table.columns)[:20]!r}"
        )
        raise SchemaError(msg)
    return _name_map(table[key], table["place_code"])


def _derive_pcn_places(
    details: pd.DataFrame,
    partners: pd.DataFrame,
    practices: pd.DataFrame | None,
    overrides: Mapping[str, str] | None,
    only: Sequence[str],
    ambiguous: str = "raise",
) -> dict[str, str]:
    """One place per PCN: the candidates of its address intersected with those of its practices."""
    overrides = dict(overrides or {})
    check_table_columns(details, "details", ["postcode"])
    evidence: dict[str, set[str]] = {}
    for_pcns = place_from_postcode(
        details[details["pcn_code"].isin(only)],
        code="pcn_code",
        commissioner="commissioner_code",
        overrides=overrides,
        ambiguous="keep",
    )
    unknown_district = for_pcns[(for_pcns["candidates"] == "") & (for_pcns["source"] != "override")]
    if len(unknown_district):
        msg = (
            f"details: {len(unknown_district)} PCN address district(s) are not in the BLMK postcode-district table "
            f"(first: {describe_codes(unknown_district['pcn_code'] + ' ' + unknown_district['postcode'])}); "
            "pass overrides={pcn_code: place_code} or places="
        )
        raise ReferenceDataError(msg)
    forced = set(for_pcns.loc[for_pcns["source"] == "override", "pcn_code"])
    for pcn_code, cands in zip(for_pcns["pcn_code"], for_pcns["candidates"], strict=True):
        evidence[str(pcn_code)] = set(str(cands).split(";"))
    if practices is not None and "postcode" in practices.columns:
        members = practices.merge(partners[["practice_code", "pcn_code"]].drop_duplicates(), on="practice_code")
        members = members[members["pcn_code"].isin(only) & members["postcode"].notna()]
        if len(members):
            for_practices = place_from_postcode(
                members, code="practice_code", commissioner="commissioner_code", overrides=overrides, ambiguous="keep"
            )
            for pcn, cands in zip(members["pcn_code"], for_practices["candidates"], strict=True):
                if pcn not in forced and cands:
                    evidence[pcn] &= set(cands.split(";"))
    result: dict[str, str] = {}
    problems = []
    for pcn in sorted(evidence):
        cands = evidence[pcn]
        if len(cands) == 1:
            result[pcn] = next(iter(cands))
        else:
            shown = ", ".join(f"{c} {PLACES[c]}" for c in sorted(cands)) if cands else "none"
            postcode = details.loc[details["pcn_code"] == pcn, "postcode"].iloc[0]
            problems.append(f"{pcn} ({postcode}; candidates: {shown})")
    if problems and ambiguous == "raise":
        msg = (
            f"details: the place of {len(problems)} PCN(s) is ambiguous from their postcode districts and "
            f"commissioners: {'; '.join(problems[:5])}. Pass overrides={{pcn_code: place_code}} or places="
        )
        raise ReferenceDataError(msg)
    return result


# ---------------------------------------------------------------------------------- from_epcn stages
#: The key column of each ePCN table under our names, and under its published header (spaces collapsed,
#: lower case): which of the two a table has tells whether ``bh.io.read_epcn`` must read it first.
_EPCN_KEYS = {"details": ("pcn_code", "pcn code"), "core_partners": ("practice_code", "partner organisation code")}


def _has_published_headers(table: pd.DataFrame, argument: str) -> bool:
    ours, published = _EPCN_KEYS[argument]
    headers = {" ".join(str(c).split()).casefold() for c in table.columns}
    return ours not in table.columns and published in headers


def _epcn_tables(details: Any, core_partners: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The PCN details and core partners as pandas with our column names, their codes checked.

    Tables with the published ePCN headers are read by ``bh.io.read_epcn`` first, which holds the map
    from the published headers to our names.
    """
    if core_partners is None and hasattr(details, "core_partners"):
        core_partners = details.core_partners
        details = details.details
    if core_partners is None:
        msg = "core_partners: the PCN core partner table is required (or pass the EPCN object as details)"
        raise SchemaError(msg)
    det = to_pandas(details, "details")
    cp = to_pandas(core_partners, "core_partners")
    published = (_has_published_headers(det, "details"), _has_published_headers(cp, "core_partners"))
    if any(published):
        if not all(published):
            msg = (
                "details, core_partners: give both tables with the published ePCN headers ('PCN Code', "
                "'Partner Organisation Code', ...) or both with the names bh.io.read_epcn gives ('pcn_code', "
                "'practice_code', ...), not one of each"
            )
            raise SchemaError(msg)
        from blmk_health.io import read_epcn

        read = read_epcn(det, cp)
        det, cp = read.details.copy(), read.core_partners.copy()
    check_table_columns(det, "details", ["pcn_code"])
    check_table_columns(cp, "core_partners", ["practice_code", "pcn_code"])
    det["pcn_code"] = _as_codes(det["pcn_code"])
    cp["practice_code"] = _as_codes(cp["practice_code"])
    cp["pcn_code"] = _as_codes(cp["pcn_code"])
    _check_pattern(cp["practice_code"], _ODS_PRACTICE, "core_partners", "practice_code", "an ODS code like 'E81001'")
    _check_pattern(cp["pcn_code"], _ODS_PCN, "core_partners", "pcn_code", "a PCN code like 'U09531'")
    _check_pattern(det["pcn_code"], _ODS_PCN, "details", "pcn_code", "a PCN code like 'U09531'")
    unknown = sorted(set(cp["pcn_code"].dropna()) - set(det["pcn_code"].dropna()))
    if unknown:
        msg = (
            f"core_partners: column 'pcn_code' has {len(unknown)} PCN code(s) absent from details "
            f"(first: {describe_codes(unknown)})"
        )
        raise ReferenceDataError(msg)
    return det, cp


def _optional_dates(table: pd.DataFrame, argument: str, column: str) -> Any:
    """A date column of ``table`` as datetime64 (NaT where missing), or NaT when the table has no such column."""
    return date_column(table[column], argument, column).to_numpy() if column in table else pd.NaT


def _relationship_paths(det: pd.DataFrame, cp: pd.DataFrame) -> pd.DataFrame:
    """One path per practice-PCN relationship, from its start to its end date, capped by the PCN's close date."""
    paths = pd.DataFrame({"practice": cp["practice_code"], "cluster": cp["pcn_code"]})
    paths[_START] = _optional_dates(cp, "core_partners", "start_date")
    paths[_END] = _optional_dates(cp, "core_partners", "end_date")
    if "close_date" in det.columns:
        closes = dict(zip(det["pcn_code"], date_column(det["close_date"], "details", "close_date"), strict=True))
        close = paths["cluster"].map(closes).astype("datetime64[ns]")
        paths[_END] = paths[_END].where(paths[_END].notna() & (close.isna() | (paths[_END] <= close)), close)
    return paths


def _practices_table(practices: Any) -> pd.DataFrame:
    prac = to_pandas(practices, "practices")
    check_table_columns(prac, "practices", ["practice_code"])
    prac["practice_code"] = _as_codes(prac["practice_code"])
    return prac


def _pcn_places(
    det: pd.DataFrame,
    cp: pd.DataFrame,
    prac: pd.DataFrame | None,
    places: Any,
    overrides: Mapping[str, str] | None,
    ambiguous: str = "raise",
) -> tuple[dict[str, str], dict[str, str]]:
    """The place of each PCN, and of each practice where the user gives places by practice."""
    place_of_pcn: dict[str, str] = {}
    place_of_practice: dict[str, str] = {}
    if places is not None:
        pcns = set(det["pcn_code"])
        for key, value in _places_argument(places).items():
            (place_of_pcn if key in pcns else place_of_practice)[key] = value
    missing_pcns = [p for p in det["pcn_code"] if p not in place_of_pcn]
    if places is None or (missing_pcns and not place_of_practice):
        place_of_pcn.update(_derive_pcn_places(det, cp, prac, overrides, only=missing_pcns, ambiguous=ambiguous))
    return place_of_pcn, place_of_practice


def _practices_in_no_pcn(
    prac: pd.DataFrame, cp: pd.DataFrame, place_of_practice: Mapping[str, str], overrides: Mapping[str, str] | None
) -> pd.DataFrame:
    """Paths of the GP practices (prescribing setting 4) in no PCN: no cluster, from their open to close date."""
    others = prac[~prac["practice_code"].isin(set(cp["practice_code"]))]
    if "prescribing_setting" in others.columns:
        setting = others["prescribing_setting"].astype(object).map(lambda v: str(v).removesuffix(".0"))
        others = others[setting == "4"]
    if not len(others):
        return others.iloc[:0]
    _check_pattern(others["practice_code"], _ODS_PRACTICE, "practices", "practice_code", "an ODS code")
    solo = pd.DataFrame({"practice": others["practice_code"].to_numpy(), "cluster": None})
    solo[_START] = _optional_dates(others, "practices", "open_date")
    solo[_END] = _optional_dates(others, "practices", "close_date")
    if place_of_practice:
        solo["place"] = others["practice_code"].map(place_of_practice).to_numpy()
    else:
        derived = place_from_postcode(
            others, code="practice_code", overrides=overrides, commissioner="commissioner_code"
        )
        solo["place"] = derived["place_code"].to_numpy()
    return solo


def _epcn_names(det: pd.DataFrame, cp: pd.DataFrame, prac: pd.DataFrame | None, icb: str) -> dict[str, dict[str, str]]:
    """Names of the practices, PCNs, places and the ICB (when it is BLMK's)."""
    names: dict[str, dict[str, str]] = {"practice": {}, "cluster": {}, "place": dict(PLACES), "icb": {}}
    if "pcn_name" in det.columns:
        names["cluster"].update(_name_map(det["pcn_code"], det["pcn_name"]))
    if "practice_name" in cp.columns:
        names["practice"].update(_name_map(cp["practice_code"], cp["practice_name"]))
    if prac is not None and "practice_name" in prac.columns:
        names["practice"].update(_name_map(prac["practice_code"], prac["practice_name"]))
    if icb == ICB["code"]:
        names["icb"][icb] = ICB["name"]
    return names
