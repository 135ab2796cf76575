"""R19/R21: the self-check names the departments behind each problem — hand-computed.

The scene of tests/services/test_departments.py (agreement period 2024-09-20..2025-09-19):
- 阿托伐他汀钙片 20mg selected (P1, 14 片/盒), V = 12 000, 5 000 bought; a non-selected one (N1)
  3 000 bought → the generic name's non-selected share 3 000 / 8 000 = 37.5 % > 30 % (R9);
  as of 2025-03-31 shortfall 1 367 (severely behind);
- 苯磺酸氨氯地平片 5mg selected (P2), V = 1 200, 600 bought; as of 2025-03-31 shortfall 37 (behind).
The department usage differs per test (below); the self-check's window starts at the report
period's first day and ends on the day each agreement period is assessed as of.
"""

from __future__ import annotations

from datetime import date

from pypdf import PdfReader

from hospital_app import settings
from hospital_app.services import documents
from hospital_app.services.importing import import_file
from tests.services.import_helpers import xlsx
from tests.services.test_departments import HEAD, _scene

ATO = ("阿托伐他汀钙片", "20mg", "齐鲁制药有限公司")
ATO_N = ("阿托伐他汀钙片", "20mg", "辉瑞制药有限公司")
AML = ("苯磺酸氨氯地平片", "5mg", "齐鲁制药有限公司")

Q1_LINES = [
    [date(2024, 12, 31), "心血管内科", "N1", *ATO_N, 5000, "片", "发药"],  # before 2025Q1: not counted
    [date(2025, 1, 6), "心血管内科", "P1", *ATO, 100, "盒", "发药"],  # 1 400 片
    [date(2025, 1, 20), "心血管内科", "N1", *ATO_N, 600, "片", "发药"],
    [date(2025, 2, 3), "内分泌科", "N1", *ATO_N, 900, "片", "发药"],  # non-selected only
    [date(2025, 2, 10), "老年病科", "P1", *ATO, 700, "片", "发药"],
    [date(2025, 3, 3), "老年病科", "P1", *ATO, -100, "片", "退药"],  # a return → 600
    [date(2025, 3, 5), "普外科", "P2", *AML, 500, "片", "发药"],  # P2's only department
    [date(2025, 4, 1), "内分泌科", "N1", *ATO_N, 3000, "片", "发药"],  # after 2025-03-31: not counted
]

Q3_LINES = [
    [date(2025, 6, 30), "心血管内科", "P1", *ATO, 2000, "片", "发药"],  # before 2025Q3: not counted
    [date(2025, 8, 1), "心血管内科", "P1", *ATO, 3000, "片", "发药"],
    [date(2025, 9, 10), "呼吸内科", "N1", *ATO_N, 1000, "片", "发药"],
    [date(2025, 9, 25), "呼吸内科", "N1", *ATO_N, 4000, "片", "发药"],  # after the period's end 09-19
]


def _setup(session, tmp_path, lines):
    products = _scene(session)
    settings.set_value(session, "hospital.name", "测试医院", who="test")
    if lines:
        import_file(session, "departments", xlsx(tmp_path / "his.xlsx", {"科室发药": [HEAD, *lines]}), who="test")
    session.commit()
    return products


def _lines(data):
    return [(d.generic_name, d.department, d.selected, d.nonselected, d.share, d.shortfall_part)
            for d in data.departments]


def _pdf_text(path) -> str:
    return "".join("".join(p.extract_text() for p in PdfReader(str(path)).pages).split())  # cells wrap


def test_r19_r21_quarter_self_check_names_departments_with_their_parts(session, tmp_path):
    """GIVEN 2025Q1 usage: 阿托伐他汀钙片 — 心血管内科 1 400 selected + 600 non-selected, 内分泌科 900
    non-selected only, 老年病科 700 − 100 returned = 600 selected (use 2 000 : 900 : 600 of 3 500), plus
    lines on 2024-12-31 and 2025-04-01 outside the window; 苯磺酸氨氯地平片 — 普外科 500 only
    WHEN the 2025Q1 self-check is made (as of 2025-03-31)
    THEN 阿托伐他汀钙片 (lag 1 367 and R9 finding) names, most non-selected first: 内分泌科 (share 100 %,
    part ⌊1 367·900/3 500⌋ = 351 + the one unit left by the largest remainder = 352), 心血管内科 (600/2 000
    = 30 %, ⌊1 367·2 000/3 500⌋ = 781), 老年病科 (0 %, ⌊1 367·600/3 500⌋ = 234); 781 + 352 + 234 = 1 367;
    苯磺酸氨氯地平片 names 普外科 with the whole shortfall 37; the PDF prints them in its departments
    chapter, in the products' cause column and next to the non-selected share finding."""
    _setup(session, tmp_path, Q1_LINES)
    data = documents.self_check_data(session, "2025Q1", date(2025, 4, 10))
    assert data.as_of == date(2025, 3, 31)
    assert _lines(data) == [  # in the order of the product tables (苯 U+82EF sorts before 阿 U+963F)
        ("苯磺酸氨氯地平片", "普外科", 500, 0, 0.0, 37),
        ("阿托伐他汀钙片", "内分泌科", 0, 900, 1.0, 352),
        ("阿托伐他汀钙片", "心血管内科", 1400, 600, 0.3, 781),
        ("阿托伐他汀钙片", "老年病科", 600, 0, 0.0, 234),
    ]
    ato = data.departments[1]
    assert (ato.lagging, ato.share_over, ato.shortfall, ato.hospital_share) == (True, True, 1367, 0.375)
    out = tmp_path / "q1.pdf"
    documents.make_self_check(session, "2025Q1", out, date(2025, 4, 10))
    text = _pdf_text(out)
    assert "问题品种涉及科室情况" in text
    assert "阿托伐他汀钙片20mg进度滞后，缺口1,367非中选占比37.50%内分泌科0900100.00%352" in text
    assert "心血管内科1,40060030.00%781" in text and "老年病科60000.00%234" in text
    assert "苯磺酸氨氯地平片5mg进度滞后，缺口37普外科50000.00%37" in text
    assert "涉及科室：内分泌科、心血管内科、老年病科" in text  # the cause column
    assert "涉及科室：普外科" in text
    assert "37.50%30.00%超过上限内分泌科、心血管内科" in text  # the R9 table: who buys non-selected


def test_r19_r21_ended_period_named_as_of_its_own_last_day(session, tmp_path):
    """GIVEN 2025Q3 usage: 心血管内科 3 000 selected of 阿托伐他汀钙片 on 08-01 and 呼吸内科 1 000 non-selected on
    09-10 (a line of 06-30 before the quarter, and 4 000 on 09-25 after the agreement period ended on
    09-19), none of 苯磺酸氨氯地平片
    WHEN the 2025Q3 self-check is made (the period ended inside it: final assessment as of 09-19)
    THEN 阿托伐他汀钙片's final shortfall 12 000 − 5 000 = 7 000 is split 1 000 : 3 000 → 呼吸内科 1 750
    (named first: non-selected 100 %), 心血管内科 5 250; 苯磺酸氨氯地平片 (shortfall 1 200 − 600 = 600)
    gets one line saying no department used it."""
    _setup(session, tmp_path, Q3_LINES)
    data = documents.self_check_data(session, "2025Q3", date(2025, 10, 10))
    assert [(b.ended, b.assessed_on) for b in data.blocks] == [(True, date(2025, 9, 19))]
    assert _lines(data) == [
        ("苯磺酸氨氯地平片", "", 0, 0, None, 0),
        ("阿托伐他汀钙片", "呼吸内科", 0, 1000, 1.0, 1750),
        ("阿托伐他汀钙片", "心血管内科", 3000, 0, 0.0, 5250),
    ]
    assert [d.shortfall for d in data.departments] == [600, 7000, 7000]
    out = tmp_path / "q3.pdf"
    documents.make_self_check(session, "2025Q3", out, date(2025, 10, 10))
    text = _pdf_text(out)
    assert "苯磺酸氨氯地平片5mg进度滞后，缺口600无科室使用记录" in text
    assert "涉及科室：呼吸内科、心血管内科" in text


def test_r19_r21_hospital_without_department_data_gets_no_section(session, tmp_path):
    """GIVEN the same lagging products but no department usage on record WHEN the 2025Q1 self-check
    is made THEN there is no departments list (None, not empty) and the PDF has no departments
    chapter and names no department in the cause column."""
    _setup(session, tmp_path, None)
    data = documents.self_check_data(session, "2025Q1", date(2025, 4, 10))
    assert data.departments is None
    out = tmp_path / "none.pdf"
    documents.make_self_check(session, "2025Q1", out, date(2025, 4, 10))
    text = _pdf_text(out)
    assert "问题品种涉及科室情况" not in text and "涉及科室" not in text
    assert "使用非中选产品的主要科室" not in text


def test_r19_r21_share_finding_alone_is_listed_once_per_generic_name(session, tmp_path):
    """GIVEN 阿托伐他汀钙片 on schedule in two selected specs (20mg: 7 000 of 12 000 bought, above the
    schedule ⌈6 367⌉; 40mg: 1 000 of 1 000) and 4 000 non-selected bought → share 4 000 / 12 000 = 33.33 %
    > 30 % (R9 finding, no lag); 2025Q1 usage 心血管内科 700 selected + 300 non-selected
    WHEN the 2025Q1 self-check is made THEN the finding is listed once (not once per spec) with
    心血管内科 300 / 1 000 = 30 % non-selected and no part of a shortfall."""
    from tests.services import monitoring_data as md

    b = md.batch(session)
    qilu, pfizer = md.company(session, "齐鲁制药有限公司"), md.company(session, "辉瑞制药有限公司")
    p1 = md.product(session, b, maker=qilu, code="P1")
    md.period(session, p1)
    p3 = md.product(session, b, spec="40mg", maker=qilu, code="P3")
    md.period(session, p3, volume=1000)
    n1 = md.product(session, None, selected=False, maker=pfizer, code="N1")
    md.buy(session, p1, date(2024, 10, 15), 7000)
    md.buy(session, p3, date(2024, 10, 15), 1000)
    md.buy(session, n1, date(2024, 10, 15), 4000)
    settings.set_value(session, "hospital.name", "测试医院", who="test")
    lines = [[date(2025, 1, 6), "心血管内科", "P1", *ATO, 700, "片", "发药"],
             [date(2025, 1, 7), "心血管内科", "N1", *ATO_N, 300, "片", "发药"]]
    import_file(session, "departments", xlsx(tmp_path / "his.xlsx", {"科室发药": [HEAD, *lines]}), who="test")
    session.commit()
    data = documents.self_check_data(session, "2025Q1", date(2025, 4, 10))
    assert _lines(data) == [("阿托伐他汀钙片", "心血管内科", 700, 300, 0.3, 0)]
    assert (data.departments[0].lagging, data.departments[0].share_over, data.departments[0].hospital_share) == (
        False, True, 0.3333)
    out = tmp_path / "share.pdf"
    documents.make_self_check(session, "2025Q1", out, date(2025, 4, 10))
    assert "阿托伐他汀钙片非中选占比33.33%心血管内科70030030.00%—" in _pdf_text(out)
