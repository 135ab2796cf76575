"""Issue 18 item 1: a volume report (报量) carries its own name, never the file stem (R13)."""

from __future__ import annotations

import shutil
from datetime import date

from sqlalchemy import select

from db.models import VolumeReport
from db.session import open_database
from hospital_app.services.importing.kinds.reported_volumes import default_report_name, report_year
from tests.conftest import SAMPLES

REPORTED = SAMPLES / "reported_volumes_2026.xlsx"


def _names(db_file) -> list[tuple[str, str | None, int]]:
    db = open_database(str(db_file))
    try:
        with db.session() as s:
            return [(r.name, r.cycle, len(r.lines)) for r in s.scalars(select(VolumeReport).order_by(VolumeReport.id))]
    finally:
        db.dispose()


def test_default_name_takes_the_year_the_file_name_states_else_the_next_year():
    """R13: GIVEN file names with and without a year WHEN the default name is made THEN 报量_2026.xlsx →
    2026年度报量 (the last year named wins), a file without a year imported on 2025-11-03 → 2026年度报量."""
    assert default_report_name("reported_volumes_2026.xlsx", date(2025, 11, 3)) == "2026年度报量"
    assert report_year("2025年报送（2027年度）.xlsx", date(2025, 1, 1)) == 2027
    assert default_report_name("报量.xlsx", date(2025, 11, 3)) == "2026年度报量"
    assert report_year("export_120345.xlsx", date(2024, 3, 1)) == 2025  # digits, but no year


def test_import_names_the_report_from_the_file_and_prints_it_not_the_stem(run_cli, db_path):
    """R13: GIVEN the sample reported_volumes_2026.xlsx WHEN imported without --name THEN the report is
    called “2026年度报量” (cycle 2026) and the volume check (what the notes print) shows that name, never the file stem."""
    assert run_cli("--db", db_path, "import", "reported-volumes", REPORTED).code == 0
    assert _names(db_path) == [("2026年度报量", "2026", 20)]
    from hospital_app.services.volume_reports import check_volumes

    db = open_database(str(db_path))
    try:
        with db.session() as s:
            assert {r.report_name for r in check_volumes(s, date(2025, 11, 3))} == {"2026年度报量"}
    finally:
        db.dispose()


def test_name_option_sets_and_renames_the_report(run_cli, db_path, tmp_path):
    """R13: GIVEN a file without a year WHEN imported with --name THEN the report has that name; WHEN
    the same file is imported again with another name THEN the report is renamed and no line is added;
    a dry run with a third name changes nothing."""
    plain = tmp_path / "报量.xlsx"
    shutil.copy(REPORTED, plain)
    assert run_cli("--db", db_path, "--as-of", "2025-11-03", "import", "reported-volumes", plain,
                   "--name", "第十批集采报量").code == 0
    assert _names(db_path) == [("第十批集采报量", "2026", 20)]  # the cycle from the import day
    again = run_cli("--db", db_path, "import", "reported-volumes", plain, "--name", "2026年度第十批报量", "--json")
    assert again.code == 0 and again.json()["inserted"] == 0
    assert [n for n, _c, _l in _names(db_path)] == ["2026年度第十批报量"]
    assert run_cli("--db", db_path, "import", "reported-volumes", plain, "--name", "其他", "--dry-run").code == 0
    assert [n for n, _c, _l in _names(db_path)] == ["2026年度第十批报量"]


def test_without_a_year_in_the_file_name_the_default_is_the_year_after_as_of(run_cli, db_path, tmp_path):
    """R13: GIVEN 报量.xlsx WHEN imported with --as-of 2024-10-08 and no --name THEN “2025年度报量”."""
    plain = tmp_path / "报量.xlsx"
    shutil.copy(REPORTED, plain)
    assert run_cli("--db", db_path, "--as-of", "2024-10-08", "import", "reported-volumes", plain).code == 0
    assert _names(db_path) == [("2025年度报量", "2025", 20)]


def test_name_is_refused_for_other_kinds(run_cli, db_path):
    """GIVEN --name on a purchases import WHEN run THEN exit 3 with a message naming --name, nothing written."""
    res = run_cli("--db", db_path, "import", "purchases", SAMPLES / "platform_purchases_2023-09_2025-08.xlsx",
                  "--name", "x")
    assert res.code == 3 and "--name" in res.err
