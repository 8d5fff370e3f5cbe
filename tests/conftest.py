"""Shared test fixtures: the reference data folders, and the ``backend`` every backend test runs on.

Tests that read the reference data in ``../shared/data`` (golden files of PHEindicatormethods and real
BLMK files) skip with a clear reason where that folder is absent, as it is for someone who installed
the package from PyPI, but fail under CI (``CI`` set to ``true``, ``1``, ``yes``, ...), since CI always
has it. The same holds for optional libraries, for Java, which Spark needs, and for Chromium, which the
browser tests need (``chromium``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CHROMIUM_ARGS,
    FRAME_BACKENDS,
    Backend,
    Chromium,
    frame_backend,
    require_chromium,
    require_java,
    require_module,
    skip_or_fail,
    spark_backend,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BLMK_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _shared_folder(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        skip_or_fail(f"reference data folder {folder} is absent (it sits beside the project checkout)")
    return folder


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """``../shared/data/phe_golden``: golden test data of PHEindicatormethods."""
    return _shared_folder("phe_golden")


@pytest.fixture(scope="session")
def blmk_dir() -> Path:
    """``../shared/data/blmk``: real public BLMK files."""
    return _shared_folder("blmk")


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """A local Spark session for the whole run (one core, no UI, 2 shuffle partitions, UTC), started
    only when a test uses the ``spark`` backend."""
    require_java()
    sql = require_module("pyspark.sql", "PySpark is an optional extra (blmk-health[spark])")
    session = (
        sql.SparkSession.builder.master("local[1]")
        .appName("blmk_health tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


# PySpark's own warning about pandas 3 is not ours to fix (filtered by message: pytest.warns re-emits it).
SPARK = pytest.param(
    "spark",
    marks=[pytest.mark.spark, pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")],
)


@pytest.fixture(params=[*FRAME_BACKENDS, SPARK])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each kind of frame a public function accepts: pandas, Polars, Polars lazy, PyArrow, DuckDB and
    (marked ``spark``) PySpark.

    A test takes test data as pandas and compares with the pandas result::

        def test_dsr(backend: Backend) -> None:
            expected = bh.indicators.dsr(data, ...)
            backend.assert_matches(bh.indicators.dsr(backend(data), ...), expected)

    ``backend(df)`` converts, ``backend.assert_kind(result)`` checks the kind of a result and
    ``backend.assert_matches(result, expected, by=keys)`` checks the kind and every value (sorting by
    ``keys`` on backends without row order).
    """
    if request.param == "spark":
        return spark_backend(request.getfixturevalue("spark_session"))
    return frame_backend(request.param)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """Headless Chromium (Debian's ``/usr/bin/chromium``, or ``$BLMK_CHROMIUM``) driven by Playwright,
    with a new empty profile; skips (fails under CI) where no Chromium is installed.

    ``chromium.open(path)`` returns a :class:`tests.helpers.PageVisit`: the console errors, uncaught
    exceptions and requests of the page, and each ``<img>`` as shown. Playwright downloads no browser
    here: it drives the installed one. Module-scoped, so that Playwright's event loop is closed before
    other modules' tests run.
    """
    executable = require_chromium()
    sync_api = require_module("playwright.sync_api", "the browser tests drive Chromium with Playwright (test extra)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    screenshots = tmp_path_factory.mktemp("screenshots")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield Chromium(context, screenshots)
        finally:
            context.close()
