"""The package surface: imports, versions and frames helpers (the indicator catalogue: tests/indicators)."""

from __future__ import annotations

import pandas as pd
import pytest

import blmk_health as bh
from blmk_health._frames import ingest


def test_public_surface() -> None:
    assert {"indicators", "datasets", "errors", "show_versions", "__version__"} <= set(bh.__all__)
    for name in ["crude_rate", "proportion", "mean", "dsr", "isr", "quantiles", "catalogue", "ci"]:
        assert name in bh.indicators.__all__
        assert getattr(bh.indicators, name) is not None


@pytest.mark.parametrize("module", [bh, bh.indicators, bh.geo, bh.io, bh.datasets])
def test_namespaces_hold_only_the_curated_api(module: object) -> None:
    """``dir()`` shows what ``__all__`` lists (no stray ``annotations``), besides the package's own modules."""
    import types

    public = {name for name in dir(module) if not name.startswith("_")}
    stray = {name for name in public - set(module.__all__) if not isinstance(getattr(module, name), types.ModuleType)}
    assert not stray
    if module is bh:
        assert public == set(bh.__all__) - {"__version__"}


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
