"""Payments of accepted deliveries (R5) and insurance prepayment estimates (R15)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Batch, Company, Order, Payment, Product
from db.types import PRICE
from hospital_app import settings
from hospital_app.domain.findings import Alert
from hospital_app.domain.payments import is_payment_overdue, money, payment_due, prepayment_estimate
from hospital_app.i18n import tr

JSON_KEYS = ("order_no", "company", "accepted_on", "amount", "due", "paid_on", "overdue")


def list_payments(session: Session, as_of: date, open_only: bool = False) -> list[dict]:
    """R5: one row per accepted delivery (order number, distributor, acceptance date).

    ``paid_on`` is the date of the payment that completed the amount (None while the
    recorded payments do not cover it); ``overdue``: unpaid after the end of the month
    following acceptance, at ``as_of``. Amounts are decimal strings (CLI.md).
    As of a date, deliveries accepted later and payments made later are not known yet.
    """
    company = Company.name  # plain column: PostgreSQL needs GROUP BY and SELECT to match
    key = (Order.order_no, company, Order.accepted_on)
    amounts = session.execute(
        select(*key, func.sum(Order.amount)).select_from(Order)
        .outerjoin(Company, Company.id == Order.company_id)
        .where(Order.accepted_on.is_not(None), Order.accepted_on <= as_of).group_by(*key)).all()
    paid = {(no, c, acc): (total, last) for no, c, acc, total, last in session.execute(
        select(*key, func.sum(Payment.amount), func.max(Payment.paid_on)).select_from(Payment)
        .join(Order, Order.id == Payment.order_id).outerjoin(Company, Company.id == Order.company_id)
        .where(Order.accepted_on.is_not(None), Payment.paid_on.is_not(None), Payment.paid_on <= as_of)
        .group_by(*key))}
    rows = []
    for order_no, name, accepted_on, amount in sorted(amounts, key=lambda r: (r[2], r[0], r[1] or "")):
        amount = amount or Decimal(0)
        total, last = paid.get((order_no, name, accepted_on), (None, None))
        paid_on = last if total is not None and total >= amount else None
        due = payment_due(accepted_on)
        overdue = is_payment_overdue(due, paid_on, as_of)
        if open_only and paid_on is not None:
            continue
        rows.append({"order_no": order_no, "company": name or "", "accepted_on": accepted_on,
                     "amount": money(amount), "due": due, "paid_on": paid_on, "overdue": overdue})
    return rows


def payment_alerts(session: Session, as_of: date) -> list[Alert]:
    """R5 findings: unpaid deliveries past their due date, one alert per distributor."""
    by_company: dict[str, list[dict]] = defaultdict(list)
    for row in list_payments(session, as_of, open_only=True):
        if row["overdue"]:
            by_company[row["company"]].append(row)
    alerts = []
    for name, rows in sorted(by_company.items()):
        total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
        first_due = min(r["due"] for r in rows)
        alerts.append(Alert(
            "R5", "warning",
            tr("{c}：{n} 笔已验收货款逾期未付，共 {a} 元（最早应于 {d} 前支付）",
               "{c}: {n} accepted deliveries unpaid past due, {a} yuan in all (earliest due {d})",
               c=name or tr("（未填配送企业）", "(no distributor)"), n=len(rows), a=money(total), d=first_due),
            None, first_due + timedelta(days=1), f"payments:{name}",
            tr("通知财务部门按时回款", "Ask the finance department to pay"),
            {"count": len(rows), "amount": money(total)}))
    return alerts


def prepayment_estimates(session: Session) -> list[dict]:
    """R15: per batch and agreement year, agreed amount (Σ V × selected price) × rate.

    Rate: ``r15_prepay_rate_drug`` (50 %) or ``r15_prepay_rate_consumable`` (30 %),
    overridable per batch. Products without a selected price are counted in
    ``missing_price`` and left out of the amount.
    """
    # PRICE is stored as a scaled integer: Σ volume × scaled price is exact in SQL.
    scaled = func.sum(AgreementPeriod.agreed_volume * type_coerce(Product.selected_price, BigInteger))
    query = (select(Batch.id, AgreementPeriod.year_index, func.min(AgreementPeriod.start),
                    func.max(AgreementPeriod.end), scaled, func.count(Product.selected_price),
                    func.count(AgreementPeriod.id))
             .select_from(AgreementPeriod).join(Product, Product.id == AgreementPeriod.product_id)
             .join(Batch, Batch.id == Product.batch_id).where(Product.selected.is_(True))
             .group_by(Batch.id, AgreementPeriod.year_index)
             .order_by(Batch.id, AgreementPeriod.year_index))
    batches = {b.id: b for b in session.scalars(select(Batch))}
    out = []
    for batch_id, year_index, start, end, raw, priced, lines in session.execute(query):
        batch = batches[batch_id]
        key = "r15_prepay_rate_consumable" if batch.kind == "consumable" else "r15_prepay_rate_drug"
        rate = settings.get(session, key, batch.policy_overrides)
        agreed = PRICE.from_sql_sum(raw)
        out.append({"batch_id": batch_id, "batch": batch.name, "kind": batch.kind,
                    "agreement_year": year_index, "start": start, "end": end,
                    "agreed_amount": money(agreed), "rate": str(rate),
                    "estimate": money(prepayment_estimate(agreed, rate)),
                    "products": lines, "missing_price": lines - priced})
    return out
