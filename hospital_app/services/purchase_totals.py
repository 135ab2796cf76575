"""Purchase sums per product (and month) over a date window, read from the monthly summary.

The calendar months a window covers whole come from ``purchase_month`` (kept equal to the
lines by triggers, db/summaries.py); only the partial months at its two edges are summed
from the purchase lines (SQLite walks ``ix_purchase_product_date`` for them: product, date and
quantity, a skip-scan over the products). Same figures as summing the lines
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
    value: int = 0  # 0.0001 元: the amounts, else unit price × quantity (R20 amount shares)

    def add(self, quantity, amount, amount_lines, value) -> None:
        self.quantity += int(quantity or 0)
        if amount_lines:
            self.amount = (self.amount or 0) + int(amount or 0)
        self.value += int(value or 0)


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


def _queries(session: Session, start: date, upto: date, products, by_month: bool, amounts: bool):
    """The reads of a window: whole months from the summary, each edge from the lines. Rows:
    (product_id, ['YYYY-MM',] quantity[, amount, lines with an amount]); (product, month)
    pairs never repeat across the reads (the edges are months the summary part leaves out)."""
    months, edges = split(start, upto)
    out = []
    if months is not None:
        pm = PurchaseMonth
        keys = [pm.product_id, *([pm.month] if by_month else [])]
        sums = [func.sum(pm.quantity),
                *([func.sum(pm.amount), func.sum(pm.amount_lines), func.sum(pm.value)] if amounts else [])]
        q = select(*keys, *sums).where(pm.month >= months[0], pm.month <= months[1])
        if products is not None:
            q = q.join(Product, Product.id == pm.product_id).where(products)
        out.append(q.group_by(*keys))
    for lo, hi in edges:
        keys = [Purchase.product_id, *([_month_key(session)] if by_month else [])]
        sums = [func.sum(Purchase.quantity),
                *([func.sum(type_coerce(Purchase.amount, BigInteger)), func.count(Purchase.amount),
                   func.sum(line_value())] if amounts else [])]
        q = select(*keys, *sums).where(Purchase.purchase_date >= lo, Purchase.purchase_date <= hi)
        if products is not None:
            q = q.join(Product, Product.id == Purchase.product_id).where(products)
        out.append(q.group_by(*keys))
    return out


def line_value():
    """A purchase line's value in 0.0001 元 as a raw SQL integer (FixedDecimal columns are scaled
    integers: amount ×100, unit price ×10 000): the amount, else unit price × quantity, else
    NULL. The summary's ``value`` sums it (NULL as 0, db/summaries.py)."""
    return func.coalesce(type_coerce(Purchase.amount, BigInteger) * 100,
                         type_coerce(Purchase.unit_price, BigInteger) * Purchase.quantity)


def _fetch(session: Session, queries) -> list[tuple]:
    conn = session.connection()
    rows: list[tuple] = []
    for q in queries:
        rows.extend(conn.execute(q).all())
    return rows


def per_product(session: Session, start: date, upto: date, products=None) -> dict[int, Sums]:
    """Sums per product of the lines dated in [start, upto]; ``products``: an optional SQL
    condition on ``Product`` (e.g. ``Product.generic_name_norm.in_(...)``)."""
    session.flush()
    out: dict[int, Sums] = {}
    for pid, *sums in _fetch(session, _queries(session, start, upto, products, False, True)):
        out.setdefault(pid, Sums()).add(*sums)
    return out


def quantities(session: Session, start: date, upto: date, products=None) -> dict[int, int]:
    """Units per product in [start, upto] (no month split, no amounts): what an assessment
    without month figures reads (``compute_progress(..., months=False)``)."""
    session.flush()
    return {pid: int(qty or 0) for pid, qty in _fetch(session, _queries(session, start, upto, products, False, False))}


def _month(parsed: dict[str, Month], key: str) -> Month:
    month = parsed.get(key)
    if month is None:
        month = parsed[key] = (int(key[:4]), int(key[5:7]))
    return month


def quantities_per_month(session: Session, start: date, upto: date, products=None) -> dict[int, dict[Month, int]]:
    """Units per product and calendar month in [start, upto] — what progress reads for every
    product at every start."""
    session.flush()
    out: dict[int, dict[Month, int]] = {}
    parsed: dict[str, Month] = {}
    for pid, key, qty in _fetch(session, _queries(session, start, upto, products, True, False)):
        months = out.get(pid)
        if months is None:
            months = out[pid] = {}
        months[_month(parsed, key)] = int(qty or 0)
    return out


__all__ = ["Sums", "line_value", "per_product", "quantities_per_month", "split"]
