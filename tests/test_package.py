"""The package surface: imports, versions and frames helpers (the indicator catalogue: tests/indicators)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health._frames import ingest


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
