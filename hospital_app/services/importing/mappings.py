"""Saved column mappings and the wizard's preview (IMPORT.md "Header names").

A mapping is field → header for one kind; ``--mapping`` accepts a dict, a JSON file or a
saved mapping's name (``resolve_mapping``). ``preview`` opens a file without importing it:
its sheets, the detected header row and the proposed field → column mapping.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ImportMapping
from hospital_app import settings
from hospital_app.errors import BadInput, NotFound
from hospital_app.i18n import tr
from hospital_app.importers import values as V
from hospital_app.importers.headers import missing_required
from hospital_app.importers.table import open_table, parse_user_mapping
from hospital_app.services.importing.results import KINDS, Preview


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


def _reading(header, values: list) -> str:
    """How the import reads a preview row's pack and selected flag (IMPORT.md v2): "10片/盒 ·
    规格 5mg · 中选" — so the pharmacist sees packs and the flag before running the import."""
    from hospital_app.importers.packs import parse_pack_cell

    def cell(fname: str):
        i = header.mapping.get(fname)
        return values[i] if i is not None and i < len(values) else None

    parts = []
    for fname in ("pack", "spec"):
        raw = cell(fname)
        if raw is None or str(raw).strip() == "":
            continue
        if isinstance(raw, (int, float)) and fname == "pack":
            parts.append(tr("每包装 {n}", "{n} per pack", n=V.text(raw)))
            break
        p = parse_pack_cell(raw)
        if p.counted:
            parts.append(f"{p.units_per_pack}{p.base_unit or ''}/{p.pack_unit or tr('包装', 'pack')}")
            if p.spec:
                parts.append(tr("规格 {s}", "spec {s}", s=p.spec))
            break
    flag = cell("selected_flag")
    if flag is not None and str(flag).strip():
        parts.append(f"{header.column_of('selected_flag')}：{V.text(flag)}")
    return " · ".join(parts)


def preview(path: str | Path, kind: str, sheet: str | None = None, *, mapping: dict | None = None,
            session: Session | None = None, max_rows: int = 10) -> Preview:
    """The wizard's first page: sheets, detected header, proposed field → column mapping."""
    _check_kind(kind)
    max_mb = _max_mb(session) if session is not None else settings.definition("import_max_file_mb").default
    table = open_table(path, kind, sheet=sheet, mapping=mapping, max_mb=max_mb, strict=False)
    try:
        header = table.header
        rows = [[("" if v is None else str(V.text(v) or "")) for v in values] + [_reading(header, values)]
                for _r, values in table.raw_rows(max_rows)]
        return Preview(
            file=table.file, kind=kind, sheets=[s.as_dict() for s in table.sheets], sheet=table.sheet,
            header_row=header.row, headers=list(header.columns) + [tr("识别结果", "Read as")],
            mapping={f: header.columns[i] for f, i in sorted(header.mapping.items(), key=lambda kv: kv[1])},
            missing=missing_required(kind, header.mapping), rows=rows)
    finally:
        table.close()
