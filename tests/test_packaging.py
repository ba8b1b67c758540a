"""What `pip install .` ships (issue #14, item 3): every app package, and the files that
are not Python (templates, translations, static files, fonts, the uWSGI ini)."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = {"tests", "bench"}  # top-level packages that stay in the repository
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _top_level_packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_SHIPPED


def _listed() -> set[str]:
    return set(SETUPTOOLS["packages"]["find"]["include"])


def test_every_top_level_package_is_listed_with_its_subpackages():
    """A new app (a top-level directory with an __init__.py) must be added to
    [tool.setuptools.packages.find] include, as `app` and `app.*`."""
    missing = sorted(name for name in _top_level_packages()
                     if not {name, f"{name}.*"} <= _listed())
    assert missing == [], f"add {missing} to pyproject.toml [tool.setuptools.packages.find]"
    assert not NOT_SHIPPED & {name.split(".")[0] for name in _listed()}


def test_apps_being_added_elsewhere_are_listed_already():
    assert {"settlement", "settlement.*", "reports", "reports.*"} <= _listed()


def _data_patterns() -> list[str]:
    return SETUPTOOLS["package-data"]["*"]


def test_every_non_python_file_of_a_package_is_package_data():
    """Templates, translations, static files... anything in a shipped package that is not
    Python must match a package-data pattern, or the installed copy lacks it."""
    unshipped = []
    for name in sorted(_top_level_packages()):
        package_dirs = {p.parent for p in (ROOT / name).rglob("__init__.py")}
        matched = {f for d in package_dirs for pattern in _data_patterns()
                   for f in d.glob(pattern) if f.is_file()}
        for path in (ROOT / name).rglob("*"):
            if (path.is_file() and path.suffix not in (".py", ".pyc")
                    and "__pycache__" not in path.parts and path not in matched):
                unshipped.append(str(path.relative_to(ROOT)))
    assert unshipped == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel `pip install .` would install, built from a copy of this checkout (~3 s;
    setuptools builds in the source tree, and the checkout stays clean)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, source, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "build", "*.egg-info", ".*_cache", ".hypothesis",
        "db.sqlite3*", "staticfiles", "media"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
         str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("kjcxq-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_apps_and_their_files(wheel):
    names = set(wheel.namelist())
    for package in _top_level_packages():
        assert f"{package}/__init__.py" in names, package
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    expected = {
        "config/uwsgi.ini",
        "config/locale/en/LC_MESSAGES/django.mo",
        "config/locale/en/LC_MESSAGES/django.po",
        "web/templates/web/base.html",
        "web/templates/403.html",
        "vouchers/migrations/0001_initial.py",
        "ledger/migrations/0001_initial.py",
        "vouchers/services/claims.py",
    }
    assert expected <= names
    in_checkout = {str(p.relative_to(ROOT)) for name in _top_level_packages()
                   for p in (ROOT / name).rglob("*")
                   if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts}
    assert in_checkout - names == set()
