"""mkdocs hook: writes the "Indicator definitions" page from the catalogue, so it can never go stale.

The page ``definitions.md`` holds the marker ``<!-- definitions -->``; at build time it is replaced by
one section per indicator of ``blmk_health.indicators.catalogue()``.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- definitions -->"


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _definition(row: dict[str, Any]) -> str:
    fields = [
        ("Definition", row["definition"]),
        ("Numerator", row["numerator"]),
        ("Denominator", row["denominator"]),
        ("Unit", row["unit"]),
        ("Method", row["method"]),
        ("Computed by", f"`bh.indicators.{row['function']}`"),
        ("Published at", row["geography_levels"]),
        ("Input tables", row["inputs"]),
        ("Polarity", {True: "low is good", False: "high is good"}.get(row["low_is_good"], row["low_is_good"])),
        ("Source", row["source"]),
        ("Reviewed", f"{row['date_reviewed']} by {row['checked_by']}; next review {row['next_review']}"),
    ]
    lines = [f"## {row['title']}", "", f"`{row['id']}`", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in fields]
    lines += ["", "References:", ""] + [f"- {ref}" for ref in row["references"]] + [""]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if MARKER not in markdown:
        return markdown
    import blmk_health as bh

    rows = bh.indicators.catalogue().to_dict("records")
    return markdown.replace(MARKER, "\n".join(_definition(row) for row in rows))
