"""Pack and spec cells (IMPORT.md v2 "Pack cells are strength × count unit / pack unit").

A pack cell is read from its end: the trailing ``N unit`` parts (片, 粒, 支, 袋, 瓶 … each
optionally ``/pack unit``) are the counts; whatever stands before them is the strength and
is the spec, never a count:

- "5mg×10片/盒"            → spec 5mg, 10 片 per 盒
- "10mg*7片*4板"           → spec 10mg, 28 片 (7 × 4), the innermost count unit 片 is the base unit
- "3ml:300单位(笔芯)*1支/盒" → spec 3ml:300单位(笔芯), 1 支 per 盒
- "10丸/盒*10丸/盒"         → a repeated part counts once: 10 丸 per 盒
- "4.0*40mm" (a consumable size) → no count: spec 4.0*40mm as written

Only ``*``/``×`` outside brackets separate parts (a strength may hold "(按C17H18F3NO计)").
The units per pack are the product of the counts, the base unit is the innermost (first)
count unit, the pack unit the last "/unit" (or the outer count unit of "7片*4板" when none).
``parse_pack_cell`` is the one place this grammar lives; ``values.parse_pack`` /
``values.parse_spec_pack`` are its column-specific front doors.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from hospital_app.domain.normalize import clean_text

# Units a count can carry: dosage units (base units) and packaging units.
DOSE_UNITS = ("片", "粒", "丸", "支", "袋", "贴", "枚", "揿", "喷", "滴", "瓶", "包", "块", "只", "个", "根", "套",
              "条", "张", "副", "卷", "对", "把", "颗", "剂", "安瓿", "喷瓶", "笔", "板", "盒", "小盒", "中盒", "大盒",
              "箱", "件", "提", "排", "听", "桶", "罐", "袋装", "瓶装", "盒装", "台", "筒")
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in DOSE_UNITS), key=len, reverse=True))
# One count part: "10片", "10片/盒", "1支/支", "14s" (English label: count, unit not named).
_COUNT = re.compile(rf"^(\d+)\s*(?:({_UNIT_ALT})|['’]?[sS])\s*(?:/\s*({_UNIT_ALT}))?$")
# A count part written "10片/板" inside a longer cell: the unit after "/" is what holds them.
_ONLY_UNIT = re.compile(rf"^({_UNIT_ALT})$")
# "20mg/片": a strength naming its dosage unit (no count).
_STRENGTH_PER_UNIT = re.compile(rf"^(.*?\d\s*[A-Za-zμµ%]+[^/]*)/({_UNIT_ALT})$")
_TIMES = re.compile(r"(?<=[A-Za-z\d\u4e00-\u9fff)）\]])\s*[xX]\s*(?=\d)")


@dataclass(frozen=True)
class PackCell:
    spec: str | None  # the strength / size as written (None when the cell is counts only)
    units_per_pack: int | None = None
    base_unit: str | None = None
    pack_unit: str | None = None
    pack_desc: str | None = None  # the cell as written ("5mg×10片/盒")
    counted: bool = False  # True when at least one count part was found


def normalise(value: object) -> str:
    """Half-width text with one multiplication sign ("*") and one ratio sign (":")."""
    raw = clean_text(value)
    raw = raw.replace("×", "*").replace("╳", "*").replace("∶", ":").replace("：", ":")
    return _TIMES.sub("*", raw)


def split_top(raw: str) -> list[str]:
    """Split at "*" outside brackets: "20mg(按C17H18F3NO计)*28粒/盒" → 2 parts."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(raw):
        if ch in "([{（【":
            depth += 1
        elif ch in ")]}）】":
            depth = max(0, depth - 1)
        elif ch == "*" and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [p.strip() for p in parts]


def parse_pack_cell(value: object) -> PackCell:
    """The grammar above; never raises (a cell without counts is all spec, ``counted`` False).
    A list repeats its pack cells thousands of times: texts are parsed once (``_parse_text``)."""
    if isinstance(value, str):
        return _parse_text(value)
    return _parse(value)


@functools.lru_cache(maxsize=65536)
def _parse_text(value: str) -> PackCell:
    return _parse(value)


def _parse(value: object) -> PackCell:
    raw = normalise(value)
    if not raw:
        return PackCell(None)
    parts = [p for p in split_top(raw) if p]
    counts: list[tuple[int, str | None, str | None, str]] = []
    while parts:
        m = _COUNT.match(parts[-1].replace(" ", ""))
        if not m:
            break
        part = parts.pop()
        if counts and part.replace(" ", "") == counts[0][3]:
            continue  # "10丸/盒*10丸/盒": the same part repeated counts once
        counts.insert(0, (int(m.group(1)), m.group(2), m.group(3), part.replace(" ", "")))
    spec = "*".join(parts).strip() or None
    if not counts:
        m = _STRENGTH_PER_UNIT.match(raw) if "*" not in raw else None
        if m:  # "20mg/片" names the base unit
            return PackCell(m.group(1).strip(), None, m.group(2), None, None)
        return PackCell(raw)
    total = 1
    for n, _u, _p, _t in counts:
        total *= n
    base = next((u for _n, u, _p, _t in counts if u), None)
    # "7片*4板": 28 片 per (unnamed) box — 板 holds 7, it is not the pack bought.
    pack = counts[-1][2]
    if total <= 0:
        return PackCell(raw)
    desc = re.sub(r"\s+", " ", str(value)).strip()
    return PackCell(spec.rstrip(",，;；。、") if spec else None, total, base, pack, desc, True)


__all__ = ["PackCell", "parse_pack_cell", "normalise", "split_top", "DOSE_UNITS"]
