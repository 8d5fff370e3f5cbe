"""The practice workforce: GPs, nurses, direct patient care and admin/non-clinical staff (long layout).

The table has the columns :func:`blmk_health.io.read_gp_workforce` gives for NHS England's "high level"
practice-level CSV (``PRAC_CODE, PRAC_NAME, STAFF_GROUP, DETAILED_STAFF_ROLE, MEASURE, VALUE``): one row
per practice, staff group, role and measure (``fte``, ``headcount``), each group with a ``Total`` row
beside its roles, plus the snapshot's ``extract_date``. A few practices made no return and have no rows.

GPs and nurses draw from the ``workforce`` random stream exactly as before the wider workforce was
added; the direct patient care and admin/non-clinical staff, and which practices made no return, draw
from their own ``wider_workforce`` stream, so that no other table changes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from blmk_health.datasets._synthetic import _constants as par
from blmk_health.datasets._synthetic._geography import Geography
from blmk_health.datasets._synthetic._tables import as_text

__all__ = ["PRACTICES_WITHOUT_RETURN", "WIDER_GROUPS", "WORKFORCE_DATE", "build_workforce"]

#: The workforce snapshot: 30 September of the year before the registrations' April extract.
WORKFORCE_DATE = dt.date(par.EXTRACT_DATE.year - 1, 9, 30)
#: Practices (chosen at random with the seed) that made no workforce return: no rows at all.
PRACTICES_WITHOUT_RETURN = 3
#: The wider workforce (ILLUSTRATIVE rates): staff group, FTE per registered patient, and its roles
#: with their share of the group's FTE and mean FTE per person (for headcounts).
WIDER_GROUPS: tuple[tuple[str, float, tuple[tuple[str, float, float], ...]], ...] = (
    ("Direct Patient Care", 1.0 / 4_500.0, (("Healthcare Assistant", 0.6, 0.7), ("Pharmacist", 0.4, 0.8))),
    ("Admin/Non-Clinical", 1.0 / 900.0, (("Receptionist", 0.7, 0.6), ("Manager", 0.3, 0.9))),
)

_Role = tuple[str, str, np.ndarray, float]  # staff group, role, FTE per practice, mean FTE per person


def build_workforce(rng: np.random.Generator, wider: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """The workforce table: ``rng`` draws the GPs and nurses, ``wider`` the rest and the missing returns."""
    n = len(geo.practice_list)
    returned = np.ones(n, dtype=bool)
    returned[wider.choice(n, size=min(PRACTICES_WITHOUT_RETURN, n - 1), replace=False)] = False
    roles = _gps_and_nurses(rng, geo, returned) + _wider_workforce(wider, geo)
    frames = []
    for group in dict.fromkeys(group for group, _, _, _ in roles):
        members = [role for role in roles if role[0] == group]
        frames.append(_group_rows(geo, group, members))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["practice_code"].isin(geo.practice_codes[returned])]
    as_text(out, ["practice_code", "practice_name", "staff_group", "staff_role", "measure"])
    out = out.sort_values(["practice_code", "staff_group", "staff_role", "measure"], ignore_index=True)
    out.insert(0, "extract_date", pd.Timestamp(WORKFORCE_DATE).as_unit("ns"))
    return out


def _gps_and_nurses(rng: np.random.Generator, geo: Geography, returned: np.ndarray) -> list[_Role]:
    """GP FTE by role and nurse FTE per practice (the draws of the ``workforce`` stream, in order).

    Fully qualified GP FTE is rescaled within each place so that the place's patients per fully
    qualified GP FTE, over the practices that made a return, is exactly its target.
    """
    n = len(geo.practice_list)
    lists = geo.practice_list.astype(np.float64)
    fq = np.zeros(n)
    for p, place in enumerate(par.PLACES):
        idx = np.flatnonzero(geo.practice_place == p)
        raw = lists[idx] * rng.lognormal(0.0, 0.2, len(idx))
        kept = returned[idx]
        fq[idx] = raw * (lists[idx][kept].sum() / place.patients_per_gp) / raw[kept].sum()
    shares = np.array([s for _, s, _ in par.GP_ROLES])[None, :] * rng.lognormal(0.0, 0.3, (n, len(par.GP_ROLES)))
    shares[:, 2] *= rng.random(n) < 0.6  # many practices use no locums
    role_fte = fq[:, None] * shares / shares.sum(axis=1, keepdims=True)
    training = rng.random(n) < par.TRAINING_PRACTICE_SHARE * np.clip(lists / np.median(lists), 0.5, 1.8)
    registrar = np.where(training, fq * 0.25 * rng.lognormal(0.0, 0.3, n), 0.0)
    nurse = lists * par.NURSE_FTE_PER_PATIENT * rng.lognormal(0.0, 0.25, n)
    gps: list[_Role] = [("GP", name, role_fte[:, k], each) for k, (name, _, each) in enumerate(par.GP_ROLES)]
    return [*gps, ("GP", "GP Registrar", registrar, 0.9), ("Nurses", "Practice Nurse", nurse, 0.6)]


def _wider_workforce(wider: np.random.Generator, geo: Geography) -> list[_Role]:
    """Direct patient care and admin/non-clinical FTE per practice and role (the ``wider_workforce`` stream)."""
    n = len(geo.practice_list)
    lists = geo.practice_list.astype(np.float64)
    out: list[_Role] = []
    for group, per_patient, roles in WIDER_GROUPS:
        total = lists * per_patient * wider.lognormal(0.0, 0.3, n)
        shares = np.array([share for _, share, _ in roles])[None, :] * wider.lognormal(0.0, 0.3, (n, len(roles)))
        fte = total[:, None] * shares / shares.sum(axis=1, keepdims=True)
        out += [(group, name, fte[:, k], per_person) for k, (name, _, per_person) in enumerate(roles)]
    return out


def _group_rows(geo: Geography, group: str, roles: list[_Role]) -> pd.DataFrame:
    """The FTE and headcount rows of one staff group's roles and of its ``Total``, for every practice."""
    codes = geo.practice_codes
    names = geo.practices["practice_name"].to_numpy(dtype=object)
    frames = []
    totals = {"fte": np.zeros(len(codes)), "headcount": np.zeros(len(codes))}
    for _, role, fte, per_person in roles:
        fte = np.round(fte, 2)
        hc = np.where(fte > 0, np.maximum(1, np.round(fte / per_person)), 0).astype(np.float64)
        totals["fte"] += fte
        totals["headcount"] += hc
        frames += [_rows(codes, names, group, role, "fte", fte), _rows(codes, names, group, role, "headcount", hc)]
    frames += [_rows(codes, names, group, "Total", m, np.round(v, 2)) for m, v in totals.items()]
    return pd.concat(frames, ignore_index=True)


def _rows(codes: np.ndarray, names: np.ndarray, group: str, role: str, measure: str, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "practice_code": codes,
            "practice_name": names,
            "staff_group": group,
            "staff_role": role,
            "measure": measure,
            "value": value,
        }
    )
