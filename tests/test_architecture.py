"""The dependency rule, checked by machine."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import weiquan

PACKAGE = Path(weiquan.__file__).parent
ROOT = PACKAGE.parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {}
    for path in (PACKAGE / "domain").rglob("*.py"):
        outside = {
            name
            for name in _imports(path)
            if name.split(".")[0] not in sys.stdlib_module_names
            and not name.startswith("weiquan.domain")
        }
        if outside:
            offenders[str(path.relative_to(PACKAGE))] = sorted(outside)
    assert offenders == {}


def test_services_import_only_the_domain_and_themselves() -> None:
    offenders = {}
    for path in (PACKAGE / "services").rglob("*.py"):
        outside = {
            name
            for name in _imports(path)
            if name.split(".")[0] not in sys.stdlib_module_names
            and not name.startswith(("weiquan.domain", "weiquan.services"))
        }
        if outside:
            offenders[str(path.relative_to(PACKAGE))] = sorted(outside)
    assert offenders == {}


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is part of the test dependencies"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
