"""Issue 18 item 1: the import wizard asks a volume report's own name (R13)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import SAMPLES

REPORTED = SAMPLES / "reported_volumes_2026.xlsx"


@pytest.fixture
def wizard(qtbot, db, db_path):
    from tests.ui.conftest import AS_OF
    from ui.app_context import AppContext
    from ui.import_wizard import ImportWizard

    ctx = AppContext(str(db_path), AS_OF, "zh", db=db)
    wiz = ImportWizard(ctx)
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def _select_kind(wizard, kind: str) -> None:
    combo = wizard.file_page.kind
    combo.setCurrentIndex(combo.findData(kind))


def test_name_field_only_for_reported_volumes_with_the_default_as_placeholder(wizard):
    """R13: GIVEN the wizard's first page WHEN purchases are chosen THEN 报量名称 is hidden; WHEN reported
    volumes and reported_volumes_2026.xlsx are chosen THEN it shows, its placeholder “2026年度报量”."""
    page = wizard.file_page
    _select_kind(wizard, "purchases")
    assert not page.report_name.isVisible() and page.chosen_report_name() is None
    _select_kind(wizard, "reported-volumes")
    page.path.setText(str(REPORTED))
    assert page.report_name.isVisible()
    assert page.report_name.placeholderText() == "2026年度报量"


def test_typed_name_is_the_imported_reports_name(wizard, db):
    """R13: GIVEN 报量名称 “2026年度第十批报量” WHEN the file goes through dry run and import THEN the stored
    volume report has that name (not the file name) and its 20 lines."""
    from db.models import VolumeReport

    _select_kind(wizard, "reported-volumes")
    wizard.file_page.path.setText(str(REPORTED))
    wizard.file_page.report_name.setText("2026年度第十批报量")
    wizard.next()  # → preview
    wizard.next()  # → mapping
    wizard.next()  # → dry run
    assert wizard.dry_run_page.problems == []
    wizard.next()  # → import
    assert wizard.import_page.result is not None
    with db.session() as s:
        reports = [(r.name, len(r.lines)) for r in s.scalars(select(VolumeReport))]
    assert reports == [("2026年度第十批报量", 20)]
