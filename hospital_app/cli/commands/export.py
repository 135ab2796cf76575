"""`export progress --out FILE.xlsx`."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, require_xlsx, writing
from hospital_app.i18n import tr


def _export_progress(ctx, args) -> int:
    from hospital_app.services.progress.export import export_progress_workbook

    require_xlsx(args.out)
    with writing(args.out), ctx.db.session() as s:
        path, n = export_progress_workbook(s, ctx.as_of, args.out, batch=args.batch)
    ctx.out(tr("已导出进度表（{n} 行）：{p}", "Progress workbook written ({n} rows): {p}", n=n, p=path))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("export", help="导出 / export")
    esub = p.add_subparsers(dest="export_command", metavar="SUBCOMMAND", required=True)
    x = leaf(esub, common, "progress", "导出进度表", "export the progress workbook", _export_progress)
    x.add_argument("--out", required=True)
    x.add_argument("--batch")
