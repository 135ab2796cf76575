"""The run machinery shared by every kind (IMPORT.md "Rules of import").

``Run`` reads a table's records, collects every problem (one run = one transaction: any
problem and nothing is written), counts inserted / updated / unchanged rows, and holds the
row parts all kinds share: the product identity of a line, matching it (``ProductIndex``),
and a quantity cell → base units (DOMAIN.md "Quantities and money": packs × units per pack,
an unknown unit is an error, never a guess). A formula cell is refused, never evaluated.

Idempotent keys (IMPORT.md): purchases and orders are keyed by order number + line, else by
a hash of all their fields, so the same file twice inserts nothing and an overlapping export
adds only its new rows (``_line_key``, ``_unique``).
"""

from __future__ import annotations

import functools
import hashlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from sqlalchemy.orm import Session

from hospital_app.domain.normalize import normalize_generic, normalize_key, normalize_spec
from hospital_app.errors import InputProblem
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.table import Record, Table
from hospital_app.services import purchase_digest
from hospital_app.services.importing.matching import Companies, ProductIndex, _form_key, _Prod
from hospital_app.services.importing.results import CHUNK, MAX_PROBLEMS, ImportResult, ProgressFn


# Pure key functions of R9 / IMPORT.md, memoised for the run's repeated names, forms and companies.
_generic_key = functools.lru_cache(maxsize=65536)(normalize_generic)
_spec_key = functools.lru_cache(maxsize=65536)(normalize_spec)
_name_key = functools.lru_cache(maxsize=65536)(normalize_key)
_form = functools.lru_cache(maxsize=4096)(_form_key)


class _RowError(Exception):
    """Stop processing this row (its problem is already recorded)."""


class Run:
    """One import run: reads records, collects problems, counts.

    Problems are grouped by (column, message): rows sharing one problem ("中选企业不能为空" on
    2 195 rows) become one error naming their rows (issue 15 item 10), and collecting them is
    linear in the rows. With ``skip_invalid`` a row's problem skips that row instead
    (``result.skipped``); the writers check a row completely before writing any of it.
    """

    def __init__(self, session: Session, table: Table, result: ImportResult, progress: ProgressFn | None,
                 skip_invalid: bool = False, options: dict | None = None) -> None:
        self.s = session
        self.options = dict(options or {})  # kind-specific choices, e.g. a volume report's name
        self.t = table
        self.result = result
        self.total_problems = 0
        self.progress = progress
        self.total_estimate = table.estimated_rows()
        self.companies = Companies(session)
        self.skip_invalid = skip_invalid
        self._groups: dict[tuple[str | None, str], list[int | None]] = {}
        self.last_pack_id: int | None = None  # the pack the last ``to_base_units`` converted with
        self._quiet = 0
        # What the run does to the purchase table, for the audit digest (set by import_file).
        self.purchase_changes: purchase_digest.Changes | None = None

    @property
    def problems(self) -> list[InputProblem]:
        return self.result.errors

    # -- problems
    def problem(self, row: int | None, fname: str | None, message: str) -> None:
        if self._quiet:
            return
        column = self.t.column(fname) if fname else None
        if self.skip_invalid and row is not None:
            self.result.skipped.append({"row": row, "column": column, "message": message})
            return
        self.total_problems += 1
        self._groups.setdefault((column, message), []).append(row)

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
        self._quiet += 1
        try:
            return fn()
        except _RowError:
            return None
        finally:
            self._quiet -= 1

    def text(self, rec: Record, fname: str, required: bool = False) -> str | None:
        if not required and rec.values.get(fname) is None:
            return None  # an absent column or an empty cell: the common case, 13 calls a line
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
            "code": code, "generic": generic, "form": form, "maker": maker, "spec": sp.spec or pk.spec,
            "upp": pk.units_per_pack or sp.units_per_pack, "base_unit": base_unit,
            "pack_unit": pk.pack_unit or sp.pack_unit, "pack_desc": pk.pack_desc or sp.pack_desc,
            "approval": self.text(rec, "approval_number"),
            "keys": (_name_key(code), _generic_key(generic), _form(form),
                     _spec_key(sp.spec or pk.spec), _name_key(maker)),
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
        cached = factors.get(key) if factors is not None else None
        if cached is None:
            self.last_pack_id = None
            cached = (self.unit_factor(rec, fname, glued, ident, prod, default_pack), self.last_pack_id)
            if factors is not None:
                factors[key] = cached
        factor, self.last_pack_id = cached
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
        unit, column = self._unit_of(rec, fname, glued, base_unit, pack_unit)
        if prod is not None and prod.packs and unit and not ident.get("pack_unit") and unit != base_unit and any(
                p[2] == unit for p in prod.packs):
            pack_unit = unit  # one of the product's packs is named by the line's unit
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
        upp = self.pick_pack(rec, fname, ident, prod, unit)
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

    def pick_pack(self, rec: Record, fname: str, ident: dict, prod: _Prod | None, unit: str) -> int | None:
        """IMPORT.md v2 "One product, several packs": a line in packs is converted with its own
        pack — the line's pack column (or spec), else the pack its code names, else the only pack
        (of the unit it names); several candidates is an error listing them, never a guess.
        Sets ``last_pack_id``."""
        packs = list(prod.packs) if prod is not None else []
        line_upp = ident.get("upp")
        if line_upp:
            same = [p for p in packs if p[1] == line_upp and (not ident.get("pack_unit") or p[2] in (
                None, ident.get("pack_unit")))]
            self.last_pack_id = same[0][0] if same else None
            return line_upp
        code = normalize_key(ident.get("code"))
        by_code = [p for p in packs if code and normalize_key(p[3]) == code]
        if len(by_code) == 1:
            self.last_pack_id = by_code[0][0]
            return by_code[0][1]
        named = [p for p in packs if unit and p[2] == unit] or packs
        if len({p[1] for p in named}) == 1:
            self.last_pack_id = named[0][0] if len(named) == 1 else None
            return named[0][1]
        if named:
            listed = "、".join(p[4] or f"{p[1]}{prod.base_unit or ''}/{p[2] or ''}" for p in named)
            raise self.fail(rec, fname, tr(
                "产品 {p} 有 {n} 种包装（{c}），这一行没有写明是哪一种，无法把“{q}”换算为最小单位；"
                "请在包装列注明（如“5mg×14片/盒”）或使用该包装的编码",
                "Product {p} has {n} packs ({c}) and the line does not say which, so '{q}' cannot be converted "
                "to base units; give the pack (e.g. 5mg×14片/盒) or the pack's code",
                p=prod.label, n=len(named), c=listed, q=V.text(rec.values.get(fname))))
        return prod.upp if prod is not None else None

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
        """Grouped problems → ``result.errors`` (at most MAX_PROBLEMS), with the total count."""
        errors = []
        for (column, message), rows in self._groups.items():
            if len(errors) >= MAX_PROBLEMS:
                break
            if len(rows) > 1:
                message = tr("{m}（共 {n} 行：第 {r} 行）", "{m} ({n} rows: {r})", m=message, n=len(rows),
                             r=_row_ranges(rows))
            errors.append(InputProblem(message, file=self.t.file, sheet=self.t.sheet, row=rows[0], column=column))
        self.result.errors = errors
        self.result.error_count = self.total_problems
        self.result.errors_truncated = len(errors) < len(self._groups)


def _row_ranges(rows: list[int | None], limit: int = 100) -> str:
    """[3, 4, 5, 9] → "3–5、9"; more than ``limit`` ranges end with "…"."""
    nums = sorted({r for r in rows if r is not None})
    ranges: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        ranges.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    text = "、".join(ranges[:limit])
    return text + ("…" if len(ranges) > limit else "")


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


# -------------------------------------------------------------------- idempotent keys


def _line_key(order_no: str | None, line_no: int | None, ident: dict, fields: tuple) -> str:
    if order_no and line_no is not None:
        return f"{order_no}#{line_no}"
    if order_no:
        code, generic, _form, spec, maker = ident["keys"]
        return f"{order_no}#{code or (generic + '|' + spec + '|' + maker)}"[:180]
    digest = hashlib.sha1("\x1f".join(map(_dt_key, fields)).encode("utf-8")).hexdigest()
    return "h:" + digest


def _unique(key: str, seen: dict, token: bytes | None = None) -> str:
    """Two identical keys in one file are two lines: the second gets '#2' (stable per file).
    ``token``: the key's digest as bytes, remembered instead of the text (half the memory for a
    million lines)."""
    remembered = key if token is None else token
    n = seen.get(remembered, 0) + 1
    seen[remembered] = n
    return key if n == 1 else f"{key}#{n}"
