"""Payments of accepted deliveries (R5 v2: part payments, by hand or imported, as of d) and
insurance prepayment estimates (R15)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from itertools import islice

from sqlalchemy import BigInteger, String, and_, func, literal_column, null, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Batch, Company, Order, Payment, Product
from db.sql_hints import indexed_by
from db.types import AMOUNT, PRICE
from hospital_app import settings
from hospital_app.domain.findings import Alert
from hospital_app.domain.payments import (
    CENT,
    allocate,
    is_paid_late,
    is_payment_overdue,
    money,
    overdue_accepted_before,
    payment_due,
    prepayment_estimate,
)
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.services import audit
from hospital_app.services.orders import one_line_per_order

#: The keys of ``payments --json`` (CLI.md; version 2 adds ``paid_amount`` and ``paid_late``).
JSON_KEYS = ("order_no", "company", "accepted_on", "amount", "due", "paid_on", "overdue", "paid_amount",
             "paid_late")


def _deliveries(session: Session, as_of: date, accepted_from: date | None = None,
                accepted_before: date | None = None):
    """R5: one row per accepted delivery (order number, distributor, acceptance date) known on
    ``as_of``, with its amount and what was paid by then, aggregated in SQL, in the order
    (acceptance date, order number, distributor).

    Columns: order_no, company_id, accepted_on, amount, paid (scaled integers, see db/types),
    last (latest payment date up to ``as_of``), payments (their count). Also returns the
    HAVING condition of an unpaid delivery: no payment known yet, or less than the amount.

    When every order is one line (``one_line_per_order``) each delivery is one order row:
    its payments are joined directly (``ix_payment_order_paid``) and the GROUP BY follows
    ``ix_orders_accepted_cover``, so nothing is sorted. Otherwise the payments are summed
    per line first and the lines per delivery (issue 21: same figures either way).
    """
    known = and_(Payment.paid_on.is_not(None), Payment.paid_on <= as_of)
    if one_line_per_order(session):
        amount = func.coalesce(func.max(type_coerce(Order.amount, BigInteger)), 0)
        paid = func.coalesce(func.sum(type_coerce(Payment.amount, BigInteger)), 0)
        count = func.count(Payment.id)
        query = (select(Order.order_no, Order.company_id, Order.accepted_on, amount.label("amount"),
                        paid.label("paid"), func.max(Payment.paid_on).label("last"), count.label("payments"))
                 .select_from(Order).outerjoin(Payment, and_(Payment.order_id == Order.id, known)))
    else:
        pay = (select(Payment.order_id, func.sum(type_coerce(Payment.amount, BigInteger)).label("paid"),
                      func.max(Payment.paid_on).label("last"), func.count(Payment.id).label("n"))
               .where(known).group_by(Payment.order_id).subquery())
        amount = func.coalesce(func.sum(type_coerce(Order.amount, BigInteger)), 0)
        paid = func.coalesce(func.sum(pay.c.paid), 0)
        count = func.coalesce(func.sum(pay.c.n), 0)
        query = (select(Order.order_no, Order.company_id, Order.accepted_on, amount.label("amount"),
                        paid.label("paid"), func.max(pay.c.last).label("last"), count.label("payments"))
                 .select_from(Order).outerjoin(pay, pay.c.order_id == Order.id))
    query = (query.where(Order.accepted_on.is_not(None), Order.accepted_on <= as_of)
             .group_by(Order.accepted_on, Order.order_no, Order.company_id))
    if accepted_from is not None:
        query = query.where(Order.accepted_on >= accepted_from)
    if accepted_before is not None:
        query = query.where(Order.accepted_on < accepted_before)
    return query, or_(count == 0, paid < amount)


def _money_text(raw) -> str:
    """A raw SQL sum of an AMOUNT column (integer fen) as CLI.md's decimal string: the same text
    as ``money(AMOUNT.from_sql_sum(raw))`` without two Decimal round trips per row."""
    fen = int(raw or 0)
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _unsettled(as_of: date, bound: date, *columns):
    """R5: the lines accepted before ``bound`` (and by ``as_of``) not settled on ``as_of`` —
    ``settled_on`` NULL or later than d — as two range reads of ``ix_orders_settled`` (UNION ALL).
    A line settled by d is paid on d (db/order_summaries.py), so every unpaid delivery has such
    a line; the converse is checked by the exact sums afterwards."""
    o = indexed_by(Order.__table__, "ix_orders_settled", "unsettled")
    accepted = (o.c.accepted_on.is_not(None), o.c.accepted_on < bound, o.c.accepted_on <= as_of)
    cols = [o.c[name] for name in columns]
    return union_all(select(*cols).where(o.c.settled_on.is_(None), *accepted),
                     select(*cols).where(o.c.settled_on > as_of, *accepted))


def _overdue(session: Session, as_of: date):
    """R5: the deliveries accepted before ``overdue_accepted_before(as_of)`` and not paid in full
    on ``as_of`` (the overdue ones), with the columns of ``_deliveries``, in its order.

    An overdue delivery can be years old, but only the lines not settled on d can belong to
    one (``_unsettled``, issue 21): ~22 000 of 500 000 at hospital scale. When every order is
    one line, each such line's payments known on d are summed (``ix_payment_order_paid``) and
    the line kept when they fall short. Otherwise the per-delivery GROUP BY of ``_deliveries``
    over the order numbers having such a line. Same figures as summing every delivery.
    """
    bound = overdue_accepted_before(as_of)
    if not one_line_per_order(session):
        query, unpaid = _deliveries(session, as_of, accepted_before=bound)
        numbers = _unsettled(as_of, bound, "order_no").subquery()
        return (query.where(Order.order_no.in_(select(numbers.c.order_no))).having(unpaid)
                .order_by(Order.accepted_on, Order.order_no, Order.company_id))
    o = _unsettled(as_of, bound, "id", "order_no", "company_id", "accepted_on", "amount").subquery("delivery")
    paid = (select(func.sum(type_coerce(Payment.amount, BigInteger)))
            .where(Payment.order_id == o.c.id, Payment.paid_on.is_not(None), Payment.paid_on <= as_of)
            .scalar_subquery())
    amount = func.coalesce(type_coerce(o.c.amount, BigInteger), 0)
    # Unpaid: no payment known yet (the sum is NULL), or less than the amount — one evaluation
    # of the correlated sum per line (NULL stands for one fen less than the amount).
    return (select(o.c.order_no, o.c.company_id, o.c.accepted_on, amount.label("amount"), paid.label("paid"),
                   null().label("last"), literal_column("0").label("payments"))
            .where(func.coalesce(paid, amount - 1) < amount)
            .order_by(o.c.accepted_on, o.c.order_no, o.c.company_id))


def _iter_rows(session: Session, query, as_of: date, names: dict[int, str]) -> Iterator[dict]:
    # Dates come back as they are stored and are parsed once per distinct day (a few hundred
    # days for 500 000 deliveries), not once per row (issue 21).
    raw_dates = query.with_only_columns(
        *(type_coerce(c, String) if c.name in ("accepted_on", "last") else c for c in query.selected_columns))
    days: dict = {}
    dues: dict[date, date] = {}

    def day(value):
        if value is None or isinstance(value, date):
            return value
        parsed = days.get(value)
        if parsed is None:
            parsed = days[value] = date.fromisoformat(value)
        return parsed

    # closed when the caller stops early (the dashboard reads the first 200 of 20 000)
    with session.connection().execution_options(yield_per=5000).execute(raw_dates) as result:
        for order_no, company_id, accepted_on, raw_amount, raw_paid, last, count in result:
            accepted_on = day(accepted_on)
            total, paid_amount = int(raw_amount or 0), int(raw_paid or 0)
            paid_on = day(last) if count and paid_amount >= total else None
            due = dues.get(accepted_on)
            if due is None:
                due = dues[accepted_on] = payment_due(accepted_on)
            yield {"order_no": order_no, "company": names.get(company_id, ""), "accepted_on": accepted_on,
                   "amount": _money_text(total), "due": due, "paid_on": paid_on,
                   "overdue": is_payment_overdue(due, paid_on, as_of), "paid_amount": _money_text(paid_amount),
                   "paid_late": is_paid_late(due, paid_on)}


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Company.id, Company.name)).all())


def list_payments(session: Session, as_of: date, open_only: bool = False,
                  accepted_from: date | None = None, accepted_to: date | None = None) -> list[dict]:
    """R5 v2: one row per accepted delivery known on ``as_of`` (order number, distributor, acceptance).

    ``paid_amount``: the payments dated up to ``as_of``; ``paid_on``: the date of the payment
    that completed the amount (None while the payments do not cover it); ``overdue``: unpaid
    after the end of the month following acceptance; ``paid_late``: paid after that date.
    Deliveries accepted later and payments dated later are not known yet. Amounts are
    decimal strings (CLI.md). Aggregated in SQL (GROUP BY), bounded by the acceptance dates.
    ``open_only`` without dates: the overdue deliveries (``_overdue``, read from the covering
    indexes) and the unpaid ones accepted since the overdue bound (date-bounded).
    """
    return list(iter_payments(session, as_of, open_only, accepted_from, accepted_to))


def iter_payments(session: Session, as_of: date, open_only: bool = False,
                  accepted_from: date | None = None, accepted_to: date | None = None) -> Iterator[dict]:
    """``list_payments``' rows one at a time, fetched in chunks (``payments --json`` streams
    500 000 of them without holding them all; the dashboard reads the first few)."""
    session.flush()
    names = _names(session)
    for query in _queries(session, as_of, open_only, accepted_from, accepted_to):
        yield from _iter_rows(session, query, as_of, names)


def first_open(session: Session, as_of: date, limit: int) -> list[dict]:
    """The first ``limit`` rows ``list_payments(session, as_of, open_only=True)`` lists (overdue
    first, then by due date): the dashboard's list, without reading the rest."""
    rows = iter_payments(session, as_of, open_only=True)
    try:
        return list(islice(rows, limit))
    finally:
        rows.close()  # the rest is never read: release the cursor now


def count_open(session: Session, as_of: date, alerts: list[Alert] | None = None) -> int:
    """How many deliveries ``list_payments(session, as_of, open_only=True)`` lists, counted in
    SQL over the same queries (the dashboard's figure, without making 20 000 rows).

    ``alerts``: the R5 findings of ``payment_alerts(session, as_of)`` when the caller has them —
    their counts are the overdue deliveries already counted (the same ``_overdue`` read), so
    only the deliveries not yet due are counted here."""
    session.flush()
    queries = _queries(session, as_of, True, None, None)
    counted = 0
    if alerts is not None:  # the first query is the overdue one (``_queries``)
        queries = queries[1:]
        counted = sum(a.extra["count"] for a in alerts if a.rule == "R5")
    return counted + sum(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
                         for query in queries)


def _queries(session: Session, as_of: date, open_only: bool, accepted_from: date | None,
             accepted_to: date | None) -> list:
    """The reads behind ``list_payments``, in its order. ``open_only`` without dates: the overdue
    deliveries (``_overdue``, read from the covering indexes), then the unpaid ones accepted
    since the overdue bound (date-bounded) — acceptance order throughout, so also due order."""
    out = []
    if open_only and accepted_from is None and accepted_to is None:
        out.append(_overdue(session, as_of))
        accepted_from = overdue_accepted_before(as_of)
    query, unpaid = _deliveries(session, as_of, accepted_from,
                                accepted_to + timedelta(days=1) if accepted_to else None)
    if open_only:
        query = query.having(unpaid)
    out.append(query.order_by(Order.accepted_on, Order.order_no, Order.company_id))
    return out


def payment_alerts(session: Session, as_of: date) -> list[Alert]:
    """R5 findings: unpaid deliveries past their due date, one alert per distributor
    (count, outstanding amount, the earliest due date).

    One date-bounded SQL aggregate (issue 21): the overdue deliveries (``_overdue``, read from
    ``ix_orders_settled``) grouped per distributor, so only a row per distributor comes back
    (the overdue deliveries — 1 542 of the 21 896 unpaid ones of the scale demo — are never
    made into rows)."""
    session.flush()
    o = _overdue(session, as_of).order_by(None).subquery("overdue")
    outstanding = func.sum(o.c.amount - func.coalesce(o.c.paid, 0))
    query = (select(o.c.company_id, func.count(), outstanding, func.min(o.c.accepted_on))
             .group_by(o.c.company_id))
    names = _names(session)
    per_company: dict[str, list] = {}
    for company_id, n, fen, first in session.execute(query):
        first = first if isinstance(first, date) else date.fromisoformat(first)
        entry = per_company.setdefault(names.get(company_id, ""), [0, 0, first])
        entry[0] += int(n)
        entry[1] += int(fen or 0)
        entry[2] = min(entry[2], first)
    alerts = []
    for name, (n, fen, first_accepted) in sorted(per_company.items()):
        first_due = payment_due(first_accepted)
        amount = _money_text(fen)
        alerts.append(Alert(
            "R5", "warning",
            tr("{c}：{n} 笔已验收货款逾期未付，未付 {a} 元（最早应于 {d} 前支付）",
               "{c}: {n} accepted deliveries unpaid past due, {a} yuan outstanding (earliest due {d})",
               c=name or tr("（未填配送企业）", "(no distributor)"), n=n, a=amount, d=first_due),
            None, first_due + timedelta(days=1), f"payments:{name}",
            tr("通知财务部门按时付款", "Ask the finance department to pay"),
            {"count": n, "amount": amount}))
    return alerts


@dataclass(frozen=True)
class PaymentRecorded:
    """What ``payments record`` did: the amount paid, spread over the order's lines."""

    order_no: str
    paid_on: date
    amount: Decimal
    outstanding_before: Decimal
    outstanding_after: Decimal
    payment_ids: list[int]

    @property
    def paid_in_full(self) -> bool:
        return self.outstanding_after == 0

    def as_dict(self) -> dict:
        return {"order_no": self.order_no, "paid_on": self.paid_on, "amount": money(self.amount),
                "outstanding_before": money(self.outstanding_before),
                "outstanding_after": money(self.outstanding_after), "paid_in_full": self.paid_in_full,
                "payment_ids": list(self.payment_ids)}


def _parse_amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise BadInput(tr("金额应为数字（元）：{a}", "the amount must be a number (yuan): {a}", a=amount),
                       column="--amount") from None
    if not value.is_finite() or value <= 0:
        raise BadInput(tr("金额应大于 0：{a}", "the amount must be above 0: {a}", a=amount), column="--amount")
    if value != value.quantize(CENT):
        raise BadInput(tr("金额最多两位小数：{a}", "the amount has at most 2 decimal places: {a}", a=amount),
                       column="--amount")
    return value


def record_payment(session: Session, order_no: str, paid_on: date, amount=None, reference: str | None = None,
                   who: str | None = None, today: date | None = None) -> PaymentRecorded:
    """R5 v2: record a payment of an accepted order by hand (possibly a part payment).

    No ``amount`` pays the rest. The payment fills the outstanding amounts of the order's
    lines accepted by ``paid_on`` in acceptance order (one ``payment`` row per line touched,
    ``source="manual"``, audited). Refused: an unknown order (exit 3), a payment dated
    before acceptance or in the future (exit 3), more than is outstanding or an order
    already paid in full (exit 4). Outstanding counts every recorded payment, whatever its date.
    """
    who = who or audit.current_user()
    order_no = (order_no or "").strip()
    value = None if amount is None else _parse_amount(amount)
    if paid_on > (today or date.today()):
        raise BadInput(tr("付款日期 {d} 晚于今天", "the payment date {d} is in the future", d=paid_on),
                       column="--paid-on")
    lines = session.scalars(select(Order).where(Order.order_no == order_no)
                            .order_by(Order.accepted_on, Order.line_no, Order.id)).all()
    if not lines:
        raise NotFound(tr("找不到订单：{no}", "No such order: {no}", no=order_no))
    accepted = [o for o in lines if o.accepted_on is not None]
    if not accepted:
        raise Conflict(tr("订单 {no} 尚未验收，不能登记付款", "Order {no} has not been accepted; "
                         "a payment cannot be recorded", no=order_no))
    payable = [o for o in accepted if o.accepted_on <= paid_on and o.amount is not None]
    if not payable:
        first = min(o.accepted_on for o in accepted)
        raise BadInput(tr("付款日期 {d} 早于订单 {no} 的验收日期 {a}", "the payment date {d} is before order {no} "
                          "was accepted ({a})", d=paid_on, no=order_no, a=first), column="--paid-on")
    paid = dict(session.execute(select(Payment.order_id, func.sum(type_coerce(Payment.amount, BigInteger)))
                                .where(Payment.order_id.in_([o.id for o in payable]))
                                .group_by(Payment.order_id)).all())
    owed = [max(o.amount - AMOUNT.from_sql_sum(paid.get(o.id)), Decimal(0)) for o in payable]
    outstanding = sum(owed, Decimal(0))
    if outstanding == 0:
        raise Conflict(tr("订单 {no} 已全部付清", "Order {no} is already paid in full", no=order_no))
    value = outstanding if value is None else value
    if value > outstanding:
        raise Conflict(tr("付款 {a} 元超过订单 {no} 未付金额 {o} 元", "The payment of {a} yuan exceeds the "
                         "{o} yuan outstanding on order {no}", a=money(value), no=order_no, o=money(outstanding)))
    ids = []
    for line, part in zip(payable, allocate(value, owed)):
        if part == 0:
            continue
        payment = Payment(order_id=line.id, amount=part, paid_on=paid_on, reference=reference, source="manual",
                          recorded_by=who)
        session.add(payment)
        session.flush()
        ids.append(payment.id)
        audit.record(session, who, "payment.record", "payment", payment.id, None,
                     {"order_no": order_no, "line_no": line.line_no, "amount": part, "paid_on": paid_on,
                      "reference": reference})
    return PaymentRecorded(order_no, paid_on, value, outstanding, outstanding - value, ids)


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
