"""Issue 15 (IMPORT.md v2): several packs per product, purchases converted with their own pack,
mixed lists, consumables, batch kind (R6 v2), two quantity columns, files that lie about their
type, grouped problems and --skip-invalid, order payments (R5 v2), consistent returns (issue 23
item 7). Expected values are worked out by hand in each docstring."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import Batch, ImportRun, Payment, Product, ProductPack, Purchase
from hospital_app.errors import BadInput
from hospital_app.services.importing import ImportFailed, import_file
from tests.conftest import REAL
from tests.services.import_helpers import xlsx

BATCH = "第十批国家集采"
HEAD = ["药品编码", "通用名", "规格", "包装", "生产企业", "中选价格"]
TWO_PACKS = [HEAD, ["XY14", "甲药片", "20mg", "20mg×14片/盒", "甲厂", "14.00"],
             ["XY20", "甲药片", "20mg", "20mg×20片/盒", "甲厂", "19.00"]]


def _packs(session):
    return {(p.units_per_pack, p.pack_unit): p for p in session.scalars(select(ProductPack))}


def _errors(session, kind, path, **kw):
    with pytest.raises(ImportFailed) as exc:
        import_file(session, kind, path, **kw)
    return exc.value.result


def test_one_product_two_packs_each_with_its_price_and_code(session, tmp_path):
    """GIVEN 甲药片 20mg 甲厂 listed as 14片/盒 at 14.00 and 20片/盒 at 19.00 WHEN imported THEN one
    product with two packs: 1.0000 and 0.9500 元/片, each with its own code (issue 15: the last row
    must not win)."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": TWO_PACKS}), batch=BATCH)
    assert session.scalar(select(func.count(Product.id))) == 1
    got = {k: (p.price_per_pack, p.price_per_unit, p.code) for k, p in _packs(session).items()}
    assert got == {(14, "盒"): (Decimal("14.0000"), Decimal("1.0000"), "XY14"),
                   (20, "盒"): (Decimal("19.0000"), Decimal("0.9500"), "XY20")}
    again = import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": TWO_PACKS}), batch=BATCH)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_purchases_are_converted_with_their_own_pack(session, tmp_path):
    """GIVEN the two-pack product WHEN 10 盒 of the 14-pack (pack column), 2 盒 by the 20-pack's code
    and 280 片 are bought THEN 140, 40 and 280 片, each purchase recording the pack it used (none for 片)."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": TWO_PACKS}), batch=BATCH)
    rows = [["订单编号", "药品编码", "通用名", "规格", "包装", "生产企业", "采购数量", "采购日期"],
            ["P1", None, "甲药片", "20mg", "20mg×14片/盒", "甲厂", "10盒", "2024-10-01"],
            ["P2", "XY20", "甲药片", "20mg", None, "甲厂", "2盒", "2024-10-01"],
            ["P3", None, "甲药片", "20mg", None, "甲厂", "280片", "2024-10-01"]]
    import_file(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    packs = _packs(session)
    got = {p.order_no: (p.quantity, p.pack_id) for p in session.scalars(select(Purchase))}
    assert got == {"P1": (140, packs[(14, "盒")].id), "P2": (40, packs[(20, "盒")].id), "P3": (280, None)}


def test_a_line_in_packs_without_its_pack_is_an_error_listing_the_candidates(session, tmp_path):
    """GIVEN the two-pack product WHEN a line buys 10 盒 naming neither pack nor code THEN an error for
    that row listing both packs (never 10 × the last pack)."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": TWO_PACKS}), batch=BATCH)
    rows = [["订单编号", "通用名", "规格", "生产企业", "采购数量", "采购日期"],
            ["P1", "甲药片", "20mg", "甲厂", "10盒", "2024-10-01"]]
    result = _errors(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    (err,) = result.errors
    assert err.row == 2 and "20mg×14片/盒" in err.message and "20mg×20片/盒" in err.message


def test_the_same_pack_twice_with_another_price_names_the_first_row(session, tmp_path):
    """GIVEN the same pack on rows 2 and 3 at 14.00 and 15.00 WHEN imported THEN row 3 is an error
    naming row 2 and both prices; nothing is written."""
    rows = [HEAD, ["", "甲药片", "20mg", "20mg×14片/盒", "甲厂", "14.00"],
            ["", "甲药片", "20mg", "20mg×14片/盒", "甲厂", "15.00"]]
    result = _errors(session, "products", xlsx(tmp_path / "p.xlsx", {"s": rows}), batch=BATCH)
    (err,) = result.errors
    assert err.row == 3 and "第 2 行" in err.message and "14.0000" in err.message and "15.0000" in err.message
    assert session.scalar(select(func.count(Product.id))) == 0


def test_mixed_list_selected_nonselected_catalogue(session, tmp_path):
    """GIVEN a listing with 类型 国采中选 / 国采非中选 / 直接挂网 / 省采中选 WHEN imported THEN 甲厂 and 丁厂
    are selected, 乙厂 (same generic as a selected one) non-selected, 丙药片 a catalogue product (R9)."""
    rows = [["通用名", "规格", "包装", "生产企业", "挂网价格", "类型"],
            ["甲药片", "20mg", "20mg×14片/盒", "甲厂", 14, "国采中选"],
            ["甲药片", "20mg", "20mg×14片/盒", "乙厂", 28, "国采非中选"],
            ["丙药片", "5mg", "5mg×10片/盒", "丙厂", 10, "直接挂网"],
            ["丁药片", "5mg", "5mg×10片/盒", "丁厂", 10, "省采中选"]]
    import_file(session, "products", xlsx(tmp_path / "m.xlsx", {"s": rows}), batch=BATCH)
    got = {p.manufacturer.name: (p.selected, p.category) for p in session.scalars(select(Product))}
    assert got == {"甲厂": (True, "selected"), "乙厂": (False, "nonselected"), "丙厂": (False, "catalogue"),
                   "丁厂": (True, "selected")}


def test_unknown_selected_flag_quotes_the_cell(session, tmp_path):
    """GIVEN 是否中选 = "待定" WHEN imported THEN the error quotes 待定 and lists the accepted values."""
    rows = [["通用名", "规格", "包装", "生产企业", "中选价格", "是否中选"], ["甲药片", "20mg", "14片/盒", "甲厂", 14, "待定"]]
    (err,) = _errors(session, "products", xlsx(tmp_path / "m.xlsx", {"s": rows}), batch=BATCH).errors
    assert err.column == "是否中选" and "“待定”" in err.message and "国采中选" in err.message


def test_hainan_consumables_import_as_they_are(session):
    """GIVEN Hainan's real consumable list (per-item 挂网价格, no pack column) WHEN imported THEN all 50
    rows land in a consumable batch (R6 v2: 注册证编号/耗材 columns), base unit 个, price per item
    (导管鞘及穿刺套件: 172 元/个), spec kept whole; a purchase of 3 个 by its code counts 3."""
    result = import_file(session, "products", REAL / "hainan_consumables_50.xlsx", batch="海南耗材")
    assert (result.rows, result.inserted, result.errors) == (50, 50, [])
    assert session.scalar(select(Batch.kind).where(Batch.name == "海南耗材")) == "consumable"
    p = session.scalars(select(Product).where(Product.code == "C02071001500000089050000222")).one()
    assert (p.base_unit, p.selected_price, p.units_per_pack) == ("个", Decimal("172.0000"), 1)
    assert "11cm" in p.spec and "血管扩张器" in p.spec
    assert session.scalar(select(func.count(Product.id)).where(Product.base_unit == "个")) == 50


def test_consumable_purchase_in_items(session, tmp_path):
    """GIVEN the Hainan list WHEN 3 个 of 导管鞘及穿刺套件 are bought by its code THEN 3 base units."""
    import_file(session, "products", REAL / "hainan_consumables_50.xlsx", batch="海南耗材")
    rows = [["订单编号", "耗材统一编码", "采购数量", "采购日期"], ["H1", "C02071001500000089050000222", "3个", "2024-10-01"]]
    import_file(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    assert session.scalars(select(Purchase.quantity)).all() == [3]


def test_batch_kind_from_a_kind_column(session, tmp_path):
    """GIVEN a list with 类别 = 耗材 but no consumable-shaped header WHEN imported THEN the batch is a
    consumable batch (R6 v2) and the size "4.0*40mm" stays one spec."""
    rows = [["通用名", "规格", "生产企业", "中选价格", "类别"], ["吻合器钉", "4.0*40mm", "甲厂", 800, "耗材"]]
    import_file(session, "products", xlsx(tmp_path / "k.xlsx", {"s": rows}), batch="耗材批")
    p = session.scalars(select(Product)).one()
    assert (p.batch.kind, p.spec, p.base_unit, p.selected_price) == ("consumable", "4.0*40mm", "个",
                                                                     Decimal("800.0000"))


def test_two_quantity_columns_use_base_units_and_warn_on_disagreement(session, tmp_path):
    """GIVEN the monitoring 入库 table (two title rows, header on row 3, a 23-character 药品统一编码) with
    入库数量 in packs and in base units WHEN 10 盒 / 140 片 and 10 盒 / 130 片 arrive THEN 140 and 130 are
    stored (the base-unit column counts) and row 5 gets a warning (10 × 14 = 140 ≠ 130)."""
    code = "XJ01FAA051A006030105755"
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": [
        ["药品统一编码", "通用名", "规格", "包装", "生产企业", "中选价格"],
        [code, "甲药片", "20mg", "20mg×14片/盒", "甲厂", 14]]}), batch=BATCH)
    rows = [["全国药品使用监测 入库明细"], ["填报单位：某医院"],
            ["药品统一编码", "通用名", "入库数量（最小销售包装单位）", "入库数量（最小制剂单位）", "入库日期"],
            [code, "甲药片", 10, 140, "2024-10-01"], [code, "甲药片", 10, 130, "2024-10-02"]]
    result = import_file(session, "purchases", xlsx(tmp_path / "m.xlsx", {"s": rows}))
    assert sorted(session.scalars(select(Purchase.quantity)).all()) == [130, 140]
    (w,) = result.warnings
    assert w.row == 5 and "130" in w.message and "140" in w.message


def test_return_signs_must_agree_with_the_return_column(session, tmp_path):
    """Issue 23 item 7: GIVEN +3 with amount −9.78 and 是否退货=否, and +3 with −9.78 and no return
    column value WHEN imported THEN both rows are errors (not a silent return of −42)."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": TWO_PACKS[:2]}), batch=BATCH)
    rows = [["订单编号", "通用名", "规格", "包装", "生产企业", "采购数量", "采购金额", "是否退货", "采购日期"],
            ["R1", "甲药片", "20mg", "20mg×14片/盒", "甲厂", 3, -9.78, "否", "2024-10-01"],
            ["R2", "甲药片", "20mg", "20mg×14片/盒", "甲厂", 3, -9.78, None, "2024-10-01"]]
    result = _errors(session, "purchases", xlsx(tmp_path / "r.xlsx", {"s": rows}))
    assert [e.row for e in result.errors] == [2, 3]
    assert "否" in result.errors[0].message and session.scalar(select(func.count(Purchase.id))) == 0


def test_rows_with_one_problem_are_grouped_and_skip_invalid_imports_the_rest(session, tmp_path):
    """GIVEN four rows of which rows 3, 4, 5 have no manufacturer WHEN imported THEN one error naming
    rows 3–5 (error_count 3, nothing written); WITH skip_invalid THEN row 2 is imported and rows 3, 4,
    5 are listed as skipped with the reason, and the run records 3 skipped rows."""
    rows = [HEAD, ["", "甲药片", "20mg", "20mg×14片/盒", "甲厂", 14]] + [
        ["", f"乙药片{i}", "5mg", "5mg×10片/盒", None, 5] for i in range(3)]
    path = xlsx(tmp_path / "g.xlsx", {"s": rows})
    result = _errors(session, "products", path, batch=BATCH)
    (err,) = result.errors
    assert (err.row, result.error_count, result.errors_truncated) == (3, 3, False)
    assert "共 3 行" in err.message and "3–5" in err.message
    done = import_file(session, "products", path, batch=BATCH, skip_invalid=True)
    assert (done.inserted, [s["row"] for s in done.skipped]) == (1, [3, 4, 5])
    assert all("生产企业" in s["message"] for s in done.skipped)
    assert session.scalars(select(ImportRun.skipped)).one() == 3


def test_order_payments_from_the_orders_export(session, tmp_path):
    """R5 v2: GIVEN O1 (金额 100, paid 2024-11-30 without an amount) and O2 (金额 50, 付款金额 20) WHEN
    imported twice THEN two payments, 100.00 and 20.00, source "import" (the second run adds none)."""
    rows = [["订单编号", "下单时间", "采购金额", "付款日期", "付款金额"],
            ["O1", "2024-10-01 09:00", 100, "2024-11-30", None], ["O2", "2024-10-02 09:00", 50, "2024-11-30", 20]]
    path = xlsx(tmp_path / "o.xlsx", {"s": rows})
    import_file(session, "orders", path)
    import_file(session, "orders", path)
    got = sorted((p.amount, p.source) for p in session.scalars(select(Payment)))
    assert got == [(Decimal("20.00"), "import"), (Decimal("100.00"), "import")]


def test_xlsx_named_xls_html_and_spreadsheetml_are_read(session, tmp_path):
    """GIVEN Hainan's xlsx renamed .xls, an HTML-table ".xls" and a SpreadsheetML ".xls" WHEN imported
    THEN each is read by its content (50 rows; 1 row; 1 row)."""
    renamed = tmp_path / "hainan.xls"
    shutil.copy(REAL / "hainan_consumables_50.xlsx", renamed)
    assert import_file(session, "products", renamed, batch="海南", dry_run=True).rows == 50
    html = tmp_path / "list.xls"
    html.write_text("<html><meta charset='utf-8'><table><tr><td colspan=4>某省挂网目录</td></tr>"
                    "<tr><th>通用名</th><th>规格</th><th>生产企业</th><th>中选价格（元/片）</th></tr>"
                    "<tr><td>甲药片</td><td>20mg</td><td>甲厂</td><td>1.5</td></tr></table></html>", encoding="utf-8")
    assert import_file(session, "products", html, batch=BATCH, dry_run=True).inserted == 1
    xml = tmp_path / "orders.xls"
    xml.write_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                   'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="订单"><Table>'
                   '<Row><Cell><Data ss:Type="String">订单编号</Data></Cell><Cell><Data ss:Type="String">下单时间'
                   '</Data></Cell></Row><Row><Cell><Data ss:Type="String">O9</Data></Cell><Cell>'
                   '<Data ss:Type="DateTime">2024-10-01T09:00:00.000</Data></Cell></Row></Table></Worksheet>'
                   '</Workbook>', encoding="utf-8")
    assert import_file(session, "orders", xml, dry_run=True).inserted == 1


def test_spreadsheetml_with_entities_is_refused(session, tmp_path):
    """GIVEN a SpreadsheetML ".xls" declaring an entity (billion laughs / XXE) WHEN imported THEN a
    clear refusal (exit 3), never an expansion."""
    bomb = tmp_path / "bomb.xls"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY l2 "&lol;&lol;">]>'
                    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>')
    with pytest.raises(BadInput) as exc:
        import_file(session, "orders", bomb)
    assert "实体" in str(exc.value)


def test_preview_shows_how_packs_and_the_selected_flag_are_read(tmp_path):
    """GIVEN a mixed list WHEN previewed (the wizard's first page) THEN an extra column shows each row's
    pack as read (10片/盒, spec 5mg — not 50 mg) and its 是否中选 value."""
    from hospital_app.services.importing import preview

    rows = [["通用名", "规格", "包装", "生产企业", "中选价格", "是否中选"],
            ["非那雄胺片", "5mg", "5mg×10片/盒", "甲厂", "5.98", "是"]]
    p = preview(xlsx(tmp_path / "v.xlsx", {"s": rows}), "products")
    assert p.headers[-1] == "识别结果"
    assert p.rows[0][-1] == "10片/盒 · 规格 5mg · 是否中选：是"
