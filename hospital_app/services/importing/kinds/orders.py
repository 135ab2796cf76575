"""Orders (订单) import: the placed / responded / delivered / accepted times and the
emergency flag R4 (and R5 payment) work from. Keyed like purchases (IMPORT.md idempotent
keys); a later export fills in times, a blank cell never erases what is known.

R5 v2 payments: a payment-date column (付款日期, 回款日期, 支付日期, 结算日期) with an optional
amount (付款金额, 结算金额) writes a ``payment`` row (source "import") per order line and date;
a date without an amount pays the whole line amount. ``dedup_key`` ("imp:" + the line's key +
the date) keeps a re-import from paying twice; a later export with another amount updates it.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from db.models import Order, Payment
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.services.importing.matching import ProductIndex
from hospital_app.services.importing.results import AMOUNT_Q, CHUNK
from hospital_app.services.importing.run import Run, _line_key, _q, _RowError, _unique
from hospital_app.services.importing.upsert import flush_by_key


_ORDER_COMPARE = ("product_id", "company_id", "quantity", "amount", "placed_at", "responded_at",
                  "delivered_at", "accepted_on", "emergency")


def import_orders(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """Orders for R4/R5: placed / responded / delivered / accepted, emergency flag."""
    index = ProductIndex(run.s)
    seen: dict[str, int] = {}
    rows: list[dict] = []
    payments: list[dict] = []
    for rec in run.records():
        try:
            ident = run.identity(rec)
            prod = run.match(rec, index, ident)
            order_no = run.text(rec, "order_number", required=True)
            line_no = run.get(rec, "line_number", V.parse_int)
            placed = run.get(rec, "order_time", V.parse_datetime, required=True)
            responded = run.get(rec, "response_time", V.parse_datetime)
            delivered = run.get(rec, "delivery_time", V.parse_datetime)
            accepted = run.get(rec, "acceptance_date", V.parse_date)
            emergency_text = run.text(rec, "emergency")
            emergency = bool(emergency_text and V.parse_flag(emergency_text))
            quantity = None
            if run.t.has("quantity") and rec.values.get("quantity") is not None:
                # Orders do not need the quantity (R4 counts orders): an unconvertible one is left out.
                quantity = run.quietly(lambda: run.to_base_units(rec, "quantity", ident, prod,
                                                                 default_pack=run.t.has("pack"))[0])
            amount = _q(run.get(rec, "amount", V.parse_decimal), AMOUNT_Q)
            for later, name in ((responded, "response_time"), (delivered, "delivery_time")):
                if later is not None and later < placed:
                    raise run.fail(rec, name, tr("时间早于下单时间（{p}）", "earlier than the order time ({p})",
                                                 p=placed.isoformat(sep=" ")))
            payment = _payment(run, rec, amount, placed)
            company_id = run.companies.get(run.text(rec, "distributor"), distributor=True)
            key = _unique(_line_key(order_no, line_no, ident, ()), seen)
        except _RowError:
            continue
        if run.total_problems:
            continue
        rows.append({"dedup_key": key, "order_no": order_no, "line_no": line_no, "company_id": company_id,
                     "product_id": prod.id if prod else None, "quantity": quantity, "amount": amount,
                     "placed_at": placed, "responded_at": responded, "delivered_at": delivered,
                     "accepted_on": accepted, "emergency": emergency, "source_file": run.t.file,
                     "source_row": rec.row})
        if payment is not None:
            payments.append({"order_key": key, "paid_on": payment[0], "amount": payment[1]})
        if len(rows) >= CHUNK:
            _flush_orders(run, rows, run_id)
            _flush_payments(run, payments, run_id)
    if not run.total_problems:
        _flush_orders(run, rows, run_id)
        _flush_payments(run, payments, run_id)


def _payment(run: Run, rec, line_amount, placed):
    """(paid on, amount) of the line, or None (R5 v2); checked before anything is written."""
    paid_on = run.get(rec, "paid_on", V.parse_date)
    paid = run.get(rec, "paid_amount", V.parse_decimal)
    if paid_on is None:
        if paid is not None:
            raise run.fail(rec, "paid_on", tr("有付款金额 {a} 但没有付款日期：请填写付款日期",
                                              "A paid amount {a} but no payment date: give the date", a=paid))
        return None
    if paid is None:
        if line_amount is None:
            raise run.fail(rec, "paid_amount" if run.t.has("paid_amount") else "paid_on", tr(
                "有付款日期 {d} 但没有付款金额，这一行也没有金额，无法确定付了多少",
                "A payment date {d} but no paid amount, and the line has no amount to pay in full",
                d=paid_on.isoformat()))
        paid = line_amount
    if paid <= 0:
        raise run.fail(rec, "paid_amount", tr("付款金额“{a}”应大于 0", "The paid amount '{a}' must be above 0", a=paid))
    if paid_on < placed.date():
        raise run.fail(rec, "paid_on", tr("付款日期 {d} 早于下单时间（{p}）", "The payment date {d} is before the "
                                          "order time ({p})", d=paid_on.isoformat(), p=placed.isoformat(sep=" ")))
    return paid_on, _q(paid, AMOUNT_Q)


def _flush_payments(run: Run, pending: list[dict], run_id: int | None) -> None:
    """Payments of flushed order lines: insert new ones, update a changed amount (R5 v2)."""
    if not pending:
        return
    ids = dict(run.s.execute(select(Order.dedup_key, Order.id).where(
        Order.dedup_key.in_({p["order_key"] for p in pending}))).all())
    keys = {f"imp:{p['order_key']}@{p['paid_on'].isoformat()}": p for p in pending}
    existing = dict(run.s.execute(select(Payment.dedup_key, Payment.amount).where(
        Payment.dedup_key.in_(list(keys)))).all())
    inserts = []
    for key, p in keys.items():
        if key not in existing:
            inserts.append({"order_id": ids[p["order_key"]], "amount": p["amount"], "paid_on": p["paid_on"],
                            "source": "import", "dedup_key": key, "import_run_id": run_id, "version": 1})
        elif existing[key] != p["amount"]:
            run.s.execute(update(Payment).where(Payment.dedup_key == key)
                          .values(amount=p["amount"], version=Payment.version + 1))
    if inserts:
        run.s.execute(insert(Payment), inserts)
    pending.clear()


def _flush_orders(run: Run, pending: list[dict], run_id: int | None) -> None:
    # A later export fills in times; a blank cell never erases what is known.
    flush_by_key(run, Order, pending, _ORDER_COMPARE, run_id, keep=lambda _column, new: new is not None)
