"""Reading one row of a product list (IMPORT.md v2): kind, selected flag, pack and prices.

- ``file_kind``: the batch kind (R6 v2) from a 类别/品种类型 column (药品/耗材) on the row, else
  from the file's shape (注册证 / 规格型号 / 最小使用单位 / 耗材… columns mean consumables).
- ``selected_flag``: 是否中选 (1/0, 是/否), 中选标识, 中选状态, 类型 (国采中选, 省采中选,
  国采非中选, 省采非中选, 直接挂网, 非集采) → selected / nonselected / catalogue.
- ``row_pack``: the row's pack (units per pack, pack unit, base unit) and its prices per pack and
  per base unit. Drugs: the price is per pack unless the header says per base unit; a 包装价格
  column beside a per-unit 价格 gives both. Consumables: the spec is a size kept whole, the base
  unit is 最小使用单位 or 个, and without a pack the price is per item.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.headers import normalize_header
from hospital_app.importers.table import Record
from hospital_app.services.importing.results import PRICE_Q
from hospital_app.services.importing.run import Run, _q

DRUG, CONSUMABLE = "drug", "consumable"
_CONSUMABLE_HEADERS = ("注册证", "规格型号", "最小使用单位", "耗材")


def shape_kind(run: Run) -> str:
    """R6 v2: the file's shape — 注册证 / 规格型号 / 最小使用单位 (or 耗材… names) mean consumables."""
    headers = [h for h in run.t.header.columns if h]
    return CONSUMABLE if any(word in h for h in headers for word in _CONSUMABLE_HEADERS) else DRUG


def row_kind(run: Run, rec: Record, default: str) -> str:
    """R6 v2: a 类别/品种类型 cell (药品/耗材) decides; blank → the file's shape."""
    t = run.text(rec, "batch_kind")
    if not t:
        return default
    if "耗材" in t or "器械" in t:
        return CONSUMABLE
    if "药" in t:
        return DRUG
    raise run.fail(rec, "batch_kind", tr("“{c}”的值“{v}”无法识别：应为“药品”或“耗材”",
                                         "'{c}' value '{v}' is not recognised: expected 药品 (drug) or 耗材 "
                                         "(consumable)", c=run.t.column("batch_kind"), v=t))


_FLAG_SELECTED = {"1", "是", "y", "yes", "true", "中选", "√", "✓"}
_FLAG_NOT = {"0", "否", "n", "no", "false", "非中选", "未中选", "落选", "×"}


def selected_flag(run: Run, rec: Record) -> str:
    """selected / nonselected / catalogue (IMPORT.md v2 "Mixed lists"); no column → selected."""
    if not run.t.has("selected_flag"):
        return "selected"
    t = run.text(rec, "selected_flag")
    if not t:
        raise run.fail(rec, "selected_flag", tr("“{c}”为空：应写明是否中选（如 是/否、国采中选、直接挂网）",
                                                "'{c}' is empty: say whether the row is selected (e.g. 是/否, "
                                                "国采中选, 直接挂网)", c=run.t.column("selected_flag")))
    key = t.replace(" ", "").lower()
    if key in _FLAG_SELECTED or ("中选" in key and "非" not in key and "未" not in key and "落" not in key):
        return "selected"
    if key in _FLAG_NOT or "非中选" in key or "未中选" in key:
        return "nonselected"
    if "挂网" in key or "非集采" in key or "目录" in key:
        return "catalogue"
    raise run.fail(rec, "selected_flag", tr(
        "“{c}”的值“{v}”无法识别：应为 是/否、1/0、国采中选、省采中选、国采非中选、省采非中选、直接挂网 或 非集采",
        "'{c}' value '{v}' is not recognised: expected 是/否, 1/0, 国采中选, 省采中选, 国采非中选, 省采非中选, "
        "直接挂网 or 非集采", c=run.t.column("selected_flag"), v=t))


@dataclass
class RowPack:
    spec: str | None
    upp: int | None  # units per pack (None: the row gives no pack)
    base_unit: str | None
    pack_unit: str | None
    pack_desc: str | None
    price_per_pack: Decimal | None
    price_per_unit: Decimal


def _per_base_unit(run: Run, glued: str, base_unit: str | None) -> bool:
    """Is the price per base unit? IMPORT.md: per pack unless the header says per base unit
    (最小制剂单位价格, 单位价格, or a bracket such as （元/片））."""
    name, hint = normalize_header(run.t.column("selected_price"))
    if name in ("最小制剂单位价格", "单位价格") or "最小" in hint or "最小" in glued:
        return True
    units = {u.strip() for u in (hint + "/" + glued).split("/") if u.strip() and u.strip() != "元"}
    if base_unit and base_unit in units:
        return True
    if units & V.PACK_UNITS:
        return False
    return bool(units & (V.BASE_UNITS - {"瓶", "包"}))


def _price_pack_unit(run: Run, glued: str, base_unit: str | None) -> str | None:
    """The pack a per-pack price names ("中选价格（元/盒）", "3.26元/盒"), if exactly one."""
    _name, hint = normalize_header(run.t.column("selected_price"))
    units = {u.strip() for u in (hint + "/" + glued).split("/")} - {"", "元"}
    if len(units) != 1:
        return None
    (unit,) = units
    return unit if unit != base_unit and (unit in V.PACK_UNITS or unit in V.BASE_UNITS) else None


def _price(run: Run, rec: Record, fname: str, words: tuple[str, str]) -> tuple[Decimal, str] | None:
    parsed = run.get(rec, fname, V.parse_number)
    if parsed is not None and parsed[0] <= 0:
        raise run.fail(rec, fname, tr("{w}“{v}”应大于 0", "{we} '{v}' must be above 0", w=words[0], we=words[1],
                                      v=V.text(rec.values.get(fname))))
    return parsed


def row_pack(run: Run, rec: Record, ident: dict, kind: str) -> RowPack:
    """The row's pack and prices (see the module docstring)."""
    unit_cell = run.text(rec, "unit") or ""
    named_pack_unit = run.text(rec, "pack_unit")
    upp = ident["upp"]
    if kind == CONSUMABLE:
        base_unit = run.text(rec, "base_unit") or ident["base_unit"] or (
            unit_cell if unit_cell and unit_cell not in V.PACK_UNITS else None) or "个"
    else:
        base_unit = ident["base_unit"] or (unit_cell if unit_cell in V.BASE_UNITS else None)
    pack_unit = named_pack_unit or ident["pack_unit"] or (unit_cell if unit_cell in V.PACK_UNITS else None)
    label = (tr("中选价格", "selected price"), "selected price")
    price = _price(run, rec, "selected_price", label) if run.t.has("selected_price") else None
    pack_price = _price(run, rec, "pack_price", (tr("包装价格", "price per pack"), "price per pack"))
    if price is None and pack_price is None:
        raise run.fail(rec, "selected_price", tr("“{c}”不能为空", "'{c}' must not be empty",
                                                 c=run.t.column("selected_price")))
    if pack_price is not None:  # 包装价格 beside a per-unit 价格
        if not upp:
            raise run.fail(rec, "pack", _no_pack(kind, V.text(rec.values.get("pack"))))
        per_pack = pack_price[0]
        per_unit = price[0] if price is not None else per_pack / upp
    else:
        amount, glued = price
        if kind == CONSUMABLE and not upp:
            per_unit, per_pack = amount, amount  # per item (IMPORT.md v2)
            upp, pack_unit = 1, pack_unit or base_unit
        elif _per_base_unit(run, glued, base_unit):
            per_unit = amount
            per_pack = amount * upp if upp else None
        else:
            if not upp:
                raise run.fail(rec, "selected_price", _no_pack(kind, None))
            per_pack, per_unit = amount, amount / upp
            pack_unit = pack_unit or _price_pack_unit(run, glued, base_unit)
    return RowPack(ident["spec"], upp, base_unit, pack_unit, ident["pack_desc"],
                   _q(per_pack, PRICE_Q), _q(per_unit, PRICE_Q))


def _no_pack(kind: str, cell: str | None) -> str:
    unit = tr("最小使用单位", "smallest unit of use") if kind == CONSUMABLE else tr("最小制剂单位", "base unit")
    if cell:
        return tr("价格按包装计，但包装“{v}”没有写明每包装的数量，无法换算为每{u}价格（例：5mg×10片/盒）",
                  "The price is per pack but the pack '{v}' gives no count, so it cannot be converted to a "
                  "price per {u} (e.g. 5mg×10片/盒)", v=cell, u=unit)
    return tr("价格按包装计，但这一行没有包装（如“5mg×10片/盒”）或转换比（包装数量），无法换算为每{u}价格",
              "The price is per pack but the row has no pack (e.g. 5mg×10片/盒 or a units-per-pack value), so it "
              "cannot be converted to a price per {u}", u=unit)
