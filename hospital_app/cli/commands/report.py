"""`report self-check | complaint | escalation | notes` (PDF documents)."""

from __future__ import annotations

from pathlib import Path

from hospital_app.cli.commands._base import leaf
from hospital_app.errors import BadInput
from hospital_app.i18n import tr


def _pdf_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != ".pdf":
        raise BadInput(tr("输出文件应为 .pdf：{p}", "The output must be a .pdf file: {p}", p=text), column="--out")
    if path.exists() and path.is_dir():
        raise BadInput(tr("输出路径是一个文件夹：{p}", "The output path is a folder: {p}", p=text), column="--out")
    return path


def _write(make, *args, path: Path, **kwargs) -> dict:
    """Run a document maker; an unwritable output path is bad input (exit 3), not a crash."""
    try:
        return make(*args, path, **kwargs)
    except PermissionError:
        raise BadInput(tr("无法写入输出文件（没有权限）：{p}", "Cannot write the output file (permission): {p}",
                          p=path), column="--out") from None
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise BadInput(tr("无法写入输出文件（路径不存在）：{p}", "Cannot write the output file (no such path): {p}",
                          p=path), column="--out") from None


def cmd_self_check(ctx, args) -> int:
    from hospital_app.domain.periods import parse_period
    from hospital_app.services.documents import make_self_check

    period = parse_period(args.period)
    path = _pdf_path(args.out)
    with ctx.db.session() as s:
        result = _write(make_self_check, s, period.key, path=path, as_of=ctx.as_of)
    ctx.out(tr("已生成自查自纠报告（{p}，截至 {a}，共 {n} 页）：{f}",
               "Self-check report written ({p}, as of {a}, {n} pages): {f}",
               p=period.label, a=result["as_of"], n=result["pages"], f=result["path"]))
    return 0


def cmd_complaint(ctx, args) -> int:
    from hospital_app.services.documents import make_complaint

    path = _pdf_path(args.out)
    with ctx.db.session() as s:
        result = _write(make_complaint, s, args.issue_id, path=path, as_of=ctx.as_of)
    ctx.out(tr("已生成供应问题反馈表（编号 {id}，共 {n} 页）：{f}",
               "Supply issue form written (no. {id}, {n} pages): {f}",
               id=args.issue_id, n=result["pages"], f=result["path"]))
    return 0


def cmd_escalation(ctx, args) -> int:
    from hospital_app.services.documents import make_escalation

    path = _pdf_path(args.out)
    with ctx.db.session() as s:
        result = _write(make_escalation, s, args.issue_id, path=path, as_of=ctx.as_of)
    ctx.out(tr("已生成供应问题上报函（编号 {id}，共 {n} 页）：{f}",
               "Escalation letter written (no. {id}, {n} pages): {f}",
               id=args.issue_id, n=result["pages"], f=result["path"]))
    return 0


def cmd_notes(ctx, args) -> int:
    """R13 notes: delegated to the volume-report service (PDF or xlsx by the file suffix)."""
    from hospital_app.services.documents import record_document
    from hospital_app.services.volume_reports import export_notes

    path = Path(args.out)
    with ctx.db.session() as s:
        try:
            written = export_notes(s, path, ctx.as_of)
        except OSError as exc:  # no permission, no such folder, /proc … (issue 23 §11)
            raise BadInput(tr("无法写入输出文件 {p}：{e}", "Cannot write the output file {p}: {e}",
                              p=path, e=exc.strerror or exc), column="--out") from None
        written = Path(written or path)
        record_document(s, "notes", written, {"as_of": ctx.as_of.isoformat()})
    ctx.out(tr("已导出报量情况说明：{f}", "Explanatory notes written: {f}", f=written.resolve()))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("report", help="生成文书 / documents")
    rsub = p.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    s = leaf(rsub, common, "self-check", "自查自纠报告", "self-check report", cmd_self_check)
    s.add_argument("--period", required=True)
    s.add_argument("--out", required=True)
    c = leaf(rsub, common, "complaint", "供应问题反馈表", "supply issue form", cmd_complaint)
    c.add_argument("issue_id", type=int)
    c.add_argument("--out", required=True)
    e = leaf(rsub, common, "escalation", "供应问题上报函", "escalation letter", cmd_escalation)
    e.add_argument("issue_id", type=int)
    e.add_argument("--out", required=True)
    n = leaf(rsub, common, "notes", "报量情况说明", "explanatory notes", cmd_notes)
    n.add_argument("--out", required=True)
    from hospital_app.cli.commands.departments import register_report

    register_report(rsub, common)  # report department (R21)
