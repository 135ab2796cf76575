"""Build the English translation: ``python -m ui.i18n_build``.

1. ``pyside6-lupdate`` collects every ``self.tr(...)`` / ``QCoreApplication.translate``
   string of ui/ into resources/translations/hospital_app_en.ts (existing translations
   are kept; translate new entries with ``pyside6-linguist`` or a text editor);
2. ``pyside6-lrelease`` compiles it to hospital_app_en.qm, which ui/app.py loads for English.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "resources" / "translations" / "hospital_app_en.ts"


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    return found


def main() -> int:
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    TS.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-no-obsolete", "-source-language", "zh_CN",
                    "-target-language", "en", "-ts", str(TS)], check=True)
    subprocess.run([_tool("pyside6-lrelease"), str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
