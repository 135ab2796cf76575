"""Reported volumes (报量) import (R13): one volume report per file and batch, its lines
in base units, matched to products where possible; the same product twice is an error.

The report's own name (what the notes and the self-check print, never the file name) is
given by the user (``import reported-volumes FILE --name``, the wizard's 报量名称) or
defaults to “YYYY年度报量”: the year the file name states (报量_2026.xlsx → 2026), else the
year after the import's day (a report is made in the year before the cycle it asks for).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from db.models import Batch, VolumeReport, VolumeReportLine
from hospital_app.domain.normalize import normalize_key
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.services.importing.matching import ProductIndex
from hospital_app.services.importing.run import Run, _RowError


_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def report_year(file_name: str, as_of: date) -> int:
    """R13: the cycle year of a volume report — the last year (20xx) the file name states,
    else the year after ``as_of``."""
    found = _YEAR.findall(Path(file_name).stem)
    return int(found[-1]) if found else as_of.year + 1


def default_report_name(file_name: str, as_of: date) -> str:
    """R13: “2026年度报量” for ``报量_2026.xlsx`` (see :func:`report_year`)."""
    return f"{report_year(file_name, as_of)}年度报量"


def import_reported(run: Run, *, batch: str | None = None, run_id: int | None = None) -> None:
    """R13: a volume report (报量) with its lines in base units, named ``run.options["report_name"]``
    (default :func:`default_report_name`). Importing the file again with another name renames it."""
    batch_name = batch
    name = (run.options.get("report_name") or "").strip()
    as_of = run.options.get("as_of")
    if len(name) > 200:
        raise BadInput(tr("报量名称不能超过 200 个字符。", "The report name must not exceed 200 characters."),
                       file=run.t.file)
    as_of = as_of or date.today()
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
    if run.total_problems:
        return
    if report is not None and (name or report.name == Path(run.t.file).stem) and \
            report.name != (name or default_report_name(run.t.file, as_of)):
        report.name = name or default_report_name(run.t.file, as_of)  # renamed, or a file-stem name of old
    if not new_lines:
        return
    if report is None:
        report = VolumeReport(batch_id=batch_id, name=name or default_report_name(run.t.file, as_of),
                              cycle=str(report_year(run.t.file, as_of)), source_file=run.t.file)
        run.s.add(report)
        run.s.flush()
    for line in new_lines:
        line.report_id = report.id
    run.s.add_all(new_lines)


def _report_key(code: str | None, generic: str, spec: str | None, maker: str) -> str:
    if code:
        return "c:" + normalize_key(code)
    return f"n:{generic}|{spec or ''}|{maker}"
