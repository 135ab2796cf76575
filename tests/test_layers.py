"""STYLE.md layering: the core never pulls in Qt; ui/ never talks SQL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_imports_with_qt_blocked():
    """GIVEN PySide6 made unimportable WHEN every hospital_app module is imported THEN none fails."""
    code = r"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("Qt is blocked in the core: " + name)
        return None
sys.meta_path.insert(0, Block())
import hospital_app
names = [m.name for m in pkgutil.walk_packages(hospital_app.__path__, "hospital_app.")]
for name in names:
    if name == "hospital_app.__main__":
        continue
    importlib.import_module(name)
import hospital_app.cli.main as cli
cli.build_parser()
assert not any(m.startswith("PySide6") for m in sys.modules), "PySide6 got imported"
print(len(names))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 10


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_ui_does_not_import_sqlalchemy():
    """GIVEN every module under ui/ WHEN its imports are read THEN none is sqlalchemy."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py") if "sqlalchemy" in _imports(p)]
    assert offenders == []


def test_core_has_no_qt_import_statement():
    """Even lazily, hospital_app/ and db/ never import PySide6 (only the gui command hands over to ui/)."""
    offenders = [str(p.relative_to(ROOT)) for base in ("hospital_app", "db")
                 for p in (ROOT / base).rglob("*.py") if "PySide6" in _imports(p)]
    assert offenders == []
