"""R21 departments: import of the HIS export, per-department shares and shortfall parts,
top departments, rename/merge, allocation policy — hand-computed on small data.

The scene (R7 worked example, as of 2025-03-31, S(d)·12 000 ∈ [6 366.5, 6 367.5)):
- 阿托伐他汀钙片 selected (P1, 14 片/盒): 5 000 bought → shortfall 1 367, severely behind;
  a non-selected 阿托伐他汀钙片 (N1): 3 000 bought → hospital share 3/8 = 37.5 % > 30 % (R9);
- 苯磺酸氨氯地平片 selected (P2), V = 1 200, 600 bought → behind, shortfall ⌈S·1 200 − 600⌉ = 37.
Department usage (HIS export) in the period up to as-of:
- 心血管内科: 200 盒 + 200 片 = 3 000 of P1, 600 of N1 (one line spelled "心血管 内科");
- 内分泌科: 1 200 of N1 only (a department that uses only non-selected products);
- 老年病科: 1 000 of P1 and a return (退药) of 200 → 800;
- 普外科: 500 of P2 — the only department using P2;
plus lines before the period start and after as-of, which never count.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from db.models import AuditLog, DepartmentUsage
from hospital_app import settings
from hospital_app.errors import BadInput, Conflict
from hospital_app.services.department_names import list_departments, merge, rename
from hospital_app.services.departments import department_detail, department_view, summarize
from hospital_app.services.importing import ImportFailed, import_file
from tests.services import monitoring_data as md
from tests.services.import_helpers import xlsx

D = date(2025, 3, 31)
HEAD = ["发药日期", "科室名称", "药品编码", "药品名称", "规格", "生产企业", "发药数量", "单位", "业务类型"]


def _scene(session):
    b = md.batch(session)
    qilu = md.company(session, "齐鲁制药有限公司")
    pfizer = md.company(session, "辉瑞制药有限公司")
    p1 = md.product(session, b, maker=qilu, code="P1", units_per_pack=14, pack_unit="盒")
    md.period(session, p1)
    n1 = md.product(session, None, selected=False, maker=pfizer, code="N1")
    p2 = md.product(session, b, generic="苯磺酸氨氯地平片", spec="5mg", maker=qilu, code="P2")
    md.period(session, p2, volume=1200)
    md.buy(session, p1, date(2024, 10, 15), 5000)
    md.buy(session, n1, date(2024, 10, 15), 3000)
    md.buy(session, p2, date(2024, 11, 15), 600)
    session.commit()
    return p1, n1, p2


LINES = [
    [date(2024, 10, 2), "心血管内科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 200, "盒", "发药"],
    [date(2024, 10, 3), "心血管 内科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 200, "片", "发药"],
    [date(2024, 11, 5), "心血管内科\u3000", "N1", "阿托伐他汀钙片", "20mg", "辉瑞制药有限公司", 600, "片", "发药"],
    [date(2024, 12, 1), "内分泌科", "N1", "阿托伐他汀钙片", "20mg", "辉瑞制药有限公司", 1200, "片", "发药"],
    [date(2025, 1, 8), "老年病科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 1000, "片", "发药"],
    [date(2025, 2, 8), "老年病科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", -200, "片", "退药"],
    [date(2025, 3, 1), "普外科", None, "苯磺酸氨氯地平片", "5mg", "齐鲁制药有限公司", 500, "片", "发药"],
    [date(2024, 9, 19), "内分泌科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 7000, "片", "发药"],
    [date(2025, 4, 2), "心血管内科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 9000, "片", "发药"],
]


def _import(session, path, **kw):
    result = import_file(session, "departments", path, who="test", **kw)
    if not kw.get("dry_run"):
        session.commit()
    return result


@pytest.fixture
def scene(session, tmp_path):
    products = _scene(session)
    path = xlsx(tmp_path / "his.xlsx", {"科室发药": [["HIS 科室发药明细"], HEAD, *LINES]})
    return products, path


def _by_product(report):
    return {p.product_id: p for p in report.products}


def test_r21_import_normalises_names_converts_packs_and_stores_returns_negative(session, scene):
    """GIVEN the HIS export WHEN imported THEN 9 lines, 4 departments (three spellings of 心血管内科
    are one), 200 盒 stored as 2 800 片, the 退药 line as −200."""
    (p1, _n1, _p2), path = scene
    result = _import(session, path)
    assert (result.rows, result.inserted) == (9, 9)
    assert [d.name for d in list_departments(session)] == sorted(["心血管内科", "内分泌科", "老年病科", "普外科"])
    quantities = sorted(q for (q,) in session.query(DepartmentUsage.quantity).filter_by(product_id=p1.id))
    assert quantities == [-200, 200, 1000, 2800, 7000, 9000]
    assert session.query(DepartmentUsage).filter(DepartmentUsage.quantity < 0).one().is_return is True


def test_r21_import_dry_run_writes_nothing_and_reimport_is_idempotent(session, scene):
    """GIVEN the export WHEN dry run THEN counts but no rows; WHEN imported twice THEN the second run
    inserts nothing (9 unchanged)."""
    _products, path = scene
    dry = _import(session, path, dry_run=True)
    assert dry.inserted == 9 and session.query(DepartmentUsage).count() == 0
    _import(session, path)
    again = _import(session, path)
    assert (again.inserted, again.unchanged) == (0, 9)
    assert session.query(DepartmentUsage).count() == 9


def test_r21_the_same_line_twice_in_one_file_is_two_uses_and_reimports_unchanged(session, tmp_path):
    """GIVEN an export in which one line appears twice (two dispensings alike: same day, department,
    product and quantity) and another once WHEN imported THEN three uses are stored (the second
    alike line keyed "#2"); WHEN imported again THEN nothing is added (3 unchanged)."""
    _scene(session)
    twice = [date(2024, 10, 2), "心血管内科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 30, "片", "发药"]
    other = [date(2024, 10, 2), "心血管内科", "P1", "阿托伐他汀钙片", "20mg", "齐鲁制药有限公司", 31, "片", "发药"]
    path = xlsx(tmp_path / "his.xlsx", {"科室发药": [HEAD, twice, list(twice), other]})
    assert _import(session, path).inserted == 3
    keys = sorted(k for (k,) in session.query(DepartmentUsage.dedup_key))
    assert len(set(keys)) == 3 and sum(k.endswith("#2") for k in keys) == 1
    assert sorted(q for (q,) in session.query(DepartmentUsage.quantity)) == [30, 30, 31]
    again = _import(session, path)
    assert (again.inserted, again.unchanged) == (0, 3)


def test_r21_import_errors_name_row_and_column_and_write_nothing(session, tmp_path):
    """GIVEN a negative quantity not marked 退药 and a line without department WHEN imported THEN
    ImportFailed listing both with sheet, row and column; nothing written."""
    _scene(session)
    bad = [HEAD,
           [date(2024, 10, 2), "心血管内科", "P1", "阿托伐他汀钙片", "20mg", None, -5, "片", "发药"],
           [date(2024, 10, 2), None, "P1", "阿托伐他汀钙片", "20mg", None, 5, "片", "发药"]]
    path = xlsx(tmp_path / "bad.xlsx", {"科室发药": bad})
    with pytest.raises(ImportFailed) as exc:
        _import(session, path)
    where = {(p.sheet, p.row, p.column) for p in exc.value.problems}
    assert where == {("科室发药", 2, "发药数量"), ("科室发药", 3, "科室名称")}
    assert session.query(DepartmentUsage).count() == 0


def test_r21_shares_and_shortfall_parts_hand_computed(session, scene):
    """GIVEN the scene WHEN the department view as of 2025-03-31 THEN for 阿托伐他汀钙片 (shortfall 1 367):
    心血管内科 3 000 + 600 (share 1/6, use 9/14, part 879), 内分泌科 0 + 1 200 (share 100 %, use 3/14,
    part 293), 老年病科 800 + 0 after its return (share 0, use 1/7, part 195); the lines before the period
    and after as-of do not count."""
    (p1, _n1, _p2), path = scene
    _import(session, path)
    row = _by_product(department_view(session, D))[p1.id]
    assert (row.shortfall, row.status, row.share_over) == (1367, "severely_behind", True)
    figs = {f.department: f for f in row.departments}
    assert (figs["心血管内科"].selected, figs["心血管内科"].nonselected) == (3000, 600)
    assert (figs["内分泌科"].selected, figs["内分泌科"].nonselected) == (0, 1200)
    assert (figs["老年病科"].selected, figs["老年病科"].nonselected) == (800, 0)
    assert [figs[d].nonselected_share for d in ("心血管内科", "内分泌科", "老年病科")] == [
        Fraction(1, 6), Fraction(1), Fraction(0)]
    assert [figs[d].use_share for d in ("心血管内科", "内分泌科", "老年病科")] == [
        Fraction(9, 14), Fraction(3, 14), Fraction(1, 7)]
    assert [figs[d].shortfall_part for d in ("心血管内科", "内分泌科", "老年病科")] == [879, 293, 195]
    assert "普外科" not in figs


def test_r21_top_departments_behind_a_share_finding_and_a_lag(session, scene):
    """GIVEN the scene WHEN top departments THEN 阿托伐他汀钙片 (R9 finding and lag): most non-selected first
    (内分泌科 1 200, 心血管内科 600), then 老年病科 for its part of the lag; 苯磺酸氨氯地平片 used by 普外科 only:
    普外科 carries the whole shortfall of 37."""
    (p1, _n1, p2), path = scene
    _import(session, path)
    rows = _by_product(department_view(session, D))
    assert [f.department for f in rows[p1.id].top_departments()] == ["内分泌科", "心血管内科", "老年病科"]
    only = rows[p2.id]
    assert (only.status, only.shortfall) == ("behind", 37)
    assert [(f.department, f.use_share, f.shortfall_part) for f in only.departments] == [("普外科", 1, 37)]
    assert [f.department for f in only.top_departments()] == ["普外科"]


def test_r21_progress_json_carries_top_departments(session, scene, run_cli, db_path):
    """GIVEN the scene WHEN ``progress --json`` THEN every row has ``top_departments``; 苯磺酸氨氯地平片's is
    普外科 with its part 37."""
    (_p1, _n1, p2), path = scene
    _import(session, path)
    doc = run_cli("--db", str(db_path), "--as-of", D.isoformat(), "progress", "--json").json()
    rows = {r["product_id"]: r for r in doc["rows"]}
    assert all("top_departments" in r for r in doc["rows"])
    assert [(t["department"], t["shortfall_part"]) for t in rows[p2.id]["top_departments"]] == [("普外科", 37)]


def test_r21_departments_cli_product_json(session, scene, run_cli, db_path):
    """GIVEN the scene WHEN ``departments --product P2 --json`` THEN one product, 普外科 500 selected, share 0,
    use share 1; an unknown product → exit 3."""
    (_p1, _n1, p2), path = scene
    _import(session, path)
    doc = run_cli("--db", str(db_path), "--as-of", D.isoformat(), "departments", "--product", str(p2.id),
                  "--json").json()
    assert [p["product_id"] for p in doc["products"]] == [p2.id]
    assert doc["products"][0]["departments"] == [{"department": "普外科", "selected": 500, "nonselected": 0,
                                                  "nonselected_share": 0.0, "use_share": 1.0, "shortfall_part": 37}]
    assert run_cli("--db", str(db_path), "departments", "--product", "999").code == 3


def test_r21_department_detail_and_summary(session, scene):
    """GIVEN the scene WHEN 内分泌科's detail THEN it lags on 阿托伐他汀钙片 with part 293 and its non-selected
    use is 1 200 (share 100 %); the summary over both generic names gives 心血管内科 3 000 / 600."""
    (p1, _n1, _p2), path = scene
    _import(session, path)
    detail = department_detail(session, "内分泌 科", D)
    assert detail.department == "内分泌科"
    assert [(p.product_id, f.shortfall_part) for p, f in detail.lagging] == [(p1.id, 293)]
    assert [(f.nonselected, f.nonselected_share) for _p, f in detail.nonselected] == [(1200, 1)]
    summary = {s.department: s for s in summarize(department_view(session, D))}
    assert (summary["心血管内科"].selected, summary["心血管内科"].nonselected) == (3000, 600)
    assert summary["普外科"].shortfall_part == 37


def test_r21_merge_moves_usage_keeps_alias_and_is_audited(session, scene):
    """GIVEN the scene WHEN 老年病科 is merged into 心血管内科 THEN 心血管内科 has 3 000 + 800 = 3 800 selected;
    re-importing the export adds nothing (the old name is an alias); the merge is audited; merging a
    department into itself is refused."""
    (p1, _n1, _p2), path = scene
    _import(session, path)
    merge(session, "老年病科", "心血管内科", who="药剂科")
    session.commit()
    figs = {f.department: f for f in _by_product(department_view(session, D))[p1.id].departments}
    assert set(figs) == {"心血管内科", "内分泌科"} and figs["心血管内科"].selected == 3800
    assert _import(session, path).inserted == 0
    assert session.query(AuditLog).filter_by(entity="department", action="merge").count() == 1
    with pytest.raises(Conflict):
        merge(session, "老年病科", "心血管 内科")


def test_r21_rename_keeps_old_spelling_and_refuses_an_existing_name(session, scene, tmp_path):
    """GIVEN the scene WHEN 普外科 is renamed 普通外科 THEN a new export still saying 普外科 lands on 普通外科;
    renaming onto an existing department is refused (a merge)."""
    (_p1, _n1, p2), path = scene
    _import(session, path)
    rename(session, "普外科", "普通外科", who="药剂科")
    session.commit()
    more = xlsx(tmp_path / "more.xlsx", {"s": [HEAD, [date(2025, 3, 2), "普外科", "P2", "苯磺酸氨氯地平片", "5mg",
                                                    None, 100, "片", "发药"]]})
    _import(session, more)
    figs = _by_product(department_view(session, D))[p2.id].departments
    assert [(f.department, f.selected) for f in figs] == [("普通外科", 600)]
    with pytest.raises(Conflict):
        rename(session, "普通外科", "内分泌科")
    with pytest.raises(BadInput):
        rename(session, "没有这个科", "x")


def test_r21_allocation_policy_splits_agreed_volume_by_last_year(session, scene, tmp_path):
    """GIVEN last year's use (2023-09-20..2024-09-19) 心血管内科 300 (plus the 7 000 of 内分泌科 on 2024-09-19
    → 内分泌科 7 000) and the allocation policy on WHEN the view THEN P1's 12 000 split 300/7 300 and
    7 000/7 300 → 493.15 / 11 506.85 → 493 / 11 507; 心血管内科 used 3 000 of P1 → completion 3 000/493 > S,
    内分泌科 0 → behind; with the policy off there is no allocation."""
    (p1, _n1, _p2), path = scene
    _import(session, path)
    last = xlsx(tmp_path / "last.xlsx", {"s": [HEAD, [date(2024, 3, 1), "心血管内科", "P1", "阿托伐他汀钙片", "20mg",
                                                    None, 300, "片", "发药"]]})
    _import(session, last)
    assert _by_product(department_view(session, D))[p1.id].allocation is None
    settings.set_value(session, "r21_department_allocation", "true")
    session.commit()
    alloc = {a.department: a for a in _by_product(department_view(session, D))[p1.id].allocation}
    assert (alloc["内分泌科"].allocated, alloc["心血管内科"].allocated) == (11507, 493)
    assert alloc["心血管内科"].used == 3000 and alloc["心血管内科"].behind is False
    assert alloc["内分泌科"].used == 0 and alloc["内分泌科"].behind is True


def test_r21_demo_departments_explain_the_lagging_products(db):
    """GIVEN the demo (as of 2026-11-30) WHEN the department view THEN HIS-style departments exist, every
    lagging or R9-finding row names its departments, and an R9-finding row's first department is one
    that used non-selected units (the demo's story: one department prefers the original brand)."""
    from hospital_app.services.demo import DemoOptions, generate_demo

    generate_demo(db, DemoOptions(as_of=date(2026, 11, 30)))
    with db.session() as s:
        names = {d.name for d in list_departments(s)}
        assert {"心血管内科", "内分泌科", "呼吸与危重症医学科", "普外科"} <= names
        report = department_view(s, date(2026, 11, 30))
    problems = [p for p in report.products if p.problem]
    assert problems and all(p.top_departments() for p in problems)
    share_rows = [p for p in problems if p.share_over]
    assert share_rows and all(p.top_departments()[0].nonselected > 0 for p in share_rows)


def test_r21_department_notice_pdf_lists_lagging_and_nonselected(session, scene, run_cli, db_path, tmp_path):
    """GIVEN the scene WHEN ``report department 内分泌科 --period 2024Q4`` THEN a PDF as of 2024-12-31 naming the
    department, its non-selected use of 阿托伐他汀钙片 in the quarter (1 200, its share 100 %, the hospital's
    3 000 / 8 000 = 37.50 %) and no lagging product (5 000 of 12 000 bought is ahead of the schedule then);
    for 2025Q1 it has no use at all; an unknown department → exit 3."""
    import subprocess

    _products, path = scene
    _import(session, path)
    assert run_cli("--db", str(db_path), "settings", "set", "hospital.name", "测试医院").code == 0  # R19

    def notice(period):
        out = tmp_path / f"notice-{period}.pdf"
        res = run_cli("--db", str(db_path), "--as-of", D.isoformat(), "report", "department", "内分泌科",
                      "--period", period, "--out", str(out))
        assert res.code == 0, res
        return subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout

    text = notice("2024Q4")
    assert "关于内分泌科集采中选产品使用情况的通报" in text and "2024-10-01 至 2024-12-31" in text
    line = next(t for t in text.splitlines() if "阿托伐他汀钙片 20mg" in t)
    assert line.split()[2:] == ["0", "1200", "100.00%", "37.50%"]
    assert "没有涉及未达序时进度的中选产品" in text
    assert "没有使用同通用名的非中选产品" in notice("2025Q1")
    assert run_cli("--db", str(db_path), "report", "department", "不存在的科", "--period", "2025Q1",
                   "--out", str(tmp_path / "x.pdf")).code == 3
