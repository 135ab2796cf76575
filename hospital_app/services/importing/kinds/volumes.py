"""Agreed volumes (约定采购量) import, and the batch-date rules the product import shares.

``products``: the batch (by name, created when new), companies, the selected product with
its selected price per base unit (IMPORT.md: per pack unless the header says per base unit)
and, when the row has an agreed volume and a period, its agreement period (R6/R7). Empty
batch dates are filled from the file; a stored one is never moved, only warned about (R6,
R8, R14). Catalogue products of a now-selected generic name become non-selected (R9).

``volumes``: agreement periods of known selected products only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from db.models import AgreementPeriod, Batch, Product, ProductDistributor
from hospital_app.domain.normalize import normalize_key
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.headers import normalize_header
from hospital_app.importers.table import Record
from hospital_app.services.importing.matching import ProductIndex, _Prod
from hospital_app.services.importing.results import PRICE_Q
from hospital_app.services.importing.run import Run, _q, _RowError


def _per_base_unit(run: Run, rec: Record, glued: str, upp: int | None, base_unit: str | None) -> bool:
    """Is the selected price per base unit? IMPORT.md: per pack unless the header says
    per base unit (最小制剂单位价格, 单位价格, or a bracket such as （元/片））."""
    name, hint = normalize_header(run.t.column("selected_price"))
    if name in ("最小制剂单位价格", "单位价格") or "最小" in hint or "最小" in glued:
        return True
    per = (hint + "/" + glued).split("/")
    units = {u.strip() for u in per if u.strip() and u.strip() != "元"}
    if base_unit and base_unit in units:
        return True
    if units & V.PACK_UNITS:
        return False
    return bool(units & (V.BASE_UNITS - {"瓶", "包"}))


def _price_pack_unit(run: Run, glued: str, base_unit: str | None) -> str | None:
    """The pack a per-pack selected price names ("中选价格（元/盒）", "3.26元/盒"), if exactly one."""
    _name, hint = normalize_header(run.t.column("selected_price"))
    units = {u.strip() for u in (hint + "/" + glued).split("/")} - {"", "元"}
    if len(units) != 1:
        return None
    (unit,) = units
    return unit if unit != base_unit and (unit in V.PACK_UNITS or unit in V.BASE_UNITS) else None


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
    """volumes: agreement periods of known selected products (R6/R7)."""
    _import_products(run, batch, "volumes")


def _import_products(run: Run, batch_name: str | None, kind: str) -> None:
    """products: Batch (by name), Company, selected Product, AgreementPeriod (R6/R7)
    when the row has an agreed volume and a period. volumes: periods of known selected products."""
    batches: dict[str, Batch] = {b.name: b for b in run.s.scalars(select(Batch))}
    index = ProductIndex(run.s, selected_only=(kind == "volumes"))
    touched_generics: set[str] = set()
    spans: dict[str, _BatchSpan] = {}
    for rec in run.records():
        try:
            bname = run.text(rec, "batch") or batch_name
            if not bname and kind == "products":
                raise run.fail(rec, "batch", tr("缺少批次名称（文件无批次列时请用 --batch 指定）",
                                                "No batch name (use --batch when the file has no batch column)"))
            batch = None
            if bname:
                batch = batches.get(bname)
                if batch is None and kind == "products":
                    batch = Batch(name=bname, policy_overrides={})
                    run.s.add(batch)
                    run.s.flush()
                    batches[bname] = batch
            ident = run.identity(rec)
            if kind == "products":
                product, changed, created = _upsert_product(run, rec, ident, batch, index)
                touched_generics.add(product.generic_name_norm)
            else:
                prod = run.match(rec, index, ident)
                if prod is None:
                    raise run.fail(rec, "product_code" if ident["code"] else "generic_name", tr(
                        "找不到对应的中选产品（请先导入中选产品清单）",
                        "No matching selected product (import the selected-product list first)"))
                product = run.s.get(Product, prod.id)
                if batch is not None and product.batch_id != batch.id:
                    raise run.fail(rec, "batch", tr("产品 {p} 不属于批次“{b}”", "Product {p} is not in batch '{b}'",
                                                    p=prod.label, b=bname))
                changed, created = False, False
            period_changed, period_created = _upsert_period(run, rec, product, ident, required=(kind == "volumes"))
            if kind == "products":
                spans.setdefault(bname, _BatchSpan()).see(rec.row, run.get(rec, "period_start", V.parse_date),
                                                          run.get(rec, "period_end", V.parse_date))
        except _RowError:
            continue
        if created or (kind == "volumes" and period_created):
            run.result.inserted += 1
        elif changed or period_changed or period_created:
            run.result.updated += 1
        else:
            run.result.unchanged += 1
    if kind == "products" and not run.total_problems:
        for bname, span in spans.items():
            _set_batch_dates(run, batches[bname], span)
    if kind == "products" and touched_generics and not run.total_problems:
        # Catalogue products of a now-selected generic name are non-selected (R9).
        run.s.execute(update(Product).where(Product.category == "catalogue",
                                            Product.generic_name_norm.in_(sorted(touched_generics)))
                      .values(category="nonselected", version=Product.version + 1)
                      .execution_options(synchronize_session=False))


def _upsert_product(run: Run, rec: Record, ident: dict, batch: Batch, index: ProductIndex):
    code_key, generic, form, spec, maker = ident["keys"]
    if not ident["generic"]:
        raise run.fail(rec, "generic_name", tr("通用名不能为空", "The generic name must not be empty"))
    if not ident["maker"]:
        raise run.fail(rec, "manufacturer", tr("生产企业不能为空", "The manufacturer must not be empty"))
    parsed = run.get(rec, "selected_price", V.parse_number, required=True)
    price, glued = parsed
    if price <= 0:
        raise run.fail(rec, "selected_price", tr("中选价格应大于 0", "The selected price must be above 0"))
    upp = ident["upp"]
    base_unit = ident["base_unit"] or (run.text(rec, "unit") if (run.text(rec, "unit") or "") in V.BASE_UNITS
                                       else None)
    unit_cell = run.text(rec, "unit") or ""
    pack_unit = ident["pack_unit"] or (unit_cell if unit_cell in V.PACK_UNITS else None)
    if not _per_base_unit(run, rec, glued, upp, base_unit):
        if not upp:
            raise run.fail(rec, "selected_price", tr(
                "中选价格按包装计，但没有转换比（包装数量），无法换算为最小制剂单位价格",
                "The selected price is per pack but there is no units-per-pack value to convert it"))
        price = price / upp
        # "中选价格（元/盒）" ÷ 转换比 already reads 转换比 as base units per 盒: 盒 is the pack unit.
        pack_unit = pack_unit or _price_pack_unit(run, glued, base_unit)
    maker_id = run.companies.get(ident["maker"], manufacturer=True)
    values = {
        "code": ident["code"], "generic_name": ident["generic"], "generic_name_norm": generic,
        "dosage_form": ident["form"], "spec": ident["spec"], "spec_norm": spec or None,
        "pack_desc": ident["pack_desc"], "units_per_pack": upp, "base_unit": base_unit,
        "pack_unit": pack_unit,
        "approval_number": ident["approval"], "manufacturer_id": maker_id, "selected": True,
        "category": "selected", "supply_role": _supply_role(run, rec), "group_name": run.text(rec, "group"),
        "selected_price": _q(price, PRICE_Q), "batch_id": batch.id,
    }
    product = _find_selected(run, batch, ident)
    created = product is None
    changed = False
    if created:
        product = Product(**values)
        run.s.add(product)
        run.s.flush()
        index.add(_Prod(product.id, code_key, generic, form, spec, maker, True, upp, base_unit,
                        values["pack_unit"], f"#{product.id} {ident['generic']}"))
    else:
        for key, value in values.items():
            if value is None and key not in ("selected_price",):
                continue  # a blank cell does not erase what is known
            if getattr(product, key) != value:
                setattr(product, key, value)
                changed = True
        if changed:
            run.s.flush()
    for name in _split_names(run.text(rec, "distributor")):
        cid = run.companies.get(name, distributor=True)
        if run.s.get(ProductDistributor, (product.id, cid)) is None:
            run.s.add(ProductDistributor(product_id=product.id, company_id=cid))
            run.s.flush()
            changed = True
    return product, changed, created


def _split_names(text: str | None) -> list[str]:
    if not text:
        return []
    import re

    return [p.strip() for p in re.split(r"[、,;；/]", text) if p.strip()]


def _find_selected(run: Run, batch: Batch, ident: dict) -> Product | None:
    """The product this row describes: same batch and code, else same batch and name key;
    a not-yet-selected product with the same code (bought before the list came) is promoted."""
    _code, generic, _form, spec, maker = ident["keys"]
    if ident["code"]:
        found = run.s.scalars(select(Product).where(Product.code == ident["code"],
                                                    Product.batch_id == batch.id)).first()
        if found is None:
            found = run.s.scalars(select(Product).where(Product.code == ident["code"],
                                                        Product.batch_id.is_(None))).first()
        if found is not None:
            return found
    cands = run.s.scalars(select(Product).where(Product.generic_name_norm == generic,
                                                Product.spec_norm == (spec or None))).all()
    for p in cands:
        pmaker = normalize_key(p.manufacturer.name) if p.manufacturer else ""
        if pmaker == maker and (p.batch_id == batch.id or p.batch_id is None) and (not ident["code"] or not p.code):
            return p
    return None


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
