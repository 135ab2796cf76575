"""Start the desktop app: ``run()`` (called by ``hospital-app gui``) and ``main()``
(the ``hospital-app-gui`` launcher).

Start-up is kept short: only the Qt modules the shell needs are imported here; the
database (SQLAlchemy, Alembic) is opened on the worker thread after the window is
shown, and pages other than the first are built when they are first opened.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date

log = logging.getLogger(__name__)

ORGANIZATION = "hospital-vbp"
APPLICATION = "hospital-app"
FONT_FILE = ("fonts", "wqy-microhei.ttc")


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    from hospital_app.i18n import tr

    app.setApplicationDisplayName(tr("集采执行助手", "VBP Execution Assistant"))  # in window titles
    return app


def register_cjk_font(app) -> str | None:
    """Register the shipped CJK font; use it when the default font cannot show Chinese."""
    from PySide6.QtGui import QFont, QFontDatabase

    from hospital_app.paths import resource_path

    path = resource_path(*FONT_FILE)
    if not path.exists():
        return None
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("could not load the CJK font %s", path)
        return None
    default_family = app.font().family()
    if QFontDatabase.WritingSystem.SimplifiedChinese not in QFontDatabase.writingSystems(default_family):
        font = QFont(families[0])
        font.setPointSizeF(max(app.font().pointSizeF(), 10.0))
        app.setFont(font)
    return families[0]


def stored_language() -> str | None:
    """The language chosen on the settings page (QSettings ``ui/language``), if any."""
    from PySide6.QtCore import QSettings

    value = QSettings().value("ui/language")
    return str(value) if value in ("zh", "en") else None


def stored_database() -> str | None:
    """The database chosen on the settings page (QSettings ``database/location``), if any."""
    from PySide6.QtCore import QSettings

    value = QSettings().value("database/location")
    return str(value) if value else None


def _explicit_language() -> bool:
    return "HOSPITAL_APP_LANG" in os.environ or any(
        a == "--lang" or a.startswith("--lang=") for a in sys.argv[1:])


_translators: list = []


def install_translator(app, lang: str) -> bool:
    """English through Qt's translations (resources/translations/hospital_app_en.qm)."""
    from PySide6.QtCore import QTranslator

    from hospital_app import i18n
    from hospital_app.paths import resource_path

    i18n.set_language(lang)
    app.setApplicationDisplayName(i18n.tr("集采执行助手", "VBP Execution Assistant"))
    for old in _translators:
        app.removeTranslator(old)
    _translators.clear()
    if lang != "en":
        return True
    translator = QTranslator(app)
    if translator.load(str(resource_path("translations", "hospital_app_en.qm"))):
        app.installTranslator(translator)
        _translators.append(translator)
        return True
    log.warning("English translation not found; showing Chinese")
    return False


def remembered_shared_mode(db_location: str) -> bool:
    """Whether this database needed a log-in last time (QSettings ``shared_mode/…``)."""
    from PySide6.QtCore import QSettings

    return str(QSettings().value(f"shared_mode/{db_location}", "false")).lower() == "true"


def remember_shared_mode(db_location: str, shared: bool) -> None:
    from PySide6.QtCore import QSettings

    QSettings().setValue(f"shared_mode/{db_location}", "true" if shared else "false")


def create_main_window(db_location: str, as_of: date, lang: str = "zh", *, db=None):
    """Build (without showing) the main window; tests use this with a ready Database."""
    from ui.app_context import AppContext
    from ui.main_window import MainWindow, app_icon

    app = _application()
    app.setWindowIcon(app_icon())
    ctx = AppContext(db_location, as_of, lang, db=db)
    return MainWindow(ctx)


def run(db_location: str | None, as_of: date, lang: str = "zh", smoke: bool = False,
        screenshot: str | None = None, page: str | None = None) -> int:
    """Open the main window on the database; returns the process exit code.

    ``db_location`` None means no --db and no $HOSPITAL_APP_DB: the location chosen on
    the settings page is used, else the default file in the user's data folder.
    The window appears once the database is open: on a shared database only after
    the log-in (ui/session_start.py); the daily backup then runs on the worker.
    """
    from PySide6.QtCore import QTimer

    from hospital_app import paths
    from ui import worker
    from ui.session_start import begin, start_daily_backup

    app = _application()
    if not db_location:
        db_location = stored_database() or paths.default_database()
    if not _explicit_language():
        lang = stored_language() or lang
    install_translator(app, lang)
    register_cjk_font(app)
    window = create_main_window(db_location, as_of, lang)
    if screenshot:
        window.resize(1280, 800)  # the same picture whatever geometry was remembered
    headless = smoke or screenshot
    result = {"code": 0, "refused": False}
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # closing the log-in dialog must not end the app

    def when_idle() -> None:
        from hospital_app.cli.main import PROCESS_START
        import time

        ms = round((time.perf_counter() - PROCESS_START) * 1000)
        worker.wait_idle(120_000)  # let the pages finish loading before judging or grabbing
        if result["refused"]:
            return
        if smoke:
            sys.stdout.write(f"ready {ms}\n")
            sys.stdout.flush()
        if screenshot:
            app.processEvents()
            if not window.grab().save(screenshot):
                sys.stderr.write(f"cannot write {screenshot}\n")
                result["code"] = 1
        for exc in worker.errors():
            sys.stderr.write(worker.describe_error(exc) + "\n")
            result["code"] = 1
        window.close()
        app.quit()

    idle_check = {"scheduled": False}

    def show_window() -> None:
        window.show()
        if headless and not idle_check["scheduled"]:
            idle_check["scheduled"] = True
            # A zero timer fires once the event loop has drawn the window and has nothing else to do.
            QTimer.singleShot(0, when_idle)

    def ready() -> None:
        remember_shared_mode(db_location, bool(window.ctx.shared))
        window.show_user()
        window.set_waiting(False)
        window.show_page(page or "dashboard")
        app.setQuitOnLastWindowClosed(quit_on_close)
        show_window()
        start_daily_backup(window.ctx)  # queued after the page's own queries

    def refused(code: int, message: str) -> None:
        if window.ctx.shared is not None:
            remember_shared_mode(db_location, window.ctx.shared)
        if message:
            sys.stderr.write(message + "\n")
        result["code"], result["refused"] = code, True
        app.quit()

    window.set_waiting(True)
    if not remembered_shared_mode(db_location):
        # Single-user (as last time): show the empty window at once, no page and no data until
        # the database is open and known to have no users. A shared database shows only the
        # log-in dialog until the user has logged in.
        show_window()
    begin(window.ctx, ready, refused, interactive=not headless)
    code = app.exec()
    worker.wait_idle(10_000)
    window.ctx.close()
    if headless or result["refused"]:
        return result["code"]
    return int(code)


def main(argv: list[str] | None = None) -> int:
    """``hospital-app-gui [--db …] [--as-of …] [--lang …]``: the desktop launcher."""
    from hospital_app.cli import main as cli_main  # sets PROCESS_START as early as possible

    argv = list(sys.argv[1:] if argv is None else argv)
    # Same options and defaults as ``hospital-app gui`` (one code path).
    return cli_main.main(["gui", *argv])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
