"""Purchase sums per product (and month) over a date window, read from the monthly summary.

The calendar months a window covers whole come from ``purchase_month`` (kept equal to the
lines by triggers, db/summaries.py); only the partial months at its two edges are summed
from the purchase lines, through the date index. Same figures as summing the lines
(tests/services/test_purchase_totals.py), at a fraction of the cost: a large hospital's
500 000 lines are ~48 000 month rows (issues 17, 21).

Windows are inclusive: [start, upto]. Amounts are raw scaled sums (``AMOUNT.from_sql_sum``)
or None when no line of the group has an amount, like SQL's SUM.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import Session

from db.models import Product, Purchase, PurchaseMonth

Month = tuple[int, int]


@dataclass
class Sums:
    quantity: int = 0
    amount: int | None = None  # scaled (db/types.AMOUNT); None: no line had an amount

    def add(self, quantity, amount, amount_lines) -> None:
        self.quantity += int(quantity or 0)
        if amount_lines:
            self.amount = (self.amount or 0) + int(amount or 0)


def _month_end(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])


def split(start: date, upto: date) -> tuple[tuple[str, str] | None, list[tuple[date, date]]]:
    """The window [start, upto] as (first and last whole month 'YYYY-MM', or None) and the
    partial day ranges left at its edges (at most two)."""
    if upto < start:
        return None, []
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    last = upto if upto == _month_end(upto) else upto.replace(day=1) - timedelta(days=1)
    if first > last:  # no whole month inside: the window is one range of days
        return None, [(start, upto)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if last < upto:
        edges.append((last + timedelta(days=1), upto))
    return (f"{first:%Y-%m}", f"{last:%Y-%m}"), edges


def _month_key(session: Session):
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(Purchase.purchase_date, 1, 7)
    return func.to_char(Purchase.purchase_date, "YYYY-MM")


def _rows(session: Session, start: date, upto: date, products, by_month: bool):
    """(product_id, 'YYYY-MM' or None, quantity, amount, amount lines) of the window."""
    months, edges = split(start, upto)
    out = []
    conn = session.connection()
    if months is not None:
        pm = PurchaseMonth
        key = pm.month if by_month else None
        cols = [pm.product_id, *([key] if by_month else []), func.sum(pm.quantity), func.sum(pm.amount),
                func.sum(pm.amount_lines)]
        q = select(*cols).where(pm.month >= months[0], pm.month <= months[1])
        if products is not None:
            q = q.join(Product, Product.id == pm.product_id).where(products)
        q = q.group_by(pm.product_id, *([key] if by_month else []))
        for row in conn.execute(q):
            out.append(row if by_month else (row[0], None, *row[1:]))
    for lo, hi in edges:
        key = _month_key(session)
        cols = [Purchase.product_id, *([key] if by_month else []), func.sum(Purchase.quantity),
                func.sum(type_coerce(Purchase.amount, BigInteger)), func.count(Purchase.amount)]
        q = select(*cols).where(Purchase.purchase_date >= lo, Purchase.purchase_date <= hi)
        if products is not None:
            q = q.join(Product, Product.id == Purchase.product_id).where(products)
        if session.get_bind().dialect.name == "sqlite":  # a month of lines by date, not every product's
            q = q.with_hint(Purchase, "INDEXED BY ix_purchase_date", "sqlite")
        q = q.group_by(Purchase.product_id, *([key] if by_month else []))
        for row in conn.execute(q):
            out.append(row if by_month else (row[0], None, *row[1:]))
    return out


def per_product(session: Session, start: date, upto: date, products=None) -> dict[int, Sums]:
    """Sums per product of the lines dated in [start, upto]; ``products``: an optional SQL
    condition on ``Product`` (e.g. ``Product.generic_name_norm.in_(...)``)."""
    session.flush()
    out: dict[int, Sums] = {}
    for pid, _, qty, amount, amount_lines in _rows(session, start, upto, products, by_month=False):
        out.setdefault(pid, Sums()).add(qty, amount, amount_lines)
    return out


def per_product_month(session: Session, start: date, upto: date, products=None) -> dict[int, dict[Month, Sums]]:
    """Sums per product and calendar month of the lines dated in [start, upto]."""
    session.flush()
    out: dict[int, dict[Month, Sums]] = {}
    parsed: dict[str, Month] = {}
    for pid, key, qty, amount, amount_lines in _rows(session, start, upto, products, by_month=True):
        month = parsed.get(key)
        if month is None:
            month = parsed[key] = (int(key[:4]), int(key[5:7]))
        out.setdefault(pid, {}).setdefault(month, Sums()).add(qty, amount, amount_lines)
    return out


__all__ = ["Sums", "per_product", "per_product_month", "split"]
