"""``blmk-health report``: the files it writes, its arguments, its errors and the folders it will not touch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health.report._build import MARKER
from blmk_health.report._cli import main

SECTIONS = [
    "population",
    "mortality",
    "life-expectancy",
    "inequality",
    "recorded-prevalence",
    "primary-care-workforce",
    "primary-care-prevalence",
    "maps",
    "definitions",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "report"
    assert main(["report", "--scale", "0.02", "--out", str(out), "--quiet"]) == 0
    return out


def test_writes_the_page_and_the_tidy_table(report: Path) -> None:
    assert sorted(p.name for p in report.iterdir()) == sorted(
        [MARKER, "indicators.csv", "indicators.parquet", "index.html"]
    )
    page = (report / "index.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
    assert "Synthetic data" in page
    assert not re.search(r"""(?:src|href)=["']https?://""", page), "the page must not load anything"


def test_the_parquet_has_the_documented_schema(report: Path) -> None:
    table = pd.read_parquet(report / "indicators.parquet")
    assert list(table.columns) == list(bh.report.INDICATOR_COLUMNS)
    for column, dtype in bh.report.INDICATOR_COLUMNS.items():
        kind = {"str": "string", "float64": "floating", "bool": "boolean"}[dtype]
        assert pd.api.types.infer_dtype(table[column], skipna=True) in (kind, "empty"), column
    assert set(table["indicator_id"]) == set(bh.indicators.catalogue()["id"])
    outputs = bh.indicators.catalogue().set_index("id")["output"]
    for column in ("numerator", "denominator"):
        # staff full-time equivalents and modelled expected cases are published as they are
        kept = table["indicator_id"].map(lambda i, c=column: (outputs[i] or {}).get(c) in ("staff", "expected"))
        assert kept.any()
        people = table.loc[~kept, column].dropna()
        assert ((people == 0) | (people >= 8)).all(), column
        assert (people % 5 == 0).all(), column


def _section(page: str, section: str) -> str:
    start = page.index(f'id="{section}"')
    end = page.find("<section", start)
    return page[start : end if end > 0 else None]


def test_primary_care_sections(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    workforce = _section(page, "primary-care-workforce")
    assert workforce.count("<img") == 4  # practices, clusters, cluster map, trajectory
    assert re.search(r'alt="Registered patients per GP \(FTE, fully qualified\) of \d+ practices plotted', workforce)
    assert "3 practice(s) without a value (blank: no workforce return)" in workforce
    # the BLMK trajectory table: the variances the plans quote
    for figure in ("+0.9", "-3.4", "+42.7", "537.5", "1,499.4"):
        assert f">{figure}<" in workforce, figure
    prevalence = _section(page, "primary-care-prevalence")
    assert prevalence.count("<img") == 4  # detection ratio by cluster and its map, for each condition
    for name in (
        "Hypertension: estimated undiagnosed",
        "Atrial fibrillation: detection ratio",
        "Hypertension: not treated to target",
        "Atrial fibrillation: expected prevalence",
    ):
        assert name in prevalence, name


def test_the_csv_cannot_start_a_formula(report: Path) -> None:
    text = pd.read_csv(report / "indicators.csv", dtype=str, keep_default_na=False)
    cells = text.to_numpy().ravel()
    numeric = pd.to_numeric(pd.Series(cells), errors="coerce").notna().to_numpy()
    risky = [c for c, n in zip(cells, numeric, strict=True) if not n and c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not risky
    assert len(text) == len(pd.read_parquet(report / "indicators.parquet"))


def test_writes_again_into_its_own_folder(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--scale", "0.01", "--out", str(report)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"Report written to {report / 'index.html'} (open it in a web browser)"
    assert captured.err == ""  # no progress bar when standard error is not a terminal


def test_refuses_a_folder_of_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["report", "--scale", "0.01", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("blmk-health report: error: out: the folder")
    assert "--force" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert main(["report", "--scale", "0.01", "--out", str(tmp_path), "--quiet", "--force"]) == 0
    assert (tmp_path / "index.html").is_file()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_refuses_a_file_as_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.html"
    target.write_text("x")
    assert main(["report", "--out", str(target), "--quiet"]) == 1
    assert "is a file; give a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scale", "2"], "argument --scale: must be above 0 and at most 1, got 2"),
        (["--scale", "0"], "argument --scale: must be above 0 and at most 1, got 0"),
        (["--scale", "half"], "argument --scale: expected a number such as 0.1 or 1, got 'half'"),
        (["--seed", "-1"], "argument --seed: expected a whole number >= 0, got '-1'"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_give_one_line(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", *arguments])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_unreadable_data_give_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r"), "--quiet"]) == 1
    assert "is not there; give the folder that holds the published files" in capsys.readouterr().err
    data = tmp_path / "data"
    data.mkdir()
    (data / "PREVALENCE_1920.csv").write_text("just,some\nwords,here\n")
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "r"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot read PREVALENCE_1920.csv as a QOF prevalence file" in err
    assert not (tmp_path / "r").exists()


def test_no_sdc_publishes_the_counts_as_they_are(tmp_path: Path) -> None:
    assert main(["report", "--scale", "0.01", "--out", str(tmp_path), "--quiet", "--no-sdc"]) == 0
    table = pd.read_parquet(tmp_path / "indicators.parquet")
    counts = table["numerator"].dropna()
    assert ((counts >= 1) & (counts <= 7)).any()
    assert not table["suppressed"].any()
    assert "protection was turned off" in (tmp_path / "index.html").read_text(encoding="utf-8").lower()


def test_real_folder(blmk_dir: Path, tmp_path: Path) -> None:
    assert main(["report", "--data", str(blmk_dir), "--out", str(tmp_path), "--quiet"]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Synthetic data - not real patients" not in page
    assert 'id="recorded-prevalence"' in page
    assert 'id="mortality"' not in page
    assert 'id="primary-care-workforce"' not in page  # no workforce file: listed as skipped, with why
    assert "no GP workforce file (*workforce*.csv) in the folder" in page
    table = pd.read_parquet(tmp_path / "indicators.parquet")
    skipped = table[table["status"].str.startswith("skipped")]
    assert "life_expectancy_at_birth" in set(skipped["indicator_id"])
    assert "Life expectancy at birth" in page  # listed among what was skipped, with why


def test_version_and_module_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "blmk_health", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"blmk-health {bh.__version__}"
    bare = subprocess.run([sys.executable, "-m", "blmk_health"], capture_output=True, text=True, check=False)
    assert bare.returncode == 2
    assert "report" in bare.stdout
