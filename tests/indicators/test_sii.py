"""Slope and relative index of inequality: exact fits, transforms, simulation, seeds, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blmk_health as bh
from blmk_health.errors import DomainError, InputError, SchemaError
from blmk_health.indicators._sii_core import limit_positions
from tests.helpers import Backend

POPS = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
LE = [75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3]
SE = [1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57]
REPS = 2000


def frame(
    values: list[float] | None = None, pops: list[float] | None = None, se: list[float] | None = None, **extra: object
) -> pd.DataFrame:
    n = len(values or LE)
    df = pd.DataFrame({"decile": range(1, n + 1), "pop": pops or POPS[:n], "v": values or LE, "se": se or SE[:n]})
    for name, value in extra.items():
        df[name] = value
    return df


def rank_midpoints(pops: list[float]) -> np.ndarray:
    a = np.asarray(pops, dtype=float) / np.sum(pops)
    return np.cumsum(a) - a / 2


def wls(values: list[float], pops: list[float]) -> tuple[float, float, np.ndarray]:
    """Reference fit by numpy lstsq on the sqrt(a)-weighted design; returns (b0, b1, coefficient rows)."""
    a = np.asarray(pops, dtype=float) / np.sum(pops)
    b = rank_midpoints(pops)
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    coef = np.linalg.lstsq(design, np.asarray(values) * np.sqrt(a), rcond=None)[0]
    rows = np.linalg.pinv(design) * np.sqrt(a)
    return float(coef[0]), float(coef[1]), rows


def test_point_estimates_match_least_squares() -> None:
    out = bh.indicators.sii(
        frame(), "decile", "pop", value="v", se="se", rii=True, intercept=True, repetitions=REPS, seed=1
    )
    b0, b1, _ = wls(LE, POPS)
    assert out["sii"].iloc[0] == pytest.approx(b1, rel=1e-12)
    assert out["rii"].iloc[0] == pytest.approx((b0 + b1) / b0, rel=1e-12)
    assert out["intercept"].iloc[0] == pytest.approx(b0, rel=1e-12)
    assert list(out.columns) == [
        "sii",
        "sii_lower95_0cl",
        "sii_upper95_0cl",
        "rii",
        "rii_lower95_0cl",
        "rii_upper95_0cl",
        "intercept",
        "indicator_type",
        "multiplier",
        "transform",
        "CI_confidence",
        "CI_method",
    ]
    assert out["CI_method"].iloc[0] == "simulation 2000 reps"


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-20, 20),
    st.floats(-50, 100),
    st.lists(st.integers(100, 100_000), min_size=5, max_size=12),
)
def test_exact_linear_data_gives_the_slope(slope: float, level: float, pops: list[int]) -> None:
    b = rank_midpoints(pops)
    values = list(level + slope * b)
    df = pd.DataFrame({"q": range(1, len(pops) + 1), "pop": pops, "v": values, "se": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = bh.indicators.sii(df, "q", "pop", value="v", se="se", intercept=True, repetitions=1000, seed=0)
    assert out["sii"].iloc[0] == pytest.approx(slope, abs=1e-9)
    assert out["intercept"].iloc[0] == pytest.approx(level, abs=1e-9)
    # with no sampling error every simulated slope is the slope
    assert out["sii_lower95_0cl"].iloc[0] == pytest.approx(slope, abs=1e-9)
    assert out["sii_upper95_0cl"].iloc[0] == pytest.approx(slope, abs=1e-9)


@pytest.mark.parametrize("value_type", ["rate", "proportion"])
def test_transform_round_trip(value_type: str) -> None:
    """Values exactly linear on the link scale: the transformed fit recovers the ends exactly."""
    b = rank_midpoints(POPS)
    link = -2.0 + 0.8 * b
    values = np.exp(link) if value_type == "rate" else 1 / (1 + np.exp(-link))
    df = frame(list(values), lower=list(values * 0.9), upper=list(values * 1.05))
    out = bh.indicators.sii(
        df,
        "decile",
        "pop",
        value="v",
        lower_cl="lower",
        upper_cl="upper",
        value_type=value_type,
        transform=True,
        rii=True,
        intercept=True,
        multiplier=100,
        repetitions=REPS,
        seed=2,
    )
    inv = np.exp if value_type == "rate" else (lambda x: 1 / (1 + np.exp(-x)))
    assert out["sii"].iloc[0] == pytest.approx((inv(-1.2) - inv(-2.0)) * 100, rel=1e-10)
    assert out["rii"].iloc[0] == pytest.approx(inv(-1.2) / inv(-2.0), rel=1e-10)
    assert out["intercept"].iloc[0] == pytest.approx(inv(-2.0) * 100, rel=1e-10)
    assert out["transform"].iloc[0] == ("log" if value_type == "rate" else "logit")
    assert out["sii_lower95_0cl"].iloc[0] < out["sii"].iloc[0] < out["sii_upper95_0cl"].iloc[0]
    assert out["rii_lower95_0cl"].iloc[0] < out["rii"].iloc[0] < out["rii_upper95_0cl"].iloc[0]


def test_untransformed_rates_back_transform_before_fitting() -> None:
    values = [0.010 + 0.001 * i for i in range(10)]
    df = frame(values, lower=[v * 0.9 for v in values], upper=[v * 1.1 for v in values])
    out = bh.indicators.sii(
        df,
        "decile",
        "pop",
        value="v",
        lower_cl="lower",
        upper_cl="upper",
        value_type=1,
        rii=True,
        repetitions=REPS,
        seed=3,
    )
    _, b1, _ = wls(values, POPS)
    assert out["sii"].iloc[0] == pytest.approx(b1, rel=1e-12)
    assert out["sii_lower95_0cl"].iloc[0] < b1 < out["sii_upper95_0cl"].iloc[0]
    assert out["rii_lower95_0cl"].iloc[0] < out["rii"].iloc[0] < out["rii_upper95_0cl"].iloc[0]


def test_proportion_from_counts() -> None:
    x = [100 + 10 * i for i in range(10)]
    df = frame(x=x)
    df["p"] = df["x"] / df["pop"]
    df["lo"] = df["p"] * 0.9
    df["hi"] = df["p"] * 1.1
    a = bh.indicators.sii(
        df, "decile", "pop", x="x", value_type="proportion", lower_cl="lo", upper_cl="hi", repetitions=REPS, seed=4
    )
    b = bh.indicators.sii(
        df, "decile", "pop", value="p", value_type="proportion", lower_cl="lo", upper_cl="hi", repetitions=REPS, seed=4
    )
    pd.testing.assert_frame_equal(a, b)


def test_limits_from_cls_equal_limits_from_se() -> None:
    z = bh.indicators.ci.z_value(0.95)
    pairs = list(zip(LE, SE, strict=True))
    df = frame(lower=[v - z * s for v, s in pairs], upper=[v + z * s for v, s in pairs])
    a = bh.indicators.sii(df, "decile", "pop", value="v", se="se", repetitions=REPS, seed=5)
    b = bh.indicators.sii(df, "decile", "pop", value="v", lower_cl="lower", upper_cl="upper", repetitions=REPS, seed=5)
    np.testing.assert_allclose(a["sii_lower95_0cl"], b["sii_lower95_0cl"], rtol=1e-12)


def test_simulation_converges_to_analytic_interval() -> None:
    """Normal data: the simulated limits approach beta1 -/+ z sqrt(sum m1^2 se^2) as repetitions grow."""
    _, b1, rows = wls(LE, POPS)
    sd = float(np.sqrt(np.sum(rows[1] ** 2 * np.asarray(SE) ** 2)))
    z = bh.indicators.ci.z_value(0.95)
    errors = []
    for reps in (1_000, 400_000):
        out = bh.indicators.sii(frame(), "decile", "pop", value="v", se="se", repetitions=reps, seed=11)
        lower, upper = out["sii_lower95_0cl"].iloc[0], out["sii_upper95_0cl"].iloc[0]
        errors.append(abs(lower - (b1 - z * sd)) + abs(upper - (b1 + z * sd)))
    assert errors[1] < 0.02 * sd
    assert errors[1] < errors[0] + 1e-9


def test_rii_simulation_converges() -> None:
    out = bh.indicators.sii(frame(), "decile", "pop", value="v", se="se", rii=True, repetitions=200_000, seed=8)
    b0, b1, _ = wls(LE, POPS)
    assert out["rii_lower95_0cl"].iloc[0] < (b0 + b1) / b0 < out["rii_upper95_0cl"].iloc[0]


def test_seed_reproducible_and_different_seeds_differ() -> None:
    kwargs = {"value": "v", "se": "se", "rii": True, "repetitions": REPS}
    a = bh.indicators.sii(frame(), "decile", "pop", seed=42, **kwargs)  # type: ignore[arg-type]
    b = bh.indicators.sii(frame(), "decile", "pop", seed=42, **kwargs)  # type: ignore[arg-type]
    c = bh.indicators.sii(frame(), "decile", "pop", seed=43, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, b)
    assert a["sii_lower95_0cl"].iloc[0] != c["sii_lower95_0cl"].iloc[0]
    gen = bh.indicators.sii(frame(), "decile", "pop", seed=np.random.default_rng(42), **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, gen)


def test_groups_vectorised_and_sorted() -> None:
    df = pd.concat([frame(area="B"), frame([v + 1 for v in LE], area="A")])
    out = bh.indicators.sii(
        df, "decile", "pop", value="v", se="se", by="area", repetitions=REPS, seed=1, metadata=False
    )
    assert out["area"].tolist() == ["A", "B"]
    assert out["sii"].iloc[0] == pytest.approx(out["sii"].iloc[1])


def test_negative_multiplier_inverts_and_swaps() -> None:
    kwargs = {"value": "v", "se": "se", "rii": True, "repetitions": REPS, "seed": 9}
    pos = bh.indicators.sii(frame(), "decile", "pop", **kwargs)  # type: ignore[arg-type]
    neg = bh.indicators.sii(frame(), "decile", "pop", multiplier=-1, **kwargs)  # type: ignore[arg-type]
    assert neg["sii"].iloc[0] == pytest.approx(-pos["sii"].iloc[0])
    assert neg["sii_lower95_0cl"].iloc[0] == pytest.approx(-pos["sii_upper95_0cl"].iloc[0])
    assert neg["rii"].iloc[0] == pytest.approx(1 / pos["rii"].iloc[0])
    assert neg["rii_lower95_0cl"].iloc[0] == pytest.approx(1 / pos["rii_upper95_0cl"].iloc[0])


def test_reliability_stat_and_two_levels() -> None:
    out = bh.indicators.sii(
        frame(),
        "decile",
        "pop",
        value="v",
        se="se",
        rii=True,
        reliability_stat=True,
        confidence=(0.95, 0.998),
        repetitions=REPS,
        seed=1,
    )
    for name in ("sii_mad95_0", "sii_mad99_8", "rii_mad95_0", "rii_mad99_8"):
        assert out[name].iloc[0] > 0
    assert out["sii_lower99_8cl"].iloc[0] < out["sii_lower95_0cl"].iloc[0]
    assert out["CI_confidence"].iloc[0] == "95%, 99.8%"
    values = [0.010 + 0.001 * i for i in range(10)]
    df = frame(values, lower=[v * 0.9 for v in values], upper=[v * 1.1 for v in values])
    tr = bh.indicators.sii(
        df,
        "decile",
        "pop",
        value="v",
        lower_cl="lower",
        upper_cl="upper",
        value_type="rate",
        transform=True,
        rii=True,
        reliability_stat=True,
        repetitions=REPS,
        seed=1,
    )
    assert tr["sii_mad95_0"].iloc[0] > 0
    assert tr["rii_mad95_0"].iloc[0] > 0


def test_limit_positions_follow_reference_rule() -> None:
    assert limit_positions(100_000, 0.95) == (2499, 97499)
    assert limit_positions(1000, 0.998) == (0, 998)
    with pytest.raises(DomainError, match="too few"):
        limit_positions(1000, 0.9995)


def test_backends(backend: Backend) -> None:
    """Every group's SII and simulated limits (same seed) are the same on every backend."""
    df = pd.concat([frame(area="A"), frame(area="B", v=LE[::-1])])

    def call(data: object) -> pd.DataFrame:
        return bh.indicators.sii(data, "decile", "pop", value="v", se="se", by="area", repetitions=REPS, seed=1)  # type: ignore[arg-type]

    expected = call(df)
    assert expected["area"].tolist() == ["A", "B"]
    assert expected["sii"].iloc[0] > 0 > expected["sii"].iloc[1]
    backend.assert_matches(call(backend(df)), expected)


def test_incomplete_group_is_blank_with_warning() -> None:
    df = pd.concat([frame(area="A"), frame(area="B").iloc[:-1]])
    with pytest.warns(UserWarning, match="do not have all 10 quantiles"):
        out = bh.indicators.sii(df, "decile", "pop", value="v", se="se", by="area", repetitions=REPS, seed=1)
    assert out["sii"].isna().tolist() == [False, True]


def test_many_quantiles_warn() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"q": range(1, 21), "pop": 1000, "v": rng.normal(80, 1, 20), "se": 0.5})
    with pytest.warns(UserWarning, match="20 quantiles"):
        bh.indicators.sii(df, "q", "pop", value="v", se="se", repetitions=REPS, seed=1)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "kwargs", "error", "match"),
    [
        (frame().iloc[:4], {}, DomainError, "between 5 and 100"),
        (frame().assign(decile=[1, 2, 3, 4, 5, 6, 7, 8, 9, 11]), {}, DomainError, "never occur"),
        (frame().assign(decile=np.arange(10) + 0.5), {}, DomainError, "whole number"),
        (pd.concat([frame(), frame().iloc[[2]]]), {}, SchemaError, "more than one row"),
        (frame().assign(pop=[0, *POPS[1:]]), {}, DomainError, "population"),
        (frame().assign(se=[-1.0, *SE[1:]]), {}, DomainError, "negative or missing"),
        (frame().assign(v=[np.nan, *LE[1:]]), {}, DomainError, "value"),
        (frame(), {"value_type": "proportion"}, DomainError, "strictly between 0 and 1"),
        (frame(v=[-1.0, *LE[1:]]), {"value_type": "rate"}, DomainError, "zero or negative"),
        (frame(), {"repetitions": 999}, DomainError, "at least 1000"),
        (frame(), {"repetitions": 1000.5}, DomainError, "whole number"),
        (frame(), {"multiplier": 0}, DomainError, "must not be 0"),
        (frame(), {"multiplier": "x"}, DomainError, "finite number"),
        (frame(), {"seed": -1}, DomainError, "seed"),
        (frame(), {"value_type": "ratio"}, InputError, "value_type"),
        (frame(), {"confidence": 0.5}, DomainError, "confidence"),
    ],
)
def test_bad_input(df: pd.DataFrame, kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"value": "v", "se": "se", "repetitions": REPS, "seed": 1}
    args.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(error, match=match):
            bh.indicators.sii(df, "decile", "pop", **args)  # type: ignore[arg-type]


def test_bad_argument_combinations() -> None:
    df = frame(lo=[v - 1 for v in LE], hi=[v + 1 for v in LE], x=10)
    with pytest.raises(SchemaError, match="value"):
        bh.indicators.sii(df, "decile", "pop", se="se")
    with pytest.raises(SchemaError, match="either se"):
        bh.indicators.sii(df, "decile", "pop", value="v", lower_cl="lo")
    with pytest.raises(InputError, match="only rates"):
        bh.indicators.sii(df, "decile", "pop", value="v", lower_cl="lo", upper_cl="hi", transform=True)
    with pytest.raises(InputError, match="not se"):
        bh.indicators.sii(df, "decile", "pop", value="v", se="se", value_type="rate", transform=True)
    with pytest.raises(DomainError, match="below"):
        bh.indicators.sii(df.assign(hi=df["lo"] - 1), "decile", "pop", value="v", lower_cl="lo", upper_cl="hi")
    with pytest.raises(SchemaError, match="column not found"):
        bh.indicators.sii(df, "decile", "pop", value="nope", se="se")
    with pytest.raises(SchemaError, match="overwritten"):
        bh.indicators.sii(df.assign(sii=1), "decile", "pop", value="v", se="se", by="sii")
    with pytest.raises(DomainError, match="count must be below"):
        bh.indicators.sii(
            df.assign(x=df["pop"], lo=0.1, hi=0.2),
            "decile",
            "pop",
            x="x",
            value_type="proportion",
            lower_cl="lo",
            upper_cl="hi",
        )
