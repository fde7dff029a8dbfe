"""framework/ is a pure library: the web app and the database depend on it, never the reverse."""

import ast
import sys
from pathlib import Path

import framework

ALLOWED = set(sys.stdlib_module_names) | {"yaml", "openpyxl", "jsonschema", "framework"}


def test_framework_imports_only_stdlib_and_its_file_format_libraries():
    package = Path(framework.__file__).parent
    offenders = []
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 5
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"), filename=str(module))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{module.name}: {name}" for name in names if name.split(".")[0] not in ALLOWED]
    assert offenders == []
