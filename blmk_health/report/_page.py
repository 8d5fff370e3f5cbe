"""The sections of the report page, each drawn from the bundle and the indicator table when they allow it."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

import blmk_health as bh
from blmk_health.report import _figures as fig
from blmk_health.report import _figures_hospital as fig_hospital
from blmk_health.report import _figures_primary as fig_primary
from blmk_health.report import _html as html
from blmk_health.report._bundle import DataBundle
from blmk_health.report._page_segmentation import segmentation_section
from blmk_health.report._section_tools import count_text as _count
from blmk_health.report._section_tools import has as _has
from blmk_health.report._section_tools import source as _source
from blmk_health.report._section_tools import why_not as _why_not

__all__ = ["report_page", "section_builders"]


def report_page(bundle: DataBundle, table: pd.DataFrame, *, sdc: bool = True) -> str:
    """The HTML page of a bundle and its (protected) indicator table: every section the data allow.

    A section whose data are missing is left out and listed, with the reason, among what was skipped.
    """
    sections: list[html.ReportSection] = []
    skipped: list[tuple[str, str]] = list(html.skipped_from_table(table))
    for title, build in section_builders():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            made = build(bundle, table, sdc)
        if isinstance(made, str):
            skipped.append((title, made))
        else:
            sections.append(made)
    skipped += [(f"{name} table", why) for name, why in bundle.skipped.items() if _shown(name)]
    context = html.ReportContext(
        title="Bedfordshire, Luton and Milton Keynes: system profile",
        generated=dt.date.today(),
        source=bundle.source,
        period=_periods(bundle),
        synthetic=bundle.synthetic,
        sections=sections,
        skipped=skipped,
        protection=html.SMALL_NUMBER_NOTE if sdc else "",
        version=bh.__version__,
    )
    return html.render_html(context)


Builder = Callable[[DataBundle, pd.DataFrame, bool], "html.ReportSection | str"]


def section_builders() -> list[tuple[str, Builder]]:
    """The sections in page order: (title, builder); a builder returns a section or why it cannot."""
    return [
        ("Population and registered list", _population),
        ("Mortality from all causes", _mortality),
        ("Life expectancy and healthy life expectancy", _life_expectancy),
        ("The life-expectancy gap by deprivation", _inequality),
        ("Recorded prevalence in general practice", _recorded_prevalence),
        ("Primary care: patients per GP and the GP workforce", _workforce),
        ("Primary care: undiagnosed and under-treated hypertension and atrial fibrillation", _undiagnosed),
        ("Hospital activity", _hospital),
        ("Population segmentation", segmentation_section),
        ("Places, GP clusters and deprivation", _maps),
        ("Indicator definitions", _definitions),
    ]


def _shown(table_name: str) -> bool:
    """Tables whose absence a reader of the page should hear about (the report uses them)."""
    return table_name in {"registrations", "deaths", "general_health", "lsoas", "qof_registers", "population"}


def _periods(bundle: DataBundle) -> str:
    labels = {"deaths": "mortality", "registrations": "registered list", "qof_registers": "QOF"}
    parts = [f"{bundle.periods[name]} ({what})" for name, what in labels.items() if bundle.periods.get(name)]
    return "; ".join(parts) or "as given with each section"


def _figure(figure: Any, caption: str) -> html.ReportFigure:
    return html.report_figure(figure, caption=caption)


# ------------------------------------------------------------------------------------------ sections


def _population(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    tables = bundle.tables
    if "registrations" not in tables or "practices" not in tables:
        return bundle.skipped.get("registrations", "the data have no GP registrations")
    registrations = pd.DataFrame(tables["registrations"])
    figures, notes = [], []
    if registrations["age_group_5"].astype(str).str.upper().isin(["ALL", "ALL AGES"]).all():
        notes.append(
            "The registrations file gives each practice's total only, so there is no age-sex pyramid; the "
            "five-year-age file (gp-reg-pat-prac-quin-age.csv) gives one."
        )
    else:
        caption = _source(bundle, "NHS England, Patients Registered at a GP Practice")
        figures.append(_figure(fig.registered_pyramid(registrations, tables["practices"]), caption))
        figures.append(_figure(fig.registered_pyramid(registrations, tables["practices"], level="cluster"), caption))
    if "population" in tables:
        caption = _source(bundle, "ONS mid-year population estimates")
        figures.append(_figure(fig.resident_pyramid(tables["population"], tables.get("places")), caption))
    return html.ReportSection(
        id="population",
        title="Population and registered list",
        lead="How many people are registered with BLMK's GP practices, where, and their age and sex.",
        method="Registered patients by practice, summed for clusters and places; pyramids as a percentage of each "
        "area's list, with BLMK drawn as a line on each area." + (" Counts rounded to 5." if sdc else ""),
        source=_source(bundle, "NHS England, Patients Registered at a GP Practice; ONS mid-year estimates"),
        period=bundle.periods.get("registrations", ""),
        figures=figures,
        tables=[_registered_table(registrations, pd.DataFrame(tables["practices"]), sdc)],
        notes=notes,
    )


def _registered_table(registrations: pd.DataFrame, practices: pd.DataFrame, sdc: bool) -> html.ReportTable:
    """Registered patients by place and cluster (and the ICB), rounded to 5 when protected."""
    latest = registrations[registrations["extract_date"] == registrations["extract_date"].max()]
    merged = latest.merge(practices, on="practice_code", how="left")
    rows: list[list[str]] = []
    for (place, cluster), group in merged.groupby(["place_name", "cluster_name"], dropna=False, sort=True):
        count = int(group["number_of_patients"].sum())
        place_name = str(place) if pd.notna(place) else "No place"
        cluster_name = str(cluster) if pd.notna(cluster) else "No cluster"
        rows.append([place_name, cluster_name, _count(count, sdc), str(group["practice_code"].nunique())])
    total = int(latest["number_of_patients"].sum())
    rows.append(["BLMK", "All clusters", _count(total, sdc), str(latest["practice_code"].nunique())])
    return html.ReportTable(
        caption="Registered patients by place and GP cluster",
        columns=["Place", "GP cluster", "Registered patients", "Practices"],
        rows=rows,
        numeric=[False, False, True, True],
    )


def _mortality(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    indicator = "mortality_all_causes_dsr"
    if not _has(table, indicator):
        return _why_not(table, indicator)
    return html.ReportSection(
        id="mortality",
        title="Mortality from all causes",
        lead="Deaths from all causes per 100,000 person-years, age-standardised so that places with older or "
        "younger populations can be compared.",
        method="Directly standardised rate (2013 European Standard Population, 20 bands), Dobson 95% confidence "
        "limits; not calculated below 10 deaths. Places are compared with BLMK by their confidence intervals.",
        source=_source(bundle, "ONS death registrations and mid-year population estimates"),
        period=bundle.periods.get("deaths", ""),
        figures=[_figure(fig.mortality_chart(table), _source(bundle, "ONS deaths and populations"))],
        tables=[html.indicator_table(table, indicator)],
    )


def _life_expectancy(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    ids = ["life_expectancy_at_birth", "healthy_life_expectancy_at_birth"]
    present = [i for i in ids if _has(table, i)]
    if not present:
        return _why_not(table, ids[0])
    return html.ReportSection(
        id="life-expectancy",
        title="Life expectancy and healthy life expectancy",
        lead="How long a baby born now could expect to live, and to live in good health, if the death rates and "
        "health of the period held throughout their life.",
        method="Chiang II abridged life table with Silcocks' variance (not calculated where the population is "
        "5,000 or less); healthy life expectancy by the Sullivan method from the share in good health.",
        source=_source(bundle, "ONS deaths and populations; Annual Population Survey (self-reported health)"),
        period=bundle.periods.get("deaths", ""),
        figures=[_figure(fig.life_expectancy_chart(table), _source(bundle, "ONS; Annual Population Survey"))],
        tables=[html.indicator_table(table, i) for i in present],
    )


def _inequality(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    indicator = "sii_life_expectancy_at_birth"
    tables = bundle.tables
    if not _has(table, indicator) or "lsoas" not in tables:
        return _why_not(table, indicator)
    lsoas = pd.DataFrame(tables["lsoas"])[["lsoa_code", "imd_local_decile", "place_name"]]
    deaths = pd.DataFrame(tables["deaths"]).merge(lsoas, on="lsoa_code")
    _, deciles = bh.indicators.le_gap(
        deaths,
        "deaths",
        "person_years",
        "age_band",
        "imd_local_decile",
        by=["place_name", "sex"],
        seed=1,
        return_deciles=True,
    )
    chart = fig.sii_chart(deciles, fig.sii_fits(deciles))
    return html.ReportSection(
        id="inequality",
        title="The life-expectancy gap by deprivation",
        lead="Life expectancy in each tenth of each place's small areas, from most to least deprived, and the "
        "slope index of inequality (SII): the modelled gap in years between the two ends.",
        method="Life expectancy per decile of IMD 2019 within the place (Chiang II); SII by population-weighted "
        "regression on the relative rank, 95% limits by simulation (PHOF indicator A02a).",
        source=_source(bundle, "ONS deaths and populations; English Indices of Deprivation 2019"),
        period=bundle.periods.get("deaths", ""),
        figures=[_figure(chart, _source(bundle, "ONS; MHCLG IMD 2019"))],
        tables=[html.indicator_table(table, i) for i in (indicator, "le_range_gap_at_birth") if _has(table, i)],
    )


def _recorded_prevalence(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    ids = ["recorded_prevalence_hypertension", "recorded_prevalence_atrial_fibrillation"]
    present = [i for i in ids if _has(table, i)]
    if not present:
        return _why_not(table, ids[0])
    charts = [_figure(fig.area_chart(table, i, level="cluster"), _source(bundle, "NHS England, QOF")) for i in present]
    return html.ReportSection(
        id="recorded-prevalence",
        title="Recorded prevalence in general practice",
        lead="The share of registered patients on each QOF disease register: what practices have diagnosed and "
        "recorded, which is less than the true prevalence.",
        method="Register size over the practice list (all ages), Wilson 95% limits; practices summed for "
        "clusters, places and BLMK. Practice figures are in indicators.csv.",
        source=_source(bundle, "NHS England, Quality and Outcomes Framework prevalence"),
        period=bundle.periods.get("qof_registers", ""),
        figures=charts,
        tables=[html.indicator_table(table, i, levels=("cluster", "place", "icb")) for i in present],
    )


_WORKFORCE_IDS = ("patients_per_gp_fte", "gp_fte_per_10000", "patients_per_nurse_fte")
_CONDITIONS = (("hypertension", "Hypertension"), ("atrial_fibrillation", "Atrial fibrillation"))


def _workforce(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    indicator = "patients_per_gp_fte"
    if not _has(table, indicator):
        return _why_not(table, indicator)
    caption = _source(
        bundle, "NHS England, Patients Registered at a GP Practice; NHS Digital, General Practice Workforce"
    )
    figures = [
        _figure(
            fig_primary.practice_chart(
                table, indicator, xlabel="Registered patients", ylabel="Registered patients per GP FTE"
            ),
            caption,
        ),
        _figure(fig.area_chart(table, indicator, level="cluster", xlabel="Registered patients per GP FTE"), caption),
    ]
    level, areas = _map_areas(bundle)
    if areas is not None:
        legend = "Patients per GP FTE"
        figures.append(_figure(_area_map(bundle, areas, table, indicator, level, legend), fig.BOUNDARY_SOURCE))
    trajectory = _trajectory()
    figures.append(_figure(_trajectory_figure(trajectory), bh.datasets.blmk_gp_workforce_trajectory().source))
    present = [i for i in _WORKFORCE_IDS if _has(table, i)]
    return html.ReportSection(
        id="primary-care-workforce",
        title="Primary care: patients per GP and the GP workforce",
        lead="How many registered patients there are for each full-time-equivalent GP (excluding registrars), by "
        "practice, GP cluster and place, and the GP workforce against the BLMK plan.",
        method="Registered patients over GP full-time equivalents excluding registrars (1.0 FTE = 37.5 hours), "
        "summed before dividing for clusters, places and BLMK (a ratio of sums); practices with no workforce "
        "return are left blank and out of the sums. No confidence limits: the counts are not samples.",
        source=_source(
            bundle,
            "NHS England, Patients Registered at a GP Practice; NHS Digital, General Practice "
            "Workforce; BLMK plans (trajectory)",
        ),
        period=_first_period(table, indicator),
        figures=figures,
        tables=[
            *(html.indicator_table(table, i, levels=("cluster", "place", "icb")) for i in present),
            _trajectory_table(trajectory),
        ],
        notes=_no_return_note(table, indicator),
    )


def _undiagnosed(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    present = [(key, name) for key, name in _CONDITIONS if _has(table, f"detection_ratio_{key}")]
    if not present:
        return _why_not(table, "detection_ratio_hypertension")
    caption = _source(bundle, "NHS England, QOF prevalence; expected prevalence from age-sex rates")
    level, areas = _map_areas(bundle)
    figures = []
    for key, name in present:
        ratio = f"detection_ratio_{key}"
        figures.append(
            _figure(fig.area_chart(table, ratio, level="cluster", xlabel="Recorded / expected", digits=2), caption)
        )
        if areas is not None:
            legend = f"{name}: recorded / expected"
            figures.append(_figure(_area_map(bundle, areas, table, ratio, level, legend), fig.BOUNDARY_SOURCE))
    ids = [
        f"{kind}_{key}"
        for key, _ in present
        for kind in ("undiagnosed", "detection_ratio", "expected_prevalence", "treatment_gap")
    ]
    return html.ReportSection(
        id="primary-care-prevalence",
        title="Primary care: undiagnosed and under-treated hypertension and atrial fibrillation",
        lead="How many people are estimated to have hypertension or atrial fibrillation (AF) without a diagnosis, "
        "how much of the expected prevalence practices have found, and how many on the registers are not "
        "treated to target.",
        method="Expected cases: age-sex prevalence rates times the registered population, summed. Estimated "
        "undiagnosed = expected minus recorded (negative values flagged, never clipped); detection ratio = "
        "recorded / expected with Byars 95% limits (exact below 10). Treatment gap: patients on the QOF "
        "indicator's denominator not meeting it, over the denominator plus exceptions (HYP006: blood pressure "
        "to target; AF007: anticoagulated when CHA2DS2-VASc is 2 or more), Wilson 95% limits. All summed "
        "from practices for clusters, places and BLMK.",
        source=_source(bundle, "NHS England, Quality and Outcomes Framework; age-sex prevalence rates"),
        period=_first_period(table, f"detection_ratio_{present[0][0]}"),
        figures=figures,
        tables=[
            html.indicator_table(table, i, levels=("cluster", "place", "icb"), digits=2 if "ratio" in i else 1)
            for i in ids
            if _has(table, i)
        ],
    )


_HOSPITAL_IDS = (
    "emergency_spells_dsr",
    "emergency_spells_crude",
    "emergency_bed_days_dsr",
    "emergency_readmissions_30_days",
    "acsc_chronic_admissions",
    "emergency_respiratory_admissions_0_4",
)
_HES = "Hospital Episode Statistics admitted patient care; NHS England, Patients Registered at a GP Practice"


def _hospital(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    indicator = "emergency_spells_dsr"
    if not _has(table, indicator):
        return _why_not(table, indicator)
    caption = _source(bundle, _HES)
    xlabel = "Emergency spells per 1,000 registered patients (age-sex standardised)"
    # Places are drawn with their limits in the trend chart (both years), clusters in the bar chart.
    figures = [_figure(fig.area_chart(table, indicator, level="cluster", xlabel=xlabel), caption)]
    trend = _emergency_trend(bundle)
    if trend is not None:
        chart = fig_hospital.trend_chart(
            trend,
            area="area",
            benchmark=str(trend["area"].iloc[-1]),
            title="Emergency spells per 1,000 registered patients, age-sex standardised, by financial year",
            ylabel="Per 1,000 (age-sex standardised)",
        )
        figures.append(_figure(chart, caption))
    level, areas = _map_areas(bundle)
    if areas is not None:
        legend = "Emergency spells per 1,000 (standardised)"
        figures.append(_figure(_area_map(bundle, areas, table, indicator, level, legend), fig.BOUNDARY_SOURCE))
    tables = [
        html.indicator_table(table, i, levels=("cluster", "place", "icb")) for i in _HOSPITAL_IDS if _has(table, i)
    ]
    if trend is not None:
        tables.append(_trend_table(trend, sdc))
    return html.ReportSection(
        id="hospital-activity",
        title="Hospital activity",
        lead="Emergency admissions and the bed days they use, per 1,000 registered patients and standardised for "
        "age and sex so that older and younger areas can be compared; emergency readmissions within 30 days; "
        "admissions for chronic conditions that good community care can usually prevent; and young children's "
        "emergency admissions for respiratory conditions.",
        method="Hospital provider spells from consultant episodes (one spell per stay, its admission method and "
        "diagnosis from the first episode); emergency admissions are admission methods 21-2D. Each spell counts "
        "against the patient's registered practice, summed for clusters, places and BLMK. Directly standardised "
        "rates use the 2013 European Standard Population by sex and five-year band (Dobson 95% limits); "
        "readmissions and chronic ambulatory-care-sensitive admissions are indirectly standardised for age and "
        "sex against BLMK (Byars 95% limits). The change between years is the ratio of the two rates, with 95% "
        "limits by the log method.",
        source=_source(bundle, _HES),
        period=_first_period(table, indicator),
        figures=figures,
        tables=tables,
        notes=_hospital_notes(table),
    )


def _emergency_trend(bundle: DataBundle) -> pd.DataFrame | None:
    """Emergency spells per 1,000, age-sex standardised, by place and for BLMK, per financial year."""
    tables = bundle.tables
    if not {"admissions", "registrations", "practices"} <= set(tables):
        return None
    practices = pd.DataFrame(tables["practices"])
    wanted = ["practice_code", "place_name", "icb_name"]
    if not set(wanted) <= set(practices.columns):
        return None
    spells = bh.records.spells(pd.DataFrame(tables["admissions"]))
    population = pd.DataFrame(tables["registrations"]).merge(practices[wanted], on="practice_code")
    rows = []
    for column in ("place_name", "icb_name"):
        out = pd.DataFrame(bh.indicators.emergency_admissions(spells, population, by=column, by_year=True))
        rows.append(out.dropna(subset=[column]).rename(columns={column: "area"}))
    return pd.concat(rows, ignore_index=True)


def _trend_table(trend: pd.DataFrame, sdc: bool) -> html.ReportTable:
    def number(value: Any, sign: bool = False) -> str:
        return "" if pd.isna(value) else (f"{value:+.1f}" if sign else f"{value:,.1f}")

    rows = [
        [
            str(r["area"]),
            str(r["period"]),
            _count(int(r["spells"]), sdc),
            _count(int(r["population"]), sdc),
            number(r["value"]),
            f"{number(r['lowercl'])} to {number(r['uppercl'])}",
            number(r["change"], sign=True),
            ""
            if pd.isna(r["change"])
            else f"{number(r['change_lowercl'], True)} to {number(r['change_uppercl'], True)}",
        ]
        for r in trend.to_dict("records")
    ]
    return html.ReportTable(
        caption="Emergency spells per 1,000 registered patients, age-sex standardised, by financial year",
        columns=["Area", "Year", "Spells", "Registered patients", "Rate", "95% limits", "Change (%)", "95% limits"],
        rows=rows,
        numeric=[False, False, True, True, True, False, True, False],
        note="Change: the % change of the standardised rate from the year before. Registered patients: the latest "
        "list, used for both years." + (" Counts rounded to 5." if sdc else ""),
    )


def _hospital_notes(table: pd.DataFrame) -> list[str]:
    notes = []
    if _has(table, "acsc_chronic_admissions"):
        notes.append(
            "Chronic ambulatory-care-sensitive conditions: the NHS Institute's chronic list (angina, asthma, heart "
            "failure, COPD, diabetes complications, hypertension, iron-deficiency anaemia, nutritional "
            "deficiencies); its procedure exclusions need procedure codes, which these data do not have."
        )
    if _has(table, "emergency_readmissions_30_days"):
        notes.append(
            "Readmissions count provider spells of all specialties, standardised by age and sex only: compare areas "
            "within BLMK, not with NHS Digital's published indicator. Discharges in the last 30 days of the data "
            "have incomplete follow-up."
        )
    return notes


def _map_areas(bundle: DataBundle) -> tuple[str, Any]:
    """The areas of a primary-care map: GP clusters when patients by small area allow, else places."""
    tables = bundle.tables
    if "lsoas" not in tables:
        return "place", None
    if "patients" in tables and "practices" in tables:
        return "cluster", _cluster_polygons(bundle)
    return "place", tables["lsoas"]


_CLUSTERS: list[tuple[DataBundle, Any]] = []


def _cluster_polygons(bundle: DataBundle) -> Any:
    """The GP clusters as areas, made once per bundle (several sections map them)."""
    for seen, polygons in _CLUSTERS:
        if seen is bundle:
            return polygons
    tables = bundle.tables
    polygons = fig.cluster_polygons(tables["lsoas"], tables["patients"], tables["practices"])
    _CLUSTERS[:] = [(bundle, polygons)]
    return polygons


def _area_map(bundle: DataBundle, areas: Any, table: pd.DataFrame, indicator: str, level: str, legend: str) -> Any:
    places = bundle.tables["lsoas"] if level == "cluster" else None
    return fig_primary.area_map(areas, table, indicator, level=level, legend_title=legend, places=places)


def _trajectory() -> pd.DataFrame:
    reference = bh.datasets.blmk_gp_workforce_trajectory()
    trajectory = bh.indicators.workforce_trajectory(
        reference.actuals, plan=reference.plan, target=reference.target, by="workforce"
    )
    return pd.DataFrame(trajectory)


def _trajectory_figure(trajectory: pd.DataFrame) -> Any:
    series = "GP FTE excluding registrars"
    return fig_primary.trajectory_chart(
        trajectory[trajectory["workforce"] == series],
        series=series,
        unit="GP FTE",
        title="BLMK GP workforce: actual and planned against the May 2018 trajectory and the 2020 target",
        plan_label="May 2018 trajectory",
    )


def _trajectory_table(trajectory: pd.DataFrame) -> html.ReportTable:
    def number(value: Any, sign: bool = False) -> str:
        return "" if pd.isna(value) else (f"{value:+,.1f}" if sign else f"{value:,.1f}")

    rows = [
        [
            str(r["workforce"]),
            str(r["period"]),
            str(r["kind"]),
            number(r["value"]),
            number(r["plan"]),
            number(r["variance_from_plan"], sign=True),
            number(r["target"]),
            number(r["variance_from_target"], sign=True),
        ]
        for r in trajectory.to_dict("records")
    ]
    return html.ReportTable(
        caption="BLMK workforce trajectory (FTE): actual and planned, against the May 2018 trajectory and the target",
        columns=["Workforce", "Period", "Actual or planned", "FTE", "May 2018 plan", "Variance", "Target", "Variance"],
        rows=rows,
        numeric=[False, False, False, True, True, True, True, True],
        note="Variance: FTE minus plan or target (positive: above). Figures as quoted in the BLMK plans.",
    )


def _first_period(table: pd.DataFrame, indicator: str) -> str:
    periods = table.loc[table["indicator_id"] == indicator, "period"].dropna()
    return str(periods.iloc[0]) if len(periods) else ""


def _no_return_note(table: pd.DataFrame, indicator: str) -> list[str]:
    rows = table[(table["indicator_id"] == indicator) & (table["level"] == "practice") & table["value"].isna()]
    if rows.empty:
        return []
    return [
        f"{len(group)} practice(s) without a value ({status}): {', '.join(sorted(group['area_name'].astype(str)))}."
        for status, group in rows.groupby("status", sort=True)
    ]


def _maps(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    tables = bundle.tables
    if "lsoas" not in tables:
        return bundle.skipped.get("lsoas", "the data have no small areas")
    lsoas = tables["lsoas"]
    figures = [_figure(fig.places_map(lsoas), fig.BOUNDARY_SOURCE)]
    notes = []
    if "patients" in tables and "practices" in tables:
        clusters = _cluster_polygons(bundle)
        figures.append(_figure(fig.clusters_map(clusters, places=lsoas), fig.BOUNDARY_SOURCE))
    else:
        notes.append("The data give no patients by small area, so GP clusters cannot be drawn as areas.")
    figures.append(_figure(fig.deprivation_map(lsoas), fig.IMD_SOURCE))
    return html.ReportSection(
        id="maps",
        title="Places, GP clusters and deprivation",
        lead="BLMK's four places, its GP clusters (primary care networks) and where its most deprived small areas are.",
        method="Small areas (LSOA 2011) by council; each small area in the GP cluster holding most of its "
        "registered residents; national IMD 2019 deciles (1 = the most deprived tenth of England).",
        source=fig.IMD_SOURCE,
        period="IMD 2019; boundaries 2011",
        figures=figures,
        notes=notes,
    )


def _definitions(bundle: DataBundle, table: pd.DataFrame, sdc: bool) -> html.ReportSection | str:
    catalogue = bh.indicators.catalogue()
    rows = [
        [str(r["title"]), str(r["definition"]), str(r["numerator"]), str(r["denominator"]), str(r["source"])]
        for r in catalogue.to_dict("records")
    ]
    return html.ReportSection(
        id="definitions",
        title="Indicator definitions",
        lead="What each indicator in this profile and in indicators.csv measures, and where its data come from.",
        method="Each indicator is computed from its definition in blmk_health's catalogue "
        "(blmk_health.indicators.catalogue()).",
        source="blmk_health indicator catalogue",
        period=_periods(bundle),
        tables=[
            html.ReportTable(
                caption="Indicator definitions",
                columns=["Indicator", "Definition", "Numerator", "Denominator", "Source"],
                rows=rows,
                numeric=[False] * 5,
            )
        ],
    )
