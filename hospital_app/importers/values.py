"""Cell value normalisers for real platform files (IMPORT.md "What real files look like").

Every parser takes a raw cell value (whatever openpyxl, xlrd or csv produced) and
returns a clean Python value, or raises ``CellError`` with a Chinese message a
pharmacist understands. ``None`` / blank cells return ``None``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from hospital_app.domain.normalize import clean_text, to_halfwidth
from hospital_app.i18n import tr
from hospital_app.importers.packs import parse_pack_cell


class CellError(ValueError):
    """A cell that cannot be read as the field needs; ``message`` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str | None:
    """Trimmed half-width text, None when blank. Numbers like 14.0 print as 14."""
    if value is None:
        return None
    if value.__class__ is str:
        return _clean_str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time() else value.date().isoformat()
    result = clean_text(value)
    return result or None


@functools.lru_cache(maxsize=65536)
def _clean_str(value: str) -> str | None:
    """``text`` of a str; lists repeat names, forms and companies thousands of times."""
    return clean_text(value) or None


# ---------------------------------------------------------------- numbers

_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*(.*)$")
_CURRENCY = ("¥", "￥", "RMB", "元")


_MAX_NUMBER = Decimal(10) ** 13  # above any real quantity or amount; keeps Decimal maths in range


def parse_number(value: object) -> tuple[Decimal, str] | None:
    """See ``_parse_number``; numbers beyond ±10^13 are errors (a damaged or wrong cell)."""
    parsed = _parse_number(value)
    if parsed is not None and abs(parsed[0]) > _MAX_NUMBER:
        raise CellError(tr("数字过大：{v}", "number too large: {v}", v=value))
    return parsed


def _parse_number(value: object) -> tuple[Decimal, str] | None:
    """A number and the unit glued to it: "12,000" → (12000, ""), "12000片" → (12000, "片").

    Accepts numbers stored as text, thousands separators, full-width digits, trailing
    spaces, a currency sign, and "万" (ten thousand: "1.2万" → 12000, "1.2万盒" → 12000 盒 —
    a written number, not a guess). Booleans and free text are errors.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(tr("应为数字，实际是“{v}”", "expected a number, got '{v}'", v=value))
    if isinstance(value, int):
        return Decimal(value), ""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(tr("数字无效", "invalid number"))
        return Decimal(repr(value)), ""
    if isinstance(value, Decimal):
        return value, ""
    if isinstance(value, (date, datetime)):
        raise CellError(tr("应为数字，实际是日期“{v}”", "expected a number, got the date '{v}'", v=value))
    raw = to_halfwidth(str(value)).strip()
    if not raw:
        return None
    s = raw.replace(",", "").replace(" ", "")
    for sign in _CURRENCY:
        if s.startswith(sign):
            s = s[len(sign):]
    negative = False
    if s.startswith("(") and s.endswith(")"):  # accounting negative "(12)"
        s, negative = s[1:-1], True
    m = _NUMBER.match(s)
    if not m or (m.group(4) and re.search(r"\d", m.group(4))):
        raise CellError(tr("应为数字，实际是“{v}”", "expected a number, got '{v}'", v=raw[:40]))
    try:
        number = Decimal(m.group(2))
        if m.group(3):
            number = number.scaleb(int(m.group(3)))
    except (InvalidOperation, ValueError):
        raise CellError(tr("应为数字，实际是“{v}”", "expected a number, got '{v}'", v=raw[:40])) from None
    if m.group(1) == "-" or negative:
        number = -number
    unit = m.group(4).strip()
    if unit.startswith("万") and not unit.startswith("万单位"):  # "1.2万" = 12000, "1.2万片" = 12000 片
        number, unit = number * 10000, unit[1:].strip()
    return number, unit


def parse_decimal(value: object) -> Decimal | None:
    parsed = parse_number(value)
    return None if parsed is None else parsed[0]


def parse_int(value: object, what: str | None = None) -> int | None:
    """A whole number ("12,000", "１２０００", "12000片", 12000.0)."""
    parsed = parse_number(value)
    if parsed is None:
        return None
    number = parsed[0]
    if number != number.to_integral_value():
        raise CellError(tr("应为整数，实际是 {v}", "expected a whole number, got {v}", v=number))
    if abs(number) > 10 ** 15:
        raise CellError(tr("数字过大：{v}", "number too large: {v}", v=number))
    return int(number)


# ------------------------------------------------------------------ dates

_EXCEL_EPOCH = datetime(1899, 12, 30)
#: Asia/Shanghai (no daylight saving since 1991); a fixed offset needs no tz database (Windows).
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_naive(value: datetime) -> datetime:
    """Times are stored as naive local (Asia/Shanghai) times: an aware one is converted first."""
    if value.tzinfo is None:
        return value
    return value.astimezone(SHANGHAI).replace(tzinfo=None)
# Serial numbers of plausible business dates: 1982-02-15 .. 2173-10-14.
_SERIAL_MIN, _SERIAL_MAX = 30000, 100000
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?)?\s*秒?)?\s*$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _from_serial(serial: float) -> datetime:
    if not (_SERIAL_MIN <= serial <= _SERIAL_MAX):
        raise CellError(tr("应为日期，实际是数字 {v}", "expected a date, got the number {v}", v=serial))
    return _EXCEL_EPOCH + timedelta(days=float(serial))


def parse_datetime(value: object) -> datetime | None:
    """Every date form of IMPORT.md, with or without a time part.

    Excel date cells, serial numbers (45555 or "45555"), "2024/09/20", "2024-9-20",
    "2024.09.20", "2024年9月20日", "20240920", "2024-09-20 14:30(:00)".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_naive(value).replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        raise CellError(tr("应为日期，实际是“{v}”", "expected a date, got '{v}'", v=value))
    if isinstance(value, (int, float, Decimal)):
        result = _from_serial(float(value))
        return result.replace(microsecond=0) + (timedelta(seconds=1) if result.microsecond >= 500000 else timedelta())
    raw = to_halfwidth(str(value)).strip()
    if not raw:
        return None
    m = _DATE_TEXT.match(raw) or _COMPACT.match(raw)
    try:
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            hh = int(m.group(4) or 0)
            mm = int(m.group(5) or 0)
            ss = int(m.group(6) or 0)
            if not 1 <= mo <= 12:
                raise CellError(tr("日期“{v}”不存在（没有 {m} 月），请核对", "the date '{v}' does not exist "
                                   "(there is no month {m}); please check it", v=raw[:40], m=mo))
            try:
                date(y, mo, d)
            except ValueError:
                raise CellError(tr("日期“{v}”不存在（{y} 年 {m} 月没有 {d} 日），请核对",
                                   "the date '{v}' does not exist (no day {d} in {y}-{m}); please check it",
                                   v=raw[:40], y=y, m=mo, d=d)) from None
            return datetime(y, mo, d, hh, mm, ss)
        if re.fullmatch(r"\d+(\.\d+)?", raw):
            return parse_datetime(float(raw))
        return local_naive(datetime.fromisoformat(raw))
    except CellError:
        raise
    except (ValueError, OverflowError):
        raise CellError(tr("无法识别的日期“{v}”（例：2024-09-20）", "unrecognised date '{v}' (e.g. 2024-09-20)",
                           v=raw[:40])) from None


def parse_date(value: object) -> date | None:
    result = parse_datetime(value)
    return None if result is None else result.date()


# ------------------------------------------------------------- spec and pack

# Base (smallest dispensing) units: quantities in these are already base units.
BASE_UNITS = frozenset({"片", "粒", "丸", "支", "袋", "贴", "枚", "揿", "喷", "滴", "瓶", "包", "块",
                        "只", "个", "根", "套", "条", "张", "副", "粒(丸)", "ml", "g"})
# Pack units: quantities in these are packs (× units per pack).
PACK_UNITS = frozenset({"盒", "板", "箱", "件", "提", "排", "听", "桶", "罐"})

@dataclass(frozen=True)
class SpecPack:
    spec: str | None
    units_per_pack: int | None = None
    base_unit: str | None = None
    pack_unit: str | None = None
    pack_desc: str | None = None


def _pack_expected(raw: str) -> CellError:
    return CellError(tr(
        "无法识别的包装“{v}”：应为“规格×数量+单位/包装单位”（如“5mg×10片/盒”“0.25g*24粒/盒”“10mg*7片*4板”），"
        "或每包装的数量（如 28）",
        "unrecognised pack '{v}': expected 'strength × count unit / pack unit' (e.g. 5mg×10片/盒, "
        "0.25g*24粒/盒, 10mg*7片*4板) or the count per pack (e.g. 28)", v=raw[:60]))


def parse_pack(value: object) -> SpecPack:
    """A pack column (IMPORT.md v2 grammar, ``packs.parse_pack_cell``): 28, "28", "28片/盒",
    "7片*4板", "5mg×10片/盒" (the strength is the spec, never a count) → units per pack, units.
    A word without a count ("盒") names the pack unit; a cell with no count is an error that
    quotes it and says what was expected."""
    if is_blank(value):
        return SpecPack(None)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        n = parse_int(value)
        if n is None or n <= 0:
            raise CellError(tr("包装数量“{v}”应为正整数（每包装含多少最小单位，如 28）",
                               "units per pack '{v}' must be a positive whole number (e.g. 28)", v=value))
        return SpecPack(None, n)
    raw = clean_text(value)
    if not re.search(r"\d", raw):
        # "盒" names the pack unit; "铝塑板装" describes the packaging: neither gives a count.
        return SpecPack(None, None, None, raw if raw in PACK_UNITS else None, raw)
    if re.fullmatch(r"\d+", raw.replace(",", "")):
        return parse_pack(int(raw.replace(",", "")))
    cell = parse_pack_cell(value)
    if not cell.counted:
        raise _pack_expected(str(value).strip())
    return SpecPack(cell.spec, cell.units_per_pack, cell.base_unit, cell.pack_unit, cell.pack_desc)


def parse_spec_pack(value: object) -> SpecPack:
    """A spec column that may hold the pack too: "10mg*7片*4板" → spec 10mg, 28 片 per pack;
    "0.25g×24粒/盒" → spec 0.25g, 24 粒 per 盒; "20mg" → spec only; a size "4.0*40mm" stays
    one spec (no count unit); "20mg/片" names the base unit."""
    if is_blank(value):
        return SpecPack(None)
    cell = parse_pack_cell(value)
    return SpecPack(cell.spec, cell.units_per_pack, cell.base_unit, cell.pack_unit, cell.pack_desc)


def spec_text(value: object) -> SpecPack:
    """A consumable's spec (IMPORT.md v2: sizes, never packs): the cell as written."""
    t = text(value)
    return SpecPack(t)


# --------------------------------------------------------------- yes / no

_YES = {"是", "y", "yes", "true", "1", "√", "✓", "急救", "紧急", "急", "加急"}
_NO = {"否", "n", "no", "false", "0", "×", "普通", "常规", "一般", "正常"}


def parse_flag(value: object) -> bool | None:
    """是/否, Y/N, 1/0, 急救/紧急/普通 → bool; None when blank or unknown."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    t = clean_text(value).lower()
    if t in _YES or "急" in t:
        return True
    if t in _NO:
        return False
    return None
