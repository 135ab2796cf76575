"""Issue 18 §6: the self-check of the sample data (R19, R8, R3) and the identity refusal."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader

from db.session import open_database
from hospital_app.errors import Refused
from hospital_app.services import documents
from tests.services.sample_docs import copy, sample_db  # noqa: F401 - fixture

# The 20 selected products of the sample agreement year 2024-09-20..2025-09-19 (the sample
# workbook's 约定采购量明细 sheet) and the 6 of them that reached their agreed volume.
PASSED = 6
FAILED = 14


def _text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def test_annual_self_check_lists_the_ended_year_with_its_14_failures(sample_db, tmp_path):
    """R19/R8: GIVEN the sample data (one agreement year 2024-09-20..2025-09-19, 14 of 20 products
    below their agreed volume) WHEN the 2025 self-check is made in 2026 THEN it is as of 2025-12-31,
    covers that ended year as its final assessment: 20 products, 14 failed for completion, each
    named in the product table with “不合格”, 6 passed."""
    db = open_database(str(sample_db))
    try:
        with db.session() as s:
            data = documents.self_check_data(s, "2025", date(2026, 1, 5))
            out = tmp_path / "2025.pdf"
            documents.make_self_check(s, "2025", out, date(2026, 1, 5))
            s.rollback()
    finally:
        db.dispose()
    assert data.as_of == date(2025, 12, 31)
    assert [(b.start, b.end, b.ended) for b in data.blocks] == [(date(2024, 9, 20), date(2025, 9, 19), True)]
    rows = data.blocks[0].rows
    assert len(rows) == 20
    failed = [r for r in rows if r["failed_reasons"]]
    assert len(failed) == FAILED and all("completion" in r["failed_reasons"] for r in failed)
    assert len(rows) - len(failed) == PASSED
    text = "".join(_text(out).split())  # table cells wrap: compare without line breaks
    assert "协议期2024-09-20至2025-09-19（已结束，最终考核结果）" in text
    assert "中选产品20个，考核合格6个，不合格14个" in text
    assert text.count("不合格：未完成约定采购量") == FAILED
    for r in rows:
        assert r["generic_name"] in text


def test_q2_report_printed_later_shows_the_july_resolution_as_not_yet_known(sample_db, tmp_path):
    """R19/R3 as of d: GIVEN a shortage reported Mon 2025-06-02, never replied to, resolved 2025-07-10
    WHEN the 2025Q2 self-check is made in October THEN it is as of 2025-06-30 and shows the issue
    open (待答复) with its reply overdue (due 2025-06-04, two working days) — the July resolution is
    not known on 06-30."""
    db = open_database(str(sample_db))
    try:
        with db.session() as s:
            data = documents.self_check_data(s, "2025Q2", date(2025, 10, 20))
            s.rollback()
    finally:
        db.dispose()
    assert data.as_of == date(2025, 6, 30)
    [issue] = [i for i in data.issues if i.product.startswith("瑞舒伐他汀钙片")]
    assert issue.reply_due == date(2025, 6, 4)
    assert issue.resolved_at is None
    assert issue.status_label == "待答复"
    assert "reply" in issue.overdue


def test_no_hospital_name_refuses_every_document(db, session, run_cli, db_path, tmp_path):
    """R19: GIVEN no hospital name WHEN a self-check is asked for (service and CLI) THEN it is refused
    (exit 4) with the command that sets the name, and no file is written."""
    with pytest.raises(Refused, match="settings set hospital.name"):
        documents.self_check_data(session, "2025Q1", date(2025, 4, 1))
    r = run_cli("--db", db_path, "report", "self-check", "--period", "2025Q1", "--out", tmp_path / "x.pdf")
    assert r.code == 4 and "settings set hospital.name" in r.err
    assert not (tmp_path / "x.pdf").exists()
