"""R13: volume-report baselines, drafted notes, sign-off and the PDF / xlsx export."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from sqlalchemy import select

from db.models import (AuditLog, ExplanatoryNote, Product, Purchase, Setting, VolumeReport,
                       VolumeReportLine)
from hospital_app.domain.normalize import normalize_generic, normalize_spec
from hospital_app import settings
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.services import volume_reports as vr

AS_OF = date(2025, 3, 15)  # baseline year by default: 2024
_keys = itertools.count(1)


def product(session, generic="阿莫西林胶囊", spec="0.25g", *, selected=True) -> Product:
    p = Product(generic_name=generic, generic_name_norm=normalize_generic(generic), spec=spec,
                spec_norm=normalize_spec(spec), selected=selected,
                category="selected" if selected else "nonselected")
    session.add(p)
    session.flush()
    return p


def buy(session, p: Product, day: date, quantity: int) -> None:
    session.add(Purchase(product_id=p.id, dedup_key=f"t{next(_keys)}", purchase_date=day,
                         quantity=quantity, is_return=quantity < 0))
    session.flush()


def report(session, *lines: tuple[str, str, int], name="第四批联盟续签报量") -> list[int]:
    rep = VolumeReport(name=name, cycle="2025")
    rep.lines = [VolumeReportLine(generic_name=g, generic_name_norm=normalize_generic(g), spec=s,
                                  spec_norm=normalize_spec(s), reported_quantity=q)
                 for g, s, q in lines]
    session.add(rep)
    session.flush()
    return [ln.id for ln in rep.lines]


def rows_by_line(session, **kw):
    return {r.line_id: r for r in vr.check_volumes(session, AS_OF, **kw)}


# ------------------------------------------------------------------------ baselines


def test_r13_boundaries_exactly_at_thresholds_need_no_note(session):
    """GIVEN 1000 units bought in 2024
    WHEN four reports each report 800 (−20 %), 799, 2500 (+150 %), 2501
    THEN only 799 and 2501 need a note (R13 strict thresholds; one report per figure, as lines of
    one generic name and spec in one report form one group, R13 v2)."""
    p = product(session)
    buy(session, p, date(2024, 6, 1), 1000)
    ids = [report(session, ("阿莫西林胶囊", "0.25g", q), name=f"报量{q}")[0] for q in (800, 799, 2500, 2501)]
    rows = rows_by_line(session)
    assert [rows[i].needs_explanation for i in ids] == [False, True, False, True]
    assert [rows[i].reason for i in ids] == [None, "decrease_over_20", None, "increase_over_150"]
    assert all(rows[i].baseline == 1000 for i in ids)


def test_r13_purchases_outside_the_baseline_year_never_count(session):
    """GIVEN purchases on 2023-12-31, 2024-01-01, 2024-12-31 and 2025-01-01
    THEN the 2024 baseline holds only the two inside 2024."""
    p = product(session)
    for day, q in ((date(2023, 12, 31), 5000), (date(2024, 1, 1), 300),
                   (date(2024, 12, 31), 700), (date(2025, 1, 1), 9000)):
        buy(session, p, day, q)
    (line,) = report(session, ("阿莫西林胶囊", "0.25g", 1000))
    assert rows_by_line(session)[line].baseline == 1000


def test_r13_non_selected_products_of_same_generic_and_spec_count(session):
    """GIVEN a selected product (600) and a non-selected one of the same generic name and
    spec written "250mg" (400), plus another spec (0.5g, 999) and another drug (999)
    THEN the baseline of "0.25g" is 1000: selected and non-selected alike, spec normalised."""
    buy(session, product(session, spec="0.25g"), date(2024, 3, 1), 600)
    buy(session, product(session, spec="250 mg", selected=False), date(2024, 4, 1), 400)
    buy(session, product(session, spec="0.5g"), date(2024, 4, 1), 999)
    buy(session, product(session, generic="头孢呋辛酯片", spec="0.25g"), date(2024, 4, 1), 999)
    (line,) = report(session, ("阿莫西林胶囊", "０.２５ｇ", 1000))
    row = rows_by_line(session)[line]
    assert row.baseline == 1000
    assert row.needs_explanation is False


def test_r13_returns_are_netted(session):
    """GIVEN 1000 bought and 200 returned in 2024 THEN the baseline is 800."""
    p = product(session)
    buy(session, p, date(2024, 2, 1), 1000)
    buy(session, p, date(2024, 3, 1), -200)
    (line,) = report(session, ("阿莫西林胶囊", "0.25g", 800))
    assert rows_by_line(session)[line].baseline == 800


def test_r13_new_product_without_history_is_flagged(session):
    """GIVEN a product never bought WHEN 100 reported THEN no_history, change null."""
    (line,) = report(session, ("司美格鲁肽注射液", "1.5ml:2mg", 100))
    row = rows_by_line(session)[line]
    assert (row.baseline, row.needs_explanation, row.reason, row.change) == (0, True, "no_history", None)
    assert row.as_dict()["change"] is None


def test_r13_as_dict_has_exactly_the_cli_keys(session):
    """CLI.md volume-check --json keys (v2: baseline_covered, data_to); change rounded to 4 places
    (1200 → 800: −0.3333); data only from 2024-06-01 do not cover the 2024 baseline year."""
    buy(session, product(session), date(2024, 6, 1), 1200)
    (line,) = report(session, ("阿莫西林胶囊", "0.25g", 800))
    assert rows_by_line(session)[line].as_dict() == {
        "generic_name": "阿莫西林胶囊", "spec": "0.25g", "baseline": 1200, "reported": 800,
        "change": -0.3333, "needs_explanation": True, "reason": "decrease_over_20",
        "baseline_covered": False, "data_to": "2024-06-01"}


def test_r13_baseline_year_argument_and_setting(session):
    """GIVEN 1000 bought in 2023 and none in 2024
    WHEN no year is given THEN 2024 (last calendar year) → no_history;
    WHEN --baseline-year 2023 THEN baseline 1000; WHEN the setting says 2023 THEN too."""
    buy(session, product(session), date(2023, 5, 1), 1000)
    (line,) = report(session, ("阿莫西林胶囊", "0.25g", 1000))
    assert rows_by_line(session)[line].reason == "no_history"
    assert rows_by_line(session, baseline_year=2023)[line].baseline == 1000
    session.add(Setting(key="r13_baseline_year", value=json.dumps(2023)))
    session.flush()
    row = rows_by_line(session)[line]
    assert (row.baseline_year, row.baseline) == (2023, 1000)


def test_r13_invalid_baseline_year_is_bad_input(session):
    with pytest.raises(BadInput):
        vr.check_volumes(session, AS_OF, baseline_year=24)


# ---------------------------------------------------------------------------- notes


@pytest.fixture
def two_lines(session):
    """A falling line (1200 in 2024 → 800 reported), a new product, and a line within limits."""
    p = product(session)
    for month in range(1, 13):
        buy(session, p, date(2024, month, 10), 100)
    buy(session, p, date(2025, 1, 10), 50)
    buy(session, p, date(2025, 2, 10), 40)
    buy(session, p, date(2025, 3, 10), 999)  # running month: not in the 12-month window
    q = product(session, generic="头孢呋辛酯片", spec="0.25g")
    buy(session, q, date(2024, 8, 1), 1000)
    return report(session, ("阿莫西林胶囊", "250mg", 800), ("新药片", "10mg", 300),
                  ("头孢呋辛酯片", "0.25g", 1100))


def test_r13_draft_notes_only_for_lines_needing_one(session, two_lines):
    """GIVEN three lines of which two are beyond R13's thresholds
    WHEN notes are drafted THEN exactly those two get a stored draft, audited."""
    falling, new, fine = two_lines
    views = vr.draft_notes(session, AS_OF, who="王药师")
    assert [v.line_id for v in views] == [falling, new]
    stored = session.scalars(select(ExplanatoryNote.line_id)).all()
    assert sorted(stored) == [falling, new]
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "explanatory_note")).all()
    assert actions == ["note.draft", "note.draft"]


def test_r13_draft_text_is_built_from_the_data(session, two_lines):
    """THEN the draft names product, baseline, reported, change, threshold, the 12 months
    (2024-03 … 2025-02, running month excluded) and their trend."""
    falling, new, _ = two_lines
    view = {v.line_id: v for v in vr.draft_notes(session, AS_OF)}[falling]
    assert [m.month for m in view.months][0::11] == ["2024-03", "2025-02"]
    assert [m.quantity for m in view.months] == [100] * 10 + [50, 40]
    assert view.trend == "falling"
    text = view.draft_text
    for part in ("阿莫西林胶囊", "250mg", "800", "1200", "-33.33%", "降幅超过20%", "2024-03", "2025-02",
                 "累计采购 1090", "下降"):
        assert part in text, part
    assert "无历史采购量" in {v.line_id: v for v in vr.list_notes(session, AS_OF)}[new].draft_text


def test_r13_set_note_reasons_and_text(session, two_lines):
    """WHEN reasons and free text are set THEN they are stored, the text shows them, audited."""
    falling, _, _ = two_lines
    vr.draft_notes(session, AS_OF)
    view = vr.set_note(session, falling, ["clinical_feedback", "treatment_trend"], "抗菌药物专项整治，用量下降。",
                       who="王药师", as_of=AS_OF)
    assert view.reasons == ["clinical_feedback", "treatment_trend"]
    assert "原因：临床反馈、诊疗趋势。" in view.draft_text
    assert "抗菌药物专项整治" in view.draft_text
    log = session.scalars(select(AuditLog).where(AuditLog.action == "note.set")).one()
    assert log.who == "王药师" and log.after["reasons"] == ["clinical_feedback", "treatment_trend"]


def test_r13_set_note_rejects_unknown_reason(session, two_lines):
    with pytest.raises(BadInput):
        vr.set_note(session, two_lines[0], ["because"], None, as_of=AS_OF)


def test_r13_set_note_on_line_within_thresholds_is_refused(session, two_lines):
    with pytest.raises(BadInput):
        vr.set_note(session, two_lines[2], ["other"], "x", as_of=AS_OF)


def test_r13_missing_line_is_not_found(session, two_lines):
    with pytest.raises(NotFound):
        vr.get_note(session, 9999, AS_OF)


def test_r13_sign_locks_and_reopen_unlocks(session, two_lines):
    """GIVEN a note with reasons WHEN signed THEN it is locked: set and a second sign are
    Conflict, drafting leaves it alone; WHEN reopened THEN it can be edited again."""
    falling, _, _ = two_lines
    vr.draft_notes(session, AS_OF)
    vr.set_note(session, falling, ["historical_use"], "", as_of=AS_OF)
    signed = vr.sign_note(session, falling, "张药师", as_of=AS_OF)
    assert (signed.status, signed.signed_by) == ("signed", "张药师") and signed.signed_at is not None
    text_at_signing = signed.draft_text
    with pytest.raises(Conflict):
        vr.set_note(session, falling, None, "改一下", as_of=AS_OF)
    with pytest.raises(Conflict):
        vr.sign_note(session, falling, "张药师", as_of=AS_OF)
    buy(session, session.scalars(select(Product)).first(), date(2025, 2, 20), 500)  # data changes
    vr.draft_notes(session, AS_OF)
    assert vr.get_note(session, falling, AS_OF).draft_text == text_at_signing
    reopened = vr.reopen_note(session, falling, "张药师", as_of=AS_OF)
    assert (reopened.status, reopened.signed_by) == ("draft", None)
    assert vr.set_note(session, falling, None, "补充", as_of=AS_OF).free_text == "补充"
    actions = session.scalars(select(AuditLog.action).where(AuditLog.action.in_(["note.sign", "note.reopen"]))).all()
    assert actions == ["note.sign", "note.reopen"]


def test_r13_sign_needs_a_reason_and_other_needs_text(session, two_lines):
    falling, new, _ = two_lines
    vr.draft_notes(session, AS_OF)
    with pytest.raises(BadInput):
        vr.sign_note(session, falling, "张药师", as_of=AS_OF)
    vr.set_note(session, new, ["other"], "", as_of=AS_OF)
    with pytest.raises(BadInput):
        vr.sign_note(session, new, "张药师", as_of=AS_OF)


def test_r13_reopen_of_unsigned_note_is_conflict(session, two_lines):
    vr.draft_notes(session, AS_OF)
    with pytest.raises(Conflict):
        vr.reopen_note(session, two_lines[0], as_of=AS_OF)


def test_r13_stale_version_is_conflict(session, two_lines):
    """GIVEN an editor that loaded version v WHEN someone else saved meanwhile THEN Conflict."""
    falling = two_lines[0]
    v = vr.draft_notes(session, AS_OF)[0].version
    vr.set_note(session, falling, ["historical_use"], None, as_of=AS_OF, version=v)
    with pytest.raises(Conflict):
        vr.set_note(session, falling, ["other"], "x", as_of=AS_OF, version=v)


# --------------------------------------------------------------------------- export


def test_r13_pdf_contains_exactly_the_lines_needing_a_note(session, two_lines, tmp_path):
    """GIVEN two lines needing a note and one within limits WHEN exported as PDF
    THEN the two appear (with chart months, reasons and signature), the third does not."""
    from pypdf import PdfReader

    falling, _, _ = two_lines
    settings.set_value(session, "hospital.name", "青山市第一人民医院", "tester")  # documents need it (R19)
    vr.draft_notes(session, AS_OF)
    vr.set_note(session, falling, ["clinical_feedback"], "临床科室反馈用量下降", as_of=AS_OF)
    vr.sign_note(session, falling, "张药师", as_of=AS_OF)
    out = vr.export_notes(session, tmp_path / "notes.pdf", AS_OF)
    reader = PdfReader(str(out))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 3  # overview + one page per line
    assert "阿莫西林胶囊" in text and "新药片" in text
    assert "头孢呋辛酯片" not in text
    assert "临床科室反馈用量下降" in text and "已签字确认" in text  # the date, never a user name (issue 18) and "2024-03" in text
    assert "第 3 页 共 3 页" in text.replace("\u3000", " ")
    fonts = {str(f.get("/BaseFont")) for page in reader.pages
             for f in (page["/Resources"].get("/Font") or {}).values()
             for f in [f.get_object()]}
    assert any("WenQuanYi" in f for f in fonts)


def test_r13_xlsx_one_row_per_line_and_no_formulas(session, two_lines, tmp_path):
    """GIVEN a free text starting with '=' WHEN exported as xlsx
    THEN one row per line needing a note, and the text is a text cell, not a formula."""
    from openpyxl import load_workbook

    falling, new, _ = two_lines
    settings.set_value(session, "hospital.name", "青山市第一人民医院", "tester")  # documents need it (R19)
    vr.draft_notes(session, AS_OF)
    vr.set_note(session, falling, ["other"], "=HYPERLINK(\"http://x\")", as_of=AS_OF)
    out = vr.export_notes(session, tmp_path / "notes.xlsx", AS_OF)
    ws = load_workbook(out).worksheets[0]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == [falling, new]
    assert [r[4] for r in rows] == ["阿莫西林胶囊", "新药片"]
    free = ws.cell(row=2, column=17)
    assert free.value == "=HYPERLINK(\"http://x\")" and free.data_type == "s"
    assert rows[0][11] == -0.3333


def test_r13_export_rejects_other_formats(session, tmp_path):
    with pytest.raises(BadInput):
        vr.export_notes(session, tmp_path / "notes.docx", AS_OF)
