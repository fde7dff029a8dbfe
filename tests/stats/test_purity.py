"""delphi.stats stays a pure library: it imports only the standard library, numpy, pandas, scipy,
krippendorff, openpyxl and itself — never Flask, SQLAlchemy or delphi.models."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "delphi" / "stats"
ALLOWED_THIRD_PARTY = {"numpy", "pandas", "scipy", "krippendorff", "openpyxl"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(source: str, package_parts: list[str]) -> list[str]:
    """Absolute names of every module ``source`` imports; relative imports are resolved against the package
    the module lives in (``package_parts``, e.g. ["delphi", "stats"])."""
    tree = ast.parse(source)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module or "")
    return names


def is_allowed(name: str) -> bool:
    root = name.split(".")[0]
    return (root in sys.stdlib_module_names or root in ALLOWED_THIRD_PARTY
            or name == "delphi.stats" or name.startswith("delphi.stats."))


def test_the_package_has_modules_to_check():
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_only_stdlib_numpy_pandas_scipy_krippendorff_openpyxl_or_delphi_stats(path):
    package_parts = ["delphi", "stats", *path.relative_to(PACKAGE).parent.parts]
    forbidden = [name for name in imported_modules(path.read_text(encoding="utf-8"), package_parts)
                 if not is_allowed(name)]
    assert forbidden == [], f"{path.name} imports {forbidden}"


def test_the_import_check_catches_flask_sqlalchemy_models_and_relative_escapes():
    source = "import flask\nfrom sqlalchemy import select\nfrom ..models import Round\nfrom . import rules\n"
    names = imported_modules(source, ["delphi", "stats"])
    assert names == ["flask", "sqlalchemy", "delphi.models", "delphi.stats"]
    assert [n for n in names if not is_allowed(n)] == ["flask", "sqlalchemy", "delphi.models"]
    assert not is_allowed("flask")
    assert not is_allowed("sqlalchemy.orm")
    assert not is_allowed("delphi.models")
    assert not is_allowed("delphi")
    assert is_allowed("delphi.stats.rules") and is_allowed("numpy.typing") and is_allowed("json")
