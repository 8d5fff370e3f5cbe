"""Shared test fixtures.

Tests that read the reference data in ``../shared/data`` (golden files of PHEindicatormethods and real
BLMK files) skip with a clear reason where that folder is absent, as it is for someone who installed
the package from PyPI, but fail when ``CI=true``, since CI always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BLMK_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _shared_folder(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        reason = f"reference data folder {folder} is absent (it sits beside the project checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must have it")
        pytest.skip(reason)
    return folder


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """``../shared/data/phe_golden``: golden test data of PHEindicatormethods."""
    return _shared_folder("phe_golden")


@pytest.fixture(scope="session")
def blmk_dir() -> Path:
    """``../shared/data/blmk``: real public BLMK files."""
    return _shared_folder("blmk")
