"""`export progress --out FILE.xlsx`."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.errors import BadInput
from hospital_app.i18n import tr


def _export_progress(ctx, args) -> int:
    from hospital_app.services.progress.export import export_progress_workbook

    if not str(args.out).lower().endswith(".xlsx"):
        raise BadInput(tr("输出文件应以 .xlsx 结尾：{p}", "The output file must end in .xlsx: {p}", p=args.out))
    try:
        with ctx.db.session() as s:
            path, n = export_progress_workbook(s, ctx.as_of, args.out, batch=args.batch)
    except OSError as exc:
        raise BadInput(tr("无法写入文件 {p}：{e}", "Cannot write {p}: {e}", p=args.out, e=exc.strerror or exc)) from None
    ctx.out(tr("已导出进度表（{n} 行）：{p}", "Progress workbook written ({n} rows): {p}", n=n, p=path))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("export", help="导出 / export")
    esub = p.add_subparsers(dest="export_command", metavar="SUBCOMMAND", required=True)
    x = leaf(esub, common, "progress", "导出进度表", "export the progress workbook", _export_progress)
    x.add_argument("--out", required=True)
    x.add_argument("--batch")
