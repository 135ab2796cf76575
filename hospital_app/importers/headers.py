"""Header names → fields (IMPORT.md "Header names") and header-row detection.

A header is compared after normalisation: spaces removed, full-width → half-width,
a bracketed unit dropped ("中选价格（元/盒）" → "中选价格", hint "元/盒"). The header
row is looked for in the first 20 rows; a two-row header (group titles merged over
sub-titles) and merged title rows above it are handled.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from hospital_app.domain.normalize import to_halfwidth
from hospital_app.i18n import tr

HEADER_SCAN_ROWS = 20

# field → spellings, in priority order (the first spelling found wins when a file
# holds two columns for one field, e.g. 通用名 and 产品名称).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "batch": ("批次", "采购批次", "集采批次", "项目名称", "联盟名称", "批次名称", "项目编号"),
    "product_code": ("药品编码", "产品编码", "药品代码", "产品代码", "医保编码", "医保代码", "产品ID", "药品ID",
                     "平台编码", "平台产品编号", "产品编号", "商品编码", "YPID", "药品编号", "国家医保编码",
                     "药品统一编码", "耗材统一编码", "国家药品编码", "院内药品唯一码", "省级药品编码",
                     "省级药品集中采购平台药品编码", "品种编码", "医保耗材编码", "耗材编码"),
    "generic_name": ("通用名", "药品通用名", "通用名称", "药品通用名称", "药品名称", "产品名称", "品种名称",
                     "物资名称", "注册证产品名称", "耗材名称", "医用耗材单件产品名称", "目录名称", "注册证名称"),
    "catalogue_number": ("目录号",),
    "dosage_form": ("剂型", "剂型名称"),
    "spec": ("规格", "制剂规格", "规格型号", "规格包装", "药品规格", "通用规格"),
    "pack": ("包装数量", "转换比", "转换系数", "包装转换比", "包装", "包装规格", "通用包装"),
    "pack_unit": ("最小销售包装单位", "包装单位名称"),
    "base_unit": ("最小制剂单位", "最小使用单位", "最小单位", "制剂单位"),
    "unit": ("采购单位", "计量单位", "单位", "包装单位"),
    "manufacturer": ("生产企业", "生产企业名称", "企业名称", "中选企业", "中选厂家", "药品企业", "生产厂家",
                     "生产厂商", "申报企业", "挂网企业", "申报企业名称"),
    "distributor": ("配送企业", "配送企业名称", "配送商", "配送单位", "供货商", "供应商"),
    "selected_price": ("中选价格", "中选价", "中选单价", "挂网价格", "单价", "最小制剂单位价格", "单位价格", "集采价格",
                       "当前中标价格", "价格"),
    "pack_price": ("包装价格",),
    "selected_flag": ("是否中选", "中选标识", "中选状态", "类型"),
    "batch_kind": ("类别", "品种类型"),
    "supply_role": ("供应类型", "主供/备供", "是否备供", "供应角色"),
    "group": ("组别", "产品组别", "分组"),
    "agreed_volume": ("约定采购量", "协议采购量", "约定量", "年度约定采购量", "首年约定采购量", "年度任务量",
                      "任务量", "合同量", "合同数量", "最低限量", "计划数量"),
    "period_start": ("执行开始日期", "开始日期", "协议开始日期", "执行起始日期", "批次开始时间", "起始时间", "起始日期",
                     "集采起始时间"),
    "period_end": ("执行结束日期", "结束日期", "协议结束日期", "执行截止日期", "批次结束时间", "结束时间", "终止日期",
                   "集采结束时间"),
    "order_number": ("订单编号", "订单号", "采购单号", "订单明细编号"),
    "line_number": ("订单行号", "明细行号", "行号", "明细序号"),
    "order_time": ("下单时间", "订单时间", "采购时间", "订单日期"),
    "purchase_date": ("采购日期", "入库日期", "验收日期", "到货日期"),
    "quantity": ("采购数量", "数量", "采购量", "订购数量", "入库数量", "到货数量", "配送数量"),
    "purchase_price": ("采购单价", "采购价", "进价", "单价"),
    "approval_number": ("批准文号", "注册证号", "注册证编号"),
    "amount": ("采购金额", "金额", "入库金额", "入库总金额"),
    "paid_on": ("付款日期", "回款日期", "支付日期", "结算日期"),
    "paid_amount": ("付款金额", "结算金额", "回款金额", "支付金额"),
    "response_time": ("响应时间", "企业响应时间", "确认时间"),
    "delivery_time": ("配送时间", "到货时间", "送达时间"),
    "acceptance_date": ("验收日期", "验收时间", "入库日期"),
    "emergency": ("是否急救", "紧急订单", "订单类型", "是否紧急"),
    "return_flag": ("是否退货", "退货标志", "退货", "单据类型", "业务类型"),
    "reported_volume": ("报量", "报送量", "需求量", "采购需求量", "申报量", "预计采购量", "第三年采购需求量"),
    # A second quantity column in packs beside the base-unit one (IMPORT.md v2, set by ``auto_map``).
    "pack_quantity": (),
}

# Which fields each import kind reads, and which it cannot do without.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "products": ("batch", "product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "unit",
                 "manufacturer", "distributor", "selected_price", "supply_role", "group", "agreed_volume",
                 "period_start", "period_end", "approval_number", "catalogue_number", "pack_unit", "pack_price",
                 "selected_flag", "batch_kind"),
    "volumes": ("batch", "product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "unit",
                "manufacturer", "agreed_volume", "period_start", "period_end", "approval_number"),
    "purchases": ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "unit",
                  "manufacturer", "distributor", "order_number", "line_number", "order_time", "purchase_date",
                  "quantity", "purchase_price", "amount", "approval_number", "return_flag", "emergency", "pack_quantity",
                  "pack_unit"),
    "orders": ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "unit",
               "manufacturer", "distributor", "order_number", "line_number", "order_time", "quantity", "amount",
               "response_time", "delivery_time", "acceptance_date", "emergency", "approval_number",
               "purchase_price", "paid_on", "paid_amount", "return_flag"),
    "reported-volumes": ("product_code", "generic_name", "dosage_form", "spec", "pack", "base_unit", "unit",
                         "manufacturer", "reported_volume", "approval_number"),
}

# Required fields: a tuple inside means "one of these".
KIND_REQUIRED: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "products": ("generic_name", "spec", "manufacturer", "selected_price"),
    "volumes": (("product_code", "generic_name"), "agreed_volume", "period_start", "period_end"),
    "purchases": (("product_code", "generic_name"), "quantity", ("purchase_date", "order_time")),
    "orders": ("order_number", "order_time"),
    "reported-volumes": (("product_code", "generic_name"), "reported_volume"),
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "batch": ("批次", "batch"), "product_code": ("药品编码", "product code"),
    "generic_name": ("通用名", "generic name"), "dosage_form": ("剂型", "dosage form"),
    "spec": ("规格", "spec"), "pack": ("包装/转换比", "units per pack"),
    "base_unit": ("最小制剂单位", "base unit"), "unit": ("采购单位", "unit"),
    "manufacturer": ("生产企业", "manufacturer"), "distributor": ("配送企业", "distributor"),
    "selected_price": ("中选价格", "selected price"), "supply_role": ("供应类型", "supply role"),
    "group": ("组别", "group"), "agreed_volume": ("约定采购量", "agreed volume"),
    "period_start": ("执行开始日期", "period start"), "period_end": ("执行结束日期", "period end"),
    "order_number": ("订单编号", "order number"), "line_number": ("订单行号", "line number"),
    "order_time": ("下单时间", "order time"), "purchase_date": ("采购日期", "purchase date"),
    "quantity": ("采购数量", "quantity"), "purchase_price": ("采购单价", "purchase price"),
    "approval_number": ("批准文号", "approval number"), "amount": ("采购金额", "amount"),
    "response_time": ("响应时间", "response time"), "delivery_time": ("配送时间", "delivery time"),
    "acceptance_date": ("验收日期", "acceptance date"), "emergency": ("是否急救", "emergency"),
    "return_flag": ("是否退货", "return flag"), "reported_volume": ("报量", "reported volume"),
    "catalogue_number": ("目录号", "catalogue number"), "pack_unit": ("最小销售包装单位", "pack unit"),
    "pack_price": ("包装价格", "price per pack"), "selected_flag": ("是否中选", "selected flag"),
    "batch_kind": ("类别", "kind"), "paid_on": ("付款日期", "paid on"), "paid_amount": ("付款金额", "paid amount"),
    "pack_quantity": ("数量（包装）", "quantity in packs"),
}

# R21 department usage (issue 19): the hospital's HIS dispensing/consumption export
# (IMPORT.md "Department usage"). Kept in one block so the kind is easy to follow.
SYNONYMS["department"] = ("科室", "科室名称", "使用科室", "申领科室", "开单科室", "病区")
SYNONYMS["usage_date"] = ("发药日期", "领用日期", "消耗日期", "日期", "记账日期")
SYNONYMS["quantity"] = SYNONYMS["quantity"] + ("发药数量", "领用数量", "消耗数量")
SYNONYMS["return_flag"] = SYNONYMS["return_flag"] + ("发药类型", "领用类型", "退药标志")
KIND_FIELDS["departments"] = ("department", "product_code", "generic_name", "dosage_form", "spec", "pack",
                              "base_unit", "unit", "manufacturer", "approval_number", "quantity", "usage_date",
                              "return_flag")
KIND_REQUIRED["departments"] = ("department", ("product_code", "generic_name"), "quantity", "usage_date")
FIELD_LABELS["department"] = ("科室", "department")
FIELD_LABELS["usage_date"] = ("日期", "date")

# Mapping keys users may write in a JSON mapping file besides the field names.
FIELD_ALIASES = {"code": "product_code", "order_no": "order_number", "line_no": "line_number",
                 "generic": "generic_name", "form": "dosage_form", "price": "selected_price",
                 "volume": "agreed_volume", "start": "period_start", "end": "period_end",
                 "units_per_pack": "pack"}


def field_label(name: str) -> str:
    zh, en = FIELD_LABELS.get(name, (name, name))
    return tr(zh, en)


def canonical_field(name: str) -> str | None:
    """A user-written field key ("Product Code", "product-code", "药品编码") → field name."""
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    key = FIELD_ALIASES.get(key, key)
    if key in SYNONYMS:
        return key
    for fname, (zh, _en) in FIELD_LABELS.items():
        if normalize_header(name)[0] == normalize_header(zh)[0]:
            return fname
    return None


_BRACKETS = re.compile(r"[(\[{<]([^()\[\]{}<>]*)[)\]}>]")
_NOISE = re.compile(r"[\s*:：#\"'`※★▲△]")


def normalize_header(value: object) -> tuple[str, str]:
    """Header text → (name, bracket hint): "中选价格（元/盒）" → ("中选价格", "元/盒") (memoised)."""
    if isinstance(value, str):
        return _normalize_header(value)
    return _normalize_header(None if value is None else str(value))


@functools.lru_cache(maxsize=4096)
def _normalize_header(value: str | None) -> tuple[str, str]:
    """Header text → (name, bracket hint): "中选价格（元/盒）" → ("中选价格", "元/盒")."""
    if value is None:
        return "", ""
    t = to_halfwidth(str(value))
    hints = _BRACKETS.findall(t)
    t = _BRACKETS.sub("", t)
    t = _NOISE.sub("", t)
    return t.upper() if t.isascii() else t, "/".join(h.strip() for h in hints if h.strip())


# normalised spelling → fields it can mean (单价: selected price and purchase price)
_LOOKUP: dict[str, list[tuple[str, int]]] = {}
for _field, _names in SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(normalize_header(_name)[0], []).append((_field, _rank))


def fields_for(header: object) -> list[tuple[str, int]]:
    """Fields a header can mean, with the spelling's rank (0 = preferred)."""
    name, _hint = normalize_header(header)
    if not name:
        return []
    return _LOOKUP.get(name, [])


@dataclass
class Header:
    """The detected header of a sheet."""

    row: int  # Excel row number of the (last) header row
    first_row: int  # Excel row number of the first header row (two-row headers)
    columns: list[str]  # display header of each column ("" for none)
    hints: list[str]  # bracket hint of each column ("元/盒", "最小制剂单位")
    mapping: dict[str, int] = field(default_factory=dict)  # field → column index (0-based)
    score: int = 0
    # Texts of the header area (titles, 导出时间, group and column titles), compact form
    # (see ``compact``): a data row made only of these is a header repeated at a page break.
    texts: frozenset[str] = frozenset()

    def column_of(self, fname: str) -> str:
        idx = self.mapping.get(fname)
        return self.columns[idx] if idx is not None else field_label(fname)

    def hint_of(self, fname: str) -> str:
        idx = self.mapping.get(fname)
        return self.hints[idx] if idx is not None else ""


def _display(value: object) -> str:
    if value is None:
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def auto_map(columns: list[str], kind: str | None,
             user: dict[str, str] | None = None) -> tuple[dict[str, int], int]:
    """field → column by the synonym table; score = number of distinct fields found.

    ``user`` maps normalised header names to fields (a saved or JSON mapping); it wins.
    """
    best: dict[str, tuple[int, int]] = {}
    wanted = set(KIND_FIELDS[kind]) if kind else None
    for idx, header in enumerate(columns):
        name = normalize_header(header)[0]
        if user and name in user:
            best[user[name]] = (-1, idx)
            continue
        for fname, rank in fields_for(header):
            if wanted is not None and fname not in wanted:
                continue
            if fname not in best or rank < best[fname][0]:
                best[fname] = (rank, idx)
    mapping = {f: idx for f, (_r, idx) in best.items()}
    if "quantity" in mapping and (wanted is None or "pack_quantity" in wanted):
        _split_quantities(columns, mapping, user)
    return mapping, len(mapping)


def _split_quantities(columns: list[str], mapping: dict[str, int], user: dict[str, str] | None) -> None:
    """IMPORT.md v2 two quantity columns: 入库数量（最小销售包装单位） beside 入库数量（最小制剂单位）.
    The header's bracketed unit decides: the base-unit column is ``quantity``, the pack column
    ``pack_quantity`` (cross-checked through the pack)."""
    same = [i for i, h in enumerate(columns)
            if any(f == "quantity" for f, _r in fields_for(h)) and not (user and normalize_header(h)[0] in user)]
    if len(same) < 2:
        return
    base = [i for i in same if _hint_is_base(normalize_header(columns[i])[1])]
    pack = [i for i in same if i not in base and _hint_is_pack(normalize_header(columns[i])[1])]
    if base and pack:
        mapping["quantity"], mapping["pack_quantity"] = base[0], pack[0]


def _hint_is_base(hint: str) -> bool:
    return ("最小" in hint and "包装" not in hint) or hint in ("片", "粒", "支", "袋", "丸", "个", "基本单位")


def _hint_is_pack(hint: str) -> bool:
    return "包装" in hint or hint in ("盒", "瓶", "箱")


def _row_score(row: list[object], user: dict[str, str] | None = None) -> int:
    seen = set()
    for v in row:
        if isinstance(v, str):
            if user:
                name = normalize_header(v)[0]
                if name in user:
                    seen.add(user[name])
                    continue
            for fname, _rank in fields_for(v):
                seen.add(fname)
    return len(seen)


def detect_header(rows: list[tuple[int, list[object]]], kind: str | None,
                  user: dict[str, str] | None = None) -> Header | None:
    """Find the header among the first rows ((excel_row, values) pairs).

    The header row is the one naming the most known fields (at least two). When the
    row below adds fields (a two-row header: "药品信息" merged over "通用名/规格"),
    both rows are combined column by column: the lower title where present, else the
    upper one (a title merged down over both rows).
    """
    candidates = rows[:HEADER_SCAN_ROWS]
    best_i, best_score = -1, 1
    for i, (_rno, values) in enumerate(candidates):
        score = _row_score(values, user)
        if score > best_score or (user and score == best_score == 1 and best_i < 0):
            best_i, best_score = i, score
    if best_i < 0:
        return None
    first_no, upper = candidates[best_i]
    columns = [_display(v) for v in upper]
    last_no = first_no
    # A two-row header: try the row above and the row below the best row as its partner.
    for top in (best_i - 1, best_i):
        if top < 0 or top + 1 >= len(candidates):
            continue
        (up_no, up), (lo_no, lo) = candidates[top], candidates[top + 1]
        # Only text titles in the other row (data rows hold numbers and dates).
        other = lo if top == best_i else up
        if not all(v is None or isinstance(v, str) for v in other):
            continue
        combined = _combine(up, lo)
        score = _row_score(combined, user)
        if score > best_score:
            best_score, columns, first_no, last_no = score, combined, up_no, lo_no
    names = [normalize_header(c) for c in columns]
    hints = [h for _n, h in names]
    mapping, score = auto_map(columns, kind, user)
    texts = frozenset(compact(v) for rno, values in candidates if rno <= last_no
                      for v in values if isinstance(v, str) and v.strip())
    return Header(row=last_no, first_row=first_no, columns=columns, hints=hints, mapping=mapping, score=score,
                  texts=texts)


def compact(value: str) -> str:
    """A text without any whitespace, half-width: "采购\n数量 " → "采购数量"."""
    return re.sub(r"\s+", "", to_halfwidth(value))


def _combine(upper: list[object], lower: list[object]) -> list[str]:
    """Column titles of a two-row header: the lower title where present, else the upper one
    (a title merged down over both rows)."""
    combined = []
    for c in range(max(len(upper), len(lower))):
        lo = lower[c] if c < len(lower) else None
        up = upper[c] if c < len(upper) else None
        combined.append(_display(lo) if isinstance(lo, str) and lo.strip() else _display(up))
    return combined


def missing_required(kind: str, mapping: dict[str, int], extra_present: set[str] = frozenset()) -> list[str]:
    """Required fields of ``kind`` that the mapping lacks (labels, "A或B" for alternatives)."""
    missing = []
    present = set(mapping) | set(extra_present)
    for req in KIND_REQUIRED[kind]:
        alternatives = req if isinstance(req, tuple) else (req,)
        if not any(a in present for a in alternatives):
            missing.append(tr("或", " or ").join(field_label(a) for a in alternatives))
    return missing
