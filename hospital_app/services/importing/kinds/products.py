"""Product lists (中选产品清单, provincial listings) import — IMPORT.md v2, issue 15.

Each row: the batch (by name, created when new, its kind — R6 v2 — from a 类别 column or the
file's shape), the product (batch + generic name + spec + manufacturer), one of its packs with
its prices per pack and per base unit and its code (several packs per product: 14片/盒 and
20片/盒 both kept), and, when the row has an agreed volume and a period, its agreement period
(R6/R7). A selected-flag column (是否中选, 中选标识, 中选状态, 类型) makes the others
non-selected or catalogue products of their generic name (R9). Empty batch dates are filled
from the file; a stored one is never moved, only warned about (R6, R8, R14).

A row is checked completely before anything of it is written, so ``--skip-invalid`` can leave
it out; the same pack twice with another price, or one period with two volumes, is an error
naming the first row — never "the last row wins".
"""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import Batch, Product
from hospital_app.domain.normalize import normalize_key
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record
from hospital_app.services.importing.kinds.product_book import Entry, Pack, ProductBook
from hospital_app.services.importing.kinds.product_rows import (
    CONSUMABLE,
    RowPack,
    row_kind,
    row_pack,
    selected_flag,
    shape_kind,
)
from hospital_app.services.importing.kinds.volumes import _BatchSpan, _set_batch_dates, _split_names, _supply_role
from hospital_app.services.importing.matching import _Prod
from hospital_app.services.importing.results import CHUNK
from hospital_app.services.importing.run import Run, _RowError


def import_products(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """products: see the module docstring."""
    batches: dict[str, Batch] = {b.name: b for b in run.s.scalars(select(Batch))}
    new_batches: set[str] = set()
    book = ProductBook(run.s, run.companies)
    default_kind = shape_kind(run)
    touched_generics: set[str] = set()
    spans: dict[str, _BatchSpan] = {}
    for rec in run.records():
        try:
            bname = run.text(rec, "batch") or batch
            if not bname:
                raise run.fail(rec, "batch", tr("缺少批次名称（文件无批次列时请用 --batch 指定）",
                                                "No batch name (use --batch when the file has no batch column)"))
            kind = row_kind(run, rec, default_kind)
            flag = selected_flag(run, rec)
            ident = run.identity(rec)
            if not ident["generic"]:
                raise run.fail(rec, "generic_name", tr("“{c}”不能为空：应为{w}名称", "'{c}' must not be empty: "
                                                       "the {we} name", c=run.t.column("generic_name"),
                                                       w=_word(kind), we=_word_en(kind)))
            if not ident["maker"]:
                raise run.fail(rec, "manufacturer", tr("“{c}”不能为空：应为{w}的生产企业", "'{c}' must not be "
                                                       "empty: the {we}'s manufacturer",
                                                       c=run.t.column("manufacturer"), w=_word(kind),
                                                       we=_word_en(kind)))
            rp = row_pack(run, rec, ident, kind)
            period = _row_period(run, rec, ident, rp)
            batch_row = batches.get(bname)
            entry = (book.find(batch_row.id, ident["code"], *_name_key(ident), kind == CONSUMABLE)
                     if batch_row is not None else None)
            pack = entry.packs.get((rp.upp, rp.pack_unit)) if entry is not None and rp.upp else None
            _check_repeats(run, rec, entry, pack, rp, ident, period)
        except _RowError:
            continue
        if batch_row is None:
            batch_row = Batch(name=bname, policy_overrides={}, kind=kind)
            run.s.add(batch_row)
            run.s.flush()
            batches[bname] = batch_row
            new_batches.add(bname)
        elif bname not in new_batches and run.t.has("batch_kind") and batch_row.kind != kind:
            run.warn(rec.row, "batch_kind", tr(
                "批次“{b}”已记录为{old}，文件写的是{new}；已保留原记录，可用“batch set-kind”修改。",
                "Batch '{b}' is recorded as {old} but the file says {new}; kept — change it with 'batch set-kind'.",
                b=bname, old=_kind_label(batch_row.kind), new=_kind_label(kind)))
        outcome = _write_row(run, rec, book, batch_row, entry, pack, ident, rp, flag, kind, period)
        touched_generics.add(ident["keys"][1])
        spans.setdefault(bname, _BatchSpan()).see(rec.row, *(period[1:] if period else (None, None)))
        setattr(run.result, outcome, getattr(run.result, outcome) + 1)
        if len(book.pending) >= CHUNK and not run.total_problems and not run.result.dry_run:
            book.flush()
    if run.total_problems:
        return
    if not run.result.dry_run:
        # Every count and check of a dry run comes from the book (which holds what a real run would
        # write); the rows themselves would be rolled back, so they are not sent (issue 15 item 8).
        book.flush()
    for bname, span in spans.items():
        _set_batch_dates(run, batches[bname], span)
    if touched_generics:
        # Catalogue products of a selected generic name are non-selected (R9).
        selected = select(Product.generic_name_norm).where(Product.selected.is_(True))
        run.s.execute(update(Product).where(Product.category == "catalogue",
                                            Product.generic_name_norm.in_(sorted(touched_generics)),
                                            Product.generic_name_norm.in_(selected))
                      .values(category="nonselected", version=Product.version + 1)
                      .execution_options(synchronize_session=False))


def _word(kind: str) -> str:
    return "耗材" if kind == CONSUMABLE else "药品"


def _word_en(kind: str) -> str:
    return "consumable" if kind == CONSUMABLE else "drug"


def _kind_label(kind: str) -> str:
    return tr("耗材", "consumables") if kind == CONSUMABLE else tr("药品", "drugs")


def _name_key(ident: dict) -> tuple[str, str, str, str]:
    """(name as written, form, spec, manufacturer) keys of the row (see ``ProductBook``)."""
    _code, _generic, form, spec, maker = ident["keys"]
    return normalize_key(ident["generic"]), form, spec, maker


def _row_period(run: Run, rec: Record, ident: dict, rp: RowPack):
    """(volume, start, end) of the row, or None without a volume; checked, not written."""
    if not run.t.has("agreed_volume"):
        return None
    view = _Prod(0, "", "", "", "", "", True, rp.upp, rp.base_unit, rp.pack_unit, "")
    volume, _f = run.to_base_units(rec, "agreed_volume", ident, view, default_pack=False)
    start = run.get(rec, "period_start", V.parse_date)
    end = run.get(rec, "period_end", V.parse_date)
    if volume is None:
        return None
    if volume < 0:
        raise run.fail(rec, "agreed_volume", tr("约定采购量“{v}”不能为负数", "The agreed volume '{v}' must not be "
                                                "negative", v=V.text(rec.values.get("agreed_volume"))))
    if start is None or end is None:
        raise run.fail(rec, "period_start" if start is None else "period_end", tr(
            "有约定采购量时需要执行开始日期和执行结束日期", "An agreed volume needs a period start and end date"))
    if end < start:
        raise run.fail(rec, "period_end", tr("执行结束日期 {e} 早于开始日期 {s}", "The period ends ({e}) before it "
                                             "starts ({s})", e=end.isoformat(), s=start.isoformat()))
    return volume, start, end


def _check_repeats(run: Run, rec: Record, entry: Entry | None, pack: Pack | None, rp: RowPack, ident: dict,
                   period) -> None:
    """The same pack (or period) given twice in one file with other values is an error naming the
    first row (issue 15: never let the last row win silently)."""
    if pack is not None and pack.row is not None and (
            pack.price_per_pack != rp.price_per_pack or pack.price_per_unit != rp.price_per_unit
            or (ident["code"] and pack.code and normalize_key(pack.code) != normalize_key(ident["code"]))):
        raise run.fail(rec, "selected_price", tr(
            "同一产品的同一包装（{p}）已在第 {r} 行出现，价格或编码不同（第 {r} 行：{a} 元/包装，本行：{b} 元/包装）；"
            "请核对后只保留一行",
            "The same pack ({p}) of this product is already on row {r} with another price or code (row {r}: {a} "
            "per pack, this row: {b}); keep one of them", p=rp.pack_desc or rp.upp, r=pack.row,
            a=pack.price_per_pack, b=rp.price_per_pack))
    if entry is not None and period is not None:
        old = entry.periods.get(period[1])
        if old is not None and old[3] is not None and (old[1], old[2]) != (period[2], period[0]):
            raise run.fail(rec, "agreed_volume", tr(
                "同一产品同一协议期的约定采购量已在第 {r} 行给出（{a}），本行为 {b}；请核对后只保留一个",
                "This product's agreed volume for the period is already given on row {r} ({a}); this row says {b}",
                r=old[3], a=old[2], b=period[0]))


def _write_row(run: Run, rec: Record, book: ProductBook, batch: Batch, entry: Entry | None, pack: Pack | None,
               ident: dict, rp: RowPack, flag: str, kind: str, period) -> str:
    """Write (into the book) what the checked row says; returns the result counter to bump."""
    code_key, generic, _form, spec, maker = ident["keys"]
    selected = flag == "selected"
    values = {
        "code": ident["code"], "generic_name": ident["generic"], "generic_name_norm": generic,
        "dosage_form": ident["form"], "spec": rp.spec, "spec_norm": spec or None,
        "pack_desc": rp.pack_desc, "units_per_pack": rp.upp, "base_unit": rp.base_unit,
        "pack_unit": rp.pack_unit, "approval_number": ident["approval"],
        "manufacturer_id": run.companies.later(ident["maker"]),
        "selected": selected, "category": "selected" if selected else "catalogue",
        "supply_role": _supply_role(run, rec) if selected else None, "group_name": run.text(rec, "group"),
        "selected_price": rp.price_per_unit, "batch_id": batch.id,
    }
    created = entry is None
    changed = False
    if created:
        entry = book.add(values, maker, rec.row, code_key if kind == CONSUMABLE else None, ident["maker"])
    else:
        first_pack = entry.values["units_per_pack"] in (None, rp.upp) and entry.values["pack_unit"] in (
            None, rp.pack_unit)
        changes = {}
        for key, value in values.items():
            if value is None and key != "selected_price":
                continue  # a blank cell does not erase what is known (nor a manufacturer not yet written)
            if key in ("units_per_pack", "pack_unit", "pack_desc", "selected_price") and not first_pack:
                continue  # the product's columns describe its first pack; this row adds another
            if key == "code" and entry.values["code"]:
                continue  # a second pack's code stays on the pack
            if key == "category" and entry.values["category"] == "nonselected" and value == "catalogue":
                continue
            if entry.values.get(key) != value:
                changes[key] = value
        book.set(entry, changes)
        changed = bool(changes)
    new_pack = False
    if rp.upp:
        if pack is None:
            book.add_pack(entry, Pack(None, rp.upp, rp.pack_unit, rp.pack_desc, rp.price_per_pack,
                                      rp.price_per_unit, ident["code"], rec.row))
            new_pack = True
        else:
            changes = {k: v for k, v in (("price_per_pack", rp.price_per_pack), ("price_per_unit", rp.price_per_unit),
                                         ("pack_desc", rp.pack_desc), ("code", ident["code"]))
                       if v is not None and getattr(pack, k) != v}
            if changes:
                book.change_pack(entry, pack, **changes)
                changed = True
            pack.row = rec.row
    if period is not None:
        volume, start, end = period
        old = entry.periods.get(start)
        if old is None or (old[1], old[2]) != (end, volume):
            changed = True
        book.set_period(entry, start, end, volume, rec.row)
    for name in _split_names(run.text(rec, "distributor")):
        if book.add_distributor(entry, run.companies.get(name, distributor=True)):
            changed = True
    if created or new_pack:
        return "inserted"  # a new product, or a new pack of a known one
    return "updated" if changed else "unchanged"
