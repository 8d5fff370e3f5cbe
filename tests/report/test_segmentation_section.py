"""The report's population segmentation (blmk_health.report._segmentation, _figures_segmentation,
_page_segmentation): the tiered patients behind the definitions, the figures, and the section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.report import _figures_segmentation as figs
from blmk_health.report import _segmentation as seg
from blmk_health.report._page_segmentation import segmentation_section


@pytest.fixture(scope="module")
def bundle() -> bh.report.DataBundle:
    return bh.report.DataBundle.synthetic_blmk(scale=0.02)


@pytest.fixture(scope="module")
def made(bundle: bh.report.DataBundle) -> seg.Segmentation:
    return seg.segmentation(bundle.tables)


def test_every_patient_is_in_one_tier_of_the_fixed_size(bundle: bh.report.DataBundle, made: seg.Segmentation) -> None:
    tiered = made.tiered
    n = len(bundle.tables["patients"])
    assert len(tiered) == n
    assert tiered["patient_id"].is_unique
    counts = tiered["tier"].value_counts()
    care_home = int(bundle.tables["patients"]["care_home"].sum())
    complex_places = int(np.floor(n * 0.02 + 0.5))
    top_places = int(np.floor(n * 0.20 + 0.5))
    # Care-home residents take places of the complex tier first; the sizes stay those of the cut.
    assert care_home < complex_places
    assert counts["complex"] == complex_places
    assert counts["high_need"] == top_places - complex_places
    assert counts["healthy"] == n - top_places
    assert tiered.loc[tiered["care_home"], "tier"].eq("complex").all()
    assert int(tiered["tier_override"].sum()) == care_home
    # The 0/1 columns the definitions sum agree with the tiers and the outcome.
    assert (tiered["tier_complex"] + tiered["tier_high_need"] + tiered["tier_healthy"]).eq(1).all()
    admitted = tiered["emergency_admission_next_year"]
    assert tiered["admitted_next_year"].sum() == admitted.sum()
    assert tiered["admitted_top_20"].sum() == (admitted & tiered["tier"].ne("healthy")).sum()


def made_patients() -> pd.DataFrame:
    return bh.report.DataBundle.synthetic_blmk(scale=0.02).tables["patients"][
        ["patient_id", "emergency_admission_next_year", "emergency_admission_probability"]
    ]


def test_risk_ranks_the_tiers_and_predicts_out_of_fold(made: seg.Segmentation) -> None:
    tiered = made.tiered
    scored = tiered[~tiered["tier_override"]]
    lowest_complex = scored.loc[scored["tier"] == "complex", "risk"].min()
    assert lowest_complex >= scored.loc[scored["tier"] == "high_need", "risk"].max()
    assert (
        scored.loc[scored["tier"] == "high_need", "risk"].min() >= scored.loc[scored["tier"] == "healthy", "risk"].max()
    )
    ev = made.evaluation
    assert ev.n == len(tiered)
    assert ev.events == int(tiered["emergency_admission_next_year"].sum())
    # Out-of-fold scores of a sensible model: discriminating, calibrated, and no better than the truth.
    truth_of = tiered[["patient_id"]].merge(made_patients(), on="patient_id", validate="one_to_one")
    truth = bh.segmentation.evaluate_scores(
        truth_of["emergency_admission_next_year"], truth_of["emergency_admission_probability"]
    )
    assert 0.65 < ev.c_statistic < truth.c_statistic + 0.01
    assert 0.8 < ev.calibration_slope < 1.2
    assert made.features[:2] == ["age", "sex"]
    assert "cms" in made.features


def test_made_once_per_patients_table(bundle: bh.report.DataBundle, made: seg.Segmentation) -> None:
    assert seg.segmentation(bundle.tables) is made


def test_says_why_it_cannot_be_made(bundle: bh.report.DataBundle) -> None:
    tables = {k: v for k, v in bundle.tables.items() if k != "events"}
    with pytest.raises(seg.SegmentationUnavailableError, match="no 'events' table"):
        seg.segmentation(tables)
    tables = dict(bundle.tables)
    tables["patients"] = bundle.tables["patients"].drop(columns=["emergency_admission_next_year"])
    with pytest.raises(seg.SegmentationUnavailableError, match="emergency_admission_next_year"):
        seg.segmentation(tables)


def _profile() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tier": ["complex", "high_need", "healthy"],
            "n": [20, 180, 800],
            "share": [0.02, 0.18, 0.80],
            "admitted_share": [0.2, 0.4, 0.4],
            "bed_days_share": [0.6, 0.3, 0.1],
        }
    )


def test_pyramid_chart_draws_the_shares_it_is_given() -> None:
    fig = figs.pyramid_chart(_profile(), title="Tiers")
    bars = fig.axes[1]
    widths = sorted(round(p.get_width(), 6) for p in bars.patches)
    assert widths == sorted([2.0, 20.0, 60.0, 18.0, 40.0, 30.0, 80.0, 40.0, 10.0])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["Complex needs\n2.0% (20)", "High needs\n18.0% (180)", "Generally healthy\n80.0% (800)"]
    label = fig.get_label()
    assert "Complex needs: 20 patients; registered patients 2.0%" in label
    assert "patients with an emergency admission the next year 20.0%" in label
    empty = figs.pyramid_chart(_profile().assign(n=np.nan), title="Tiers")
    assert empty.get_label() == "Tiers: No patient has a tier."


def test_tier_mix_chart_stacks_the_top_two_tiers() -> None:
    mix = pd.DataFrame(
        {
            "place": ["A", "A", "A", "B", "B", "B"],
            "tier": ["complex", "high_need", "healthy"] * 2,
            "share": [0.03, 0.25, 0.72, 0.01, 0.15, 0.84],
        }
    )
    fig = figs.tier_mix_chart(mix, "place", title="Mix", ylabel="%")
    heights = [round(p.get_height(), 6) for p in fig.axes[0].patches]
    assert heights == [3.0, 1.0, 25.0, 15.0]
    assert "from 16.0% to 28.0% (highest: A)" in fig.get_label()


def test_calibration_chart_and_fixed_numbers() -> None:
    ev = bh.segmentation.evaluate_scores([0, 1, 0, 1, 0, 0, 1, 0], [0.1, 0.8, 0.2, 0.6, 0.3, 0.2, 0.4, 0.5])
    fig = figs.calibration_chart(ev, title="Calibration")
    assert fig.axes[0].get_xlabel() == "Mean predicted risk of an emergency admission (%)"
    assert f"c-statistic {ev.c_statistic:.3f}" in fig.get_label()
    assert figs.fixed(-0.001) == "0.00"
    assert figs.fixed(-0.006) == "-0.01"
    assert figs.fixed(1.0) == "1.00"


def test_section_shows_the_tiers_model_and_fairness(bundle: bh.report.DataBundle) -> None:
    table = bh.report.compute_indicators(
        bundle, indicators=["segment_complex_share", "emergency_admitted_in_top_20_tiers"]
    )
    section = segmentation_section(bundle, table, True)
    assert not isinstance(section, str)
    assert section.title == "Population segmentation"
    assert len(section.figures) == 4  # pyramid, calibration, by place, by deprivation decile
    captions = [t.caption for t in section.tables]
    assert captions[0] == "The tiers: who is in them and how much emergency care they use"
    assert captions[1].startswith("How well the risk model predicts")
    profile = section.tables[0]
    n = len(bundle.tables["patients"])
    complex_row = profile.rows[0]
    assert complex_row[0] == "Complex needs"
    places = int(np.floor(n * 0.02 + 0.5))
    assert complex_row[1] == f"{int(5 * ((places + 2.5) // 5)):,}"  # counts rounded to 5 under protection
    assert any("counted as absent" in note for note in section.notes)


def test_section_says_why_without_patient_records(bundle: bh.report.DataBundle) -> None:
    table = pd.DataFrame(
        {"indicator_id": ["segment_complex_share"], "status": ["skipped: the data have no 'patients' table"]}
    )
    assert segmentation_section(bundle, table, True) == "the data have no 'patients' table"
