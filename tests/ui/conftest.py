"""GUI test fixtures: synchronous worker (Picard's trick), a filled database, the main window.

Qt runs offscreen (tests/conftest.py). Every background job runs inline, so a test
can click and assert immediately.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

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


@pytest.fixture(autouse=True)
def _qt_settings(qapp, tmp_path, monkeypatch):
    """QSettings in a per-test folder (geometry, language, last import folder)."""
    from PySide6.QtCore import QSettings

    qapp.setOrganizationName("hospital-vbp-tests")
    qapp.setApplicationName("hospital-app-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


def _build_small_dataset(session) -> None:
    """A few products and purchases, used when the demo generator is not available."""
    from db import models as m

    batch = m.Batch(name="第九批国家集采", kind="drug", level="national",
                    execution_start=date(2024, 3, 1), cycle_years=3, cycle_end=date(2027, 2, 28))
    session.add(batch)
    maker = m.Company(name="华北制药", is_manufacturer=True)
    dist = m.Company(name="国药控股", is_distributor=True)
    session.add_all([maker, dist])
    session.flush()
    products = []
    for i, (name, spec, selected) in enumerate([
            ("阿莫西林胶囊", "0.25g", True), ("二甲双胍片", "0.5g", True),
            ("氨氯地平片", "5mg", True), ("头孢呋辛酯片", "0.25g", False)]):
        p = m.Product(batch_id=batch.id if selected else None, code=f"XP{i:04d}", generic_name=name,
                      generic_name_norm=name, dosage_form="片剂", spec=spec, spec_norm=spec,
                      units_per_pack=24, base_unit="片", pack_unit="盒", manufacturer_id=maker.id,
                      selected=selected, category="selected" if selected else "catalogue",
                      selected_price=Decimal("0.1250"))
        session.add(p)
        products.append(p)
    session.flush()
    for p in products[:3]:
        session.add(m.AgreementPeriod(product_id=p.id, year_index=1, start=date(2024, 3, 1),
                                      end=date(2025, 2, 28), agreed_volume=12000))
        session.add(m.AgreementPeriod(product_id=p.id, year_index=2, start=date(2025, 3, 1),
                                      end=date(2026, 2, 28), agreed_volume=12000))
    day = date(2024, 3, 5)
    n = 0
    while day < AS_OF:
        for p in products:
            n += 1
            session.add(m.Purchase(product_id=p.id, dedup_key=f"k{n}", order_no=f"PO{n:06d}", line_no=1,
                                   purchase_date=day, quantity=480 + (n % 7) * 24,
                                   unit_price=Decimal("0.1250"), amount=Decimal("60.00"),
                                   distributor_id=dist.id))
        day += timedelta(days=9)
    session.add(m.SupplyIssue(product_id=products[0].id, company_id=maker.id, type="shortage",
                              description="配送延迟", status="open",
                              reported_at=datetime(2025, 8, 20, 9, 0)))


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory):
    """One demo database per test session; each test gets its own copy of the file."""
    from db.session import open_database

    path = tmp_path_factory.mktemp("demo") / "template.db"
    database = open_database(str(path))
    try:
        try:
            from hospital_app.services.demo import DemoOptions, generate_demo
        except ImportError:
            with database.session() as s:
                _build_small_dataset(s)
        else:
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
    """GIVEN a database with demo data (the demo generator, else a small hand-made set)."""
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
