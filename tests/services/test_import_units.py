"""DOMAIN.md "Quantities and money": every quantity lands in the product's base unit. A line
in the product's pack unit is multiplied by its units per pack; a line whose unit cannot be
resolved is an import error naming sheet, row and column — never a guess."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Product, Purchase
from hospital_app.services.importing import ImportFailed, import_file
from tests.services.import_helpers import xlsx
from tests.services.test_import_realities import PRODUCT_HEADER

BATCH = "第九批国家集采"
# XY001: 片, 14 per pack, price header "中选价格（元/盒）" → pack unit 盒.
# INJ1: an injection whose base unit IS 瓶 (10 瓶 per 盒). CON1: a consumable counted in 个.
# BOT1: tablets sold in bottles ("100mg*30片/瓶": pack unit 瓶 from the spec).
SEED = [PRODUCT_HEADER,
        [1, BATCH, "XY001", "阿托伐他汀钙片", "片剂", "20mg", 14, "片", "齐鲁制药有限公司", 3.26, 840,
         datetime(2024, 9, 20), datetime(2025, 9, 19)],
        [2, BATCH, "INJ1", "注射用头孢曲松钠", "注射剂", "1g", 10, "瓶", "某药业", 12.0, 500,
         datetime(2024, 9, 20), datetime(2025, 9, 19)],
        [3, BATCH, "CON1", "一次性使用输液器", None, "带针", 50, "个", "某医疗器械", 25.0, 1000,
         datetime(2024, 9, 20), datetime(2025, 9, 19)],
        [4, BATCH, "BOT1", "阿司匹林肠溶片", "片剂", "100mg*30片/瓶", None, None, "某制药", 9.0, 300,
         datetime(2024, 9, 20), datetime(2025, 9, 19)]]
HEADER = ["订单编号", "采购日期", "药品编码", "采购数量", "采购单位"]


@pytest.fixture
def seeded(session, tmp_path):
    import_file(session, "products", xlsx(tmp_path / "products.xlsx", {"中选": SEED}))
    session.commit()
    return session


def buy(session, tmp_path: Path, *lines, header=HEADER, name="buy.xlsx"):
    return import_file(session, "purchases", xlsx(tmp_path / name, {"采购明细": [header, *lines]}))


def test_products_keep_the_pack_unit_their_price_header_names(seeded):
    """GIVEN "中选价格（元/盒）" ÷ 转换比 WHEN imported THEN 盒 is recorded as the pack unit (the price
    conversion already reads 转换比 as 片 per 盒); a spec "…/瓶" names 瓶 instead."""
    units = {code: (base, pack, upp) for code, base, pack, upp in seeded.execute(
        select(Product.code, Product.base_unit, Product.pack_unit, Product.units_per_pack))}
    assert units == {"XY001": ("片", "盒", 14), "INJ1": ("瓶", "盒", 10), "CON1": ("个", "盒", 50),
                     "BOT1": ("片", "瓶", 30)}


def test_base_unit_and_pack_unit_lines_are_converted(seeded, tmp_path):
    """GIVEN lines in the base unit (片, an injection's 瓶, a consumable's 个) and in the pack unit
    (盒, a bottle product's 瓶) WHEN imported THEN base units as is, packs × units per pack."""
    result = buy(seeded, tmp_path,
                 ["A1", "2025-06-01", "XY001", 10, "片"], ["A2", "2025-06-01", "XY001", 2, "盒"],
                 ["A3", "2025-06-01", "INJ1", 5, "瓶"], ["A4", "2025-06-01", "INJ1", 1, "盒"],
                 ["A5", "2025-06-01", "CON1", 100, "个"], ["A6", "2025-06-01", "BOT1", 2, "瓶"],
                 ["A7", "2025-06-01", "XY001", "3盒", None])
    assert result.inserted == 7
    got = dict(seeded.execute(select(Purchase.order_no, Purchase.quantity)).all())
    assert got == {"A1": 10, "A2": 28, "A3": 5, "A4": 10, "A5": 100, "A6": 60, "A7": 42}


@pytest.mark.parametrize("line, column, words", [
    (["U1", "2025-06-01", "XY001", 3, "瓶"], "采购单位", ("“瓶”", "“片”", "“盒”", "无法换算")),
    (["U2", "2025-06-01", "XY001", 2, "桶"], "采购单位", ("“桶”", "“片”", "“盒”")),
    (["U3", "2025-06-01", "XY001", 1, "箱"], "采购单位", ("“箱”",)),  # a carton is not the box
    (["U4", "2025-06-01", "INJ1", 5, "支"], "采购单位", ("“支”", "“瓶”")),  # 支 is not this injection's unit
    (["U5", "2025-06-01", "BOT1", 1, "盒"], "采购单位", ("“盒”", "“瓶”")),  # bottles, not boxes
    (["U6", "2025-06-01", "XY001", "3瓶", None], "采购数量", ("“瓶”",)),  # unit glued on the number
], ids=["tablets-in-bottles", "tablets-in-barrels", "tablets-in-cartons", "injection-in-ampoules",
        "bottle-product-in-boxes", "glued-unit"])
def test_a_unit_that_is_neither_base_nor_pack_is_an_error(seeded, tmp_path, line, column, words):
    """GIVEN XY001 (base 片, pack 盒 of 14) and friends WHEN a line's unit is neither the product's
    base unit nor its pack unit THEN exit-3 error at that row and column, nothing written
    (DOMAIN.md: never a guess — before, 3 瓶 became 3 片 and 2 桶 became 28 片)."""
    with pytest.raises(ImportFailed) as err:
        buy(seeded, tmp_path, ["OK", "2025-06-01", "XY001", 1, "盒"], line)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("采购明细", 3, column)
    assert all(w in problem.message for w in words), problem.message
    assert seeded.scalar(select(func.count()).select_from(Purchase)) == 0


def test_pack_word_without_pack_size_is_an_error(seeded, tmp_path):
    """GIVEN a new product bought in 盒 with no 转换比 anywhere WHEN imported THEN error on the
    quantity (the pack size is unknown), never 1 盒 = 1 unit."""
    header = ["订单编号", "采购日期", "通用名", "规格", "生产企业", "采购数量", "采购单位"]
    with pytest.raises(ImportFailed) as err:
        buy(seeded, tmp_path, ["N1", "2025-06-01", "某新药片", "5mg", "某厂", 3, "盒"], header=header)
    (problem,) = err.value.problems
    assert problem.column == "采购数量" and "转换比" in problem.message


def test_line_pack_size_and_pack_unit_of_the_line_are_used(seeded, tmp_path):
    """GIVEN a line whose own 转换比 differs from the product's (a new 7-片 box) WHEN in 盒 THEN
    × the line's 转换比; a line whose 规格 names its pack ("20mg*7片/板") may buy in 板."""
    header = ["订单编号", "采购日期", "药品编码", "规格", "转换比", "采购数量", "采购单位"]
    buy(seeded, tmp_path, ["L1", "2025-06-01", "XY001", None, 7, 2, "盒"],
        ["L2", "2025-06-01", "XY001", "20mg*7片/板", None, 3, "板"], header=header)
    got = dict(seeded.execute(select(Purchase.order_no, Purchase.quantity)).all())
    assert got == {"L1": 14, "L2": 21}


def test_new_product_keeps_the_unit_its_lines_resolved(seeded, tmp_path):
    """GIVEN an unknown product bought as 10 片 and then as 2 瓶 (no 转换比) WHEN imported THEN the
    second line is an error: 片 became its base unit, 瓶 cannot be converted (no silent mix)."""
    header = ["订单编号", "采购日期", "通用名", "规格", "生产企业", "采购数量", "采购单位"]
    first = ["M1", "2025-06-01", "某新药片", "5mg", "某厂", 10, "片"]
    result = buy(seeded, tmp_path, first, header=header)
    seeded.commit()
    assert result.created_products == 1
    assert seeded.scalars(select(Product.base_unit).where(Product.generic_name == "某新药片")).one() == "片"
    with pytest.raises(ImportFailed) as err:
        buy(seeded, tmp_path, ["M2", "2025-06-02", "某新药片", "5mg", "某厂", 2, "瓶"], header=header,
            name="b2.xlsx")
    assert err.value.problems[0].column == "采购单位"


def test_volume_header_bracket_wins_over_a_product_unit_column(session, tmp_path):
    """GIVEN a products file with a 包装单位 column (盒) and "约定采购量（最小制剂单位）" WHEN imported
    THEN the agreed volume is in 片 as its header says (R7 input), not × 14."""
    header = PRODUCT_HEADER + ["包装单位"]
    row = [1, BATCH, "XY001", "阿托伐他汀钙片", "片剂", "20mg", 14, "片", "齐鲁制药有限公司", 3.26, 840,
           datetime(2024, 9, 20), datetime(2025, 9, 19), "盒"]
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"s": [header, row]}))
    from db.models import AgreementPeriod

    assert session.scalars(select(AgreementPeriod.agreed_volume)).one() == 840
