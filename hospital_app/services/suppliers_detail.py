"""What lies behind a supplier scorecard figure (R4 v2): the orders and the issues of one
company, role and period as of d — the GUI's drill-down and the supplier PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Company, Order, Product, SupplyIssue
from hospital_app import settings
from hospital_app.domain import orders as rules
from hospital_app.services.suppliers import _end_of, issue_outcome, resolve_period


@dataclass
class OrderLineView:
    order_no: str
    line_no: int | None
    product: str
    placed_at: datetime
    responded_at: datetime | None  # as known on d
    delivered_at: datetime | None
    quantity: int | None
    delivered_quantity: int | None
    emergency: bool
    responded_in_time: bool
    delivered_in_time: bool
    in_full: bool


@dataclass
class IssueFactView:
    issue_id: int
    product_id: int
    product: str
    type: str
    reported_at: datetime
    replied_at: datetime | None
    resolved_at: datetime | None
    on_time: bool | None  # None: still inside its dues on d
    escalated: bool


def supplier_orders(session: Session, company_id: int, role: str, as_of: date,
                    quarter: str | None = None, year: int | None = None) -> list[OrderLineView]:
    """R4: every order line of the company in the period, placed by d, with what was known on d."""
    period = resolve_period(as_of, quarter, year)
    now = _end_of(as_of)
    response_h = settings.get(session, "r4_response_hours")
    ordinary = settings.get(session, "r4_delivery_hours_ordinary")
    emergency_h = settings.get(session, "r4_delivery_hours_emergency")
    q = (select(Order, Product.generic_name, Product.spec).outerjoin(Product, Product.id == Order.product_id)
         .where(Order.placed_at >= datetime.combine(period.start, time.min),
                Order.placed_at <= min(_end_of(period.end), now))
         .order_by(Order.placed_at, Order.order_no, Order.line_no))
    q = q.where(Product.manufacturer_id == company_id) if role == "manufacturer" else q.where(Order.company_id == company_id)
    out = []
    for o, name, spec in session.execute(q):
        responded = o.responded_at if o.responded_at and o.responded_at <= now else None
        delivered = o.delivered_at if o.delivered_at and o.delivered_at <= now else None
        in_full = delivered is not None and (o.delivered_quantity is None or o.quantity is None
                                             or o.delivered_quantity >= o.quantity)
        out.append(OrderLineView(
            o.order_no, o.line_no, " ".join(x for x in (name, spec) if x), o.placed_at, responded, delivered,
            o.quantity, o.delivered_quantity if delivered else None, bool(o.emergency),
            rules.responded_in_time(o.placed_at, responded, response_h),
            rules.delivered_in_time(o.placed_at, delivered, bool(o.emergency), ordinary, emergency_h)
            if delivered else False, in_full))
    return out


def supplier_issues(session: Session, company_id: int, role: str, as_of: date,
                    quarter: str | None = None, year: int | None = None) -> list[IssueFactView]:
    """R3/R4: the issues filed against the company in the period (reported by d)."""
    from hospital_app.services.calendar import load_calendar

    period = resolve_period(as_of, quarter, year)
    now = _end_of(as_of)
    cal = load_calendar(session)
    col = SupplyIssue.company_id if role == "manufacturer" else SupplyIssue.distributor_id
    q = (select(SupplyIssue, Product.generic_name, Product.spec).join(Product, Product.id == SupplyIssue.product_id)
         .where(col == company_id, SupplyIssue.reported_at >= datetime.combine(period.start, time.min),
                SupplyIssue.reported_at <= min(_end_of(period.end), now))
         .order_by(SupplyIssue.reported_at, SupplyIssue.id))
    out = []
    for i, name, spec in session.execute(q):
        resolved = i.resolved_at or i.closed_at
        out.append(IssueFactView(
            i.id, i.product_id, " ".join(x for x in (name, spec) if x), i.type, i.reported_at,
            i.replied_at if i.replied_at and i.replied_at <= now else None,
            resolved if resolved and resolved <= now else None,
            issue_outcome(cal, i.reported_at, i.replied_at, i.promised_date, resolved, as_of),
            i.escalated_at is not None and i.escalated_at <= now))
    return out


def company_name(session: Session, company_id: int) -> str:
    from hospital_app.errors import NotFound
    from hospital_app.i18n import tr

    name = session.scalar(select(Company.name).where(Company.id == company_id))
    if name is None:
        raise NotFound(tr("找不到企业：{c}", "No such company: {c}", c=company_id))
    return name
