"""The architecture rules of docs/architecture.md, checked over the source so that they stay true.

- Layers: what each package may import (nothing imports ``report``; ``indicators`` and ``io`` import
  only the root-level modules; ``geo``, ``records`` and ``segmentation`` may import ``indicators``).
- No module imports another package's private names (a name or module starting with ``_``); the
  root-level private modules (``_frames``, ``_inputs``, ...) are the shared low level and may be
  imported by every package, for their public names.
- Only ``_frames.py`` knows about data-frame backends.
- Functions are short named stages: at most 80 lines of code, docstring and comments excluded.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "blmk_health"
ROOT = "blmk_health"

#: Which packages each package may import (besides itself and the root-level modules).
ALLOWED: dict[str, set[str]] = {
    "indicators": set(),
    "io": set(),
    "records": {"indicators"},
    "geo": {"indicators", "io"},
    "segmentation": {"indicators", "records"},
    "datasets": {"indicators", "geo", "io"},
    "report": {"indicators", "geo", "io", "datasets", "records", "segmentation", "disclosure", "testing"},
    # root-level public modules
    "disclosure": {"indicators", "geo"},
    "testing": set(),
}

#: The most lines of code a function may have (docstring, comments and blank lines excluded).
MAX_FUNCTION_LINES = 80


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str
    names: tuple[str, ...]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _package_of(path: Path) -> str | None:
    """The subpackage a file belongs to (``None`` for a root-level module), by its first path part."""
    parts = path.relative_to(PACKAGE).parts
    if len(parts) == 1:
        stem = parts[0].removesuffix(".py")
        return None if stem.startswith("_") or stem in ("errors",) else stem
    return parts[0]


def _imports(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == ROOT and node.level == 0:
            # `from blmk_health import geo, io`: one import of each module
            for alias in node.names:
                yield Import(path, node.lineno, f"{ROOT}.{alias.name}", ())
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield Import(path, node.lineno, node.module, tuple(a.name for a in node.names))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ())


def _target(module: str) -> tuple[str | None, list[str]]:
    """The package an imported ``blmk_health...`` module belongs to, and its dotted parts after the root."""
    parts = module.split(".")[1:]
    if not parts:
        return None, []
    first = parts[0]
    is_package = (PACKAGE / first).is_dir()
    if is_package:
        return first, parts
    return (None if first.startswith("_") or first == "errors" else first), parts


def _violations() -> Iterator[str]:
    for path in _modules():
        own = _package_of(path)
        for imp in _imports(path):
            if imp.module != ROOT and not imp.module.startswith(f"{ROOT}."):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{imp.line}"
            target, parts = _target(imp.module)
            names = imp.names
            # the root __init__ is the curated API and __main__ the command's entry point
            if target == own or path in (PACKAGE / "__init__.py", PACKAGE / "__main__.py"):
                continue
            private = [p for p in parts[1:] if p.startswith("_")] + [n for n in names if n.startswith("_")]
            if private:
                yield f"{where}: imports private {private} from {imp.module}"
            if target is None:
                continue
            if target not in ALLOWED.get(own or "", set()) and own is not None:
                yield f"{where}: package {own!r} may not import {target!r} ({imp.module})"
            if own is None:
                yield f"{where}: the root-level module imports package {target!r} ({imp.module})"


def test_layers_and_private_names() -> None:
    problems = list(_violations())
    assert not problems, "\n".join(problems)


def test_nothing_imports_report() -> None:
    """Only the curated API (the root ``__init__``) and the command's entry point (``__main__``) name it."""
    entry_points = (PACKAGE / "__init__.py", PACKAGE / "__main__.py")
    offenders = [
        f"{imp.path.relative_to(PACKAGE.parent)}:{imp.line}"
        for path in _modules()
        if _package_of(path) != "report" and path not in entry_points
        for imp in _imports(path)
        if imp.module.startswith(f"{ROOT}.report")
    ]
    assert not offenders


# --- the backend rule ---------------------------------------------------------------------------------------

#: Frame types of backends: an isinstance check against any of them is backend detection.
BACKEND_TYPES = {
    ("nw", "DataFrame"),
    ("nw", "LazyFrame"),
    ("nw", "Series"),
    ("pd", "DataFrame"),
    ("pd", "Series"),
    ("pa", "Table"),
    ("pa", "Array"),
    ("pa", "ChunkedArray"),
    ("pl", "DataFrame"),
    ("pl", "LazyFrame"),
}
#: Attributes that say which backend a frame comes from.
BACKEND_ATTRIBUTES = {"Implementation", "implementation", "is_pandas", "is_lazy", "is_polars", "is_pyarrow"}
BACKEND_MODULES = ("polars", "duckdb", "pyspark", "dask", "modin", "cudf")


def _backend_detections(source: str, where: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in BACKEND_ATTRIBUTES:
            yield f"{where}:{node.lineno}: uses .{node.attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            for kind in ast.walk(node.args[1]) if len(node.args) == 2 else ():
                if (
                    isinstance(kind, ast.Attribute)
                    and isinstance(kind.value, ast.Name)
                    and (kind.value.id, kind.attr) in BACKEND_TYPES
                ):
                    yield f"{where}:{node.lineno}: isinstance(..., {kind.value.id}.{kind.attr})"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in BACKEND_MODULES:
                    yield f"{where}:{node.lineno}: imports {name}"


def test_only_frames_knows_about_backends() -> None:
    problems = [
        problem
        for path in _modules()
        if path.name != "_frames.py"
        for problem in _backend_detections(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("if isinstance(data, pd.DataFrame):\n    pass\n", True),
        ("x = frame.is_pandas\n", True),
        ("ok = impl is nw.Implementation.PYARROW\n", True),
        ("if isinstance(f, (int, nw.LazyFrame)):\n    pass\n", True),
        ("import polars as pl\n", True),
        ("if isinstance(gdf, gpd.GeoDataFrame):\n    pass\n", False),
        ("if isinstance(x, (int, float)):\n    pass\n", False),
    ],
)
def test_the_backend_rule_catches_what_it_should(source: str, caught: bool) -> None:
    found = list(_backend_detections(source, "probe.py"))
    assert bool(found) is caught, found


# --- short named stages --------------------------------------------------------------------------------------


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    body = node.body
    doc = (0, -1)
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        doc = (first.lineno, first.end_lineno or first.lineno)
    count = 0
    for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        text = lines[number - 1].strip()
        if doc[0] <= number <= doc[1] or not text or text.startswith("#"):
            continue
        count += 1
    return count


def test_functions_are_short() -> None:
    long = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "split these into named stages:\n" + "\n".join(long)


# --- the rules catch what they should (so that the tests above can fail) -----------------------------------


def test_private_import_rule_catches_a_private_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "blmk_health"
    (fake / "geo").mkdir(parents=True)
    (fake / "indicators").mkdir()
    (fake / "geo" / "_x.py").write_text(
        "from blmk_health._frames import _to_kind\n"
        "from blmk_health.indicators._core import thing\n"
        "from blmk_health.io import read_imd\n"
    )
    (fake / "indicators" / "_y.py").write_text("from blmk_health.geo import rollup\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    problems = list(_violations())
    assert any("private ['_to_kind']" in p for p in problems)
    assert any("private ['_core']" in p for p in problems)
    assert any("package 'indicators' may not import 'geo'" in p for p in problems)
    assert not any("read_imd" in p for p in problems)
