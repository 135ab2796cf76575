"""History of generated documents (the reports page): record one, list the latest.

``services.documents`` records the PDFs it makes; this module adds the exports that
are written elsewhere (notes, progress workbook) and lists everything with whether
the file is still on disk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import GeneratedDocument

#: Document kinds → (中文, English) labels.
KINDS: dict[str, tuple[str, str]] = {
    "self-check": ("自查自纠报告", "self-check report"),
    "complaint": ("供应问题反馈单", "supply-issue form"),
    "escalation": ("问题上报函", "escalation letter"),
    "notes": ("报量说明", "volume-report notes"),
    "progress": ("执行进度表", "progress workbook"),
    "department-notice": ("科室通报", "department notice"),  # R21
}


@dataclass(frozen=True)
class DocumentEntry:
    id: int
    kind: str
    path: str
    params: dict
    created_by: str | None
    created_at: datetime
    exists: bool

    def as_dict(self) -> dict:
        return asdict(self)


def kind_label(kind: str) -> str:
    from hospital_app.i18n import tr

    zh, en = KINDS.get(kind, (kind, kind))
    return tr(zh, en)


def record(session: Session, kind: str, path: str | Path, params: dict | None = None,
           who: str | None = None) -> DocumentEntry:
    """Note that a document was written, for writers that do not record themselves
    (``services.documents.make_*`` do; the notes and progress exports do not)."""
    row = GeneratedDocument(kind=kind, path=str(Path(path).resolve()), params=params or {}, created_by=who,
                            created_at=datetime.now())
    session.add(row)
    session.flush()
    return _entry(row)


def list_documents(session: Session, limit: int = 200, kind: str | None = None) -> list[DocumentEntry]:
    """The latest generated documents, newest first, with whether the file is still there."""
    stmt = select(GeneratedDocument).order_by(GeneratedDocument.created_at.desc(),
                                              GeneratedDocument.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(GeneratedDocument.kind == kind)
    return [_entry(r) for r in session.scalars(stmt)]


def _entry(row: GeneratedDocument) -> DocumentEntry:
    return DocumentEntry(row.id, row.kind, row.path, dict(row.params or {}), row.created_by,
                         row.created_at, Path(row.path).exists())
