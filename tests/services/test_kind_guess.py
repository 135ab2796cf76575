"""Drag and drop (issue 20): the import kind guessed from a header row (IMPORT.md header names)."""

from __future__ import annotations

import pytest

from hospital_app.importers.kind_guess import guess_file_kind, guess_kind
from tests.conftest import DATA


@pytest.mark.parametrize("header, kind", [
    (["通用名", "规格", "生产企业", "报量"], "reported-volumes"),
    (["订单编号", "下单时间", "通用名", "采购数量", "响应时间", "配送时间", "验收日期"], "purchases"),
    (["订单编号", "下单时间", "响应时间", "配送时间", "验收日期"], "orders"),
    (["批次", "通用名", "规格", "生产企业", "中选价格（元/片）", "约定采购量"], "products"),
    (["药品编码", "约定采购量", "执行开始日期", "执行结束日期"], "volumes"),
    (["序号", "备注", None, 3], None),
])
def test_guess_kind_from_header(header, kind):
    """GIVEN a header row THEN the kind whose distinctive fields it holds (a platform export with both
    quantities and order times is a purchase import first); nothing known → None."""
    assert guess_kind(header) == kind


def test_guess_the_sample_workbooks():
    """GIVEN the sample workbooks THEN purchases, products and reported volumes are recognised."""
    assert guess_file_kind(DATA / "platform_purchases_2023-09_2025-08.xlsx") == "purchases"
    assert guess_file_kind(DATA / "selected_products_and_volumes.xlsx") == "products"
    assert guess_file_kind(DATA / "reported_volumes_2026.xlsx") == "reported-volumes"
