"""Picture of the import wizard for the docs:
``QT_QPA_PLATFORM=offscreen python -m ui.wizard_screenshot --db D --file F.xlsx --out P.png``.

Opens the wizard on ``--file``, goes to ``--step`` (file, preview, mapping: default
mapping, where the columns are matched) and saves a PNG of it. Nothing is imported.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

STEPS = ("file", "preview", "mapping")


def grab(db_location: str, file: str, out: str, step: str = "mapping", lang: str = "zh",
         as_of: date | None = None) -> bool:
    """Open the wizard on ``file``, advance to ``step`` and save the picture to ``out``."""
    from ui import worker
    from ui.app import _application, install_translator, register_cjk_font
    from ui.app_context import AppContext
    from ui.import_wizard import ImportWizard

    app = _application()
    install_translator(app, lang)
    register_cjk_font(app)
    ctx = AppContext(db_location, as_of or date.today(), lang)
    try:
        wizard = ImportWizard(ctx, None, path=file)
        wizard.resize(1000, 700)
        wizard.show()
        worker.wait_idle(60_000)
        wizard.file_page.path.setText(file)
        for _ in range(STEPS.index(step)):
            wizard.next()
            worker.wait_idle(60_000)
        app.processEvents()
        ok = wizard.grab().save(out)
        wizard.reject()
        return ok
    finally:
        worker.wait_idle(10_000)
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--step", choices=STEPS, default="mapping")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    if not grab(args.db, args.file, args.out, args.step, args.lang):
        sys.stderr.write(f"cannot write {args.out}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
