"""Import use case (IMPORT.md, CLI.md ``import``): files → products, volumes, purchases,
orders, reported volumes.

Rules (IMPORT.md "Rules of import"):
- one run = one transaction: every row is checked, any problem → ``ImportFailed``
  (a ``BadInput``, exit 3) listing all problems with sheet, Excel row, column header
  and a Chinese message, and the session is rolled back — nothing is written;
- ``dry_run`` does exactly the same work and rolls back: its counts are the real ones;
- idempotent keys: purchases and orders by order number + line, else a hash of all
  their fields, so the same file twice inserts nothing and an overlapping export adds
  only its new rows;
- every successful run is recorded as an ``ImportRun`` (file, sha256, counts, who).

The caller hands in a session without pending changes; on error or dry run this
module rolls it back, on success the caller commits (``with db.session() as s``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.models import (
    AgreementPeriod,
    Batch,
    Company,
    ImportMapping,
    ImportRun,
    Order,
    Product,
    ProductDistributor,
    Purchase,
    VolumeReport,
    VolumeReportLine,
)
from hospital_app import settings
from hospital_app.domain.normalize import normalize_generic, normalize_key, normalize_spec
from hospital_app.errors import BadInput, InputProblem, NotFound
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.headers import KIND_FIELDS, field_label, missing_required, normalize_header
from hospital_app.importers.table import Record, Table, open_table, parse_user_mapping

KINDS = ("products", "volumes", "purchases", "orders", "reported-volumes")
CHUNK = 2000
MAX_PROBLEMS = 500
PRICE_Q = Decimal("0.0001")
AMOUNT_Q = Decimal("0.01")
ProgressFn = Callable[[int, int | None], None]


# --------------------------------------------------------------------------- results


@dataclass
class ImportResult:
    """What a run did (or, for a dry run, would do). ``as_dict`` = CLI.md JSON keys."""

    kind: str
    file: str
    sheet: str | None = None
    header_row: int | None = None
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[InputProblem] = field(default_factory=list)
    dry_run: bool = False
    run_id: int | None = None
    created_products: int = 0
    # Things the run did not change but the user should know (never a reason to refuse the file).
    warnings: list[InputProblem] = field(default_factory=list)
    # Batch dates the run filled in: {"batch", "execution_start", "cycle_end"} (ISO dates or None).
    batch_dates: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                       for e in self.errors],
            "warnings": [{"sheet": w.sheet, "row": w.row, "column": w.column, "message": w.message}
                         for w in self.warnings],
            "kind": self.kind, "file": self.file, "sheet": self.sheet, "header_row": self.header_row,
            "dry_run": self.dry_run, "created_products": self.created_products,
            "batch_dates": list(self.batch_dates),
        }


class ImportFailed(BadInput):
    """The run found problems; nothing was written. ``result`` carries the counts and errors."""

    def __init__(self, result: ImportResult, total_problems: int) -> None:
        first = result.errors[0]
        where = "".join(part for part in (
            first.sheet and tr("工作表“{v}” ", "sheet '{v}' ", v=first.sheet),
            first.row and tr("第 {v} 行 ", "row {v} ", v=first.row),
            first.column and tr("列“{v}”", "column '{v}'", v=first.column)) if part).strip()
        message = tr("导入失败：发现 {n} 处问题，没有写入任何数据。{w}：{m}",
                     "Import failed: {n} problem(s) found, nothing was written. {w}: {m}",
                     n=total_problems, w=where, m=first.message)
        super().__init__(message, problems=result.errors)
        self.result = result


@dataclass
class Preview:
    """What the import wizard shows before a run."""

    file: str
    kind: str
    sheets: list[dict]
    sheet: str | None
    header_row: int | None
    headers: list[str]
    mapping: dict[str, str]  # field → header
    missing: list[str]  # labels of required fields not found
    rows: list[list[str]]  # first data rows as text

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# ----------------------------------------------------------------------- mappings


def list_mappings(session: Session, kind: str | None = None) -> list[dict]:
    stmt = select(ImportMapping).order_by(ImportMapping.kind, ImportMapping.name)
    if kind:
        stmt = stmt.where(ImportMapping.kind == kind)
    return [{"id": m.id, "kind": m.kind, "name": m.name, "mapping": dict(m.mapping or {})}
            for m in session.scalars(stmt)]


def save_mapping(session: Session, kind: str, name: str, mapping: dict[str, str]) -> dict:
    """Save (or replace) a named mapping field → header for ``kind`` (the wizard's 保存映射)."""
    _check_kind(kind)
    name = (name or "").strip()
    if not name:
        raise BadInput(tr("映射名称不能为空。", "The mapping needs a name."))
    parse_user_mapping(mapping)  # validates the field names
    row = session.scalars(select(ImportMapping).where(ImportMapping.kind == kind,
                                                      ImportMapping.name == name)).first()
    if row is None:
        row = ImportMapping(kind=kind, name=name, mapping=dict(mapping))
        session.add(row)
    else:
        row.mapping = dict(mapping)
    session.flush()
    return {"id": row.id, "kind": kind, "name": name, "mapping": dict(mapping)}


def delete_mapping(session: Session, kind: str, name: str) -> None:
    row = session.scalars(select(ImportMapping).where(ImportMapping.kind == kind,
                                                      ImportMapping.name == name)).first()
    if row is None:
        raise NotFound(tr("没有名为“{n}”的映射。", "No mapping named '{n}'.", n=name))
    session.delete(row)
    session.flush()


def resolve_mapping(session: Session, kind: str, name_or_file: str | dict | None) -> dict | None:
    """``--mapping``: a dict, a JSON file (field → header) or a saved mapping's name."""
    if name_or_file is None or isinstance(name_or_file, dict):
        return name_or_file
    candidate = Path(name_or_file)
    if candidate.suffix.lower() == ".json" or candidate.is_file():
        try:
            data = json.loads(candidate.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise NotFound(tr("找不到映射文件：{p}", "Mapping file not found: {p}", p=name_or_file)) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(tr("映射文件不是有效的 JSON：{e}", "The mapping file is not valid JSON: {e}", e=exc)) from None
        parse_user_mapping(data)
        return data
    row = session.scalars(select(ImportMapping).where(ImportMapping.kind == kind,
                                                      ImportMapping.name == name_or_file)).first()
    if row is None:
        names = [m["name"] for m in list_mappings(session, kind)]
        raise NotFound(tr("没有名为“{n}”的映射（已保存：{a}）。", "No mapping named '{n}' (saved: {a}).",
                          n=name_or_file, a="、".join(names) or tr("无", "none")))
    return dict(row.mapping or {})


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BadInput(tr("未知的导入类型：{k}（可用：{a}）", "Unknown import kind: {k} (one of: {a})",
                          k=kind, a=", ".join(KINDS)))


def _max_mb(session: Session) -> int:
    return int(settings.get(session, "import_max_file_mb"))


# ------------------------------------------------------------------------ preview


def preview(path: str | Path, kind: str, sheet: str | None = None, *, mapping: dict | None = None,
            session: Session | None = None, max_rows: int = 10) -> Preview:
    """The wizard's first page: sheets, detected header, proposed field → column mapping."""
    _check_kind(kind)
    max_mb = _max_mb(session) if session is not None else settings.definition("import_max_file_mb").default
    table = open_table(path, kind, sheet=sheet, mapping=mapping, max_mb=max_mb, strict=False)
    try:
        header = table.header
        rows = [[("" if v is None else str(V.text(v) or "")) for v in values]
                for _r, values in table.raw_rows(max_rows)]
        return Preview(
            file=table.file, kind=kind, sheets=[s.as_dict() for s in table.sheets], sheet=table.sheet,
            header_row=header.row, headers=list(header.columns),
            mapping={f: header.columns[i] for f, i in sorted(header.mapping.items(), key=lambda kv: kv[1])},
            missing=missing_required(kind, header.mapping), rows=rows)
    finally:
        table.close()


# ------------------------------------------------------------------------ matching


def _form_key(form: str | None) -> str:
    key = normalize_key(form)
    return key[:-1] if key.endswith("剂") and len(key) > 1 else key


@dataclass
class _Prod:
    id: int
    code: str
    generic: str
    form: str
    spec: str
    maker: str
    selected: bool
    upp: int | None
    base_unit: str | None
    pack_unit: str | None
    label: str


class ProductIndex:
    """All products in memory for matching (IMPORT.md: code first, else normalised
    generic name + dosage form + spec + manufacturer; ambiguous → error)."""

    def __init__(self, session: Session, selected_only: bool = False) -> None:
        self.session = session
        self.by_code: dict[str, list[_Prod]] = {}
        self.by_generic: dict[str, list[_Prod]] = {}
        self.selected_generics: set[str] = set()
        stmt = (select(Product.id, Product.code, Product.generic_name, Product.generic_name_norm,
                       Product.dosage_form, Product.spec, Product.spec_norm, Product.selected,
                       Product.units_per_pack, Product.base_unit, Product.pack_unit, Company.name)
                .outerjoin(Company, Product.manufacturer_id == Company.id))
        if selected_only:
            stmt = stmt.where(Product.selected.is_(True))
        for row in session.execute(stmt):
            self.add(_Prod(row[0], normalize_key(row[1]), row[3] or normalize_generic(row[2]),
                           _form_key(row[4]), row[6] or normalize_spec(row[5]), normalize_key(row[11]),
                           bool(row[7]), row[8], row[9], row[10],
                           f"#{row[0]} {row[2]} {row[5] or ''} {row[11] or ''}".strip()))

    def add(self, p: _Prod) -> None:
        if p.code:
            self.by_code.setdefault(p.code, []).append(p)
        self.by_generic.setdefault(p.generic, []).append(p)
        if p.selected:
            self.selected_generics.add(p.generic)

    @staticmethod
    def _narrow(cands: list[_Prod], generic: str, form: str, spec: str, maker: str) -> list[_Prod]:
        for attr, want in (("generic", generic), ("form", form), ("spec", spec), ("maker", maker)):
            if want and len(cands) > 1:
                narrower = [c for c in cands if getattr(c, attr) == want]
                if narrower:
                    cands = narrower
        return cands

    def match(self, code: str, generic: str, form: str, spec: str, maker: str) -> tuple[_Prod | None, list[_Prod]]:
        """(product, []) on a match; (None, candidates) when ambiguous; (None, []) when none."""
        if code and code in self.by_code:
            cands = self._narrow(self.by_code[code], generic, form, spec, maker)
            if len(cands) > 1:
                sel = [c for c in cands if c.selected]
                cands = sel or cands
            return (cands[0], []) if len(cands) == 1 else (None, cands)
        if not generic:
            return None, []
        cands = [c for c in self.by_generic.get(generic, ())
                 if (not form or not c.form or c.form == form)
                 and (not spec or c.spec == spec)
                 and (not maker or c.maker == maker)]
        if len(cands) > 1 and code:
            cands = [c for c in cands if not c.code] or cands
        if len(cands) == 1:
            return cands[0], []
        return None, cands


class Companies:
    """Company get-or-create by name as written (trimmed, half-width)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.flags: dict[int, tuple[bool, bool]] = {}
        for cid, name, man, dis in session.execute(
                select(Company.id, Company.name, Company.is_manufacturer, Company.is_distributor)):
            self.ids[name] = cid
            self.flags[cid] = (bool(man), bool(dis))

    def get(self, name: str | None, *, manufacturer: bool = False, distributor: bool = False) -> int | None:
        if not name:
            return None
        cid = self.ids.get(name)
        if cid is None:
            # Core on the table, not the ORM bulk path: thousands of new companies stay cheap.
            cid = self.session.connection().execute(
                Company.__table__.insert().returning(Company.__table__.c.id),
                {"name": name, "is_manufacturer": manufacturer, "is_distributor": distributor,
                 "version": 1}).scalar_one()
            self.ids[name] = cid
            self.flags[cid] = (manufacturer, distributor)
            return cid
        man, dis = self.flags[cid]
        if (manufacturer and not man) or (distributor and not dis):
            self.session.execute(update(Company).where(Company.id == cid).values(
                is_manufacturer=man or manufacturer, is_distributor=dis or distributor,
                version=Company.version + 1))
            self.flags[cid] = (man or manufacturer, dis or distributor)
        return cid


# --------------------------------------------------------------------------- runner


class _RowError(Exception):
    """Stop processing this row (its problem is already recorded)."""


class Run:
    """One import run: reads records, collects problems, counts."""

    def __init__(self, session: Session, table: Table, result: ImportResult, progress: ProgressFn | None) -> None:
        self.s = session
        self.t = table
        self.result = result
        self.problems: list[InputProblem] = []
        self.total_problems = 0
        self.progress = progress
        self.total_estimate = table.estimated_rows()
        self.companies = Companies(session)

    # -- problems
    def problem(self, row: int | None, fname: str | None, message: str) -> None:
        self.total_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(InputProblem(message, file=self.t.file, sheet=self.t.sheet, row=row,
                                              column=self.t.column(fname) if fname else None))

    def warn(self, row: int | None, fname: str | None, message: str) -> None:
        """A note for the user in ``result.warnings``; the run goes on."""
        self.result.warnings.append(InputProblem(message, file=self.t.file, sheet=self.t.sheet, row=row,
                                                 column=self.t.column(fname) if fname else None))

    def fail(self, rec: Record, fname: str | None, message: str) -> _RowError:
        self.problem(rec.row, fname, message)
        return _RowError()

    def get(self, rec: Record, fname: str, parser, required: bool = False):
        raw = rec.values.get(fname)
        try:
            value = parser(raw) if raw is not None else None
        except V.CellError as exc:
            raise self.fail(rec, fname, exc.message) from None
        if value is None and required:
            raise self.fail(rec, fname, tr("“{c}”不能为空", "'{c}' must not be empty", c=self.t.column(fname)))
        return value

    def quietly(self, fn):
        """fn() or None when it fails; its problem is not recorded."""
        kept, total = len(self.problems), self.total_problems
        try:
            return fn()
        except _RowError:
            del self.problems[kept:]
            self.total_problems = total
            return None

    def text(self, rec: Record, fname: str, required: bool = False) -> str | None:
        return self.get(rec, fname, V.text, required)

    def records(self) -> Iterable[Record]:
        n = 0
        for rec in self.t.records():
            n += 1
            self.result.rows = n
            if self.progress is not None and n % CHUNK == 0:
                self.progress(n, self.total_estimate)
            if rec.formulas:
                for fname in sorted(rec.formulas):
                    self.problem(rec.row, fname, tr(
                        "单元格 {ref} 是公式（{f}）。导入不计算公式：请在 Excel 中复制后“选择性粘贴为数值”再导入。",
                        "Cell {ref} holds a formula ({f}). Import never evaluates formulas: paste the values "
                        "instead (Paste Special → Values) and import again.",
                        ref=self.t.cell_ref(fname, rec.row), f=str(rec.values.get(fname))[:40]))
                continue
            yield rec
        if self.progress is not None:
            self.progress(n, n)

    # -- shared row parts
    def identity(self, rec: Record) -> dict:
        """Product identity of a line: code, names and keys, spec/pack parsed."""
        code = self.text(rec, "product_code")
        generic = self.text(rec, "generic_name")
        form = self.text(rec, "dosage_form")
        maker = self.text(rec, "manufacturer")
        sp = self.get(rec, "spec", V.parse_spec_pack) or V.SpecPack(None)
        pk = self.get(rec, "pack", V.parse_pack) or V.SpecPack(None)
        base_unit = self.text(rec, "base_unit") or pk.base_unit or sp.base_unit
        return {
            "code": code, "generic": generic, "form": form, "maker": maker, "spec": sp.spec,
            "upp": pk.units_per_pack or sp.units_per_pack, "base_unit": base_unit,
            "pack_unit": pk.pack_unit or sp.pack_unit, "pack_desc": pk.pack_desc or sp.pack_desc,
            "approval": self.text(rec, "approval_number"),
            "keys": (normalize_key(code), normalize_generic(generic), _form_key(form),
                     normalize_spec(sp.spec), normalize_key(maker)),
        }

    def to_base_units(self, rec: Record, fname: str, ident: dict, prod: _Prod | None,
                      default_pack: bool, factors: dict | None = None,
                      factor_key: tuple | None = None) -> tuple[int | None, int]:
        """A quantity cell → (base units, factor used). IMPORT.md: packs × units per pack,
        or already base units; an unresolvable unit is an error. ``factors`` caches the
        factor per product identity (``factor_key``) for big files."""
        parsed = self.get(rec, fname, V.parse_number)
        if parsed is None:
            return None, 1
        number, glued = parsed
        key = None if factors is None else (factor_key, glued)
        factor = factors.get(key) if factors is not None else None
        if factor is None:
            factor = self.unit_factor(rec, fname, glued, ident, prod, default_pack)
            if factors is not None:
                factors[key] = factor
        value = number * factor
        if value != value.to_integral_value():
            if factor == 1:
                raise self.fail(rec, fname, tr("数量 {v} 不是整数（按最小制剂单位计，应为整数）",
                                               "Quantity {v} is not a whole number of base units", v=number))
            raise self.fail(rec, fname, tr(
                "数量 {n} × 转换比 {f} = {v}，不是整数个最小制剂单位；请核对数量或转换比",
                "Quantity {n} × units per pack {f} = {v}, not a whole number of base units; check the quantity "
                "or the units per pack", n=number.normalize(), f=factor, v=value.normalize()))
        return int(value), factor

    def unit_factor(self, rec: Record, fname: str, glued: str, ident: dict, prod: _Prod | None,
                    default_pack: bool) -> int:
        """Base units per unit of the quantity (DOMAIN.md "Quantities and money"): 1 for the
        product's base unit, units per pack for its pack unit; any other unit is an error,
        never a guess.

        The unit is the one glued to the number ("100盒"), else the line's unit column (采购单位)
        or the header's bracket ("约定采购量（最小制剂单位）") — for the purchase quantity the
        column comes first, for other quantities the header. Known units: the line's own
        (最小制剂单位, 规格/包装 such as "20mg*14片/盒"), else the product's. While the product's
        pack unit is unknown a pack word (盒, 板, 箱 …) names it; while its base unit is unknown
        a dosage-unit word (片, 粒, 支 …) names it. Such a unit is remembered for the run — in
        ``ident`` (``learned_*``, not part of any key) and on the in-memory product — so one file
        cannot count one product in two different base units, and a product created from the
        line keeps it.
        No unit at all: ``default_pack`` (a purchase file with a 转换比 column counts packs).
        """
        base_unit = ident.get("base_unit") or (prod.base_unit if prod else None) or ident.get("learned_base_unit")
        pack_unit = ident.get("pack_unit") or (prod.pack_unit if prod else None) or ident.get("learned_pack_unit")
        upp = ident.get("upp") or (prod.upp if prod else None)
        unit, column = self._unit_of(rec, fname, glued, base_unit, pack_unit)
        if not unit:
            is_pack = default_pack
        elif _says_base_unit(unit) or unit == base_unit:
            is_pack = False
        elif unit == pack_unit or (not pack_unit and unit in V.PACK_UNITS):
            is_pack = True
        elif not base_unit and unit in V.BASE_UNITS:
            is_pack = False
            ident["learned_base_unit"] = unit
            if prod is not None:
                prod.base_unit = unit
        else:
            raise self.fail(rec, column, _unit_mismatch(unit, base_unit, pack_unit))
        if not is_pack:
            return 1
        if not upp:
            raise self.fail(rec, fname, tr(
                "数量按“{u}”计，但没有转换比（包装数量），无法换算为最小制剂单位",
                "The quantity is in packs ('{u}') but there is no units-per-pack value to convert it",
                u=unit or tr("盒", "pack")))
        if unit and not pack_unit and not _says_base_unit(unit):
            ident["learned_pack_unit"] = unit
            if prod is not None:
                prod.pack_unit = unit
        return upp

    def _unit_of(self, rec: Record, fname: str, glued: str, base_unit: str | None,
                 pack_unit: str | None) -> tuple[str, str]:
        """(unit of the quantity ``fname``, field to blame when it is wrong); "" when none is given.
        A header bracket counts only when it names a unit ("数量（2024年）" names none)."""
        if glued and glued.strip():
            return glued.strip(), fname
        cell = (self.text(rec, "unit") or "") if fname == "quantity" or self.t.has("unit") else ""
        hint = self.t.header.hint_of(fname).strip()
        if hint and not (_says_base_unit(hint) or hint in (base_unit, pack_unit) or hint in V.BASE_UNITS
                         or hint in V.PACK_UNITS):
            hint = ""
        order = ((cell, "unit"), (hint, fname)) if fname == "quantity" else ((hint, fname), (cell, "unit"))
        for unit, column in order:
            if unit:
                return unit, column
        return "", fname

    def match(self, rec: Record, index: ProductIndex, ident: dict) -> _Prod | None:
        code, generic, form, spec, maker = ident["keys"]
        prod, cands = index.match(code, generic, form, spec, maker)
        if cands:
            listed = "；".join(c.label for c in cands[:8])
            raise self.fail(rec, "product_code" if code and self.t.has("product_code") else "generic_name", tr(
                "匹配到多个产品，无法确定是哪一个：{c}。请补充剂型、规格或生产企业，或使用药品编码。",
                "Several products match and it is unclear which one: {c}. Add form, spec or manufacturer, or "
                "use the product code.", c=listed))
        return prod

    def finish(self) -> None:
        self.result.errors = self.problems


def _says_base_unit(unit: str) -> bool:
    """"最小制剂单位", "最小单位" name the base unit; "最小包装" is a pack."""
    return "最小" in unit and "包装" not in unit


def _unit_mismatch(unit: str, base_unit: str | None, pack_unit: str | None) -> str:
    """The message for a unit that is neither the product's base unit nor its pack unit."""
    advice_zh = "请核对单位，或在规格/包装中注明换算（如“100片/瓶”）"
    advice_en = "check the unit, or state the conversion in the spec/pack column (e.g. 100片/瓶)"
    if base_unit and pack_unit:
        return tr("单位“{u}”与产品最小单位“{b}”、包装单位“{p}”都不一致，无法换算；" + advice_zh,
                  "Unit '{u}' is neither the product's base unit '{b}' nor its pack unit '{p}'; it cannot be "
                  "converted: " + advice_en, u=unit, b=base_unit, p=pack_unit)
    if base_unit:
        return tr("单位“{u}”与产品最小单位“{b}”不一致，也不是包装单位（如盒），无法换算；" + advice_zh,
                  "Unit '{u}' is not the product's base unit '{b}' nor a pack unit (e.g. 盒); it cannot be "
                  "converted: " + advice_en, u=unit, b=base_unit)
    if pack_unit:
        return tr("单位“{u}”与产品包装单位“{p}”不一致，且产品最小单位未知，无法换算；" + advice_zh,
                  "Unit '{u}' is not the product's pack unit '{p}' and its base unit is unknown; it cannot be "
                  "converted: " + advice_en, u=unit, p=pack_unit)
    return tr("无法识别的单位“{u}”：不知道它是包装单位（如盒）还是最小制剂单位（如片、粒、支）",
              "Unknown unit '{u}': neither a pack unit (盒) nor a base unit (片, 粒, 支)", u=unit)


def _dt_key(value) -> str:
    return "" if value is None else str(value)


def _q(value: Decimal | None, q: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(q, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------- purchases


def _line_key(order_no: str | None, line_no: int | None, ident: dict, fields: tuple) -> str:
    if order_no and line_no is not None:
        return f"{order_no}#{line_no}"
    if order_no:
        code, generic, _form, spec, maker = ident["keys"]
        return f"{order_no}#{code or (generic + '|' + spec + '|' + maker)}"[:180]
    digest = hashlib.sha1("\x1f".join(map(_dt_key, fields)).encode("utf-8")).hexdigest()
    return "h:" + digest


def _unique(key: str, seen: dict[str, int]) -> str:
    """Two identical keys in one file are two lines: the second gets '#2' (stable per file)."""
    n = seen.get(key, 0) + 1
    seen[key] = n
    return key if n == 1 else f"{key}#{n}"


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


def _import_purchases(run: Run, run_id: int | None) -> None:
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


# ---------------------------------------------------------------------------- orders


_ORDER_COMPARE = ("product_id", "company_id", "quantity", "amount", "placed_at", "responded_at",
                  "delivered_at", "accepted_on", "emergency")


def _import_orders(run: Run, run_id: int | None) -> None:
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


# -------------------------------------------------------------------------- products


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


# -------------------------------------------------------------------- reported volumes


def _import_reported(run: Run, batch_name: str | None) -> None:
    """R13: a volume report (报量) with its lines in base units."""
    index = ProductIndex(run.s)
    batch_id = None
    if batch_name:
        batch_id = run.s.scalars(select(Batch.id).where(Batch.name == batch_name)).first()
        if batch_id is None:
            raise BadInput(tr("找不到批次“{b}”。", "No batch '{b}'.", b=batch_name), file=run.t.file)
    report = run.s.scalars(select(VolumeReport).where(VolumeReport.source_file == run.t.file,
                                                      VolumeReport.batch_id.is_(batch_id) if batch_id is None
                                                      else VolumeReport.batch_id == batch_id)).first()
    existing: dict[str, VolumeReportLine] = {}
    if report is not None:
        for line in report.lines:
            existing[_report_key(line.product_code, line.generic_name_norm, line.spec_norm,
                                 normalize_key(line.manufacturer))] = line
    seen: set[str] = set()
    new_lines: list[VolumeReportLine] = []
    for rec in run.records():
        try:
            ident = run.identity(rec)
            prod = run.match(rec, index, ident)
            qty, _f = run.to_base_units(rec, "reported_volume", ident, prod, default_pack=False)
            if qty is None:
                raise run.fail(rec, "reported_volume", tr("报量不能为空", "The reported volume must not be empty"))
            if qty < 0:
                raise run.fail(rec, "reported_volume", tr("报量不能为负数", "The reported volume must not be negative"))
            if not ident["generic"] and prod is None:
                raise run.fail(rec, "generic_name", tr("找不到该药品编码对应的产品，且没有通用名",
                                                       "Unknown product code and no generic name"))
            code, generic, _form, spec, maker = ident["keys"]
            key = _report_key(ident["code"], generic or (prod.generic if prod else ""), spec, maker)
            if key in seen:
                raise run.fail(rec, "generic_name", tr("同一产品在文件中出现了两次", "The same product appears twice"))
            seen.add(key)
        except _RowError:
            continue
        if run.total_problems:
            continue
        line = existing.get(key)
        if line is None:
            new_lines.append(VolumeReportLine(
                product_id=prod.id if prod else None, product_code=ident["code"],
                generic_name=ident["generic"] or "", generic_name_norm=generic or (prod.generic if prod else ""),
                dosage_form=ident["form"], spec=ident["spec"], spec_norm=spec or None,
                manufacturer=ident["maker"], reported_quantity=qty, source_row=rec.row))
            run.result.inserted += 1
        elif line.reported_quantity != qty or (prod and line.product_id != prod.id):
            line.reported_quantity = qty
            line.product_id = prod.id if prod else line.product_id
            run.result.updated += 1
        else:
            run.result.unchanged += 1
    if run.total_problems or not new_lines:
        return
    if report is None:
        report = VolumeReport(batch_id=batch_id, name=Path(run.t.file).stem, source_file=run.t.file)
        run.s.add(report)
        run.s.flush()
    for line in new_lines:
        line.report_id = report.id
    run.s.add_all(new_lines)


def _report_key(code: str | None, generic: str, spec: str | None, maker: str) -> str:
    if code:
        return "c:" + normalize_key(code)
    return f"n:{generic}|{spec or ''}|{maker}"


# ------------------------------------------------------------------------- entry point


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_file(session: Session, kind: str, path: str | Path, *, sheet: str | None = None,
                mapping: dict | str | None = None, batch: str | None = None, dry_run: bool = False,
                who: str | None = None, progress: ProgressFn | None = None) -> ImportResult:
    """Import one file (IMPORT.md). Raises ``ImportFailed`` (BadInput, exit 3) listing every
    problem, after rolling the session back; a dry run rolls back too and returns the counts
    a real run would have."""
    _check_kind(kind)
    path = Path(path)
    mapping = resolve_mapping(session, kind, mapping)
    extra = {"batch"} if batch else set()
    table = open_table(path, kind, sheet=sheet, mapping=mapping, max_mb=_max_mb(session), extra_present=extra)
    result = ImportResult(kind=kind, file=path.name, sheet=table.sheet, header_row=table.header.row,
                          dry_run=dry_run)
    try:
        if kind == "products" and not table.has("batch") and not batch:
            raise BadInput(tr("文件中没有批次列（如“采购批次”），请用 --batch 指定批次名称。",
                              "The file has no batch column (e.g. 采购批次); give the batch name with --batch."),
                           file=path.name, sheet=table.sheet, row=table.header.row, column=field_label("batch"))
        run_row = ImportRun(kind=kind, file_name=path.name, sha256=_sha256(path), sheet=table.sheet,
                            started_at=datetime.now(), who=who)
        session.add(run_row)
        session.flush()
        run = Run(session, table, result, progress)
        if kind == "purchases":
            _import_purchases(run, run_row.id)
        elif kind == "orders":
            _import_orders(run, run_row.id)
        elif kind in ("products", "volumes"):
            _import_products(run, batch, kind)
        else:
            _import_reported(run, batch)
        run.finish()
        if run.total_problems:
            session.rollback()
            raise ImportFailed(result, run.total_problems)
        if result.rows == 0:
            session.rollback()
            raise BadInput(tr("工作表“{s}”在表头（第 {r} 行）下面没有数据行。",
                              "Sheet '{s}' has no data rows below its header (row {r}).",
                              s=table.sheet, r=table.header.row), file=path.name, sheet=table.sheet)
        run_row.rows, run_row.inserted = result.rows, result.inserted
        run_row.updated, run_row.unchanged = result.updated, result.unchanged
        run_row.finished_at = datetime.now()
        session.flush()
        result.run_id = run_row.id
        if dry_run:
            session.rollback()
            result.run_id = None
        else:
            from hospital_app.services import audit

            audit.record(session, who, "import", "import_run", str(run_row.id), None,
                         {"kind": kind, "file": path.name, "sha256": run_row.sha256, "rows": result.rows,
                          "inserted": result.inserted, "updated": result.updated,
                          "unchanged": result.unchanged, "batch_dates": result.batch_dates})
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        table.close()


__all__ = ["ImportResult", "ImportFailed", "Preview", "import_file", "preview", "list_mappings",
           "save_mapping", "delete_mapping", "resolve_mapping", "KINDS", "KIND_FIELDS"]
