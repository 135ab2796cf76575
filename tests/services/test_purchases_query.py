"""The purchases page's queries (issue 21 §5): filters, order, rows — expectations written by hand.

GIVEN five purchase lines of two products (one selected, one not), each test states which ids
a filter must return, in which order, and what a fetched row holds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db import models as m
from hospital_app.errors import BadInput
from hospital_app.services.purchases_query import (
    PurchaseFilters,
    count_purchases,
    fetch_purchase_rows,
    product_choices,
    purchase_ids,
)


@pytest.fixture
def lines(session):
    maker = m.Company(name="甲制药有限公司", is_manufacturer=True)
    dist = m.Company(name="乙医药配送公司", is_distributor=True)
    sel = m.Product(generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片", spec="20mg", code="YP001",
                    base_unit="片", selected=True, category="selected", manufacturer=maker)
    other = m.Product(generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片", spec="10mg", code="YP002",
                      base_unit="片", selected=False, category="nonselected")
    session.add_all([maker, dist, sel, other])
    session.flush()
    rows = [  # id, product, date, order_no, quantity, amount
        (1, sel, date(2025, 1, 5), "PO-A", 100, Decimal("59.80")),
        (2, sel, date(2025, 2, 1), "PO-B", 300, Decimal("179.40")),
        (3, other, date(2025, 2, 1), "PO-C", 50, Decimal("60.00")),
        (4, sel, date(2025, 3, 9), "XX-9", 20, Decimal("11.96")),
        (5, other, date(2025, 4, 1), "PO-D", 10, Decimal("12.00")),
    ]
    for pid, product, day, order_no, qty, amount in rows:
        session.add(m.Purchase(id=pid, product_id=product.id, dedup_key=f"{order_no}#1", order_no=order_no,
                               line_no=1, purchase_date=day, quantity=qty, amount=amount,
                               unit_price=Decimal("0.5980"), distributor_id=dist.id if pid == 2 else None,
                               source_file="采购.xlsx", source_row=pid + 1))
    session.commit()
    return {"selected": sel.id, "other": other.id}


def test_default_order_is_newest_first_with_ties_by_id(session, lines):
    """GIVEN lines 2 and 3 on the same day WHEN listed by date descending THEN 5, 4, 3, 2, 1."""
    assert purchase_ids(session) == [5, 4, 3, 2, 1]
    assert purchase_ids(session, descending=False) == [1, 2, 3, 4, 5]


def test_order_by_quantity_and_limit(session, lines):
    """WHEN ordered by quantity ascending with limit 3 THEN the three smallest: 5 (10), 4 (20), 3 (50)."""
    assert purchase_ids(session, order="quantity", descending=False, limit=3) == [5, 4, 3]


def test_date_range_is_inclusive(session, lines):
    """WHEN filtered 2025-02-01..2025-03-09 THEN lines 2, 3 and 4 (both ends included)."""
    f = PurchaseFilters(date_from=date(2025, 2, 1), date_to=date(2025, 3, 9))
    assert count_purchases(session, f) == 3
    assert sorted(purchase_ids(session, f)) == [2, 3, 4]


def test_selected_filter_and_product_filter(session, lines):
    """WHEN only selected THEN 1, 2, 4; only non-selected THEN 3, 5; one product THEN its lines."""
    assert sorted(purchase_ids(session, PurchaseFilters(selected=True))) == [1, 2, 4]
    assert sorted(purchase_ids(session, PurchaseFilters(selected=False))) == [3, 5]
    assert sorted(purchase_ids(session, PurchaseFilters(product_id=lines["other"]))) == [3, 5]


def test_text_matches_code_or_order_number(session, lines):
    """WHEN the text is 'YP002' THEN that product's lines 3, 5; WHEN 'XX-' THEN line 4 by its order number."""
    assert sorted(purchase_ids(session, PurchaseFilters(text="YP002"))) == [3, 5]
    assert purchase_ids(session, PurchaseFilters(text=" XX- ")) == [4]


def test_reversed_date_range_is_bad_input(session, lines):
    """WHEN the start date is after the end date THEN BadInput, not an empty list."""
    with pytest.raises(BadInput):
        count_purchases(session, PurchaseFilters(date_from=date(2025, 3, 1), date_to=date(2025, 2, 1)))


def test_unknown_sort_column_is_bad_input(session, lines):
    with pytest.raises(BadInput):
        purchase_ids(session, order="password")


def test_fetched_row_holds_product_maker_and_distributor(session, lines):
    """WHEN line 2 is fetched THEN it carries the selected product's code, spec, maker, unit and
    the distributor; line 3 has neither maker nor distributor."""
    rows = fetch_purchase_rows(session, [2, 3])
    two, three = rows[2], rows[3]
    assert (two.product_code, two.spec, two.manufacturer, two.distributor, two.selected) == (
        "YP001", "20mg", "甲制药有限公司", "乙医药配送公司", True)
    assert (two.quantity, two.base_unit, two.amount, two.source_row) == (300, "片", Decimal("179.40"), 3)
    assert (three.manufacturer, three.distributor, three.selected) == (None, None, False)
    assert fetch_purchase_rows(session, []) == {}


def test_product_choices_put_selected_first(session, lines):
    """THEN the selected product comes first, labelled with name, spec and code."""
    choices = product_choices(session)
    assert [c.selected for c in choices] == [True, False]
    assert choices[0].label == "阿托伐他汀钙片 20mg [YP001]"


def test_data_span_is_the_first_and_last_purchase_date_known_on_as_of(session, lines):
    """R13 v2 "as of d": GIVEN lines dated 2025-01-05 … 2025-04-01 WHEN the data's span is read as
    of 2025-03-31 THEN 2025-01-05 to 2025-03-09 (the April line is not known yet); as of 2025-01-04
    THEN nothing is known (issue 21: min and max are read as two index seeks, same figures)."""
    from hospital_app.services.volume_reports import data_span

    assert data_span(session, date(2025, 3, 31)) == (date(2025, 1, 5), date(2025, 3, 9))
    assert data_span(session, date(2025, 4, 1)) == (date(2025, 1, 5), date(2025, 4, 1))
    assert data_span(session, date(2025, 1, 4)) == (None, None)
