"""Read-only queries over purchase lines for the purchases page's lazy table.

Anki's browser pattern: the view holds only the ordered row ids; it asks for the
rows it is about to paint (``fetch_purchase_rows``) a page at a time. Counting and
listing ids are index scans, so the page opens on 500 000 purchases without loading
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from db import models as m
from hospital_app.errors import BadInput
from hospital_app.i18n import tr

#: Sortable columns (the keys of ``PurchaseRow`` the table can order by).
ORDER_COLUMNS = {
    "purchase_date": m.Purchase.purchase_date,
    "quantity": m.Purchase.quantity,
    "amount": m.Purchase.amount,
    "unit_price": m.Purchase.unit_price,
    "order_no": m.Purchase.order_no,
    "product_id": m.Purchase.product_id,
    "id": m.Purchase.id,
}


@dataclass(frozen=True)
class PurchaseFilters:
    """What to show. ``selected``: True = 中选产品 only, False = non-selected only, None = all."""

    date_from: date | None = None
    date_to: date | None = None
    product_id: int | None = None
    text: str = ""  # generic name, code or order number contains …
    selected: bool | None = None


@dataclass(frozen=True)
class PurchaseRow:
    id: int
    purchase_date: date
    order_no: str | None
    line_no: int | None
    product_id: int
    product_code: str | None
    generic_name: str
    spec: str | None
    manufacturer: str | None
    selected: bool
    quantity: int
    base_unit: str | None
    unit_price: Decimal | None
    amount: Decimal | None
    distributor: str | None
    is_return: bool
    source_file: str | None
    source_row: int | None
    product_suspended_on: date | None = None  # R17: the product's suspension (shown on every row)


def _filtered(stmt: Select, filters: PurchaseFilters) -> Select:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise BadInput(tr("开始日期 {a} 晚于结束日期 {b}。", "Start date {a} is after end date {b}.",
                          a=filters.date_from, b=filters.date_to))
    if filters.date_from is not None:
        stmt = stmt.where(m.Purchase.purchase_date >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(m.Purchase.purchase_date <= filters.date_to)
    if filters.product_id is not None:
        stmt = stmt.where(m.Purchase.product_id == filters.product_id)
    # Product conditions as ``product_id IN (…)``: a few thousand products, so SQLite keeps
    # using the purchase indexes instead of joining 500 000 rows.
    if filters.selected is not None:
        chosen = select(m.Product.id).where(m.Product.selected.is_(filters.selected))
        stmt = stmt.where(m.Purchase.product_id.in_(chosen))
    text = filters.text.strip()
    if text:
        like = f"%{text}%"
        named = select(m.Product.id).where(or_(m.Product.generic_name.like(like), m.Product.code.like(like)))
        stmt = stmt.where(or_(m.Purchase.product_id.in_(named), m.Purchase.order_no.like(like)))
    return stmt


def count_purchases(session: Session, filters: PurchaseFilters | None = None) -> int:
    """How many purchase lines match."""
    stmt = _filtered(select(func.count(m.Purchase.id)), filters or PurchaseFilters())
    return int(session.execute(stmt).scalar_one())


def purchase_ids(session: Session, filters: PurchaseFilters | None = None,
                 order: str = "purchase_date", descending: bool = True,
                 limit: int | None = None) -> list[int]:
    """The matching purchase ids in display order (ties broken by id, same direction)."""
    if order not in ORDER_COLUMNS:
        raise BadInput(tr("不能按“{c}”排序。", "Cannot sort by '{c}'.", c=order))
    column = ORDER_COLUMNS[order]
    keys = [column.desc(), m.Purchase.id.desc()] if descending else [column.asc(), m.Purchase.id.asc()]
    stmt = _filtered(select(m.Purchase.id), filters or PurchaseFilters()).order_by(*keys)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def fetch_purchase_rows(session: Session, ids: Sequence[int]) -> dict[int, PurchaseRow]:
    """The rows for ``ids`` (at most a few hundred at a time), keyed by id."""
    if not ids:
        return {}
    maker = aliased(m.Company)
    dist = aliased(m.Company)
    stmt = (select(m.Purchase.id, m.Purchase.purchase_date, m.Purchase.order_no, m.Purchase.line_no,
                   m.Purchase.product_id, m.Product.code, m.Product.generic_name, m.Product.spec,
                   maker.name, m.Product.selected, m.Purchase.quantity, m.Product.base_unit,
                   m.Purchase.unit_price, m.Purchase.amount, dist.name, m.Purchase.is_return,
                   m.Purchase.source_file, m.Purchase.source_row, m.Product.suspended_on)
            .join(m.Product, m.Product.id == m.Purchase.product_id)
            .outerjoin(maker, maker.id == m.Product.manufacturer_id)
            .outerjoin(dist, dist.id == m.Purchase.distributor_id)
            .where(m.Purchase.id.in_(list(ids))))
    return {row[0]: PurchaseRow(*row) for row in session.execute(stmt)}


@dataclass(frozen=True)
class ProductChoice:
    id: int
    label: str
    selected: bool


def product_choices(session: Session) -> list[ProductChoice]:
    """Products for the purchases page's product filter, selected ones first."""
    stmt = (select(m.Product.id, m.Product.generic_name, m.Product.spec, m.Product.code, m.Product.selected)
            .order_by(m.Product.selected.desc(), m.Product.generic_name, m.Product.id))
    return [ProductChoice(pid, " ".join(x for x in (name, spec or "", f"[{code}]" if code else "") if x),
                          bool(sel))
            for pid, name, spec, code, sel in session.execute(stmt)]
