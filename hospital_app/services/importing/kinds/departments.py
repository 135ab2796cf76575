"""Department usage (科室领用/发药/消耗) import, R21 (IMPORT.md "Department usage").

The hospital's HIS export: a department (科室, 科室名称, 使用科室, 申领科室, 开单科室, 病区), the
product as in purchases (code, or generic name/spec/manufacturer), a quantity with its unit
(packs are converted with the product's units per pack, as for purchases) and a date.
Returns (退药/退库 in a type column, or a negative quantity so marked) are stored negative.

Same rules as purchases: one run = one transaction, every problem listed with sheet, row and
column, dry run rolls back, idempotent by ``dedup_key`` (a hash of the line's department,
product, date and quantity; the same line twice in one file is two lines). A line of a
product that is not on record:
- its generic name belongs to a selected product → created as a non-selected product (R9);
- otherwise (a drug outside volume-based procurement) → skipped, counted in one warning.
Department names are normalised (``department_names.DepartmentResolver``).
"""

from __future__ import annotations

import hashlib

from db.models import DepartmentUsage
from hospital_app.domain.departments import normalize_department
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record
from hospital_app.services.department_names import DepartmentResolver
from hospital_app.services.importing.kinds.purchases import _create_product
from hospital_app.services.importing.matching import ProductIndex, _Prod
from hospital_app.services.importing.results import CHUNK
from hospital_app.services.importing.run import Run, _RowError, _unique
from hospital_app.services.importing.upsert import flush_by_key

_IDENT_FIELDS = ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "manufacturer",
                 "approval_number", "unit")
_COMPARE = ("department_id", "product_id", "usage_date", "quantity", "is_return")
_SKIPPED_SHOWN = 10


def _is_return(run: Run, rec: Record) -> bool:
    """退药/退库 (any 退 in the line's type column) marks a return."""
    if not run.t.has("return_flag"):
        return False
    t = run.text(rec, "return_flag")
    return bool(t) and ("退" in t or (V.parse_flag(t) is True and "退" in run.t.column("return_flag")))


def _flush(run: Run, pending: list[dict], run_id: int | None) -> None:
    # A line of a department merged since keeps its new department.
    flush_by_key(run, DepartmentUsage, pending, _COMPARE, run_id, keep=lambda column, _new: column != "department_id")


def import_departments(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """R21: the writer of ``import departments`` (see module docstring)."""
    index = ProductIndex(run.s)
    depts = DepartmentResolver(run.s)
    seen: dict[bytes, int] = {}  # digests of the keys met in this file (_unique)
    pending: list[dict] = []
    has_upp = run.t.has("pack")
    idents: dict[tuple, tuple[dict, _Prod | None]] = {}
    factors: dict = {}
    dept_keys: dict[object, str] = {}
    dept_ids: dict[object, int] = {}
    skipped: list[int] = []
    returns: dict[object, bool] = {}  # raw type cell → is a return (a few distinct values)
    dates: dict[object, object] = {}  # raw date cell → date (365 distinct in a year's export)
    for rec in run.records():
        try:
            raw_dept = rec.values.get("department")
            dept_norm = dept_keys.get(raw_dept)
            if dept_norm is None:
                name = run.text(rec, "department", required=True)
                dept_norm = normalize_department(name)
                if not dept_norm:
                    raise run.fail(rec, "department", tr("科室不能为空", "The department must not be empty"))
                dept_keys[raw_dept] = dept_norm
            raw_ident = tuple(map(rec.values.get, _IDENT_FIELDS))
            cached = idents.get(raw_ident)
            if cached is None:
                ident = run.identity(rec)
                prod = run.match(rec, index, ident)
                idents[raw_ident] = (ident, prod)
            else:
                ident, prod = cached
            if prod is None and ident["keys"][1] not in index.selected_generics:
                if not ident["generic"]:
                    raise run.fail(rec, "product_code", tr(
                        "找不到药品编码为“{c}”的产品，且这一行没有通用名",
                        "No product has code '{c}' and the line has no generic name", c=ident["code"]))
                skipped.append(rec.row)
                continue
            raw_date = rec.values.get("usage_date")
            udate = dates.get(raw_date) if raw_date is not None else None
            if udate is None:
                udate = run.get(rec, "usage_date", V.parse_date, required=True)
                dates[raw_date] = udate
            qty, _factor = run.to_base_units(rec, "quantity", ident, prod, default_pack=has_upp,
                                             factors=factors, factor_key=raw_ident)
            if qty is None:
                raise run.fail(rec, "quantity", tr("数量不能为空", "The quantity must not be empty"))
            if qty == 0:
                raise run.fail(rec, "quantity", tr("数量为 0", "The quantity is 0"))
            raw_type = rec.values.get("return_flag")
            is_return = returns.get(raw_type)
            if is_return is None:
                is_return = returns[raw_type] = _is_return(run, rec)
            if qty < 0 and not is_return:
                raise run.fail(rec, "quantity", tr(
                    "数量为负数（{q}），但这一行没有标明退药/退库",
                    "Negative quantity ({q}) but the line is not marked as a return (退药/退库)", q=qty))
            if is_return and qty > 0:
                qty = -qty
            if prod is None:
                prod = _create_product(run, index, ident, rec)
                idents[raw_ident] = (ident, prod)
            fields = (dept_norm, ident["keys"], ident["base_unit"], udate.isoformat(), qty, is_return)
            digest = hashlib.sha1(repr(fields).encode("utf-8")).digest()
            key = _unique("d:" + digest.hex(), seen, digest)
        except _RowError:
            continue
        if run.total_problems:
            continue  # nothing will be written: only keep checking
        dept_id = dept_ids.get(raw_dept)
        if dept_id is None:
            dept_id = dept_ids[raw_dept] = depts.get(str(raw_dept))
        pending.append({"department_id": dept_id,
                        "product_id": prod.id, "usage_date": udate, "quantity": qty, "is_return": is_return,
                        "dedup_key": key, "source_file": run.t.file, "source_row": rec.row})
        if len(pending) >= CHUNK:
            _flush(run, pending, run_id)
    if not run.total_problems:
        _flush(run, pending, run_id)
    if skipped:
        rows = tr("、", ", ").join(str(r) for r in skipped[:_SKIPPED_SHOWN])
        more = tr(" 等", " …") if len(skipped) > _SKIPPED_SHOWN else ""
        run.warn(None, None, tr(
            "{n} 行的药品不属于集采品种（没有同通用名的中选产品），未导入：第 {r}{m} 行",
            "{n} line(s) are drugs outside volume-based procurement (no selected product of the same "
            "generic name) and were not imported: rows {r}{m}", n=len(skipped), r=rows, m=more))
