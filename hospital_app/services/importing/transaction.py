"""``import_file``: one import run as one transaction (IMPORT.md "Rules of import").

Opens the table, records an ``ImportRun`` (file, sha256, counts, who), hands the rows to the
kind's writer (``kinds/``) and then: any problem → roll back and raise ``ImportFailed``;
a dry run → the same work, rolled back, returning the real counts; success → audit record,
and the caller commits (``with db.session() as s``). The caller hands in a session without
pending changes.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import ImportRun
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers.headers import field_label
from hospital_app.importers.table import open_table
from hospital_app.services import purchase_digest
from hospital_app.services.importing.claim import claim_file
from hospital_app.services.importing.kinds import writer_for
from hospital_app.services.importing.mappings import _check_kind, _max_mb, resolve_mapping
from hospital_app.services.importing.results import ImportFailed, ImportResult, ProgressFn
from hospital_app.services.importing.run import Run


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _skipped_rows(result: ImportResult) -> int:
    return len({s["row"] for s in result.skipped})


def import_file(session: Session, kind: str, path: str | Path, *, sheet: str | None = None,
                mapping: dict | str | None = None, batch: str | None = None, dry_run: bool = False,
                who: str | None = None, progress: ProgressFn | None = None,
                skip_invalid: bool = False, report_name: str | None = None,
                as_of: date | None = None) -> ImportResult:
    """Import one file (IMPORT.md). Raises ``ImportFailed`` (BadInput, exit 3) listing every
    problem, after rolling the session back; a dry run rolls back too and returns the counts
    a real run would have. ``skip_invalid`` (issue 15 item 10): rows with a problem are left out and
    listed in ``result.skipped`` with their reason; the rest is imported. ``report_name`` (reported
    volumes only, R13): the report's own name, default “YYYY年度报量” from the file name's year,
    else the year after ``as_of`` (today)."""
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
        sha = _sha256(path)
        claim_file(session, kind, sha, path.name)  # one import of a file at a time on a server (issue 23 §8)
        run_row = ImportRun(kind=kind, file_name=path.name, sha256=sha, sheet=table.sheet,
                            started_at=datetime.now(), who=who)
        session.add(run_row)
        session.flush()
        run = Run(session, table, result, progress, skip_invalid=skip_invalid,
                  options={"report_name": report_name, "as_of": as_of})
        run.purchase_changes = purchase_digest.Changes.start(session)  # the audit digest's update (issue 21)
        writer_for(kind)(run, batch=batch, run_id=run_row.id)
        run.finish()
        if run.total_problems:
            session.rollback()
            raise ImportFailed(result, run.total_problems)
        if result.rows and result.rows == _skipped_rows(result):
            session.rollback()
            first = result.skipped[0]
            raise BadInput(tr("全部 {n} 行都有问题，没有可导入的行。第一处（第 {r} 行）：{m}",
                              "All {n} rows have problems; nothing to import. First (row {r}): {m}",
                              n=result.rows, r=first["row"], m=first["message"]),
                           file=path.name, sheet=table.sheet, row=first["row"], column=first["column"])
        if result.rows == 0:
            session.rollback()
            raise BadInput(tr("工作表“{s}”在表头（第 {r} 行）下面没有数据行。",
                              "Sheet '{s}' has no data rows below its header (row {r}).",
                              s=table.sheet, r=table.header.row), file=path.name, sheet=table.sheet)
        run_row.rows, run_row.inserted = result.rows, result.inserted
        run_row.skipped = _skipped_rows(result)
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
                          "unchanged": result.unchanged, "skipped": run_row.skipped,
                          "batch_dates": result.batch_dates}, purchase_changes=run.purchase_changes)
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        table.close()
