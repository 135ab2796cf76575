"""Agreed volumes (约定采购量) import: agreement periods of known selected products (R6/R7);
and the helpers the product import (``kinds.products``) shares with it: batch dates filled
from the file (a stored one is never moved, only warned about), the supply role, name lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.models import AgreementPeriod, Batch, Product
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record
from hospital_app.services.importing.matching import ProductIndex, _Prod
from hospital_app.services.importing.run import Run, _RowError


def _supply_role(run: Run, rec: Record) -> str | None:
    t = run.text(rec, "supply_role")
    if not t:
        return None
    if "是否备供" in run.t.column("supply_role"):
        flag = V.parse_flag(t)
        return None if flag is None else ("backup" if flag else "primary")
    if "备" in t:
        return "backup"
    if "主" in t:
        return "primary"
    return None


_PRODUCT_FIELDS = ("code", "generic_name", "generic_name_norm", "dosage_form", "spec", "spec_norm", "pack_desc",
                   "units_per_pack", "base_unit", "pack_unit", "approval_number", "manufacturer_id",
                   "selected", "category", "supply_role", "group_name", "selected_price", "batch_id")


@dataclass
class _BatchSpan:
    """The earliest 执行开始日期 and latest 执行结束日期 of a batch's rows, with their rows."""

    start: date | None = None
    start_row: int | None = None
    end: date | None = None
    end_row: int | None = None

    def see(self, row: int, start: date | None, end: date | None) -> None:
        if start is not None and (self.start is None or start < self.start):
            self.start, self.start_row = start, row
        if end is not None and (self.end is None or end > self.end):
            self.end, self.end_row = end, row


def _set_batch_dates(run: Run, batch: Batch, span: _BatchSpan) -> None:
    """R8/R14 need the batch's execution start (R6: the cycle end for agreement years).

    An empty date is filled from the file: execution start = the earliest 执行开始日期 of
    the batch's rows, cycle end = the latest 执行结束日期. A stored date is never moved
    by an import: when the file contradicts it — a period starting before the stored
    execution start, or ending after the stored cycle end (or its extension, 顺延) — the
    stored date stays and the result carries a warning. A file of a later agreement year
    (periods starting after the execution start) agrees with it.
    """
    filled: dict[str, str | None] = {}
    if span.start is not None:
        if batch.execution_start is None:
            batch.execution_start = span.start
            filled["execution_start"] = span.start.isoformat()
        elif span.start < batch.execution_start:
            run.warn(span.start_row, "period_start", tr(
                "批次“{b}”已记录的执行开始日期为 {old}，文件中最早的执行开始日期为 {new}。已保留 {old}；"
                "如需更改，请在批次信息中修改。",
                "Batch '{b}' has execution start {old} but the file's earliest period starts {new}. {old} was "
                "kept; change it in the batch details if needed.",
                b=batch.name, old=batch.execution_start.isoformat(), new=span.start.isoformat()))
    if span.end is not None:
        stored_end = batch.extended_to or batch.cycle_end
        if batch.cycle_end is None:
            batch.cycle_end = span.end
            filled["cycle_end"] = span.end.isoformat()
        elif span.end > stored_end:
            run.warn(span.end_row, "period_end", tr(
                "批次“{b}”已记录的周期结束日期为 {old}，文件中最晚的执行结束日期为 {new}。已保留 {old}；"
                "如采购周期已延长（顺延），请在批次信息中修改。",
                "Batch '{b}' has cycle end {old} but the file's latest period ends {new}. {old} was kept; if the "
                "cycle was extended, change it in the batch details.",
                b=batch.name, old=stored_end.isoformat(), new=span.end.isoformat()))
    if filled:
        run.s.flush()
        run.result.batch_dates.append({"batch": batch.name, **filled})


def import_volumes(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """volumes: agreement periods of known selected products (R6/R7). (The products kind has
    its own writer, ``kinds.products``.)"""
    batches: dict[str, Batch] = {b.name: b for b in run.s.scalars(select(Batch))}
    index = ProductIndex(run.s, selected_only=True)
    for rec in run.records():
        try:
            bname = run.text(rec, "batch") or batch
            target = batches.get(bname) if bname else None
            ident = run.identity(rec)
            prod = run.match(rec, index, ident)
            if prod is None:
                raise run.fail(rec, "product_code" if ident["code"] else "generic_name", tr(
                    "找不到对应的中选产品（请先导入中选产品清单）",
                    "No matching selected product (import the selected-product list first)"))
            product = run.s.get(Product, prod.id)
            if target is not None and product.batch_id != target.id:
                raise run.fail(rec, "batch", tr("产品 {p} 不属于批次“{b}”", "Product {p} is not in batch '{b}'",
                                                p=prod.label, b=bname))
            period_changed, period_created = _upsert_period(run, rec, product, ident, required=True)
        except _RowError:
            continue
        if period_created:
            run.result.inserted += 1
        elif period_changed:
            run.result.updated += 1
        else:
            run.result.unchanged += 1


def _split_names(text: str | None) -> list[str]:
    if not text:
        return []
    import re

    return [p.strip() for p in re.split(r"[、,;；/]", text) if p.strip()]


def _upsert_period(run: Run, rec: Record, product: Product, ident: dict, required: bool) -> tuple[bool, bool]:
    prod_view = _Prod(product.id, "", "", "", "", "", True, product.units_per_pack, product.base_unit,
                      product.pack_unit, "")
    volume, _f = run.to_base_units(rec, "agreed_volume", ident, prod_view, default_pack=False) \
        if run.t.has("agreed_volume") else (None, 1)
    start = run.get(rec, "period_start", V.parse_date)
    end = run.get(rec, "period_end", V.parse_date)
    if volume is None:
        if required:
            raise run.fail(rec, "agreed_volume", tr("约定采购量不能为空", "The agreed volume must not be empty"))
        return False, False
    if volume < 0:
        raise run.fail(rec, "agreed_volume", tr("约定采购量不能为负数", "The agreed volume must not be negative"))
    if start is None or end is None:
        raise run.fail(rec, "period_start" if start is None else "period_end", tr(
            "有约定采购量时需要执行开始日期和执行结束日期", "An agreed volume needs a period start and end date"))
    if end < start:
        raise run.fail(rec, "period_end", tr("执行结束日期早于开始日期", "The period ends before it starts"))
    period = run.s.scalars(select(AgreementPeriod).where(AgreementPeriod.product_id == product.id,
                                                         AgreementPeriod.start == start)).first()
    if period is None:
        earlier = run.s.scalars(select(AgreementPeriod.id).where(AgreementPeriod.product_id == product.id,
                                                                 AgreementPeriod.start < start)).all()
        run.s.add(AgreementPeriod(product_id=product.id, start=start, end=end, agreed_volume=volume,
                                  year_index=len(earlier) + 1))
        run.s.flush()
        return False, True
    if period.end != end or period.agreed_volume != volume:
        period.end, period.agreed_volume = end, volume
        run.s.flush()
        return True, False
    return False, False
