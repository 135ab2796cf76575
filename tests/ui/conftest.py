"""GUI test fixtures: synchronous worker (Picard's trick), a filled database, the main window.

Qt runs offscreen (tests/conftest.py). Every background job runs inline, so a test
can click and assert immediately.
"""

from __future__ import annotations

from datetime import date

import pytest

AS_OF = date(2025, 9, 15)


@pytest.fixture(autouse=True)
def sync_worker(monkeypatch):
    """Every run_in_background job runs inline on the test thread."""
    from ui import worker

    monkeypatch.setattr(worker, "SYNCHRONOUS", True)
    worker.errors().clear()
    yield
    worker.errors().clear()
    for box in worker.open_boxes():  # a box a test left open must not leak into the next test
        box.done(0)


@pytest.fixture(autouse=True)
def _qt_settings(qapp, tmp_path, monkeypatch):
    """QSettings in a per-test folder (geometry, language, last import folder)."""
    from PySide6.QtCore import QSettings

    qapp.setOrganizationName("hospital-vbp-tests")
    qapp.setApplicationName("hospital-app-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory):
    """One demo database per test session; each test gets its own copy of the file."""
    from db.session import open_database
    from hospital_app.services.demo import DemoOptions, generate_demo

    path = tmp_path_factory.mktemp("demo") / "template.db"
    database = open_database(str(path))
    try:
        generate_demo(database, DemoOptions(seed=7, products=24, months=24, purchases=3000, as_of=AS_OF))
        with database.engine.connect() as conn:  # fold the WAL into the file before copying it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.dispose()
    return path


@pytest.fixture
def demo_path(_demo_template, tmp_path):
    import shutil

    target = tmp_path / "demo.db"
    shutil.copyfile(_demo_template, target)
    return target


@pytest.fixture
def filled_db(demo_path):
    """GIVEN a database with demo data (the demo generator, seed 7, 24 products, as of 2025-09-15)."""
    from db.session import open_database

    database = open_database(str(demo_path))
    yield database
    database.dispose()


@pytest.fixture
def ctx(filled_db, demo_path):
    from ui.app_context import AppContext

    context = AppContext(str(demo_path), AS_OF, "zh", db=filled_db)
    return context


@pytest.fixture
def main_window(qtbot, filled_db, demo_path):
    """The real main window on the filled database (not shown until a test shows it)."""
    from ui.app import create_main_window

    window = create_main_window(str(demo_path), AS_OF, "zh", db=filled_db)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def opened(monkeypatch):
    """Stub for the system viewer: records the paths a page asks to open."""
    from ui.widgets import common

    calls: list[str] = []
    monkeypatch.setattr(common, "open_document", lambda path: calls.append(str(path)) or True)
    return calls


@pytest.fixture
def make_page(qtbot, ctx):
    """make_page(PageClass, width, height): a page on the demo database, shown and loaded."""

    def _make(page_class, width: int = 1200, height: int = 700):
        p = page_class(ctx)
        qtbot.addWidget(p)
        p.resize(width, height)
        p.show()
        p.ensure_fresh()
        return p

    return _make


@pytest.fixture(autouse=True)
def _logged_out(monkeypatch):
    """The audit user is process-wide: every UI test starts and ends logged out, without env credentials."""
    from hospital_app.services import audit

    monkeypatch.delenv("HOSPITAL_APP_USER", raising=False)
    monkeypatch.delenv("HOSPITAL_APP_PASSWORD", raising=False)
    audit.set_current_user(None)
    yield
    audit.set_current_user(None)
