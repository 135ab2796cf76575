"""Purchases (采购明细) import: the lines R7/R8/R9 count.

Each line is matched to a product (IMPORT.md); an unmatched line lands as a non-selected
product when its generic name matches a selected product (R9), else as a catalogue product.
Quantities are stored in base units; returns (退货 column or negative amount) are negative.
Lines are written in chunks keyed by ``_line_key`` so re-importing changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from db.models import Product, Purchase
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record
from hospital_app.services.importing.matching import ProductIndex, _Prod
from hospital_app.services.importing.results import AMOUNT_Q, CHUNK, PRICE_Q
from hospital_app.services.importing.run import Run, _line_key, _q, _RowError, _unique


def _is_return(run: Run, rec: Record, amount: Decimal | None) -> bool:
    for fname in ("return_flag", "emergency"):
        t = run.text(rec, fname) if run.t.has(fname) else None
        if t and ("退" in t or (fname == "return_flag" and V.parse_flag(t) is True and "退" in run.t.column(fname))):
            return True
    return amount is not None and amount < 0


def _create_product(run: Run, index: ProductIndex, ident: dict, rec: Record) -> _Prod:
    """IMPORT.md: an unmatched line lands as a non-selected product when its generic name
    matches a selected product, else as a catalogue product."""
    code, generic, form, spec, maker = ident["keys"]
    if not ident["generic"]:
        raise run.fail(rec, "product_code", tr(
            "找不到药品编码为“{c}”的产品，且这一行没有通用名，无法新建产品",
            "No product has code '{c}' and the line has no generic name to create one", c=ident["code"]))
    category = "nonselected" if generic in index.selected_generics else "catalogue"
    maker_id = run.companies.get(ident["maker"], manufacturer=True)
    # The units the line's quantity was resolved in (Run.unit_factor) become the product's.
    base_unit = ident["base_unit"] or ident.get("learned_base_unit")
    pack_unit = ident["pack_unit"] or ident.get("learned_pack_unit")
    pid = run.s.connection().execute(Product.__table__.insert().returning(Product.__table__.c.id), {
        "code": ident["code"], "generic_name": ident["generic"], "generic_name_norm": generic,
        "dosage_form": ident["form"], "spec": ident["spec"], "spec_norm": spec or None,
        "pack_desc": ident["pack_desc"], "units_per_pack": ident["upp"], "base_unit": base_unit,
        "pack_unit": pack_unit, "approval_number": ident["approval"], "manufacturer_id": maker_id,
        "selected": False, "category": category, "version": 1,
        "suspension_reported_to": [],
    }).scalar_one()
    prod = _Prod(pid, code, generic, form, spec, maker, False, ident["upp"], base_unit,
                 pack_unit, f"#{pid} {ident['generic']} {ident['spec'] or ''}")
    index.add(prod)
    run.result.created_products += 1
    return prod


# Cells that identify the product of a line (and the unit of its quantity).
_IDENT_FIELDS = ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "manufacturer",
                 "approval_number", "unit")

_PURCHASE_COMPARE = ("product_id", "purchase_date", "quantity", "unit_price", "amount", "distributor_id",
                     "is_return", "order_time")


def _flush_purchases(run: Run, pending: list[dict], run_id: int | None) -> None:
    if not pending:
        return
    keys = [p["dedup_key"] for p in pending]
    cols = [getattr(Purchase, c) for c in _PURCHASE_COMPARE]
    existing = {row[0]: row for row in run.s.execute(
        select(Purchase.dedup_key, Purchase.id, *cols).where(Purchase.dedup_key.in_(keys)))}
    inserts, updates = [], []
    for p in pending:
        old = existing.get(p["dedup_key"])
        if old is None:
            p["import_run_id"] = run_id
            inserts.append(p)
            continue
        changed = {c: p[c] for i, c in enumerate(_PURCHASE_COMPARE) if old[2 + i] != p[c]}
        if changed:
            changed["id"] = old[1]
            updates.append(changed)
        else:
            run.result.unchanged += 1
    if inserts:
        run.s.connection().execute(Purchase.__table__.insert(), inserts)
        run.result.inserted += len(inserts)
    for u in updates:
        pid = u.pop("id")
        run.s.execute(update(Purchase).where(Purchase.id == pid).values(**u))
        run.result.updated += 1
    pending.clear()


def import_purchases(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    index = ProductIndex(run.s)
    seen: dict[str, int] = {}
    pending: list[dict] = []
    has_upp = run.t.has("pack")
    idents: dict[tuple, tuple[dict, _Prod | None]] = {}
    factors: dict = {}
    distributors: dict[object, int | None] = {}
    for rec in run.records():
        try:
            raw_ident = tuple(map(rec.values.get, _IDENT_FIELDS))
            cached = idents.get(raw_ident)
            if cached is None or cached[1] is None:
                ident = run.identity(rec)
                prod = run.match(rec, index, ident)
                idents[raw_ident] = (ident, prod)
            else:
                ident, prod = cached
            order_no = run.text(rec, "order_number")
            line_no = run.get(rec, "line_number", V.parse_int)
            order_time = run.get(rec, "order_time", V.parse_datetime)
            pdate = run.get(rec, "purchase_date", V.parse_date)
            if pdate is None:
                if order_time is None:
                    raise run.fail(rec, "purchase_date" if run.t.has("purchase_date") else "order_time",
                                   tr("缺少采购日期", "The purchase date is missing"))
                pdate = order_time.date()
            qty, factor = run.to_base_units(rec, "quantity", ident, prod, default_pack=has_upp,
                                            factors=factors, factor_key=raw_ident)
            if qty is None:
                raise run.fail(rec, "quantity", tr("采购数量不能为空", "The quantity must not be empty"))
            price = run.get(rec, "purchase_price", V.parse_decimal)
            amount = run.get(rec, "amount", V.parse_decimal)
            is_return = _is_return(run, rec, amount)
            if qty == 0:
                raise run.fail(rec, "quantity", tr("采购数量为 0", "The quantity is 0"))
            if qty < 0 and not is_return:
                raise run.fail(rec, "quantity", tr(
                    "采购数量为负数（{q}），但这一行没有标明退货（退货列或负金额）",
                    "Negative quantity ({q}) but the line is not marked as a return (return column or "
                    "negative amount)", q=qty))
            if is_return and qty > 0:
                qty = -qty
            if prod is None:
                prod = _create_product(run, index, ident, rec)
                idents[raw_ident] = (ident, prod)
            unit_price = _q(price / factor, PRICE_Q) if price is not None else None
            if amount is None and price is not None:
                amount = price * abs(qty) / factor
            if amount is not None and is_return and amount > 0:
                amount = -amount
            amount = _q(amount, AMOUNT_Q)
            raw_dist = rec.values.get("distributor")
            if raw_dist in distributors:
                distributor_id = distributors[raw_dist]
            else:
                distributor_id = distributors[raw_dist] = run.companies.get(run.text(rec, "distributor"),
                                                                            distributor=True)
            key = _unique(_line_key(order_no, line_no, ident, (
                ident["keys"], ident["base_unit"], distributor_id, pdate, order_time,
                qty, unit_price, amount)), seen)
        except _RowError:
            continue
        if run.total_problems:
            continue  # nothing will be written: only keep checking
        pending.append({
            "product_id": prod.id, "dedup_key": key, "order_no": order_no, "line_no": line_no,
            "order_time": order_time, "purchase_date": pdate, "quantity": qty, "unit_price": unit_price,
            "amount": amount, "distributor_id": distributor_id, "is_return": is_return,
            "source_file": run.t.file, "source_row": rec.row,
        })
        if len(pending) >= CHUNK:
            _flush_purchases(run, pending, run_id)
    if not run.total_problems:
        _flush_purchases(run, pending, run_id)
