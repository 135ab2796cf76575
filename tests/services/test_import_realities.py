"""One generated workbook per reality of IMPORT.md "What real files look like", imported
through ``import_file`` into a fresh database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AgreementPeriod, Batch, ImportMapping, ImportRun, Product, Purchase
from hospital_app.errors import BadInput
from hospital_app.services.importing import (
    ImportFailed,
    import_file,
    list_mappings,
    preview,
    save_mapping,
)
from tests.services.import_helpers import xlsx

PRODUCT_HEADER = ["序号", "采购批次", "药品编码", "通用名", "剂型", "规格", "转换比", "最小制剂单位", "生产企业",
                  "中选价格（元/盒）", "约定采购量（最小制剂单位）", "执行开始日期", "执行结束日期"]
PRODUCT_ROW = [1, "第九批国家集采", "XY001", "阿托伐他汀钙片", "片剂", "20mg", 14, "片", "齐鲁制药有限公司",
               3.26, 840, datetime(2024, 9, 20), datetime(2025, 9, 19)]


def seed_products(session, tmp_path: Path) -> None:
    rows = [PRODUCT_HEADER, PRODUCT_ROW,
            [2, "第九批国家集采", "XY002", "阿莫西林胶囊", "胶囊剂", "0.25g", 24, "粒", "珠海联邦制药股份有限公司",
             3.1, 9600, datetime(2024, 9, 20), datetime(2025, 9, 19)]]
    import_file(session, "products", xlsx(tmp_path / "products.xlsx", {"中选": rows}))
    session.commit()


def purchases(session) -> list[Purchase]:
    return list(session.scalars(select(Purchase).order_by(Purchase.source_row)))


def test_title_rows_merged_and_totals_and_notes(session, tmp_path):
    """GIVEN a products list with a merged title, a blank row, a 合计 row and notes below
    WHEN imported THEN only the data row lands: product (price per pack → per 片), batch and
    agreement period (R6/R7 inputs)."""
    path = xlsx(tmp_path / "p.xlsx", {"约定量": [
        ["吉林省十六省（区）联盟药品集中带量采购约定采购量明细"], [], PRODUCT_HEADER, PRODUCT_ROW,
        ["合计", None, None, None, None, None, None, None, None, None, 840],
        ["注：约定采购量以最小制剂单位计。"], ["填表人：张三"]]}, merge={"约定量": ["A1:M1"]})
    result = import_file(session, "products", path)
    assert (result.rows, result.inserted, result.header_row) == (1, 1, 3)
    product = session.scalars(select(Product)).one()
    assert product.selected and product.category == "selected"
    assert product.selected_price == Decimal("0.2329")  # 3.26 元/盒 ÷ 14
    assert product.units_per_pack == 14 and product.base_unit == "片"
    period = session.scalars(select(AgreementPeriod)).one()
    assert (period.start, period.end, period.agreed_volume) == (date(2024, 9, 20), date(2025, 9, 19), 840)
    assert session.scalars(select(Batch.name)).one() == "第九批国家集采"


def test_hidden_first_sheet_and_note_sheet_are_skipped(session, tmp_path):
    """GIVEN a hidden first sheet and a 填表说明 sheet before the data WHEN imported THEN
    the visible data sheet is used."""
    path = xlsx(tmp_path / "p.xlsx", {
        "旧数据": [PRODUCT_HEADER, [9, "旧批次", "OLD", "旧药片", "片剂", "1mg", 10, "片", "旧厂", 1, 1,
                                   datetime(2020, 1, 1), datetime(2020, 12, 31)]],
        "填表说明": [["通用名", "规格", "生产企业"], ["请按药品通用名填写"]],
        "中选产品": [PRODUCT_HEADER, PRODUCT_ROW]}, hidden=("旧数据",))
    result = import_file(session, "products", path)
    assert result.sheet == "中选产品" and result.inserted == 1
    assert session.scalars(select(Product.code)).all() == ["XY001"]


def test_two_row_header_spec_and_pack_in_one_cell_per_base_unit_price(session, tmp_path):
    """GIVEN a two-row header, spec+pack in one cell ("10mg*7片*4板") and a per-base-unit
    price header WHEN imported THEN spec 10mg, 28 片 per pack, price kept per 片."""
    path = xlsx(tmp_path / "p.xlsx", {"Sheet1": [
        ["某联盟中选结果"],
        ["批次", "药品信息", None, None, "最小制剂单位价格", "约定采购量（盒）", "执行开始日期", "执行结束日期"],
        [None, "通用名", "规格包装", "中选企业", None, None, None, None],
        ["联盟批", "阿托伐他汀钙片（10mg）", "10mg*7片*4板", "某药业", "0.15", "１００盒", "2024.09.20", "2025年9月19日"],
    ]})
    result = import_file(session, "products", path)
    assert result.inserted == 1 and result.header_row == 3
    p = session.scalars(select(Product)).one()
    assert (p.spec, p.units_per_pack, p.base_unit, p.selected_price) == ("10mg", 28, "片", Decimal("0.15"))
    assert p.generic_name_norm == "阿托伐他汀钙片"
    period = session.scalars(select(AgreementPeriod)).one()
    assert period.agreed_volume == 2800  # 100 盒 × 28 (IMPORT.md: packs → base units)
    assert (period.start, period.end) == (date(2024, 9, 20), date(2025, 9, 19))


def test_products_without_batch_column_need_batch_option(session, tmp_path):
    """GIVEN a products file with no batch column WHEN imported without --batch THEN the
    error says so; WITH batch THEN the batch is created."""
    header = [h for h in PRODUCT_HEADER if h != "采购批次"]
    row = [v for h, v in zip(PRODUCT_HEADER, PRODUCT_ROW) if h != "采购批次"]
    path = xlsx(tmp_path / "p.xlsx", {"s": [header, row]})
    with pytest.raises(BadInput) as err:
        import_file(session, "products", path)
    assert "--batch" in err.value.message
    result = import_file(session, "products", path, batch="第十批")
    assert result.inserted == 1
    assert session.scalars(select(Batch.name)).one() == "第十批"


PURCHASE_HEADER = ["订单编号", "下单时间", "药品编码", "通用名", "剂型", "规格", "生产企业", "配送企业",
                   "采购数量", "采购单位", "转换比", "采购单价", "采购金额", "验收日期"]


def test_purchases_packs_base_units_text_numbers_and_date_forms(session, tmp_path):
    """GIVEN purchase lines in 盒 with 转换比, in 粒, as text with separators / full-width
    digits, and every date form WHEN imported THEN quantities are base units, prices per
    base unit, dates right."""
    seed_products(session, tmp_path)
    rows = [PURCHASE_HEADER,
            ["D1", datetime(2024, 10, 8, 9, 30), "XY001", "阿托伐他汀钙片", "片剂", "20mg", "齐鲁制药有限公司",
             "国药控股", 10, "盒", 14, 3.26, 32.6, datetime(2024, 10, 9)],
            ["D2", "2024/10/10 10:00", None, "阿莫西林胶囊", "胶囊剂", "0.25g", "珠海联邦制药股份有限公司",
             "国药控股", "1,200", "粒", None, "0.1292", None, 45575],
            ["D3", "2024年10月11日", "XY001", None, None, None, None, "国药控股", "１２", "盒", None, "3.26", None,
             "2024.10.12"],
            ["D4", "2024-10-13", "XY001", None, None, None, None, None, "5 ", "盒", 14, None, None, "2024-10-14 08:00"],
            ["合计", None, None, None, None, None, None, None, 1227]]
    path = xlsx(tmp_path / "buy.xlsx", {"采购明细": rows})
    result = import_file(session, "purchases", path)
    assert (result.rows, result.inserted, result.created_products) == (4, 4, 0)
    got = [(p.order_no, p.quantity, p.unit_price, p.purchase_date) for p in purchases(session)]
    assert got == [("D1", 140, Decimal("0.2329"), date(2024, 10, 9)),
                   ("D2", 1200, Decimal("0.1292"), date(2024, 10, 10)),
                   ("D3", 168, Decimal("0.2329"), date(2024, 10, 12)),  # 转换比 from the product
                   ("D4", 70, None, date(2024, 10, 14))]


def test_unmatched_lines_become_nonselected_or_catalogue(session, tmp_path):
    """GIVEN purchase lines of unknown products WHEN imported THEN one whose generic name
    matches a selected product becomes non-selected (R9), the other catalogue."""
    seed_products(session, tmp_path)
    rows = [PURCHASE_HEADER,
            ["E1", datetime(2024, 10, 8), "ORIG1", "阿托伐他汀钙片", "片剂", "20mg", "辉瑞制药有限公司", "国药",
             2, "盒", 7, 50, 100, datetime(2024, 10, 9)],
            ["E2", datetime(2024, 10, 8), "CAT1", "布洛芬缓释胶囊", "胶囊剂", "0.3g", "中美史克", "国药",
             1, "盒", 20, 16.5, 16.5, datetime(2024, 10, 9)]]
    result = import_file(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    assert result.created_products == 2
    cats = dict(session.execute(select(Product.code, Product.category)).all())
    assert cats["ORIG1"] == "nonselected" and cats["CAT1"] == "catalogue"


def test_ambiguous_match_lists_candidates(session, tmp_path):
    """GIVEN three products of one generic name and spec (one selected) WHEN a line names
    neither code nor maker THEN it is an error listing all candidates (no silent guess)."""
    seed_products(session, tmp_path)
    session.add(Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                        spec_norm="0.25g", category="nonselected", units_per_pack=24))
    session.add(Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                        spec_norm="0.25g", category="nonselected", units_per_pack=24))
    session.commit()
    rows = [["通用名", "规格", "采购数量", "采购日期"], ["阿莫西林胶囊", "0.25g", 10, "2024-10-01"]]
    with pytest.raises(ImportFailed) as err:
        import_file(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    problem = err.value.problems[0]
    assert problem.row == 2 and problem.column == "通用名"
    assert "多个产品" in problem.message and problem.message.count("#") == 3


def test_returns_only_when_the_line_says_so(session, tmp_path):
    """GIVEN a negative quantity with 退货 in a type column, one with a negative amount and
    one with neither WHEN imported THEN the third is an error and nothing is written."""
    seed_products(session, tmp_path)
    header = ["药品编码", "采购数量", "采购单位", "采购金额", "单据类型", "采购日期"]
    good = [header, ["XY001", -2, "盒", None, "退货", "2024-10-01"], ["XY001", -1, "盒", -3.26, None, "2024-10-02"]]
    result = import_file(session, "purchases", xlsx(tmp_path / "r.xlsx", {"s": good}))
    assert result.inserted == 2
    assert [(p.quantity, p.is_return) for p in purchases(session)] == [(-28, True), (-14, True)]
    bad = good + [["XY001", -3, "盒", None, "采购", "2024-10-03"], ["XY001", 0, "盒", None, None, "2024-10-04"]]
    with pytest.raises(ImportFailed) as err:
        import_file(session, "purchases", xlsx(tmp_path / "r2.xlsx", {"s": bad}))
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "采购数量"), (5, "采购数量")]
    assert "退货" in err.value.problems[0].message


def test_unresolvable_unit_is_an_error(session, tmp_path):
    """GIVEN a line in 盒 for a product whose pack size nobody knows WHEN imported THEN error."""
    rows = [["通用名", "规格", "生产企业", "采购数量", "采购单位", "采购日期"],
            ["某新药片", "5mg", "某厂", 3, "盒", "2024-10-01"],
            ["某新药片", "5mg", "某厂", 3, "瓢", "2024-10-01"]]
    with pytest.raises(ImportFailed) as err:
        import_file(session, "purchases", xlsx(tmp_path / "u.xlsx", {"s": rows}))
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "采购数量"), (3, "采购单位")]
    assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_csv_in_gbk(session, tmp_path):
    """GIVEN a CSV export in GBK WHEN imported THEN it reads like the workbook."""
    seed_products(session, tmp_path)
    text = "订单编号,药品编码,采购数量,采购单位,采购日期\r\nC1,XY001,\"1,000\",片,2024/10/01\r\n合计,,1000,,\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("gbk"))
    result = import_file(session, "purchases", path)
    assert result.inserted == 1 and purchases(session)[0].quantity == 1000
    path2 = tmp_path / "export_bom.csv"
    path2.write_bytes(b"\xef\xbb\xbf" + text.replace("C1", "C2").encode("utf-8"))
    assert import_file(session, "purchases", path2).inserted == 1


def test_formula_in_data_cell_names_the_cell(session, tmp_path):
    """GIVEN a formula in a quantity cell WHEN imported THEN an error naming the cell; a
    formula in the totals row is fine (it is not data)."""
    seed_products(session, tmp_path)
    rows = [["药品编码", "采购数量", "采购单位", "采购日期"], ["XY001", 10, "片", "2024-10-01"],
            ["XY001", "=B2*2", "片", "2024-10-02"], ["合计", "=SUM(B2:B3)", None, None]]
    with pytest.raises(ImportFailed) as err:
        import_file(session, "purchases", xlsx(tmp_path / "f.xlsx", {"s": rows}))
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "采购数量") and "B3" in problem.message and "公式" in problem.message
    assert session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_mapping_saved_and_used_and_preview(session, tmp_path):
    """GIVEN headers the synonym table does not know WHEN previewed THEN the missing field is
    reported; WITH a saved mapping THEN the import works."""
    seed_products(session, tmp_path)
    rows = [["药品编码", "出库件数", "采购单位", "采购日期"], ["XY001", 3, "盒", "2024-10-01"]]
    path = xlsx(tmp_path / "m.xlsx", {"s": rows})
    pv = preview(path, "purchases")
    assert pv.missing == ["采购数量"] and "出库件数" in pv.headers and pv.rows[0][0] == "XY001"
    with pytest.raises(BadInput) as err:
        import_file(session, "purchases", path)
    assert "采购数量" in err.value.message and "出库件数" in err.value.message
    save_mapping(session, "purchases", "医院HIS", {"quantity": "出库件数"})
    assert [m["name"] for m in list_mappings(session, "purchases")] == ["医院HIS"]
    result = import_file(session, "purchases", path, mapping="医院HIS")
    assert result.inserted == 1 and purchases(session)[0].quantity == 42
    assert session.scalar(select(func.count()).select_from(ImportMapping)) == 1


def test_reimport_and_overlap_counts_and_import_run(session, tmp_path):
    """GIVEN an export and a later overlapping one WHEN both imported twice THEN the same file
    inserts nothing the second time and the overlap adds only new rows; runs are recorded."""
    seed_products(session, tmp_path)
    line = lambda n: [f"O{n}", datetime(2024, 10, n), "XY001", None, None, None, None, "国药", n, "盒", 14,  # noqa: E731
                      3.26, None, datetime(2024, 10, n)]
    first = xlsx(tmp_path / "a.xlsx", {"s": [PURCHASE_HEADER] + [line(n) for n in (1, 2, 3)]})
    second = xlsx(tmp_path / "b.xlsx", {"s": [PURCHASE_HEADER] + [line(n) for n in (2, 3, 4, 5)]})
    r1 = import_file(session, "purchases", first, who="张药师")
    session.commit()
    r2 = import_file(session, "purchases", first)
    session.commit()
    r3 = import_file(session, "purchases", second)
    session.commit()
    assert (r1.inserted, r2.inserted, r2.unchanged) == (3, 0, 3)
    assert (r3.inserted, r3.unchanged, r3.updated) == (2, 2, 0)
    assert session.scalar(select(func.count()).select_from(Purchase)) == 5
    run = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()[-3]
    assert (run.who, run.rows, run.inserted, len(run.sha256)) == ("张药师", 3, 3, 64)


def test_dry_run_counts_equal_real_run_and_write_nothing(session, tmp_path):
    """GIVEN a file WHEN dry-run THEN the counts are the real run's and nothing is stored."""
    seed_products(session, tmp_path)
    path = xlsx(tmp_path / "a.xlsx", {"s": [PURCHASE_HEADER, ["Z1", datetime(2024, 10, 1), "XY001", None, None,
                                                              None, None, "国药", 1, "盒", 14, 3.26, None, None]]})
    runs_before = session.scalar(select(func.count()).select_from(ImportRun))
    dry = import_file(session, "purchases", path, dry_run=True)
    assert session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert session.scalar(select(func.count()).select_from(ImportRun)) == runs_before
    real = import_file(session, "purchases", path)
    assert (dry.rows, dry.inserted, dry.updated, dry.unchanged) == (real.rows, real.inserted, real.updated,
                                                                     real.unchanged)


def test_text_starting_with_equals_is_data_but_a_formula_is_not(session, tmp_path):
    """GIVEN a manufacturer stored as the *text* "=1+2制药" (a string cell) WHEN imported THEN it
    lands as written; GIVEN the same column holding a real formula THEN an error naming the
    cell (IMPORT.md: we never evaluate formulas; a text is data)."""
    from openpyxl import Workbook

    def products(path: Path, maker: str, as_text: bool) -> Path:
        wb = Workbook()
        ws = wb.active
        ws.append(PRODUCT_HEADER)
        ws.append(PRODUCT_ROW)
        cell = ws.cell(row=2, column=PRODUCT_HEADER.index("生产企业") + 1)
        cell.value = maker
        if as_text:
            cell.data_type = "s"  # openpyxl would otherwise write "=…" as a formula
        wb.save(path)
        return path

    import_file(session, "products", products(tmp_path / "t.xlsx", "=1+2制药", as_text=True))
    assert session.scalars(select(Product)).one().manufacturer.name == "=1+2制药"
    with pytest.raises(ImportFailed) as err:
        import_file(session, "products", products(tmp_path / "f.xlsx", '="甲"&"制药"', as_text=False))
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (2, "生产企业") and "I2" in problem.message and "公式" in problem.message
