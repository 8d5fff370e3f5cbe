"""The report's page (blmk_health.report._html): one self-contained, valid, accessible HTML5 page.

The page is parsed with the standard library's ``html.parser`` and checked structurally: every element
closed in order, the HTML5 head, the banner only for synthetic data, each section's method, source
and period, images only as PNG data URIs with alt text and their true size, no script, stylesheet link,
font or other request, tables with captions and scoped headers, and every text escaped.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest

from blmk_health.errors import InputError, SchemaError
from blmk_health.report import _html as page

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HOSTILE = '<script>alert("x")</script> & "quotes"'


# ----------------------------------------------------------------------------------------------- the parser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        parts = list(self.text)
        for child in self.children:
            parts.append(child.all_text())
        return " ".join(" ".join(parts).split())

    def find_all(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found.extend(child.find_all(tag))
        return found


class StrictParser(HTMLParser):
    """A tree of the page that fails on an element closed out of order or never closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root
        self.problems: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.current.tag != tag:
            self.problems.append(f"</{tag}> closes <{self.current.tag}>")
            return
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)


def parse(html: str) -> Element:
    parser = StrictParser()
    parser.feed(html)
    parser.close()
    assert parser.problems == []
    assert parser.current is parser.root, f"<{parser.current.tag}> never closed"
    assert parser.doctype.lower() == "doctype html"
    return parser.root


# ----------------------------------------------------------------------------------------------- fixtures


def _png(width: float = 3.0, height: float = 2.0) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([1, 2, 3], [2, 1, 3])
    return page.figure_to_png(fig, dpi=100)


def _tidy() -> pd.DataFrame:
    rows = [
        ("Bedford", "place", "Male", 79.41, 78.85, 79.98, 2148.0, 254820.0, "ok", False),
        ("Luton", "place", "Male", np.nan, np.nan, np.nan, np.nan, np.nan, "blank: total population <= 5,000", False),
        ("Luton", "place", "Female", 81.69, 81.18, 82.19, 2380.0, 322305.0, "ok", True),
        ("Bedfordshire, Luton and Milton Keynes", "icb", "Male", 79.46, 79.22, 79.71, 11028.0, 1394202.0, "ok", False),
        ("Practice <1>", "practice", "Male", 70.0, 60.0, 80.0, 1.0, 2.0, "ok", False),
    ]
    table = pd.DataFrame(
        rows,
        columns=[
            "area_name",
            "level",
            "sex",
            "value",
            "lower",
            "upper",
            "numerator",
            "denominator",
            "status",
            "suppressed",
        ],
    )
    return table.assign(
        indicator_id="life_expectancy_at_birth",
        indicator_name="Life expectancy at birth",
        area_code="X",
        period="2016-18",
        unit="years",
        confidence="95%",
        method="Chiang II",
    )


def _context(synthetic: bool = True, **changes: Any) -> page.ReportContext:
    figure = page.ReportFigure(_png(), alt="A line chart of three points.", caption="Source: test data.")
    sections = [
        page.ReportSection(
            id="life-expectancy",
            title="Life expectancy",
            lead="How long people live.",
            method="Chiang II abridged life table",
            source="ONS deaths and populations; see https://fingertips.phe.org.uk",
            period="2016-18",
            figures=[figure],
            tables=[page.indicator_table(_tidy(), "life_expectancy_at_birth")],
            notes=["A note."],
        ),
        page.ReportSection(
            id="maps",
            title="Maps",
            lead="",
            method="Choropleth maps",
            source="ONS boundaries",
            period="2011",
            figures=[replace(figure, alt="A second chart.")],
        ),
    ]
    context = page.ReportContext(
        title="BLMK system profile",
        generated=date(2026, 12, 2),
        source="The synthetic BLMK",
        period="2016-18",
        synthetic=synthetic,
        sections=sections,
        skipped=[("Workforce", "no workforce file")],
        version="1.2.3",
    )
    return replace(context, **changes)


def _section(root: Element, section_id: str) -> Element:
    (found,) = [s for s in root.find_all("section") if s.attrs.get("id") == section_id]
    return found


# ----------------------------------------------------------------------------------------------- the page


def test_page_is_html5_and_self_contained() -> None:
    html = page.render_html(_context())
    root = parse(html)
    (document,) = root.find_all("html")
    assert document.attrs["lang"] == "en-GB"
    metas = root.find_all("meta")
    assert any(m.attrs.get("charset", "").lower() == "utf-8" for m in metas)
    assert any(m.attrs.get("name") == "viewport" and "width=device-width" in m.attrs["content"] for m in metas)
    (title,) = root.find_all("title")
    assert title.all_text() == "BLMK system profile (synthetic data)"
    assert root.find_all("script") == []
    assert root.find_all("link") == []
    assert root.find_all("iframe") == []
    styles = " ".join(s.all_text() for s in root.find_all("style"))
    assert "@media print" in styles
    assert "@page" in styles
    assert not re.search(r"url\(|@import|@font-face", styles)
    for element in [e for tag in ("img", "a", "source", "link", "object") for e in root.find_all(tag)]:
        for attribute in ("src", "href", "data", "srcset"):
            value = element.attrs.get(attribute, "")
            assert not value.lower().startswith(("http:", "https:", "//")), (element.tag, value)
    assert all(a.attrs["href"].startswith("#") for a in root.find_all("a"))


def test_images_are_png_data_uris_with_alt_text_and_size() -> None:
    root = parse(page.render_html(_context()))
    images = root.find_all("img")
    assert len(images) == 2
    for image in images:
        src = image.attrs["src"]
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png.startswith(b"\x89PNG")
        assert image.attrs["alt"].strip()
        assert (int(image.attrs["width"]), int(image.attrs["height"])) == page.ReportFigure(png, "x").size
    assert [i.attrs["alt"] for i in images] == ["A line chart of three points.", "A second chart."]
    assert [c.all_text() for c in root.find_all("figcaption")] == ["Source: test data."] * 2


def test_banner_only_for_synthetic_data() -> None:
    synthetic = page.render_html(_context(synthetic=True))
    real = page.render_html(_context(synthetic=False))
    root = parse(synthetic)
    banners = [d for d in root.find_all("div") if d.attrs.get("id") == "synthetic-banner"]
    assert len(banners) == 1
    assert "Synthetic data - not real patients" in banners[0].all_text()
    assert banners[0].attrs["role"] == "note"
    assert root.find_all("body")[0].children[0] is banners[0]  # the first thing on the page
    assert "@top-center" in synthetic  # and on every printed page
    assert "Synthetic data - not real patients" not in real
    assert "@top-center" not in real
    assert "synthetic-banner" not in real
    assert "Synthetic: not real patients" in _section(root, "maps").all_text()
    assert "Real published data" in _section(parse(real), "maps").all_text()


def test_every_section_states_method_source_and_period() -> None:
    context = _context()
    root = parse(page.render_html(context))
    for section in context.sections:
        element = _section(root, section.id)
        (heading,) = element.find_all("h2")
        assert heading.all_text() == section.title
        assert element.attrs["aria-labelledby"] == heading.attrs["id"]
        terms = {
            dt.all_text(): dd.all_text() for dt, dd in zip(element.find_all("dt"), element.find_all("dd"), strict=True)
        }
        assert terms["Method"] == section.method
        assert terms["Source"] == section.source
        assert terms["Period"] == section.period
    contents = [a.attrs["href"] for a in root.find_all("nav")[0].find_all("a")]
    assert contents == ["#life-expectancy", "#maps", "#skipped", "#protection"]


def test_tables_have_captions_scoped_headers_and_formatted_numbers() -> None:
    root = parse(page.render_html(_context()))
    table = _section(root, "life-expectancy").find_all("table")[0]
    (caption,) = table.find_all("caption")
    assert caption.all_text() == "Life expectancy at birth (years), 2016-18"
    headers = list(table.find_all("thead")[0].find_all("th"))
    assert all(th.attrs["scope"] == "col" for th in headers)
    assert [th.all_text() for th in headers][:4] == ["Area", "Sex", "Value (years)", "95% confidence limits"]
    body = table.find_all("tbody")[0].find_all("tr")
    cells = [[c.all_text() for c in row.children] for row in body]
    assert [row[0] for row in cells] == ["Bedford", "Luton", "Luton", "Bedfordshire, Luton and Milton Keynes"]
    assert all(row.children[0].tag == "th" and row.children[0].attrs["scope"] == "row" for row in body)
    assert cells[0][2:6] == ["79.4", "(78.8 - 80.0)", "2,148", "254,820"]  # (78.85 rounds half to even)
    assert cells[1][2:7] == ["-", "-", "-", "-", "blank: total population <= 5,000"]
    assert cells[2][1] == "Female"
    assert cells[2][6] == "protected"
    assert cells[3][5] == "1,394,202"
    region = table.parent
    assert region is not None
    assert region.attrs["role"] == "region"
    assert region.attrs["tabindex"] == "0"


def test_text_is_escaped() -> None:
    hostile = _context(
        title=HOSTILE,
        source=HOSTILE,
        skipped=[(HOSTILE, HOSTILE)],
        sections=[
            page.ReportSection(
                id="x",
                title=HOSTILE,
                lead=HOSTILE,
                method=HOSTILE,
                source=HOSTILE,
                period=HOSTILE,
                figures=[page.ReportFigure(_png(), alt=HOSTILE, caption=HOSTILE)],
                tables=[page.ReportTable(caption=HOSTILE, columns=["A", HOSTILE], rows=[[HOSTILE, HOSTILE]])],
                notes=[HOSTILE],
            )
        ],
        protection=HOSTILE,
    )
    html = page.render_html(hostile)
    root = parse(html)
    assert root.find_all("script") == []
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;") >= 14
    assert root.find_all("img")[0].attrs["alt"] == HOSTILE  # escaped in the source, intact for the reader


def test_skipped_and_protection_sections() -> None:
    root = parse(page.render_html(_context()))
    skipped = _section(root, "skipped")
    assert "Workforce" in skipped.all_text()
    assert "no workforce file" in skipped.all_text()
    assert skipped.find_all("caption")
    assert "counts of 1 to 7 are suppressed" in _section(root, "protection").all_text()
    nothing = parse(page.render_html(_context(skipped=[], protection="")))
    assert "Nothing was skipped" in _section(nothing, "skipped").all_text()
    assert "Small-number protection was turned off" in _section(nothing, "protection").all_text()


def test_empty_table_and_numeric_columns() -> None:
    table = page.ReportTable(caption="Nothing", columns=["Area", "Sex", "Value", "Note"], rows=[])
    assert table.alignment == ["text", "text", "num", "text"]
    section = page.ReportSection(id="e", title="E", lead="", method="m", source="s", period="p", tables=[table])
    root = parse(page.render_html(_context(sections=[section])))
    assert "No rows." in _section(root, "e").all_text()
    with pytest.raises(InputError, match="do not have 2 cells"):
        page.ReportTable(caption="Bad", columns=["A", "B"], rows=[["only one"]])


def test_section_ids_must_be_unique() -> None:
    context = _context()
    with pytest.raises(InputError, match="repeated: \\['maps'\\]"):
        page.render_html(replace(context, sections=[*context.sections, context.sections[1]]))


# ----------------------------------------------------------------------------------------------- the helpers


def test_figure_to_png_and_report_figure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    fig.set_label("A diagonal line.")
    number = fig.number
    item = page.report_figure(fig, caption="Source: nowhere.", dpi=100)
    assert number not in plt.get_fignums()  # closed
    assert item.alt == "A diagonal line."
    assert item.caption == "Source: nowhere."
    width, height = item.size
    assert 250 < width <= 420
    assert 200 < height <= 320
    from PIL import Image

    with Image.open(io.BytesIO(item.png)) as image:
        assert image.size == (width, height)
    assert item.data_uri.startswith("data:image/png;base64,iVBOR")


def test_report_figure_needs_alt_text_and_a_png() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    with pytest.raises(InputError, match="text alternative"):
        page.report_figure(fig)
    with pytest.raises(InputError, match="PNG"):
        page.ReportFigure(b"GIF89a", alt="x")
    assert page.report_figure(fig, alt="An empty figure.").alt == "An empty figure."


def test_indicator_table_levels_caption_and_bad_input() -> None:
    tidy = _tidy()
    practices = page.indicator_table(tidy, "life_expectancy_at_birth", levels=["practice"], caption="Mine")
    assert practices.caption == "Mine"
    assert practices.rows[0][0] == "Practice <1>"
    nothing = page.indicator_table(tidy, "unknown")
    assert nothing.rows == []
    assert nothing.caption == "unknown"
    two = page.indicator_table(tidy, "life_expectancy_at_birth", digits=2)
    assert two.rows[0][2:4] == ["79.41", "(78.85 - 79.98)"]
    # staff FTE and modelled expected cases are not whole: up to two decimals, trailing zeros dropped
    fte = tidy.assign(numerator=[12_345.0, 2_185.374, 1.5, 20.0, 7.7], denominator=5.25)
    shown = page.indicator_table(fte, "life_expectancy_at_birth", levels=["place", "icb", "practice"])
    assert sorted(tuple(row[4:6]) for row in shown.rows) == [
        ("1.5", "5.25"),
        ("12,345", "5.25"),
        ("2,185.37", "5.25"),
        ("20", "5.25"),
        ("7.7", "5.25"),
    ]
    with pytest.raises(SchemaError, match="status"):
        page.indicator_table(tidy.drop(columns="status"), "life_expectancy_at_birth")


def test_skipped_from_table() -> None:
    tidy = pd.DataFrame(
        {
            "indicator_name": ["Workforce", "Workforce", "Life expectancy", "Mortality"],
            "status": ["skipped: no workforce file", "skipped: no workforce file", "ok", None],
        }
    )
    assert page.skipped_from_table(tidy) == [("Workforce", "no workforce file")]
    with pytest.raises(SchemaError, match="status"):
        page.skipped_from_table(tidy.drop(columns="status"))
