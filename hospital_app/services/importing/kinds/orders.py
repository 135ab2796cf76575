"""Orders (订单) import: the placed / responded / delivered / accepted times and the
emergency flag R4 (and R5 payment) work from. Keyed like purchases (IMPORT.md idempotent
keys); a later export fills in times, a blank cell never erases what is known.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from db.models import Order
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.services.importing.matching import ProductIndex
from hospital_app.services.importing.results import AMOUNT_Q, CHUNK
from hospital_app.services.importing.run import Run, _line_key, _q, _RowError, _unique


_ORDER_COMPARE = ("product_id", "company_id", "quantity", "amount", "placed_at", "responded_at",
                  "delivered_at", "accepted_on", "emergency")


def import_orders(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """Orders for R4/R5: placed / responded / delivered / accepted, emergency flag."""
    index = ProductIndex(run.s)
    seen: dict[str, int] = {}
    rows: list[dict] = []
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
        if len(rows) >= CHUNK:
            _flush_orders(run, rows, run_id)
    if not run.total_problems:
        _flush_orders(run, rows, run_id)


def _flush_orders(run: Run, pending: list[dict], run_id: int | None) -> None:
    if not pending:
        return
    keys = [p["dedup_key"] for p in pending]
    cols = [getattr(Order, c) for c in _ORDER_COMPARE]
    existing = {row[0]: row for row in run.s.execute(
        select(Order.dedup_key, Order.id, *cols).where(Order.dedup_key.in_(keys)))}
    inserts = []
    for p in pending:
        old = existing.get(p["dedup_key"])
        if old is None:
            p["import_run_id"] = run_id
            inserts.append(p)
            continue
        # A later export fills in times; a blank cell never erases what is known.
        changed = {c: p[c] for i, c in enumerate(_ORDER_COMPARE) if p[c] is not None and old[2 + i] != p[c]}
        if changed:
            run.s.execute(update(Order).where(Order.id == old[1]).values(**changed))
            run.result.updated += 1
        else:
            run.result.unchanged += 1
    if inserts:
        run.s.execute(insert(Order), inserts)
        run.result.inserted += len(inserts)
    pending.clear()
