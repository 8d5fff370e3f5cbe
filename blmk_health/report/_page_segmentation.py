"""The report's "Population segmentation" section: the 2/18/80 tiers, the risk model behind them, fairness."""

from __future__ import annotations

from typing import Any

import pandas as pd

import blmk_health as bh
from blmk_health.report import _figures_segmentation as fig_seg
from blmk_health.report import _html as html
from blmk_health.report import _segmentation as seg
from blmk_health.report._bundle import DataBundle
from blmk_health.report._section_tools import count_text, has, source, why_not

__all__ = ["segmentation_section"]

_IDS = (
    "segment_complex_share",
    "segment_high_need_share",
    "segment_healthy_share",
    "emergency_admitted_in_complex_tier",
    "emergency_admitted_in_top_20_tiers",
)
_SOURCE = "GP patient-level records: registered patients, coded events and next-year emergency admissions"


def segmentation_section(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    """The section, or why it cannot be drawn (no patient-level records, or the indicators were skipped)."""
    if not has(table, _IDS[0]):
        return why_not(table, _IDS[0])
    try:
        made = seg.segmentation(bundle.tables)
    except seg.SegmentationUnavailableError as why:
        return str(why)
    source_line = source(bundle, _SOURCE)
    profile = _profile(made.tiered)
    figures = [
        html.report_figure(
            fig_seg.pyramid_chart(profile, title="The population in three tiers by predicted risk"), caption=source_line
        ),
        html.report_figure(
            fig_seg.calibration_chart(
                made.evaluation, title="Risk model: predicted against observed emergency admissions"
            ),
            caption=source_line,
        ),
    ]
    figures += _fairness_figures(bundle, made.tiered, source_line)
    tables = [_profile_table(profile, sdc), _model_table(made, sdc)]
    tables += [html.indicator_table(table, i, levels=("cluster", "place", "icb")) for i in _IDS if has(table, i)]
    return html.ReportSection(
        id="population-segmentation",
        title="Population segmentation",
        lead="Every registered patient placed in one of three tiers, as the BLMK plans organise care around them: "
        "the 2% with complex needs, the next 18% with high needs and the 80% generally healthy, ranked by "
        "their predicted risk of an emergency admission in the next 12 months. How many of next year's "
        "emergency admissions each tier holds, how well the model predicts, and whether the tiers fall fairly "
        "across places and deprivation.",
        method="Condition flags from the coded GP events (code lists per condition); the Cambridge Multimorbidity "
        "Score (Payne et al. 2020, 20-condition general-outcome weights); a logistic regression of an emergency "
        f"admission in the next 12 months on {', '.join(made.features)}, cross-fitted (each half of the "
        "patients scored by a model fitted on the other half, so no score has seen its own outcome); the whole "
        "system ranked by predicted risk and cut at 2% and 20% (tier sizes round(N x share), ties broken by "
        "patient id), care-home residents placed in the complex tier first. Model performance: c-statistic "
        "with DeLong 95% limits, calibration slope and intercept by logistic recalibration. Tier shares by area "
        "are proportions with Wilson 95% limits.",
        source=source_line,
        period="the registered list at the extract date and the following 12 months",
        figures=figures,
        tables=tables,
        notes=_notes(made),
    )


def _profile(tiered: pd.DataFrame) -> pd.DataFrame:
    outcomes = [c for c in ("emergency_admission_next_year", "prior_bed_days") if c in tiered.columns]
    means = [c for c in ("age", "cms", "care_home") if c in tiered.columns]
    profile = pd.DataFrame(
        bh.segmentation.tier_profile(tiered, outcomes=outcomes, score="risk", means=means, sex="sex")
    )
    renames = {"emergency_admission_next_year_share": "admitted_share", "prior_bed_days_share": "bed_days_share"}
    return profile.rename(columns=renames)


def _percent(value: Any, digits: int = 1) -> str:
    return "-" if pd.isna(value) else f"{float(value) * 100:.{digits}f}"


def _profile_table(profile: pd.DataFrame, sdc: bool) -> html.ReportTable:
    rows = []
    for r in profile.to_dict("records"):
        rows.append(
            [
                fig_seg.TIER_NAMES.get(str(r["tier"]), str(r["tier"])),
                count_text(r["n"], sdc),
                _percent(r["share"]),
                f"{r.get('mean_age', float('nan')):.1f}",
                _percent(r.get("female_share")),
                f"{r.get('mean_cms', float('nan')):.2f}",
                _percent(r.get("mean_care_home")),
                _percent(r.get("mean_risk")),
                _percent(r.get("emergency_admission_next_year_per_patient")),
                _percent(r.get("admitted_share")),
                _percent(r.get("bed_days_share")),
            ]
        )
    return html.ReportTable(
        caption="The tiers: who is in them and how much emergency care they use",
        columns=[
            "Tier",
            "Patients",
            "Share of patients (%)",
            "Mean age",
            "Women (%)",
            "Mean multimorbidity score",
            "In a care home (%)",
            "Mean predicted risk (%)",
            "Admitted in the next year (%)",
            "Share of admitted patients (%)",
            "Share of last year's emergency bed days (%)",
        ],
        rows=rows,
        numeric=[False] + [True] * 10,
        note="Admitted: at least one emergency admission in the 12 months after the extract."
        + (" Counts rounded to 5." if sdc else ""),
    )


def _model_table(made: seg.Segmentation, sdc: bool) -> html.ReportTable:
    ev = made.evaluation
    rows = [
        ["Patients (admitted in the next year)", f"{count_text(ev.n, sdc)} ({count_text(ev.events, sdc)})", ""],
        ["c-statistic (discrimination)", f"{ev.c_statistic:.3f}", f"{ev.c_lower:.3f} to {ev.c_upper:.3f}"],
        ["Brier score", f"{ev.brier:.4f}", ""],
        ["Calibration slope (1 = calibrated)", fig_seg.fixed(ev.calibration_slope), ""],
        ["Calibration intercept (0 = calibrated)", fig_seg.fixed(ev.calibration_intercept), ""],
    ]
    for top in ev.top.to_dict("records"):
        share = f"top {top['share'] * 100:g}%"
        rows.append([f"Sensitivity of the {share} by risk (%)", _percent(top["sensitivity"]), ""])
        rows.append([f"Positive predictive value of the {share} by risk (%)", _percent(top["ppv"]), ""])
    shares = made.shares.set_index("tier")
    if "complex" in shares.index:
        overridden, n, places = (shares.at["complex", c] for c in ("overridden", "n", "nominal_n"))
        rows.append(
            [
                "Care-home residents placed in the complex tier first",
                count_text(overridden, sdc),
                f"complex tier: {count_text(n, sdc)} patients for {count_text(places, sdc)} places",
            ]
        )
    return html.ReportTable(
        caption="How well the risk model predicts an emergency admission in the next 12 months (cross-fitted)",
        columns=["Measure", "Value", "95% limits or detail"],
        rows=rows,
        numeric=[False, True, False],
        note="Sensitivity: the share of next year's admitted patients within the top share; positive predictive "
        "value: the share of the top share who were admitted. Each patient's risk comes from a model fitted on "
        "the other half of the patients.",
    )


def _fairness_figures(bundle: DataBundle, tiered: pd.DataFrame, source: str) -> list[html.ReportFigure]:
    figures = []
    places = bundle.tables.get("places")
    data = tiered
    if places is not None and {"place_code", "place_name"} <= set(pd.DataFrame(places).columns):
        names = pd.DataFrame(places)[["place_code", "place_name"]].drop_duplicates()
        data = tiered.drop(columns=["place_name"], errors="ignore").merge(names, on="place_code", how="left")
        by_place = pd.DataFrame(bh.segmentation.tier_profile(data, by="place_name"))
        figures.append(
            html.report_figure(
                fig_seg.tier_mix_chart(
                    by_place,
                    "place_name",
                    title="Patients in the complex and high-need tiers by place",
                    ylabel="Share of the place's patients (%)",
                ),
                caption=source,
            )
        )
    if "imd_decile" in tiered.columns:
        by_decile = pd.DataFrame(bh.segmentation.tier_profile(tiered, by="imd_decile"))
        by_decile["imd_decile"] = by_decile["imd_decile"].astype(int)
        by_decile = by_decile.sort_values("imd_decile", kind="stable")
        figures.append(
            html.report_figure(
                fig_seg.tier_mix_chart(
                    by_decile,
                    "imd_decile",
                    title="Patients in the complex and high-need tiers by deprivation decile of their home area "
                    "(1 = most deprived tenth of England)",
                    ylabel="Share of the decile's patients (%)",
                ),
                caption=f"{source}; English Indices of Deprivation 2019",
            )
        )
    return figures


def _notes(made: seg.Segmentation) -> list[str]:
    notes = [
        "A risk score predicts who will use emergency care, not who needs or would benefit from case management: "
        "use the tiers to find people to review, not to ration care. Check the tier shares by place and "
        "deprivation above before acting on them.",
        "The whole system is ranked together, so a practice's share of the complex tier shows where the "
        "system's highest-risk patients are; the 2014-17 unplanned-admissions enhanced service ranked within "
        "each practice's adult list instead (bh.segmentation.assign_tiers(within='practice_code', "
        "population='adults')).",
    ]
    if made.absent:
        notes.append(
            "Conditions of the Cambridge Multimorbidity Score without a code list in these data, counted as absent: "
            f"{', '.join(c.replace('_', ' ') for c in made.absent)}."
        )
    return notes
