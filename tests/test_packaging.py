"""The distributions: ``python -m build`` makes an sdist that holds the tests and the docs, and from
it a wheel that holds every file of the package (the package data too) and the ``blmk-health``
console script; both pass ``twine check --strict``.

The build runs without isolation (hatchling and hatch-vcs come with the test extra), as ``build`` does
by default: sdist first, then the wheel from the unpacked sdist, so a file missing from the sdist is
missing from the wheel too. ``.ci/run`` also builds with isolation and installs the wheel into a fresh
virtual environment to run the report from it.
"""

from __future__ import annotations

import configparser
import fnmatch
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers import require_module

ROOT = Path(__file__).resolve().parents[1]

#: Package data the wheel must hold (glob patterns, each matching at least one file).
PACKAGE_DATA = (
    "blmk_health/py.typed",
    "blmk_health/indicators/definitions/*.toml",
    "blmk_health/geo/data/postcode_districts.csv",
    "blmk_health/codelists/acsc_chronic.csv",
    "blmk_health/codelists/acsc_procedure_exclusions.csv",
    "blmk_health/codelists/README.md",
    "blmk_health/datasets/data/blmk_lsoa11.parquet",
    "blmk_health/datasets/data/NOTICE.md",
    "blmk_health/report/templates/*.j2",
)

#: What the sdist must hold besides the package: enough to run the tests and build the docs.
SDIST_EXTRAS = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "mkdocs.yml",
    "tests/conftest.py",
    "tests/helpers.py",
    "tests/test_packaging.py",
    "docs/index.md",
    "docs/architecture.md",
    "examples/*.ipynb",
    "scripts/build_package_data.py",
)

#: Folders of the checkout whose every file the sdist holds.
SDIST_FOLDERS = ("blmk_health", "tests", "docs", "examples", "benchmarks", "scripts")

CONSOLE_SCRIPT = "blmk_health.report._cli:main"


def _source_files(folder: str) -> set[str]:
    """The files of a folder of the checkout that git does not ignore (all files outside a git checkout,
    less bytecode), as paths relative to the project root."""
    git = shutil.which("git")
    if git is not None and (ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "--", folder],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return {name for name in listed if (ROOT / name).is_file()}
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and wheel, built once into a temporary folder."""
    for module in ("build", "hatchling", "hatch_vcs"):
        require_module(module, "the packaging test builds the distributions (test extra)")
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    built = subprocess.run(command, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def wheel_files(dists: dict[str, Path]) -> set[str]:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        return set(wheel.namelist())


@pytest.fixture(scope="module")
def sdist_files(dists: dict[str, Path]) -> set[str]:
    """The sdist's files, without the ``name-version/`` folder they sit in."""
    with tarfile.open(dists["sdist"]) as sdist:
        return {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name and sdist.getmember(name).isfile()}


def _missing(patterns: tuple[str, ...], files: set[str]) -> list[str]:
    return [pattern for pattern in patterns if not fnmatch.filter(files, pattern)]


def test_wheel_holds_the_package_and_its_data(wheel_files: set[str]) -> None:
    assert _missing(PACKAGE_DATA, wheel_files) == []
    in_wheel = {name for name in wheel_files if name.startswith("blmk_health/")}
    source = _source_files("blmk_health")
    assert sorted(source - in_wheel) == [], "files of the package missing from the wheel"
    assert sorted(in_wheel - source) == [], "files in the wheel that are not in the package"


def test_wheel_has_the_console_script(dists: dict[str, Path], wheel_files: set[str]) -> None:
    (entry_points,) = fnmatch.filter(wheel_files, "*.dist-info/entry_points.txt")
    parser = configparser.ConfigParser()
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        parser.read_string(wheel.read(entry_points).decode("utf-8"))
    assert dict(parser["console_scripts"]) == {"blmk-health": CONSOLE_SCRIPT}
    assert fnmatch.filter(wheel_files, "*.dist-info/licenses/LICENSE")


def test_sdist_holds_the_tests_and_docs(sdist_files: set[str]) -> None:
    assert _missing(SDIST_EXTRAS + PACKAGE_DATA, sdist_files) == []
    for folder in SDIST_FOLDERS:
        assert sorted(_source_files(folder) - sdist_files) == [], f"files of {folder}/ missing from the sdist"
    assert not [name for name in sdist_files if "__pycache__" in name or name.endswith(".pyc")]
    assert not [name for name in sdist_files if name.startswith((".venv/", ".git/", "dist/", "site/"))]


def test_distributions_pass_twine_check(dists: dict[str, Path]) -> None:
    require_module("twine", "the packaging test checks the distributions' metadata (test extra)")
    command = [sys.executable, "-m", "twine", "check", "--strict", str(dists["sdist"]), str(dists["wheel"])]
    checked = subprocess.run(command, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
