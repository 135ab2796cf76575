"""Purchases (采购明细) import: the lines R7/R8/R9 count.

Each line is matched to a product (IMPORT.md); an unmatched line lands as a non-selected
product when its generic name matches a selected product (R9), else as a catalogue product.
Quantities are stored in base units; returns (退货 column or negative amount) are negative.
Lines are written in chunks keyed by ``_line_key`` so re-importing changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from db.models import Product, Purchase
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record
from hospital_app.services.importing.matching import ProductIndex, _Prod
from hospital_app.services.importing.results import AMOUNT_Q, CHUNK, PRICE_Q
from hospital_app.services.importing.run import Run, _line_key, _q, _RowError, _unique
from hospital_app.services.importing.upsert import flush_by_key


def _return_flag(run: Run, rec: Record) -> bool | None:
    """What the line itself says: True (退货 in a type column, 是 in 是否退货), False (否 in a
    return column, or a type such as 采购/入库), None when it says nothing."""
    for fname in ("return_flag", "emergency"):
        t = run.text(rec, fname) if run.t.has(fname) else None
        if not t:
            continue
        if "退" in t or (fname == "return_flag" and V.parse_flag(t) is True and "退" in run.t.column(fname)):
            return True
        if fname == "return_flag" and (V.parse_flag(t) is False or t in ("采购", "入库", "正常", "购进", "进货")):
            return False
    return None


def _is_return(run: Run, rec: Record, qty: int, amount: Decimal | None) -> bool:
    """IMPORT.md: a negative quantity is a return only when the line says so (a return column, or
    a negative amount as well). A line whose signs disagree with each other or with its return
    column is an error for that row (issue 23 item 7: +3 with −9.78 and 是否退货=否 is no return)."""
    flag = _return_flag(run, rec)
    negative_amount = amount is not None and amount < 0
    if flag is True:
        return True
    if flag is False and (qty < 0 or negative_amount):
        raise run.fail(rec, "quantity" if qty < 0 else "amount", tr(
            "“{c}”写的是“{f}”（不是退货），但数量为 {q}、金额为 {a}；退货行应标明退货且数量、金额都为负数，请核对",
            "'{c}' says '{f}' (not a return) but the quantity is {q} and the amount {a}; a return must say so "
            "and have a negative quantity and amount — please check", c=run.t.column("return_flag"),
            f=run.text(rec, "return_flag"), q=qty, a=amount))
    if qty > 0 and negative_amount:
        raise run.fail(rec, "amount", tr(
            "数量为 {q}（正数）但金额为 {a}（负数）：无法判断是否退货；退货行的数量和金额都应为负数，或在退货列中标明",
            "The quantity {q} is positive but the amount {a} is negative: it is unclear whether this is a return; "
            "a return has a negative quantity and amount, or says so in a return column", q=qty, a=amount))
    return negative_amount


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


def _two_quantities(run: Run, rec: Record, ident: dict, prod: _Prod | None, qty: int | None,
                    pack_id: int | None) -> tuple[int, int | None]:
    """IMPORT.md v2 two quantity columns (入库数量 in packs and in base units): the base-unit column
    counts; the pack column is converted through the line's pack and a disagreement is warned
    for that row. Only the pack column given: it is converted."""
    packs, _f = run.to_base_units(rec, "pack_quantity", ident, prod, default_pack=True)
    if qty is None:
        if packs is None:
            raise run.fail(rec, "quantity", tr("“{c}”不能为空", "'{c}' must not be empty", c=run.t.column("quantity")))
        return packs, run.last_pack_id
    if packs is not None and packs != qty:
        run.warn(rec.row, "pack_quantity", tr(
            "“{p}”{pv} 换算为 {n} 个最小单位，与“{b}”{q} 不一致；已按“{b}”{q} 计入，请核对",
            "'{p}' {pv} converts to {n} base units, which disagrees with '{b}' {q}; {q} was counted — please check",
            p=run.t.column("pack_quantity"), pv=V.text(rec.values.get("pack_quantity")), n=packs,
            b=run.t.column("quantity"), q=qty))
    return qty, pack_id


# Cells that identify the product of a line (and the unit of its quantity).
_IDENT_FIELDS = ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "manufacturer",
                 "approval_number", "unit", "pack_unit")

_PURCHASE_COMPARE = ("product_id", "purchase_date", "quantity", "unit_price", "amount", "distributor_id",
                     "is_return", "order_time", "pack_id")


def _flush_purchases(run: Run, pending: list[dict], run_id: int | None) -> None:
    changes = run.purchase_changes
    flush_by_key(run, Purchase, pending, _PURCHASE_COMPARE, run_id,
                 before_update=None if changes is None else (lambda ids: changes.before_update(run.s, ids)))


def import_purchases(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    index = ProductIndex(run.s)
    seen: dict[str, int] = {}
    pending: list[dict] = []
    has_upp = run.t.has("pack")
    has_pack_qty = run.t.has("pack_quantity")
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
            qty, factor = run.to_base_units(rec, "quantity", ident, prod, default_pack=has_upp and not has_pack_qty,
                                            factors=factors, factor_key=raw_ident)
            if qty is None and not has_pack_qty:
                raise run.fail(rec, "quantity", tr("采购数量不能为空", "The quantity must not be empty"))
            pack_id = run.last_pack_id
            if has_pack_qty:
                qty, pack_id = _two_quantities(run, rec, ident, prod, qty, pack_id)
            price = run.get(rec, "purchase_price", V.parse_decimal)
            amount = run.get(rec, "amount", V.parse_decimal)
            is_return = _is_return(run, rec, qty, amount) if qty else False
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
            "amount": amount, "distributor_id": distributor_id, "is_return": is_return, "pack_id": pack_id,
            "source_file": run.t.file, "source_row": rec.row,
        })
        if len(pending) >= CHUNK:
            _flush_purchases(run, pending, run_id)
    if not run.total_problems:
        _flush_purchases(run, pending, run_id)
