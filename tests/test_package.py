"""The package surface: imports, versions, frames helpers and the indicator catalogue."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health._frames import ingest
from blmk_health.errors import SchemaError
from blmk_health.indicators.catalogue import FIELDS, load_entry, validate_entry


def test_public_surface() -> None:
    assert {"indicators", "datasets", "errors", "show_versions", "__version__"} <= set(bh.__all__)
    for name in ["crude_rate", "proportion", "mean", "dsr", "isr", "quantiles", "catalogue", "ci"]:
        assert name in bh.indicators.__all__
        assert getattr(bh.indicators, name) is not None


def test_import_is_light() -> None:
    code = (
        "import sys, blmk_health; heavy = [m for m in ('geopandas', 'sklearn', 'statsmodels', 'matplotlib', "
        "'pyspark', 'scipy.stats') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_show_versions(capsys: pytest.CaptureFixture[str]) -> None:
    versions = bh.show_versions(as_dict=True)
    assert versions is not None
    assert versions["pandas"] == pd.__version__
    assert bh.show_versions() is None
    printed = capsys.readouterr().out
    assert "narwhals" in printed
    assert "python" in printed


def test_ingest_passes_frames_through() -> None:
    frame = ingest(pd.DataFrame({"a": [1]}))
    assert ingest(frame) is frame
    assert frame.columns == ["a"]


# --- catalogue ------------------------------------------------------------------------------------


def good_entry() -> dict[str, Any]:
    return {
        "id": "emergency_admissions_dsr",
        "title": "Emergency admissions",
        "definition": "Emergency hospital admissions, directly age-sex standardised.",
        "numerator": "Emergency spells",
        "denominator": "Resident population",
        "unit": "per 100,000 population",
        "multiplier": 100_000,
        "method": "dsr",
        "low_is_good": True,
        "geography_levels": ["cluster", "place"],
        "source": "Hospital Episode Statistics",
        "references": ["NHS Digital, Compendium of population health indicators"],
        "authored_by": "A. Analyst",
        "checked_by": "B. Checker",
        "date_reviewed": dt.date(2026, 11, 1),
        "next_review": dt.date(2027, 11, 1),
    }


def test_shipped_catalogue_is_valid() -> None:
    table = bh.indicators.catalogue()
    assert list(table.columns) == list(FIELDS)
    assert table["id"].is_unique
    assert table["id"].tolist() == sorted(table["id"])
    for method in table["method"]:
        assert callable(getattr(bh.indicators, method))


def test_valid_entry_round_trips(tmp_path: Path) -> None:
    entry = good_entry()
    assert validate_entry(entry) == entry
    text = "\n".join(f"{k} = {_toml(v)}" for k, v in entry.items())
    path = tmp_path / "emergency_admissions_dsr.toml"
    path.write_text(text)
    assert load_entry(path) == entry


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"title": None}, "missing fields: title"),
        ({"colour": "red"}, "unknown fields: colour"),
        ({"multiplier": "100000"}, "multiplier: expected int or float"),
        ({"multiplier": True}, "multiplier: expected int or float"),
        ({"multiplier": 0}, "multiplier: must be > 0"),
        ({"id": "Emergency Admissions"}, "id: must be snake_case"),
        ({"method": "guesswork"}, "method: 'guesswork' is not one of"),
        ({"low_is_good": "sometimes"}, "low_is_good: true, false or 'not applicable'"),
        ({"geography_levels": ["ward"]}, "geography_levels: expected a non-empty list"),
        ({"geography_levels": []}, "geography_levels: expected a non-empty list"),
        ({"references": []}, "references: expected a non-empty list of strings"),
        ({"definition": "  "}, "definition: must not be empty"),
        ({"date_reviewed": "2026-11-01"}, "date_reviewed: expected date"),
        ({"next_review": dt.date(2026, 1, 1)}, "next_review (2026-01-01) must be after date_reviewed"),
    ],
)
def test_invalid_entries(change: dict[str, Any], fragment: str) -> None:
    entry = good_entry()
    for key, value in change.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    with pytest.raises(SchemaError) as err:
        validate_entry(entry, "x.toml")
    assert fragment in str(err.value)
    assert str(err.value).startswith("x.toml: catalogue entry is invalid")


def test_load_entry_problems(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("id = ")
    with pytest.raises(SchemaError, match=r"broken\.toml: not valid TOML"):
        load_entry(bad)
    other = tmp_path / "other_name.toml"
    other.write_text("\n".join(f"{k} = {_toml(v)}" for k, v in good_entry().items()))
    with pytest.raises(SchemaError, match="must equal the file name 'other_name'"):
        load_entry(other)
