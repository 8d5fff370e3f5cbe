"""The report's page in headless Chromium: it opens with no console errors and no request to outside the
page, and every figure renders (decoded, of the size of its PNG, shown unstretched and not blank).

The first tests prove the harness on small hand-written pages: one good page with an embedded PNG, and
pages with a console error, an uncaught exception, a missing image, a blank image and an image from a
network, each of which it must catch. Chromium is Debian's (``apt-get install chromium``, which
``.ci/run`` does); where none is installed these tests skip with the reason, and fail under CI.
"""

from __future__ import annotations

import base64
import importlib
import io
from pathlib import Path

import pytest

from tests.helpers import Chromium, PageVisit

# ----------------------------------------------------------------------------------------- the harness


def _png_data_uri(*, blank: bool = False) -> str:
    """A small chart (or a blank figure) as a base64 PNG data URI, as the report embeds its figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 3), dpi=80)
    if blank:
        axes.set_axis_off()
    else:
        axes.plot([1, 2, 3, 4], [3, 1, 4, 1], linewidth=3)
        axes.set_title("A chart")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _page(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{name}</title></head>'
        f"<body><h1>{name}</h1>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def test_harness_passes_a_good_page(chromium: Chromium, tmp_path: Path) -> None:
    chart = _png_data_uri()
    body = f'<img src="{chart}" alt="chart"><details><summary>More</summary><img src="{chart}" alt="hidden"></details>'
    visit = chromium.open(_page(tmp_path, "good", body))
    assert visit.errors() == []
    assert [image.alt for image in visit.images] == ["chart", "hidden"]
    assert visit.image_problems() == []
    image = visit.images[0]
    assert (image.natural_width, image.natural_height) == (320, 240)
    assert image.ink > 0.01
    assert visit.screenshot.stat().st_size > 0


def test_harness_catches_console_errors_and_exceptions(chromium: Chromium, tmp_path: Path) -> None:
    body = "<script>console.error('deliberate console error'); console.warn('only a warning');</script>"
    body += "<script>undefinedFunction();</script>"
    visit = chromium.open(_page(tmp_path, "errors", body))
    assert visit.console_errors == ["deliberate console error"]
    assert len(visit.page_errors) == 1
    assert "undefinedFunction" in visit.page_errors[0]
    assert len(visit.errors()) == 2


def test_harness_catches_missing_blank_and_outside_images(chromium: Chromium, tmp_path: Path) -> None:
    body = '<img src="missing.png" alt="missing">'
    body += f'<img src="{_png_data_uri(blank=True)}" alt="blank">'
    body += f'<img src="{_png_data_uri()}" alt="squashed" style="width: 300px; height: 120px">'
    body += '<img src="https://example.invalid/figure.png" alt="remote">'
    visit = chromium.open(_page(tmp_path, "bad-images", body))
    problems = visit.image_problems()
    assert any("(missing;" in p and "did not decode" in p for p in problems), problems
    assert any("(blank;" in p and "blank on screen" in p for p in problems), problems
    assert any("(squashed;" in p and "stretched" in p for p in problems), problems
    assert any("(remote;" in p and "did not decode" in p for p in problems), problems
    errors = visit.errors()
    assert any("missing.png" in e for e in errors), errors
    assert any(e.startswith("request to outside the page: https://example.invalid/") for e in errors), errors


# ------------------------------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def report_visit(chromium: Chromium, tmp_path_factory: pytest.TempPathFactory) -> PageVisit:
    """The report of a 2% synthetic BLMK, built once and opened in Chromium."""
    report = importlib.import_module("blmk_health.report")
    out = tmp_path_factory.mktemp("report") / "report"
    index = Path(report.build_report(out, scale=0.02, seed=0, progress=False))
    assert index == out / "index.html"
    return chromium.open(index)


def test_report_opens_without_console_errors(report_visit: PageVisit) -> None:
    assert report_visit.errors() == []


def test_report_figures_render(report_visit: PageVisit) -> None:
    """Every figure (population pyramid, mortality, life expectancy, the SII chart, the maps) is an
    embedded PNG that decodes to its own size and shows on the screenshot as more than a blank box."""
    assert len(report_visit.images) >= 6, [str(image) for image in report_visit.images]
    assert report_visit.image_problems() == []
    assert all(image.src.startswith("data:image/png;base64,") for image in report_visit.images)
    assert report_visit.screenshot.stat().st_size > 0
