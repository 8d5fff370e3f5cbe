"""Helpers shared by the test modules: CI detection and skips, the kinds of frame (backends) the tests
run on, and numeric comparison.

Under CI nothing may skip: :func:`skip_or_fail` skips with its reason on a developer's machine and
fails with it under CI, and :func:`require_module` is ``pytest.importorskip`` built on it.
:func:`require_chromium` finds a headless browser the same way, and :class:`Chromium` (the ``chromium``
fixture) opens a page in it and reports its console errors and how its images rendered.
"""

from __future__ import annotations

import base64
import importlib
import io
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

from blmk_health._frames import to_pandas as _frames_to_pandas
from blmk_health.testing import assert_indicator_frame_equal

#: Values of an environment flag that mean "off" (any case, surrounding spaces ignored); any other
#: value means "on", so that ``CI=1``, ``CI=true`` and ``CI=yes`` all mean CI.
FALSE_VALUES = frozenset({"", "0", "false", "no", "off", "n", "f"})

#: The backends every backend test runs on; Spark, behind the ``spark`` marker, is added by conftest.
FRAME_BACKENDS = ("pandas", "polars", "polars-lazy", "pyarrow", "duckdb")

#: Backends whose frames are lazy: results stay lazy, and joins keep no row order.
LAZY = frozenset({"polars-lazy", "duckdb", "spark"})

#: Backends whose frames have no row order (SQL relations): row-wise results are compared sorted.
UNORDERED = frozenset({"duckdb", "spark"})

#: A typical area's life-table input: the 20 bands, deaths and populations of each band.
LE_BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
LE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
LE_POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601]
LE_POPS += [50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]


# ----------------------------------------------------------------------------------- CI and skips


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a true-ish value (anything but
    :data:`FALSE_VALUES`, such as ``1``, ``true`` or ``yes``)."""
    return os.environ.get(name, "").strip().lower() not in FALSE_VALUES


def running_in_ci() -> bool:
    """Whether the tests run under continuous integration (``CI`` set to a true-ish value)."""
    return env_flag("CI")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test (or module) with ``reason``; under CI, where nothing may skip, fail with it."""
    if running_in_ci():
        pytest.fail(f"{reason}; under CI (CI={os.environ.get('CI')!r}) nothing may skip", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str, reason: str) -> ModuleType:
    """Import ``name`` for a test, as ``pytest.importorskip`` does, but failing under CI."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        skip_or_fail(f"{name} cannot be imported ({err}): {reason}")


def require_java() -> None:
    """Skip (fail under CI) where Spark cannot start: no ``java`` on PATH and no ``JAVA_HOME``."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("PySpark needs Java: no `java` on PATH and JAVA_HOME is unset (install a JDK 17+)")


# ----------------------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class Backend:
    """A kind of frame the tests run on (the value of the ``backend`` fixture).

    ``backend(df)`` converts a pandas test frame to this kind; ``backend.assert_matches(result,
    expected)`` checks that a result is of this kind and equals the pandas result by value.
    """

    name: str
    convert: Callable[[pd.DataFrame], Any]
    kind: type | tuple[type, ...]

    def __call__(self, data: pd.DataFrame) -> Any:
        """``data`` (a pandas frame, not modified) as a frame of this backend."""
        return self.convert(data)

    def __str__(self) -> str:
        return self.name

    @property
    def keeps_row_order(self) -> bool:
        """Whether frames of this backend have a row order (SQL relations, DuckDB and Spark, do not)."""
        return self.name not in UNORDERED

    @property
    def lazy(self) -> bool:
        """Whether frames of this backend are lazy (Polars lazy, DuckDB, Spark): joins keep no row order."""
        return self.name in LAZY

    def is_kind(self, result: Any) -> bool:
        """Whether ``result`` is a frame of this backend (lazy inputs give lazy results)."""
        return isinstance(result, self.kind)

    def assert_kind(self, result: Any) -> None:
        """Assert that ``result`` is a frame of this backend."""
        assert self.is_kind(result), f"{self.name} input gave a {type(result).__module__}.{type(result).__name__}"

    def assert_matches(
        self, result: Any, expected: Any, *, by: str | Sequence[str] | None = None, **kwargs: Any
    ) -> None:
        """Assert that ``result`` is a frame of this backend and equals ``expected`` by value.

        Rows are compared in order, so that the order a function promises (sorted by its ``by``
        columns) is checked too; on backends without row order (DuckDB, Spark) both frames are first
        sorted by ``by`` when it is given, which row-wise results need. Other keyword arguments go to
        :func:`blmk_health.testing.assert_indicator_frame_equal`.
        """
        self.assert_kind(result)
        keys = None if self.keeps_row_order else by
        assert_indicator_frame_equal(result, expected, by=keys, **kwargs)


def to_backend(df: pd.DataFrame, backend: str) -> Any:
    """Convert a pandas frame to one of :data:`FRAME_BACKENDS` (Spark needs a session: use the fixture)."""
    if backend == "pandas":
        return df.copy()
    if backend in ("polars", "polars-lazy"):
        import polars as pl

        out = pl.from_pandas(df)
        return out.lazy() if backend == "polars-lazy" else out
    if backend == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(df, preserve_index=False)
    if backend == "duckdb":
        import duckdb

        return duckdb.from_arrow(to_backend(df, "pyarrow"))
    raise ValueError(backend)


def frame_backend(name: str) -> Backend:
    """The :class:`Backend` of one of :data:`FRAME_BACKENDS`."""
    import duckdb
    import polars as pl
    import pyarrow as pa

    kinds: dict[str, type] = {
        "pandas": pd.DataFrame,
        "polars": pl.DataFrame,
        "polars-lazy": pl.LazyFrame,
        "pyarrow": pa.Table,
        "duckdb": duckdb.DuckDBPyRelation,
    }
    return Backend(name, lambda df: to_backend(df, name), kinds[name])


def spark_backend(session: Any) -> Backend:
    """The Spark :class:`Backend` of a session (a local one from the ``spark_session`` fixture)."""
    from pyspark.sql import DataFrame

    return Backend("spark", lambda df: session.createDataFrame(to_backend(df, "pyarrow")), DataFrame)


def to_pandas(result: Any) -> pd.DataFrame:
    """Any result frame as pandas (collecting lazy ones)."""
    return _frames_to_pandas(result, "result")


# ------------------------------------------------------------------------------------------ numbers


def assert_close(actual: Any, expected: Any, rtol: float = 1e-8, atol: float = 0.0) -> None:
    """Element-wise relative comparison with missing values in the same places."""
    a, b = _floats(actual), _floats(expected)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg="missing values differ")
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=rtol, atol=atol)


def _floats(values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.atleast_1d(np.asarray(values, dtype=float)).ravel()


# ------------------------------------------------------------------------------------------ browser

#: Environment variable naming a Chromium binary to use instead of the one found on PATH.
CHROMIUM_ENV = "BLMK_CHROMIUM"

#: Names of a Chromium binary looked for on PATH, Debian's package (``/usr/bin/chromium``) first.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")

#: Flags for headless Chromium run as root on a machine with a closed network: no sandbox (root), no
#: GPU, and none of the background connections (updates, sync, safe browsing) that a closed network
#: refuses. The fixture adds a new empty ``--user-data-dir`` for every run.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
)

#: URL schemes a self-contained page may load: itself, its embedded data and nothing from a network.
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})

#: A figure counts as blank when fewer than this share of its pixels differ from its background.
MIN_INK = 0.002

#: Smallest natural and displayed size, in pixels, of a figure (a chart shrunk to an icon is a bug).
MIN_FIGURE_PX = 100

# Run in the page once it has loaded: open collapsed sections, load lazy images, wait for every image
# to decode, then describe each one (the ``decoded`` flag is false for a missing or corrupt image).
_IMAGES_JS = """async () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const images = Array.from(document.images);
  images.forEach((img) => { if (img.loading === 'lazy') img.loading = 'eager'; });
  const decoded = await Promise.all(images.map((img) => img.decode().then(() => true, () => false)));
  return images.map((img, i) => {
    const box = img.getBoundingClientRect();
    return {src: img.currentSrc || img.src, alt: img.alt, natural_width: img.naturalWidth,
            natural_height: img.naturalHeight, width: box.width, height: box.height, decoded: decoded[i]};
  });
}"""


def find_chromium() -> str | None:
    """The path of a Chromium binary: ``$BLMK_CHROMIUM`` if set, else the first of
    :data:`CHROMIUM_NAMES` on PATH (Debian's ``chromium`` package installs ``/usr/bin/chromium``)."""
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    if configured:
        return shutil.which(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The path of a Chromium binary; skip (fail under CI) when none is installed."""
    found = find_chromium()
    if found is None:
        where = os.environ.get(CHROMIUM_ENV) or " or ".join(CHROMIUM_NAMES) + " on PATH"
        skip_or_fail(
            f"no Chromium found ({where}): the browser tests need one "
            f"(Debian: `apt-get install chromium`; or set {CHROMIUM_ENV} to its path)"
        )
    return found


def ink_fraction(png: bytes) -> float:
    """The share of the pixels of a PNG that differ (by more than 16 of 255 in a channel) from its
    most common colour, its background: 0 for a blank image of one colour."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32).reshape(-1, 3)
    if len(pixels) == 0:
        return 0.0
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    background = np.array([(colours[counts.argmax()] >> s) & 0xFF for s in (16, 8, 0)])
    return float((np.abs(pixels - background).max(axis=1) > 16).mean())


def data_uri_size(src: str) -> tuple[int, int] | None:
    """Width and height of the image in a base64 ``data:`` URI, decoded by Pillow (None otherwise)."""
    if not src.startswith("data:") or ";base64," not in src:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as image:
        return image.size


@dataclass(frozen=True)
class RenderedImage:
    """One ``<img>`` of a page as Chromium showed it."""

    index: int
    src: str
    alt: str
    natural_width: int
    natural_height: int
    width: float
    height: float
    decoded: bool
    ink: float

    def __str__(self) -> str:
        src = self.src if len(self.src) <= 60 else self.src[:57] + "..."
        return f"image {self.index} ({self.alt or 'no alt text'}; {src})"

    def problems(self) -> list[str]:
        """What is wrong with the image as shown: not decoded, no natural size, too small, shown
        stretched, blank, a size that disagrees with its data, or loaded from outside the page."""
        found = []
        if not self.decoded or self.natural_width == 0 or self.natural_height == 0:
            return [f"{self}: did not decode (natural size {self.natural_width}x{self.natural_height})"]
        if urlsplit(self.src).scheme not in LOCAL_SCHEMES:
            found.append(f"{self}: loaded from outside the page")
        if min(self.natural_width, self.natural_height, self.width, self.height) < MIN_FIGURE_PX:
            found.append(
                f"{self}: smaller than {MIN_FIGURE_PX} px (natural {self.natural_width}x{self.natural_height},"
                f" shown {self.width:.0f}x{self.height:.0f})"
            )
        elif abs(self.width / self.height - self.natural_width / self.natural_height) > 0.03 * (
            self.natural_width / self.natural_height
        ):
            found.append(f"{self}: shown stretched ({self.width:.0f}x{self.height:.0f})")
        if self.ink < MIN_INK:
            found.append(f"{self}: blank on screen ({self.ink:.2%} of its pixels differ from the background)")
        expected = data_uri_size(self.src)
        if expected is not None and expected != (self.natural_width, self.natural_height):
            found.append(f"{self}: the browser's size differs from the PNG's {expected}")
        return found


@dataclass
class PageVisit:
    """What happened when Chromium opened a page: its console, its errors, the requests it made, and
    each image as shown (with a screenshot of the whole page)."""

    url: str
    console: list[tuple[str, str]]
    page_errors: list[str]
    failed_requests: list[str]
    requests: list[str]
    images: list[RenderedImage]
    screenshot: Path

    @property
    def console_errors(self) -> list[str]:
        """The console's error messages (a failed load of a resource is one)."""
        return [text for kind, text in self.console if kind in ("error", "assert")]

    @property
    def outside_requests(self) -> list[str]:
        """Requests to anything but the page and its embedded data (a self-contained page makes none)."""
        return [url for url in self.requests if urlsplit(url).scheme not in LOCAL_SCHEMES]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions, failed requests and requests to outside the page."""
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception: {text}" for text in self.page_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
            + [f"request to outside the page: {url}" for url in self.outside_requests]
        )

    def image_problems(self) -> list[str]:
        """What is wrong with the images (see :meth:`RenderedImage.problems`)."""
        return [problem for image in self.images for problem in image.problems()]


class Chromium:
    """Headless Chromium driven by Playwright (the ``chromium`` fixture): ``open(path)`` loads a page
    and returns a :class:`PageVisit`."""

    def __init__(self, context: Any, screenshots: Path) -> None:
        self.context = context
        self.screenshots = screenshots

    def open(self, path: Path, *, timeout_s: float = 60) -> PageVisit:
        """Open the HTML file ``path``, wait for it and its images to load, and describe what happened."""
        page = self.context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        console: list[tuple[str, str]] = []
        page_errors: list[str] = []
        failed: list[str] = []
        requests: list[str] = []
        page.on("console", lambda message: console.append((message.type, message.text)))
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.on("requestfailed", lambda request: failed.append(f"{request.url[:100]} ({request.failure})"))
        page.on("request", lambda request: requests.append(request.url))
        try:
            url = Path(path).resolve().as_uri()
            page.goto(url, wait_until="load")
            described = page.evaluate(_IMAGES_JS)
            images = [self._rendered(page, i, image) for i, image in enumerate(described)]
            shot = self.screenshots / f"{Path(path).stem}-{len(list(self.screenshots.iterdir()))}.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            page.close()
        return PageVisit(url, console, page_errors, failed, requests, images, shot)

    @staticmethod
    def _rendered(page: Any, index: int, image: dict[str, Any]) -> RenderedImage:
        """An image with the share of inked pixels in a screenshot of it as shown on the page."""
        ink = 0.0
        if image["decoded"] and image["width"] >= 1 and image["height"] >= 1:
            ink = ink_fraction(page.locator("img").nth(index).screenshot(animations="disabled"))
        return RenderedImage(index=index, ink=ink, **image)
