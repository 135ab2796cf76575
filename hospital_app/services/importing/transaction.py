"""``import_file``: one import run as one transaction (IMPORT.md "Rules of import").

Opens the table, records an ``ImportRun`` (file, sha256, counts, who), hands the rows to the
kind's writer (``kinds/``) and then: any problem → roll back and raise ``ImportFailed``;
a dry run → the same work, rolled back, returning the real counts; success → audit record,
and the caller commits (``with db.session() as s``). The caller hands in a session without
pending changes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import ImportRun
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers.headers import field_label
from hospital_app.importers.table import open_table
from hospital_app.services.importing.kinds.orders import _import_orders
from hospital_app.services.importing.kinds.products import _import_products
from hospital_app.services.importing.kinds.purchases import _import_purchases
from hospital_app.services.importing.kinds.reported_volumes import _import_reported
from hospital_app.services.importing.mappings import _check_kind, _max_mb, resolve_mapping
from hospital_app.services.importing.results import ImportFailed, ImportResult, ProgressFn
from hospital_app.services.importing.run import Run


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
        elif kind == "departments":  # R21 (issue 19)
            from hospital_app.services.importing.kinds.departments import _import_departments

            _import_departments(run, run_row.id)
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
