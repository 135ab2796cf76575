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
from typing import Callable

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


def _with_password(location: str) -> str:
    """A server URL stored without its password gets it from the OS keyring, else it is asked
    now (never stored in a config file; issue 23 §5)."""
    from hospital_app.secrets import complete_password

    def ask(masked: str) -> str | None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        text, ok = QInputDialog.getText(None, QCoreApplication.translate("app", "数据库密码"),
                                        QCoreApplication.translate("app", "%1 的密码：").replace("%1", masked),
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None

    from PySide6.QtCore import QCoreApplication

    return complete_password(location, ask)


def stored_database() -> str | None:
    """The database chosen on the settings page (QSettings ``database/location``), if any."""
    from PySide6.QtCore import QSettings

    value = QSettings().value("database/location")
    return str(value) if value else None


def _explicit_language() -> bool:
    return "HOSPITAL_APP_LANG" in os.environ or any(
        a == "--lang" or a.startswith("--lang=") for a in sys.argv[1:])


_translators: list = []


def install_qt_chinese(app) -> bool:
    """Qt's own Chinese (qtbase_zh_CN.qm, shipped with PySide6): 确定/取消 in every standard
    dialog and button box instead of OK/Cancel."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_zh_CN", folder):
        app.installTranslator(translator)
        _translators.append(translator)
        return True
    log.warning("Qt's Chinese translation not found in %s", folder)
    return False


def install_translator(app, lang: str) -> bool:
    """Chinese: our strings are Chinese already, Qt's own through :func:`install_qt_chinese`.
    English through Qt's translations (resources/translations/hospital_app_en.qm)."""
    from PySide6.QtCore import QTranslator

    from hospital_app import i18n
    from hospital_app.paths import resource_path

    i18n.set_language(lang)
    app.setApplicationDisplayName(i18n.tr("集采执行助手", "VBP Execution Assistant"))
    for old in _translators:
        app.removeTranslator(old)
    _translators.clear()
    if lang != "en":
        return install_qt_chinese(app)
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

    from hospital_app.secrets import mask_url

    return str(QSettings().value(f"shared_mode/{mask_url(db_location)}", "false")).lower() == "true"


def remember_shared_mode(db_location: str, shared: bool) -> None:
    from PySide6.QtCore import QSettings

    from hospital_app.secrets import make_private, mask_url

    settings = QSettings()
    settings.setValue(f"shared_mode/{mask_url(db_location)}", "true" if shared else "false")
    settings.sync()
    make_private(settings.fileName())  # config files are owner-only (issue 23 §5)


def create_main_window(db_location: str, as_of: date, lang: str = "zh", *, db=None):
    """Build (without showing) the main window; tests use this with a ready Database."""
    from ui.app_context import AppContext
    from ui.main_window import MainWindow, app_icon

    app = _application()
    app.setWindowIcon(app_icon())
    if not _translators:  # tests build the window directly: Qt's own strings in the language too
        install_translator(app, lang)
    ctx = AppContext(db_location, as_of, lang, db=db)
    return MainWindow(ctx)


def process_start_time() -> float:
    """The wall-clock time (``time.time()``) at which this process started.

    Linux: the kernel's start time of the process (``/proc/self/stat`` field 22, clock
    ticks since boot) against ``CLOCK_BOOTTIME`` — it includes the interpreter's own
    start-up, which no Python code can time (resolution one tick, 10 ms; the age is
    rounded up). Elsewhere: when the CLI module was imported (a slight underestimate).
    """
    import time

    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        ticks = int(stat[stat.rindex(b")") + 2:].split()[19])  # field 22; fields 3… follow ")"
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        if 0 <= age < 86_400 * 365:
            return time.time() - age
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    from hospital_app.cli.main import PROCESS_START

    return time.time() - (time.perf_counter() - PROCESS_START)


def run(db_location: str | None, as_of: date, lang: str = "zh", smoke: bool = False,
        screenshot: str | None = None, page: str | None = None) -> int:
    """Open the main window on the database; returns the process exit code.

    ``db_location`` None means no --db and no $HOSPITAL_APP_DB: the location chosen on
    the settings page is used, else the default file in the user's data folder.

    Start-up (issue 12, “cold start to an interactive window”): when the database needed
    no log-in last time (QSettings, :func:`remembered_shared_mode`), the window is shown
    at once with the side bar usable and the first page in its loading state; opening the
    database (SQLAlchemy, the migration check), the shared-mode check and the page's
    queries all run on the worker. Should the check find a shared database after all,
    the window locks and the log-in dialog appears (ui/session_start.py). When a log-in
    was needed last time, the log-in dialog is the first window and the main window
    follows the log-in. The daily backup then runs on the worker.

    ``smoke``: prints ``first-frame <ms since process start>`` the moment the window is shown
    and the event loop idle, and ``ready <ms>`` once the first page shows its figures — every
    start-up query has finished (CLI.md version 2: "ready" is data ready, not a first frame).
    With $HOSPITAL_APP_READY_STAMP set, ``first-frame-at <time.time()>`` and ``ready-at
    <time.time()>`` go to stderr for bench/bench_gui.py. Then it waits for every background
    job; exit 1 if one of them failed.
    """
    from PySide6.QtCore import Qt, QTimer

    from hospital_app import paths
    from ui import worker
    from ui.session_start import begin, start_daily_backup

    from ui.main_window import PAGE_NAMES

    if page is not None and page not in PAGE_NAMES:
        from hospital_app.i18n import tr

        sys.stderr.write(tr("用法错误：没有页面“{p}”，可选：{c}\n", "Usage error: no page '{p}'; choose from {c}\n",
                            p=page, c=", ".join(PAGE_NAMES)))
        return 2
    app = _application()
    if not db_location:
        db_location = stored_database() or paths.default_database()
    db_location = _with_password(db_location)
    if not _explicit_language():
        lang = stored_language() or lang
    install_translator(app, lang)
    register_cjk_font(app)
    window = create_main_window(db_location, as_of, lang)
    if screenshot:
        from ui.main_window import DEFAULT_SIZE

        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(DEFAULT_SIZE)  # the same picture whatever geometry was remembered
    headless = bool(smoke or screenshot)
    first_page = page or "dashboard"
    state = {"code": 0, "refused": False, "shown": False, "ready": False}
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # closing the log-in dialog must not end the app

    def stamp(word: str) -> None:
        """``<word> <ms since process start>`` on stdout (and ``<word>-at <time>`` on stderr)."""
        import time

        now = time.time()
        sys.stdout.write(f"{word} {max(1, round((now - process_start_time()) * 1000))}\n")
        sys.stdout.flush()
        if os.environ.get("HOSPITAL_APP_READY_STAMP"):
            sys.stderr.write(f"{word}-at {now:.6f}\n")
            sys.stderr.flush()

    def data_ready() -> None:
        """The first page shows its figures: every start-up query has delivered."""
        if smoke and not state["ready"]:
            state["ready"] = True
            app.processEvents()  # paint the figures before taking the time
            stamp("ready")

    def finish() -> None:
        """--smoke / --screenshot: wait for the page's jobs, then judge or grab, and quit."""
        worker.wait_idle(120_000)
        if state["refused"]:
            return
        data_ready()  # a page that does not announce its data: ready once the worker is idle
        if screenshot:
            app.processEvents()
            if not window.grab().save(screenshot):
                sys.stderr.write(f"cannot write {screenshot}\n")
                state["code"] = 1
        for exc in worker.errors():
            sys.stderr.write(worker.describe_error(exc) + "\n")
            state["code"] = 1
        window.close()
        app.quit()

    def interactive(then: Callable[[], None] | None = None) -> None:
        """The window is on screen and the event loop idle: the user can click."""
        if smoke:
            stamp("first-frame")
        if then is not None:
            then()
        if headless:
            QTimer.singleShot(0, finish)

    def show_window(then: Callable[[], None] | None = None) -> None:
        if state["shown"]:
            return
        state["shown"] = True
        app.setQuitOnLastWindowClosed(quit_on_close)
        window.show()
        from ui.dialogs.identity_dialog import ask_identity_if_missing

        if not headless:
            ask_identity_if_missing(window.ctx, window)  # first run: the hospital's identity (R19)
        # A zero timer fires once the event loop has drawn the window and has nothing else to do.
        QTimer.singleShot(0, lambda: interactive(then))

    def session_ready() -> None:
        """Single-user, or logged in: the session is known."""
        remember_shared_mode(db_location, bool(window.ctx.shared))
        window.show_user()
        if window.locked:
            window.set_locked(False)  # after a log-in: the current page reloads
        if not state["shown"]:
            window.show_page(first_page)
            show_window()
        start_daily_backup(window.ctx)  # queued after the page's own queries

    def shared_found() -> None:
        """A log-in is needed (the check ran on the worker): nothing shows until it is done."""
        remember_shared_mode(db_location, True)
        if state["shown"]:
            window.set_locked(True)

    def refused(code: int, message: str) -> None:
        if message:
            sys.stderr.write(message + "\n")
        state["code"], state["refused"] = code, True
        app.quit()

    def start_session() -> None:
        # First on the single worker: open the database and check for shared mode; then the
        # first page's queries. Started once the window is on screen: the worker's imports
        # (SQLAlchemy …) would otherwise share the interpreter with the first paint.
        begin(window.ctx, session_ready, refused, interactive=not headless, on_shared=shared_found)
        if state["shown"]:
            window.current_page().ensure_fresh()

    if smoke:
        window.page(first_page).ready.connect(data_ready)
    if remembered_shared_mode(db_location):
        start_session()  # a log-in was needed last time: the log-in dialog comes first
    else:
        # No log-in last time: the window is usable at once, the page in its loading state.
        window.show_page(first_page, load=False)
        show_window(then=start_session)
    code = app.exec()
    worker.wait_idle(10_000)
    window.ctx.close()
    if headless or state["refused"]:
        return state["code"]
    return int(code)


def main(argv: list[str] | None = None) -> int:
    """``hospital-app-gui [--db …] [--as-of …] [--lang …]``: the desktop launcher."""
    from hospital_app.cli import main as cli_main  # sets PROCESS_START as early as possible

    argv = list(sys.argv[1:] if argv is None else argv)
    # Same options and defaults as ``hospital-app gui`` (one code path).
    return cli_main.main(["gui", *argv])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
