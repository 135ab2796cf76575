"""The hospital's messiest files (IMPORT.md "What real files look like", "Header names",
"Rules of import"): workbooks and CSVs a provincial platform or a hospital information
system could export, generated in tmp_path, one reality at a time and then combined.

Decisions taken here (documented for pharmacists in the messages):
- "1.2万" is a written number (12000), "1.2万片" is 12000 片;
- "20mg×14s" is spec 20mg, 14 units per pack, base unit named elsewhere (片/粒 column);
- a 包装 cell without a count ("铝塑板装", "盒") is a description, never an error by itself;
- "0.3盒" of 14 片 is an error naming the arithmetic, never rounded.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AgreementPeriod, Order, Product, Purchase
from hospital_app.errors import BadInput
from hospital_app.importers.headers import fields_for
from hospital_app.services.importing import ImportFailed, import_file
from tests.services.import_helpers import xlsx

BATCH = "第十批国家集采"
P_HEAD = ["序号", "采购批次", "药品编码", "通用名", "剂型", "规格", "转换比", "最小制剂单位", "生产企业",
          "中选价格（元/盒）", "约定采购量（最小制剂单位）", "执行开始日期", "执行结束日期"]
ATOR = [1, BATCH, "XY001", "阿托伐他汀钙片", "片剂", "20mg", 14, "片", "齐鲁制药有限公司", 3.26, 8400,
        datetime(2024, 9, 20), datetime(2025, 9, 19)]
AMOX = [2, BATCH, "XY002", "阿莫西林胶囊", "胶囊剂", "0.25g", 24, "粒", "珠海联邦制药股份有限公司", 3.12, 9600,
        datetime(2024, 9, 20), datetime(2025, 9, 19)]
JIALIN = [3, BATCH, "XY003", "阿托伐他汀钙片", "片剂", "20mg", 14, "片", "北京嘉林药业股份有限公司", 3.5, 8400,
          datetime(2024, 9, 20), datetime(2025, 9, 19)]


def seed(session, tmp_path: Path, *rows: list) -> None:
    import_file(session, "products", xlsx(tmp_path / "seed.xlsx", {"中选": [P_HEAD, *(rows or (ATOR, AMOX))]}))
    session.commit()


def failed(session, kind: str, path: Path, **kw) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportFailed) as exc:
        import_file(session, kind, path, **kw)
    return [(p.row, p.column, p.message) for p in exc.value.result.errors]


def purchases(session) -> dict[str, Purchase]:
    return {p.order_no: p for p in session.scalars(select(Purchase))}


# ------------------------------------------------------------------ layout realities


def test_header_on_row_12_of_third_sheet_behind_hidden_and_note_sheets(session, tmp_path):
    """GIVEN merged title rows, an 导出时间 row, blank rows, the header on row 12 of the 3rd sheet,
    a hidden sheet and a 填表说明 sheet (with header-like words) before it, a hidden full copy
    after it, a 合计 row and 注/制表人 notes below WHEN products are imported THEN only the data
    row of the visible data sheet lands (R6/R7 inputs: price per 片, period, volume)."""
    rows = [["吉林省十六省（区）联盟药品集中带量采购约定采购量明细"], ["导出时间：2025-01-02 10:00:00"],
            [], ["医疗机构：某某市人民医院"], *([[]] * 7), P_HEAD, ATOR,
            ["合计", None, None, None, None, None, None, None, None, None, 8400],
            ["注：约定采购量以最小制剂单位计。"], ["制表人：张三", None, None, "审核人：李四"]]
    path = xlsx(tmp_path / "p.xlsx", {
        "Sheet0": [["旧数据"], [1, 2]], "填表说明": [["填表说明"], ["通用名", "规格", "生产企业", "中选价格"]],
        "约定量明细": rows, "备份": [P_HEAD, AMOX]},
        hidden=("Sheet0", "备份"), merge={"约定量明细": ["A1:M1", "A2:M2"]})
    result = import_file(session, "products", path)
    assert (result.sheet, result.header_row, result.rows, result.inserted) == ("约定量明细", 12, 1, 1)
    product = session.scalars(select(Product)).one()
    assert (product.generic_name, product.selected_price) == ("阿托伐他汀钙片", Decimal("0.2329"))
    assert session.scalars(select(AgreementPeriod.agreed_volume)).one() == 8400


def test_two_row_header_repeated_at_page_breaks_with_subtotals_and_notes(session, tmp_path):
    """GIVEN a purchases export whose two-row header (group row "采购信息" over 数量|单价|金额) and
    title are repeated at each page break, with 本页小计, "数据截止…" and "共 2 条" lines
    WHEN imported THEN exactly the two data lines land (defect fixed: the repeated lower header
    row was read as a data line)."""
    seed(session, tmp_path)
    title = "某某省药品集中采购平台 采购明细"
    group = ["订单编号", "通用名", "生产企业", "采购信息", None, None, "采购日期"]
    lower = [None, None, None, "数量", "单价", "金额", None]
    rows = [[title], group, lower, ["D1", "阿托伐他汀钙片", "齐鲁制药有限公司", 10, 3.26, 32.6, "2024-10-01"],
            ["本页小计", None, None, 10], [title], group, lower,
            ["D2", "阿托伐他汀钙片", "齐鲁制药有限公司", 5, 3.26, 16.3, "2024-10-02"],
            ["本页小计", None, None, 5], ["数据截止2024年12月31日"], ["共 2 条"]]
    merges = ["A1:G1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:G3", "A6:G6", "A7:A8", "B7:B8", "C7:C8", "D7:F7",
              "G7:G8"]
    result = import_file(session, "purchases", xlsx(tmp_path / "d.xlsx", {"明细": rows}, merge={"明细": merges}))
    assert (result.header_row, result.rows, result.inserted) == (3, 2, 2)
    # 数量 without a unit in a file without 转换比 is in base units (片)
    assert {k: p.quantity for k, p in purchases(session).items()} == {"D1": 10, "D2": 5}


def test_a_generic_name_starting_with_gong_is_data_not_a_note(session, tmp_path):
    """GIVEN a product 共轭雌激素片 (starts like "共 N 条") and a packaging-material 包装 cell WHEN
    imported THEN the row is data; a per-pack price without a count is the clear error."""
    path = xlsx(tmp_path / "p.xlsx", {"s": [["通用名", "规格", "生产企业", "中选价格", "包装"],
                                            ["共轭雌激素片", "0.625mg", "惠氏制药有限公司", 10, "铝塑板装"]]})
    (row, column, message), = failed(session, "products", path, batch=BATCH)
    assert (row, column) == (2, "中选价格") and "转换比" in message


# --------------------------------------------------------------------- header names

IMPORT_MD_SPELLINGS = {
    "batch": "批次, 采购批次, 集采批次, 项目名称, 联盟名称",
    "product_code": "药品编码, 产品编码, 药品代码, 产品代码, 医保编码, 医保代码, 产品ID, 药品ID, 平台编码, 平台产品编号, "
                    "产品编号, 商品编码, YPID",
    "generic_name": "通用名, 药品通用名, 通用名称, 药品通用名称, 药品名称, 产品名称, 品种名称, 物资名称, 注册证产品名称",
    "dosage_form": "剂型",
    "spec": "规格, 制剂规格, 规格型号, 规格包装",
    "pack": "包装, 包装规格, 包装数量, 转换比, 转换系数, 包装转换比",
    "unit": "最小制剂单位, 最小使用单位, 计量单位, 单位, 采购单位, 包装单位",
    "manufacturer": "生产企业, 生产企业名称, 企业名称, 中选企业, 中选厂家, 药品企业, 生产厂家, 生产厂商, 申报企业",
    "distributor": "配送企业, 配送企业名称, 配送商, 配送单位, 供货商, 供应商",
    "selected_price": "中选价格, 中选价, 中选单价, 挂网价格, 单价, 最小制剂单位价格, 单位价格",
    "supply_role": "供应类型, 主供/备供, 是否备供",
    "group": "组别, 产品组别, 分组",
    "agreed_volume": "约定采购量, 协议采购量, 约定量, 年度约定采购量, 首年约定采购量, 年度任务量, 任务量, 合同量, 合同数量",
    "period_start": "执行开始日期, 开始日期, 协议开始日期",
    "period_end": "执行结束日期, 结束日期, 协议结束日期",
    "order_number": "订单编号, 订单号, 采购单号, 订单明细编号",
    "order_time": "下单时间, 订单时间, 采购时间, 订单日期",
    "purchase_date": "采购日期, 入库日期, 验收日期, 到货日期",
    "quantity": "采购数量, 数量, 采购量, 订购数量, 入库数量, 到货数量, 配送数量",
    "purchase_price": "采购单价, 采购价, 进价, 单价",
    "approval_number": "批准文号, 注册证号, 注册证编号",
    "amount": "采购金额, 金额, 入库金额",
    "response_time": "响应时间, 企业响应时间, 确认时间",
    "delivery_time": "配送时间, 到货时间, 送达时间",
    "acceptance_date": "验收日期, 验收时间, 入库日期",
    "emergency": "是否急救, 紧急订单, 订单类型",
    "reported_volume": "报量, 报送量, 需求量, 采购需求量, 申报量, 预计采购量",
}
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ/"}


def _decorations(name: str) -> list[str]:
    return [name, " ".join(name) + "  ", "".join(FULLWIDTH.get(c, c) for c in name), name + "（元/盒）",
            name + "(片)", name + "【盒】", name[:1] + "\n" + name[1:], "\u3000" + name + " "]


@pytest.mark.parametrize("fname,spelling", [(f, s.strip()) for f, spellings in IMPORT_MD_SPELLINGS.items()
                                             for s in spellings.split(",")])
def test_every_import_md_spelling_is_known_however_decorated(fname, spelling):
    """GIVEN each header spelling of IMPORT.md's table WHEN written with spaces inside, full-width
    letters, a unit in brackets (（元/盒）, (片), 【盒】), a line break or trailing spaces THEN it
    maps to its field ("unit" spellings map to the base-unit or the unit field)."""
    wanted = {"base_unit", "unit"} if fname == "unit" else {fname}
    for header in _decorations(spelling):
        assert wanted & {f for f, _rank in fields_for(header)}, (header, fields_for(header))


def test_synonym_headers_with_units_in_brackets_import(session, tmp_path):
    """GIVEN a HIS export using other spellings (订 单 号, ＹＰＩＤ, 入库数量【盒】, "采购\\n单价（元）",
    入库日期 with a trailing space) WHEN imported THEN the quantity is read in 盒 × 14 (R7 counts 片)."""
    seed(session, tmp_path)
    rows = [["订 单 号 ", "ＹＰＩＤ", "通 用 名", "生产厂家", "入库数量【盒】", "采购\n单价（元）", "入库日期 "],
            ["H1", "XY001", "阿托伐他汀钙片", "齐鲁制药有限公司", 2, 3.26, "2024-10-01"]]
    import_file(session, "purchases", xlsx(tmp_path / "h.xlsx", {"s": rows}))
    p = purchases(session)["H1"]
    assert (p.quantity, p.unit_price, p.amount) == (28, Decimal("0.2329"), Decimal("6.52"))


# ------------------------------------------------------------------- numbers as text


def test_numbers_as_text_and_glued_units(session, tmp_path):
    """GIVEN quantities "12,000", "１２０００", "12000片", " 300 " (盒), "1.2万" (片), "1.5盒" of a 28 片
    pack and 0.3 万盒 → all read; DECISION "1.2万" is 12000 (a written number, not a guess)."""
    seed(session, tmp_path, [9, BATCH, "XY009", "瑞舒伐他汀钙片", "片剂", "10mg*7片*4板", None, None, "甲制药",
                             8.4, 2800, datetime(2024, 9, 20), datetime(2025, 9, 19)])
    rows = [["订单编号", "药品编码", "采购数量", "单位", "采购日期"],
            ["N1", "XY009", "12,000", "片", "2024-10-01"], ["N2", "XY009", "１２０００", "片", "2024-10-01"],
            ["N3", "XY009", "12000片", None, "2024-10-01"], ["N4", "XY009", " 300 ", "盒", "2024-10-01"],
            ["N5", "XY009", "1.2万", "片", "2024-10-01"], ["N6", "XY009", "1.5盒", None, "2024-10-01"]]
    import_file(session, "purchases", xlsx(tmp_path / "n.xlsx", {"s": rows}))
    got = {k: p.quantity for k, p in purchases(session).items()}
    assert got == {"N1": 12000, "N2": 12000, "N3": 12000, "N4": 8400, "N5": 12000, "N6": 42}


def test_bad_quantities_name_row_column_and_arithmetic(session, tmp_path):
    """GIVEN 0.3 盒 of 14 片, a zero, a negative without 退货, a 采购 line with a negative and text
    WHEN imported THEN one error per row with its Excel row, column header and the reason, and
    nothing is written (IMPORT.md: one run = one transaction)."""
    seed(session, tmp_path)
    rows = [["订单编号", "药品编码", "采购数量（盒）", "采购日期", "单据类型"],
            ["E1", "XY001", "0.3", "2024-09-20", "采购"], ["E2", "XY001", 0, "2024-09-20", "采购"],
            ["E3", "XY001", -3, "2024-09-20", "采购"], ["E4", "XY001", "若干", "2024-09-20", "采购"],
            ["E5", "XY001", 2, "2024-09-20", "采购"]]
    errors = failed(session, "purchases", xlsx(tmp_path / "e.xlsx", {"s": rows}))
    assert [(r, c) for r, c, _m in errors] == [(row, "采购数量（盒）") for row in (2, 3, 4, 5)]
    assert "0.3 × 转换比 14 = 4.2" in errors[0][2] and "不是整数" in errors[0][2]
    assert "为 0" in errors[1][2] and "退货" in errors[2][2] and "若干" in errors[3][2]
    assert purchases(session) == {}


def test_returns_by_type_column_or_negative_amount(session, tmp_path):
    """GIVEN a −2 盒 line typed 退货 and a −24 粒 line with a negative amount WHEN imported THEN
    both are returns with negative base units and amounts."""
    seed(session, tmp_path)
    rows = [["订单编号", "药品编码", "采购数量", "采购单位", "采购金额", "采购日期", "业务类型"],
            ["R1", "XY001", -2, "盒", 6.52, "2024-11-01", "退货"],
            ["R2", "XY002", -24, "粒", -3.12, "2024-11-01", None]]
    import_file(session, "purchases", xlsx(tmp_path / "r.xlsx", {"s": rows}))
    got = {k: (p.quantity, p.amount, p.is_return) for k, p in purchases(session).items()}
    assert got == {"R1": (-28, Decimal("-6.52"), True), "R2": (-24, Decimal("-3.12"), True)}


# ----------------------------------------------------------------------------- dates

DATE_FORMS = [datetime(2024, 9, 20), 45555, 45555.6, "45555", "2024/09/20", "2024-9-20", "2024.09.20",
              "2024年9月20日", "20240920", datetime(2024, 9, 20, 14, 30), "2024-09-20 14:30:00",
              "2024/9/20 14:30", "２０２４－０９－２０"]


def test_every_date_form_is_20_september(session, tmp_path):
    """GIVEN the purchase date in every form of IMPORT.md WHEN imported THEN each is 2024-09-20."""
    seed(session, tmp_path)
    rows = [["订单编号", "药品编码", "采购数量", "采购日期"]]
    rows += [[f"T{i}", "XY001", 14, form] for i, form in enumerate(DATE_FORMS)]
    import_file(session, "purchases", xlsx(tmp_path / "dates.xlsx", {"s": rows}))
    assert {p.purchase_date for p in purchases(session).values()} == {date(2024, 9, 20)}
    assert len(purchases(session)) == len(DATE_FORMS)


@pytest.mark.parametrize("bad,words", [("2024-02-30", "2 月没有 30 日"), ("20230229", "2 月没有 29 日"),
                                       ("2024-13-01", "没有 13 月"), ("下月初", "无法识别")])
def test_impossible_dates_name_row_and_column(session, tmp_path, bad, words):
    """GIVEN an impossible or unreadable date WHEN imported THEN the error names row 3, the column
    and says what is wrong."""
    seed(session, tmp_path)
    rows = [["订单编号", "药品编码", "采购数量", "入库日期"], ["A", "XY001", 14, "2024-09-20"], ["B", "XY001", 14, bad]]
    (row, column, message), = failed(session, "purchases", xlsx(tmp_path / "bad.xlsx", {"s": rows}))
    assert (row, column) == (3, "入库日期") and words in message


# --------------------------------------------------------------------- spec and pack

SPEC_PACKS = [("10mg*7片*4板", "10mg", 28, "片"), ("0.25g×24粒/盒", "0.25g", 24, "粒"),
              ("100ml:0.9g*1瓶", "100ml:0.9g", 1, "瓶"), ("5mg*28片/盒", "5mg", 28, "片"),
              ("20mg×14s", "20mg", 14, None), ("0.5g*12片*2板/盒", "0.5g", 24, "片"), ("20mgx14片", "20mg", 14, "片")]


def test_spec_and_pack_in_one_cell(session, tmp_path):
    """GIVEN spec and pack in one 规格包装 cell, price per pack, volume in 盒 WHEN imported THEN spec,
    units per pack and base unit are split out; DECISION "14s" = 14 per pack, base unit unnamed."""
    head = ["采购批次", "通用名", "规格包装", "生产企业", "中选价格", "约定采购量（盒）", "执行开始日期", "执行结束日期"]
    rows = [head] + [[BATCH, f"测试药{i}", cell, "甲厂", 12, 10, "2024-09-20", "2025-09-19"]
                     for i, (cell, *_rest) in enumerate(SPEC_PACKS)]
    import_file(session, "products", xlsx(tmp_path / "sp.xlsx", {"s": rows}))
    got = [(p.spec, p.units_per_pack, p.base_unit) for p in session.scalars(select(Product).order_by(Product.id))]
    assert got == [tuple(x[1:]) for x in SPEC_PACKS]
    volumes = session.scalars(select(AgreementPeriod.agreed_volume).order_by(AgreementPeriod.product_id)).all()
    assert volumes == [10 * upp for _c, _s, upp, _u in SPEC_PACKS]


def test_spec_and_pack_in_two_columns_and_14s_learns_its_base_unit(session, tmp_path):
    """GIVEN 规格 + 包装数量 columns and a "20mg×14s" product WHEN purchases in 片 and 盒 arrive THEN
    both convert (the 片 line names the unknown base unit)."""
    head = ["采购批次", "通用名", "规格", "包装数量", "生产企业", "中选价格"]
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": [
        head, [BATCH, "甲药片", "10mg", "28片/盒", "甲厂", 28], [BATCH, "乙药片", "20mg×14s", None, "乙厂", 14]]}))
    rows = [["订单编号", "通用名", "规格", "生产企业", "采购数量", "采购日期"],
            ["S1", "甲药片", "10mg", "甲厂", "2盒", "2024-10-01"], ["S2", "乙药片", "20mg", "乙厂", "28片", "2024-10-01"],
            ["S3", "乙药片", "20mg", "乙厂", "1盒", "2024-10-01"]]
    import_file(session, "purchases", xlsx(tmp_path / "b.xlsx", {"s": rows}))
    assert {k: p.quantity for k, p in purchases(session).items()} == {"S1": 56, "S2": 28, "S3": 14}


# -------------------------------------------------------------------------- products


def test_per_base_unit_price_supply_roles_groups_and_volumes_in_packs(session, tmp_path):
    """GIVEN 最小制剂单位价格, 主供/备供, 组别 and 首年约定采购量(盒) WHEN imported THEN the price stays
    per 粒, roles primary/backup, the volume is packs × 20 (R7 counts base units)."""
    head = ["项目名称", "产品名称", "剂型", "制剂规格", "包装数量", "最小使用单位", "中选企业", "最小制剂单位价格",
            "主供/备供", "组别", "首年约定采购量(盒)", "协议开始日期", "协议结束日期"]
    rows = [head, ["联盟A", "布洛芬缓释胶囊", "胶囊", "0.3g", 20, "粒", "甲厂", "0.15", "主供", "A组", "100",
                   "2024/9/20", "2025/9/19"],
            ["联盟A", "布洛芬缓释胶囊", "胶囊", "0.3g", 20, "粒", "乙厂", "0.16", "备供", "A组", "50",
             "2024/9/20", "2025/9/19"]]
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": rows}))
    products = session.scalars(select(Product).order_by(Product.id))
    got = [(p.selected_price, p.supply_role, p.group_name) for p in products]
    assert got == [(Decimal("0.15"), "primary", "A组"), (Decimal("0.16"), "backup", "A组")]
    assert session.scalars(select(AgreementPeriod.agreed_volume).order_by(AgreementPeriod.id)).all() == [2000, 1000]


def test_consumables_with_is_backup_yes_no_and_group(session, tmp_path):
    """GIVEN a consumables list (物资名称, 规格型号, 是否备供 是/否, 产品组别) WHEN imported THEN 否 →
    primary, 是 → backup."""
    head = ["联盟名称", "物资名称", "规格型号", "转换系数", "单位", "生产厂家", "中选单价", "是否备供", "产品组别"]
    rows = [head, ["耗材联盟", "一次性使用输液器", "0.55mm", 1, "支", "丙厂", "1.2", "否", "第1组"],
            ["耗材联盟", "一次性使用输液器", "0.7mm", 1, "支", "丁厂", "1.3", "是", "第1组"]]
    import_file(session, "products", xlsx(tmp_path / "c.xlsx", {"s": rows}))
    got = [(p.supply_role, p.group_name, p.base_unit) for p in session.scalars(select(Product).order_by(Product.id))]
    assert got == [("primary", "第1组", "支"), ("backup", "第1组", "支")]


def test_products_without_batch_column(session, tmp_path):
    """GIVEN a products file without a batch column WHEN imported without --batch THEN the error
    says to use --batch; WITH --batch THEN the products land in that batch."""
    path = xlsx(tmp_path / "nb.xlsx", {"s": [["通用名", "规格", "转换比", "生产企业", "中选价格（元/盒）"],
                                             ["甲药片", "10mg", 14, "甲厂", 7]]})
    with pytest.raises(BadInput) as exc:
        import_file(session, "products", path)
    assert "--batch" in str(exc.value) and "批次" in str(exc.value)
    result = import_file(session, "products", path, batch=BATCH)
    assert result.inserted == 1 and session.scalars(select(Product)).one().batch.name == BATCH


def test_volumes_in_packs_and_in_base_units(session, tmp_path):
    """GIVEN a volumes file with one row in 盒 (header bracket) and one with 粒 glued on WHEN imported
    THEN both periods hold base units."""
    seed(session, tmp_path)
    rows = [["药品编码", "通用名", "年度约定采购量（盒）", "执行开始日期", "执行结束日期"],
            ["XY001", "阿托伐他汀钙片", 100, "2025-09-20", "2026-09-19"],
            ["XY002", "阿莫西林胶囊", "2400粒", "2025-09-20", "2026-09-19"]]
    import_file(session, "volumes", xlsx(tmp_path / "v.xlsx", {"s": rows}))
    got = session.execute(select(AgreementPeriod.product_id, AgreementPeriod.agreed_volume)
                          .where(AgreementPeriod.start == date(2025, 9, 20))).all()
    assert sorted(got) == [(1, 1400), (2, 2400)]


# -------------------------------------------------------------------------- matching


def test_matching_without_codes_ambiguity_and_unmatched_lines(session, tmp_path):
    """GIVEN two selected 阿托伐他汀钙片 20mg (two makers) WHEN a HIS export without codes names the
    generic with a full-width bracket, "20 MG", form 片 and the maker THEN it matches; a line
    without maker is an error listing both candidates; after fixing it, a 10mg line becomes a
    non-selected product and 氯化钠注射液 a catalogue product (R9)."""
    seed(session, tmp_path, ATOR, AMOX, JIALIN)
    head = ["订单号", "药品名称", "剂型", "规格", "生产企业", "数量", "单位", "采购价", "采购时间"]
    good = [["H1", "阿托伐他汀钙片（20mg）", "片", "20 MG", "齐鲁制药有限公司", 2, "盒", 3.26, "2024-10-01 09:00"],
            ["H2", "阿托伐他汀钙片", "片剂", "20mg*14片/盒", "北京嘉林药业股份有限公司", 28, "片", 0.25, "2024-10-02"],
            ["H3", "阿托伐他汀钙片", "片剂", "10mg×14片/盒", "石药集团", 1, "盒", 1.0, "2024-10-03"],
            ["H4", "氯化钠注射液", "注射剂", "100ml:0.9g", "四川科伦药业", 10, "瓶", 2.0, "2024-10-03"]]
    bad = ["H9", "阿托伐他汀钙片", "片剂", "20mg", None, 2, "盒", 3.26, "2024-10-04"]
    (row, column, message), = failed(session, "purchases", xlsx(tmp_path / "a.xlsx", {"s": [head, *good, bad]}))
    assert (row, column) == (6, "药品名称")
    assert "齐鲁制药有限公司" in message and "北京嘉林药业股份有限公司" in message
    result = import_file(session, "purchases", xlsx(tmp_path / "ok.xlsx", {"s": [head, *good]}))
    assert (result.inserted, result.created_products) == (4, 2)
    by = {k: (p.product.manufacturer.name, p.product.category, p.quantity) for k, p in purchases(session).items()}
    assert by == {"H1": ("齐鲁制药有限公司", "selected", 28), "H2": ("北京嘉林药业股份有限公司", "selected", 28),
                  "H3": ("石药集团", "nonselected", 14), "H4": ("四川科伦药业", "catalogue", 10)}


def test_overlapping_exports_and_the_same_file_twice(session, tmp_path):
    """GIVEN an export (Sep–Oct) and a later one overlapping it (Oct–Nov), without order numbers
    WHEN imported, each twice THEN the second run of a file adds nothing and the later export adds
    only its new lines."""
    seed(session, tmp_path)
    head = ["药品编码", "采购数量", "采购单位", "采购日期", "采购金额"]
    sep, octo, nov = (["XY001", 2, "盒", "2024-09-25", 6.52], ["XY001", 3, "盒", "2024-10-10", 9.78],
                      ["XY002", 1, "盒", "2024-11-03", 3.12])
    first = xlsx(tmp_path / "1.xlsx", {"s": [head, sep, octo]})
    second = xlsx(tmp_path / "2.xlsx", {"s": [["导出时间：2024-12-01"], head, octo, nov]})
    counts = [(r.inserted, r.unchanged) for r in (import_file(session, "purchases", f) for f in
                                                  (first, first, second, second))]
    assert counts == [(2, 0), (0, 2), (1, 1), (0, 2)]
    assert sorted(p.quantity for p in session.scalars(select(Purchase))) == [24, 28, 42]


# ---------------------------------------------------------------------------- orders


def test_orders_times_and_emergency_spellings(session, tmp_path):
    """GIVEN orders with 企业响应时间 / 送达时间 / 验收时间 and 订单类型 急救 / 紧急 / 普通, then a file with
    是否急救 是 WHEN imported THEN the times and flags land (R4/R5 inputs)."""
    seed(session, tmp_path)
    rows = [["订单编号", "下单时间", "药品编码", "配送企业", "采购数量", "企业响应时间", "送达时间", "验收时间", "订单类型"],
            ["O1", "2024-10-01 09:00", "XY001", "国药控股", 10, "2024-10-01 10:00", "2024-10-02 09:00",
             "2024-10-02", "急救"],
            ["O2", "2024/10/01 09:00:00", "XY001", "国药控股", 10, None, None, None, "普通"],
            ["O3", datetime(2024, 10, 1, 9), "XY001", "国药控股", 10, "2024-10-01 10:00", "2024-10-02 09:00",
             "2024年10月3日", "紧急"]]
    import_file(session, "orders", xlsx(tmp_path / "o.xlsx", {"s": rows}))
    import_file(session, "orders", xlsx(tmp_path / "o2.xlsx", {"s": [
        ["订单编号", "订单日期", "药品编码", "是否急救"], ["O4", "2024-10-05", "XY001", "是"]]}))
    got = {o.order_no: (o.placed_at, o.responded_at, o.accepted_on, o.emergency)
           for o in session.scalars(select(Order))}
    t9 = datetime(2024, 10, 1, 9)
    assert got == {"O1": (t9, datetime(2024, 10, 1, 10), date(2024, 10, 2), True), "O2": (t9, None, None, False),
                   "O3": (t9, datetime(2024, 10, 1, 10), date(2024, 10, 3), True),
                   "O4": (datetime(2024, 10, 5), None, None, True)}


def test_purchase_with_order_time_only(session, tmp_path):
    """GIVEN a purchases export with only 订单时间 WHEN imported THEN the purchase date is its date."""
    seed(session, tmp_path)
    import_file(session, "purchases", xlsx(tmp_path / "p.xlsx", {"s": [
        ["订单号", "订单时间", "药品编码", "数量", "采购单位"], ["P1", "2024-10-05 08:00:00", "XY002", 2, "盒"]]}))
    p = purchases(session)["P1"]
    assert (p.purchase_date, p.order_time, p.quantity) == (date(2024, 10, 5), datetime(2024, 10, 5, 8), 48)


# --------------------------------------------------------------------- combined, CLI


def _gbk_csv(path: Path) -> Path:
    with open(path, "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["医院入库单导出"])
        w.writerow([])
        w.writerow(["药品名称", "规格", "生产厂家", "入库数量", "单位", "进价", "入库日期", "入库金额"])
        w.writerow(["阿莫西林胶囊", "0.25g×24粒/盒", "珠海联邦制药股份有限公司", "1,200", "粒", "0.13", "2024.10.06",
                    "156"])
        w.writerow(["阿莫西林胶囊", "0.25g×24粒/盒", "珠海联邦制药股份有限公司", "-24", "粒", "0.13", "2024.10.07",
                    "-3.12"])
        w.writerow(["合计", "", "", "1176", "", "", "", ""])
    return path


def test_everything_at_once_through_the_cli_then_progress(run_cli, tmp_path):
    """GIVEN a products workbook (title, 导出时间, header on row 6, hidden sheet), a messy platform
    purchases workbook (two-row header repeated at a page break, text numbers, mixed date forms,
    合计 and notes) and a GBK CSV from the HIS with a return WHEN imported with --json (dry run
    first) THEN the dry run reports what the real run does, a second run changes nothing, and
    `progress --json` shows the purchased base units (R7)."""
    db = tmp_path / "h.db"
    cli = lambda *a: run_cli("--db", db, "--as-of", "2024-12-31", *a)  # noqa: E731
    products = xlsx(tmp_path / "products.xlsx", {
        "说明": [["填表说明：价格为每盒价格"]],
        "明细": [["第十批国家组织药品集中采购中选结果"], ["导出时间：2024-09-01"], [], [], [], P_HEAD, ATOR, AMOX,
                 ["合计", None, None, None, None, None, None, None, None, None, 18000]],
        "隐藏": [P_HEAD, JIALIN]}, hidden=("隐藏",), merge={"明细": ["A1:M1"]})
    code, out, err = cli("import", "products", products, "--json")
    assert code == 0, err
    assert json.loads(out)["inserted"] == 2
    group = ["订单编号", "药品编码", "通用名", "采购信息", None, "采购日期"]
    lower = [None, None, None, "采购\n数量", "采购单位", None]
    platform = xlsx(tmp_path / "platform.xlsx", {"采购明细": [
        ["省平台采购明细"], group, lower,
        ["D1", "XY001", "阿托伐他汀钙片", "１,０００", "盒", "2024年10月8日"],
        ["D2", "ＸＹ００１", "阿托伐他汀钙片", "700片", None, 45600],
        group, lower,
        ["D3", "XY001", "阿托伐他汀钙片", "1.5", "盒", datetime(2024, 11, 2, 15, 20)],
        ["合计", None, None, 1701.5], ["注：数量单位见采购单位列"], ["制表人：王五"]]},
        merge={"采购明细": ["A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "A6:A7", "B6:B7", "C6:C7", "D6:E6",
                            "F6:F7"]})
    dry = cli("import", "purchases", platform, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    real = cli("import", "purchases", platform, "--json")
    assert real.code == 0, real.err
    counts = lambda doc: (doc["rows"], doc["inserted"], doc["updated"], doc["unchanged"])  # noqa: E731
    assert counts(dry.json()) == counts(real.json()) == (3, 3, 0, 0)
    assert counts(cli("import", "purchases", platform, "--json").json()) == (3, 0, 0, 3)
    his = cli("import", "purchases", _gbk_csv(tmp_path / "his.csv"), "--json")
    assert his.code == 0, his.err
    assert counts(his.json()) == (2, 2, 0, 0)
    rows = {r["generic_name"]: r for r in cli("progress", "--json").json()["rows"]}
    assert rows["阿托伐他汀钙片"]["purchased"] == 14000 + 700 + 21
    assert rows["阿莫西林胶囊"]["purchased"] == 1200 - 24
    assert rows["阿托伐他汀钙片"]["agreed_volume"] == 8400


def test_cli_errors_name_sheet_row_and_column_and_write_nothing(run_cli, tmp_path):
    """GIVEN a purchases workbook whose data sheet has an impossible date and a zero quantity WHEN
    imported with --json THEN exit 3, each error has sheet, row and column; nothing lands."""
    db = tmp_path / "h.db"
    assert run_cli("--db", db, "import", "products", xlsx(tmp_path / "p.xlsx", {"s": [P_HEAD, ATOR]})).code == 0
    path = xlsx(tmp_path / "bad.xlsx", {"填表说明": [["说明"]], "采购": [
        ["订单编号", "药品编码", "采购数量", "采购日期"], ["B1", "XY001", 14, "2024-02-30"], ["B2", "XY001", 0, "2024-09-20"],
        ["B3", "XY001", 14, "2024-09-20"]]})
    code, out, err = run_cli("--db", db, "import", "purchases", path, "--json")
    assert code == 3
    doc = json.loads(out) if out.strip() else json.loads(err)
    errors = [(e.get("sheet"), e["row"], e["column"]) for e in doc["errors"]]
    assert errors == [("采购", 2, "采购日期"), ("采购", 3, "采购数量")]
    rows = run_cli("--db", db, "--as-of", "2024-12-31", "progress", "--json").json()["rows"]
    assert rows[0]["purchased"] == 0


@pytest.mark.parametrize("cell,number,unit", [("1.2万", Decimal("12000"), ""), ("1.2万盒", Decimal("12000"), "盒"),
                                              ("80万单位", Decimal("80"), "万单位"), ("－24", Decimal("-24"), ""),
                                              ("(24)", Decimal("-24"), ""), ("12,000 片", Decimal("12000"), "片")])
def test_number_cells_decisions(cell, number, unit):
    """GIVEN written numbers WHEN parsed THEN 万 multiplies (but "万单位" is a unit of potency, kept),
    full-width minus and accounting brackets are negative."""
    from hospital_app.importers.values import parse_number

    assert parse_number(cell) == (number, unit)


@pytest.mark.parametrize("cell,upp,base,pack", [("14's", 14, None, None), ("盒", None, None, "盒"),
                                                ("铝塑板装", None, None, None), ("10片/板*3板/盒", 30, "片", "盒")])
def test_pack_cells_decisions(cell, upp, base, pack):
    """GIVEN 包装 cells WHEN parsed THEN counts multiply; a cell without a count is no error."""
    from hospital_app.importers.values import parse_pack

    got = parse_pack(cell)
    assert (got.units_per_pack, got.base_unit, got.pack_unit) == (upp, base, pack)
