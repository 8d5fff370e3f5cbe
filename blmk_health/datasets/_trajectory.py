"""The BLMK GP workforce trajectory (2017-2020), as quoted from the BLMK plans: a small reference dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["GPWorkforceTrajectory", "blmk_gp_workforce_trajectory"]

#: Where the figures come from.
SOURCE = (
    "Bedfordshire, Luton and Milton Keynes plans: GP workforce trajectory (GP FTE excluding registrars, "
    "actual to Sep-18 and planned from Dec-18; the May 2018 trajectory; the indicative 2020 target) and the "
    "wider workforce's first and last figures and target, as quoted in the plans' summary tables; not checked "
    "against the original plan documents"
)
_GP = "GP FTE excluding registrars"
_WIDER = "wider workforce"
_GP_SERIES = (
    ("Sep-17", 416.1, "actual"),
    ("Dec-17", 422.3, "actual"),
    ("Mar-18", 427.9, "actual"),
    ("Jun-18", 429.0, "actual"),
    ("Sep-18", 429.3, "actual"),
    ("Dec-18", 435.3, "planned"),
    ("Mar-19", 450.5, "planned"),
    ("Jun-19", 452.4, "planned"),
    ("Sep-19", 453.9, "planned"),
    ("Dec-19", 470.1, "planned"),
    ("Mar-20", 507.9, "planned"),
    ("Jun-20", 523.1, "planned"),
    ("Sep-20", 538.4, "planned"),
)
_WIDER_SERIES = (("Sep-17", 1420.6, "actual"), ("Sep-20", 1542.1, "planned"))
_MAY_2018 = (
    ("Mar-18", 424.3),
    ("Jun-18", 426.3),
    ("Sep-18", 428.0),
    ("Dec-18", 438.7),
    ("Mar-19", 450.6),
    ("Sep-20", 537.8),
)
_TARGETS = ((_GP, 537.5), (_WIDER, 1499.4))


@dataclass(frozen=True, eq=False, slots=True)
class GPWorkforceTrajectory:
    """The BLMK GP workforce trajectory: the three inputs of ``bh.indicators.workforce_trajectory``.

    Attributes
    ----------
    actuals : pandas.DataFrame
        ``workforce`` (``"GP FTE excluding registrars"`` or ``"wider workforce"``), ``period``
        (labels such as ``"Sep-17"``), ``value`` and ``kind`` (``"actual"`` up to Sep-18,
        ``"planned"`` from Dec-18).
    plan : pandas.DataFrame
        The May 2018 trajectory of GP FTE excluding registrars: ``workforce``, ``period``, ``value``.
    target : pandas.DataFrame
        The target at Sep-20 of each series: ``workforce``, ``value``.
    source : str
        Where the figures come from.
    """

    actuals: pd.DataFrame
    plan: pd.DataFrame
    target: pd.DataFrame
    source: str


def _table(rows: Sequence[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows), columns=columns)
    for column in columns:
        table[column] = table[column].astype("float64" if column == "value" else "str")
    return table


def blmk_gp_workforce_trajectory() -> GPWorkforceTrajectory:
    """The BLMK GP workforce trajectory, Sep-17 to Sep-20, against the May 2018 trajectory and the target.

    GP FTE excluding registrars (fully qualified GPs), quarterly: actual from Sep-17 (416.1) to Sep-18,
    planned from Dec-18 to Sep-20 (538.4); the May 2018 trajectory (Mar-18 424.3 ... Sep-20 537.8);
    the indicative 2020 target, 537.5. The wider workforce: Sep-17 1,420.6 (actual) and Sep-20
    1,542.1 (planned; the figures between were not quoted and are not invented here) against a target
    of 1,499.4.

    Returns
    -------
    GPWorkforceTrajectory
        ``actuals``, ``plan`` and ``target`` tables (``workforce`` is the series) and ``source``.

    Notes
    -----
    The figures are the Bedfordshire, Luton and Milton Keynes plans' GP workforce trajectory as
    quoted in the plans' summary tables; they were not checked against the original plan documents. The
    plans do not say which staff groups the "wider workforce" covers.

    Examples
    --------
    >>> import blmk_health as bh
    >>> ref = bh.datasets.blmk_gp_workforce_trajectory()
    >>> out = bh.indicators.workforce_trajectory(ref.actuals, plan=ref.plan, target=ref.target, by="workforce")
    >>> gp = out[out["workforce"] == "GP FTE excluding registrars"].set_index("period")
    >>> float(gp.loc["Dec-18", "variance_from_plan"]), float(gp.loc["Sep-20", "variance_from_target"])
    (-3.4, 0.9)
    >>> float(out.loc[out["workforce"] == "wider workforce", "variance_from_target"].iloc[-1])
    42.7
    """
    actuals = [(_GP, *row) for row in _GP_SERIES] + [(_WIDER, *row) for row in _WIDER_SERIES]
    return GPWorkforceTrajectory(
        actuals=_table(actuals, ["workforce", "period", "value", "kind"]),
        plan=_table([(_GP, *row) for row in _MAY_2018], ["workforce", "period", "value"]),
        target=_table(list(_TARGETS), ["workforce", "value"]),
        source=SOURCE,
    )
