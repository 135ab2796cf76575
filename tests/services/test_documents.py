"""Documents (issue 8): self-check report, complaint form, escalation letter — text extracted with pypdf."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import GeneratedDocument, ReportText
from hospital_app.errors import Conflict
from hospital_app.services import documents
from tests.services import documents_data as data

STANDARD_14 = {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman",
               "Times-Bold", "Times-Italic", "Times-BoldItalic", "Courier", "Courier-Bold", "Courier-Oblique",
               "Courier-BoldOblique", "Symbol", "ZapfDingbats"}
GEN = datetime(2025, 10, 20, 9, 30)


def pdf_text(path) -> tuple[str, int]:
    reader = PdfReader(str(path))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


def embedded_fonts(path) -> set[str]:
    """Every font must carry its TrueType program (FontFile2): it prints the same anywhere. Not
    even a standard-14 font (Helvetica, never embedded) may be referenced (issue 22's check)."""
    names = set()
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base = str(font["/BaseFont"]).lstrip("/")
            assert base not in STANDARD_14, base
            assert "/FontFile2" in font["/FontDescriptor"], base
            names.add(base.split("+", 1)[-1])
    return names


@pytest.fixture
def ids(session):
    return data.build(session)


def test_self_check_figures_equal_progress(session, ids, tmp_path):
    """GIVEN the R7 worked example (V 12 000, 5 000 bought by 2025-03-31)
    WHEN the 2025Q1 self-check is made THEN its table carries progress's figures (6367, 41.67 %, 53.06 %, 1367),
    the font is embedded, pages are numbered, and the file is recorded (R7, R8)."""
    from hospital_app.services.progress import compute_progress

    out = tmp_path / "self.pdf"
    result = documents.make_self_check(session, "2025Q1", out, generated_at=GEN)
    assert result["as_of"] == "2025-03-31"
    text, pages = pdf_text(out)
    assert data.HOSPITAL in text and data.CODE in text
    assert "2025年第一季度" in text and "2025-03-31" in text
    rows = {r.product_id: r.as_dict() for r in compute_progress(session, date(2025, 3, 31))}
    amox = rows[ids["amox"]]
    assert (amox["target_to_date"], amox["purchased"], amox["shortfall"]) == (6367, 5000, 1367)
    for r in rows.values():
        for key in ("agreed_volume", "target_to_date", "purchased"):
            assert f"{r[key]:,}" in text  # thousands separators (issue 18)
        assert f"{r['completion'] * 100:.2f}%" in text
    assert "41.67%" in text and "53.06%" in text
    assert f"第 1 页 共 {pages} 页" in text and f"第 {pages} 页 共 {pages} 页" in text
    assert "生成时间：2025-10-20 09:30" in text
    assert embedded_fonts(out) == {"WenQuanYiMicroHei-0"}
    doc = session.scalars(select(GeneratedDocument)).one()
    assert (doc.kind, doc.params) == ("self-check", {"period": "2025Q1", "as_of": "2025-03-31"})


def test_self_check_sections(session, ids, tmp_path):
    """GIVEN an exemption (R11) and a supply issue in March WHEN the Q1 report is made
    THEN the exemption with its reason and document, the issue, and signature lines are printed."""
    out = tmp_path / "self.pdf"
    documents.make_self_check(session, "2025Q1", out, generated_at=GEN)
    text, _ = pdf_text(out)
    assert "突发公共卫生事件" in text and "青医保〔2025〕12号" in text
    assert "配送不及时" in text  # the resolved March issue (R3)
    assert "连续三次订单未配送" not in text  # reported in September: not in Q1
    assert "非中选产品采购量占同通用名产品采购总量的比例" in text
    assert "填报人（签字）" in text and "分管院领导（签字）" in text


def test_as_of_earlier_than_period_end(session, ids, tmp_path):
    """GIVEN --as-of 2025-02-15 inside 2025Q1 WHEN the report is made THEN it is as of 2025-02-15."""
    result = documents.make_self_check(session, "2025Q1", tmp_path / "s.pdf", as_of=date(2025, 2, 15),
                                       generated_at=GEN)
    assert result["as_of"] == "2025-02-15"
    assert "统计截止日：2025-02-15" in pdf_text(tmp_path / "s.pdf")[0]


def test_findings_text_is_editable_and_stored(session, ids, tmp_path):
    """GIVEN edited findings for 2025Q1 WHEN the report is made THEN it prints the stored text;
    a save from a stale version is refused (Conflict)."""
    assert documents.get_findings_text(session, "2025Q1") is None
    v = documents.set_findings_text(session, "2025Q1", "一、存在的问题\n阿莫西林胶囊进度滞后，已约谈临床科室。")
    assert session.get(ReportText, "self-check:2025Q1").text.startswith("一、存在的问题")
    documents.make_self_check(session, "2025Q1", tmp_path / "s.pdf", generated_at=GEN)
    assert "已约谈临床科室" in pdf_text(tmp_path / "s.pdf")[0]
    documents.set_findings_text(session, "2025Q1", "第二版", expected_version=v)
    with pytest.raises(Conflict):
        documents.set_findings_text(session, "2025Q1", "过期的编辑", expected_version=v)


def test_draft_findings_from_alerts():
    """GIVEN alerts of R8 and R3 WHEN drafted THEN one line per rule with its counts, pointing to the
    appendix where every item is listed (issue 18: no "另有 N 项" — the bureau has no alert list)."""
    from hospital_app.domain.findings import Alert

    text = documents.draft_findings([
        Alert("R8", "serious", "阿莫西林胶囊严重滞后", 1), Alert("R8", "warning", "二甲双胍片滞后", 2),
        Alert("R3", "serious", "供应问题 1 答复逾期"),
    ])
    assert "约定采购量完成进度：共 2 项，其中严重 1 项" in text
    assert "供应问题反馈与处理：共 1 项" in text and "逐项列于附表" in text
    assert "另有" not in text
    assert "未发现" in documents.draft_findings([])


def test_complaint_form(session, ids, tmp_path):
    """GIVEN the R2 example issue (Tue 2025-09-30 16:00) WHEN the complaint form is made
    THEN hospital, product, manufacturer, distributor, type, time, dues and contact are on it (R3)."""
    out = tmp_path / "c.pdf"
    documents.make_complaint(session, ids["issue"], out, as_of=date(2025, 10, 9), generated_at=GEN)
    text, _ = pdf_text(out)
    for expected in (data.HOSPITAL, data.CODE, "阿莫西林胶囊 0.25g", "XY001", "华东制药有限公司",
                     "国药控股青山有限公司", "供应短缺", "2025-09-30 16:00", "2025-10-10", "2025-10-16（暂定）",
                     data.CONTACT, "连续三次订单未配送", "登记反馈", "王药师", data.BUREAU):
        assert expected in text, expected
    assert embedded_fonts(out) == {"WenQuanYiMicroHei-0"}


def test_escalation_letter_counts_missed_working_days(session, ids, tmp_path):
    """GIVEN no reply by 2025-10-20 WHEN the escalation letter is made
    THEN reply due 2025-10-10 missed by 7 working days (Sat 10-11 works) and resolution due 2025-10-16
    by 2 (R2, R3); it is addressed to the bureau and recorded."""
    out = tmp_path / "e.pdf"
    result = documents.make_escalation(session, ids["issue"], out, as_of=date(2025, 10, 20), generated_at=GEN)
    assert result["missed"] == [{"what": "reply", "due": "2025-10-10", "working_days": 7},
                                {"what": "resolution", "due": "2025-10-16", "working_days": 2}]
    text, _ = pdf_text(out)
    assert f"{data.BUREAU}：" in text
    assert "逾期 7 个工作日" in text and "逾期 2 个工作日" in text
    assert "请贵局督促华东制药有限公司" in text and data.CONTACT in text
    assert "2025年10月20日" in text
    kinds = [d.kind for d in session.scalars(select(GeneratedDocument))]
    assert kinds == ["escalation"]


def test_r11_escalation_letter_states_the_v2_rule(session, ids, tmp_path):
    """GIVEN an overdue issue WHEN the escalation letter is made THEN it asks the bureau to verify and
    says only verified backup-supplier purchases count toward the agreed volume, while non-selected
    purchases are left out of the assessment — never that other products of the generic name count as
    selected (R11 v2, issue 16 item 10)."""
    out = tmp_path / "e.pdf"
    documents.make_escalation(session, ids["issue"], out, as_of=date(2025, 10, 20), generated_at=GEN)
    text = "".join(pdf_text(out)[0].split())
    assert "请贵局核实上述供应问题" in text
    assert "经核实的备供企业产品采购量按规定计入中选产品约定采购量完成情况" in text
    assert "同通用名非中选产品的采购量不纳入本院集中带量采购执行考核" in text
    assert "同通用名其他产品保障临床用药，相关采购量按规定计入中选产品" not in text


def test_escalation_refused_when_not_overdue_or_resolved(session, ids, tmp_path):
    """GIVEN the issue on its reply due date, and a resolved issue WHEN escalating THEN Conflict (exit 4),
    with the dues in the message, and no file is written (R3)."""
    out = tmp_path / "e.pdf"
    with pytest.raises(Conflict) as exc:
        documents.make_escalation(session, ids["issue"], out, as_of=date(2025, 10, 10))
    assert "尚未逾期" in exc.value.message and "2025-10-10" in exc.value.message
    with pytest.raises(Conflict):
        documents.make_escalation(session, ids["resolved_issue"], out, as_of=date(2025, 10, 20))
    assert not out.exists()
    assert session.scalars(select(GeneratedDocument)).first() is None


def test_r3_complaint_timeline_names_bureau_steps_in_words(session, ids, tmp_path):
    """GIVEN the R2 example issue reported to the bureau on 10-09 and confirmed (核实) on 10-10 (R3, R11)
    WHEN the complaint form is made THEN its timeline names both steps in Chinese — never the codes
    "reported_to_bureau" / "bureau_confirmed" — and shows no status change for them (they change none: the
    form printed "待答复 → 待答复")."""
    from hospital_app.services import supply_issues

    supply_issues.report_to_bureau(session, ids["issue"], datetime(2025, 10, 9, 10, 0), to="青山市医保局",
                                   who="王药师")
    supply_issues.confirm_by_bureau(session, ids["issue"], datetime(2025, 10, 10, 9, 0), ref="青医保核〔2025〕7号",
                                    who="王药师")
    out = tmp_path / "c.pdf"
    documents.make_complaint(session, ids["issue"], out, as_of=date(2025, 10, 10), generated_at=GEN)
    text, _ = pdf_text(out)
    assert "报告医保部门" in text and "医保部门核实" in text
    assert "reported_to" not in text and "bureau_confirm" not in text
    assert "待答复 → 待答复" not in text


def test_r7_batch_schedule_is_the_time_schedule_not_rounded_targets(session, ids, tmp_path):
    """GIVEN a second batch whose only product has V = 10 in the R7 example period (S(2025-03-31) = 6.3667 / 12
    = 53.06 %; its target 5 is rounded) WHEN the Q1 self-check is made THEN the batch row's 序时进度 is 53.06 %, the
    same as its product's (R7: S(d) weighted by V) — Σ targets ÷ Σ V printed 50.00 %."""
    from db.models import AgreementPeriod, Batch, Product

    b = Batch(name="小批次", kind="drug", execution_start=date(2024, 9, 20))
    p = Product(batch=b, code="XY009", generic_name="小剂量片", generic_name_norm="小剂量片", spec="1mg",
                base_unit="片", selected=True, category="selected")
    session.add_all([b, p])
    session.flush()
    session.add(AgreementPeriod(product_id=p.id, year_index=1, start=date(2024, 9, 20), end=date(2025, 9, 19),
                                agreed_volume=10))
    session.flush()
    out = tmp_path / "self.pdf"
    documents.make_self_check(session, "2025Q1", out, generated_at=GEN)
    import subprocess

    layout = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    row = [line.split() for line in layout.splitlines() if line.startswith("小批次") and "%" in line]
    assert row and row[0][-2:] == ["0.00%", "53.06%"], row  # completion, schedule
