"""`report self-check | complaint | escalation | notes` (CLI.md) — exit codes, files, figures."""

from __future__ import annotations

from pypdf import PdfReader
from sqlalchemy import select

from db.models import GeneratedDocument
from tests.services import documents_data as data


def _text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def _seed(db):
    with db.session() as s:
        return data.build(s)


def test_self_check_matches_progress_json(db, db_path, run_cli, tmp_path):
    """GIVEN the R7 example WHEN `report self-check --period 2025Q1` runs with a later --as-of
    THEN exit 0, the PDF is as of 2025-03-31 and carries every figure of `progress --json` for that day."""
    _seed(db)
    out = tmp_path / "自查.pdf"
    r = run_cli("--db", db_path, "--as-of", "2025-05-01", "report", "self-check", "--period", "2025Q1",
                "--out", out)
    assert r.code == 0, r
    assert "2025-03-31" in r.out and out.exists()
    progress = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress", "--json").json()
    text = _text(out)
    for row in progress["rows"]:
        assert row["generic_name"] in text
        for key in ("agreed_volume", "target_to_date", "purchased", "shortfall"):
            assert f"{row[key]:,}" in text  # thousands separators (issue 18)
        assert f"{row['schedule'] * 100:.2f}%" in text


def test_bad_period_and_output_are_exit_3(db, db_path, run_cli, tmp_path):
    """GIVEN a malformed period or a non-PDF output WHEN run THEN exit 3 and nothing written."""
    r = run_cli("--db", db_path, "report", "self-check", "--period", "2025Q7", "--out", tmp_path / "x.pdf")
    assert r.code == 3 and "2025Q2" in r.err
    r = run_cli("--db", db_path, "report", "self-check", "--period", "2025Q1", "--out", tmp_path / "x.docx")
    assert r.code == 3 and ".pdf" in r.err
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "x.docx").exists()


def test_complaint_and_escalation(db, db_path, run_cli, tmp_path):
    """GIVEN the R2 example issue WHEN complaint and escalation run after the dues THEN both PDFs exist,
    the letter counts 7 missed working days, and both are in the document history (R3)."""
    ids = _seed(db)
    c, e = tmp_path / "c.pdf", tmp_path / "e.pdf"
    assert run_cli("--db", db_path, "--as-of", "2025-10-20", "report", "complaint", ids["issue"],
                   "--out", c).code == 0
    r = run_cli("--db", db_path, "report", "escalation", ids["issue"], "--out", e, "--as-of", "2025-10-20")
    assert r.code == 0, r
    assert "供应短缺" in _text(c) and "逾期 7 个工作日" in _text(e)
    with db.session() as s:
        assert [d.kind for d in s.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id))] == [
            "complaint", "escalation"]


def test_escalation_of_issue_not_overdue_is_exit_4(db, db_path, run_cli, tmp_path):
    """GIVEN an issue still within its reply due date WHEN escalation runs THEN exit 4, a clear message."""
    ids = _seed(db)
    r = run_cli("--db", db_path, "--as-of", "2025-10-09", "report", "escalation", ids["issue"],
                "--out", tmp_path / "e.pdf")
    assert r.code == 4
    assert "尚未逾期" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "e.pdf").exists()


def test_unknown_issue_is_exit_3(db, db_path, run_cli, tmp_path):
    """GIVEN no issue 999 WHEN a complaint is asked for THEN exit 3 (NotFound)."""
    r = run_cli("--db", db_path, "report", "complaint", "999", "--out", tmp_path / "c.pdf")
    assert r.code == 3 and "999" in r.err


def test_notes_delegated_to_volume_reports(db, db_path, run_cli, tmp_path):
    """GIVEN a database WHEN `report notes --out notes.pdf` runs THEN the volume service writes it (R13)
    and it is recorded as a generated document."""
    _seed(db)
    out = tmp_path / "notes.pdf"
    r = run_cli("--db", db_path, "--as-of", "2025-10-20", "report", "notes", "--out", out)
    assert r.code == 0, r
    assert out.exists()
    with db.session() as s:
        assert [d.kind for d in s.scalars(select(GeneratedDocument))] == ["notes"]
