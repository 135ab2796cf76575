"""`import KIND FILE` (IMPORT.md, CLI.md)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.errors import BadInput
from hospital_app.i18n import tr

KINDS = ["products", "volumes", "purchases", "orders", "reported-volumes", "departments"]

_KIND_ZH = {"products": "中选产品", "volumes": "约定采购量", "purchases": "采购明细", "orders": "订单",
            "reported-volumes": "报量", "departments": "科室用量"}


def _error_document(exc: BadInput) -> dict:
    result = getattr(exc, "result", None)
    if result is not None:
        return result.as_dict()
    return {"rows": 0, "inserted": 0, "updated": 0, "unchanged": 0,
            "errors": [{"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message}
                       for p in exc.problems]}


def _import(ctx, args) -> int:
    from hospital_app.services.audit import current_user
    from hospital_app.services.importing import import_file

    try:
        with ctx.db.session() as s:
            result = import_file(s, args.kind, args.file, sheet=args.sheet, mapping=args.mapping,
                                 batch=args.batch, dry_run=args.dry_run, who=current_user())
    except BadInput as exc:
        if args.json:
            ctx.out_json(_error_document(exc))
        raise
    if not args.dry_run and result.inserted:
        from db.session import optimize

        optimize(ctx.db)  # planner statistics after a bulk write (issue 12)
    if args.json:
        ctx.out_json(result.as_dict())
        return 0
    what = tr(_KIND_ZH[args.kind], args.kind)
    head = tr("试运行（未写入）", "Dry run (nothing written)") if args.dry_run else tr("已导入", "Imported")
    ctx.out(tr("{h}{w}：工作表“{s}”，共 {r} 行；新增 {i}，更新 {u}，未变 {n}。",
               "{h} {w}: sheet '{s}', {r} rows; inserted {i}, updated {u}, unchanged {n}.",
               h=head, w=what, s=result.sheet, r=result.rows, i=result.inserted, u=result.updated,
               n=result.unchanged))
    if result.created_products:
        ctx.out(tr("其中新建了 {n} 个非中选/目录产品。", "{n} non-selected/catalogue products were created.",
                   n=result.created_products))
    for w in getattr(result, "warnings", ()):
        where = tr("第 {r} 行", "row {r}", r=w.row) if w.row else ""
        ctx.out(tr("提示：", "Note: ") + (f"{where} " if where else "") + w.message)
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "import", "导入 Excel/CSV 文件", "import an Excel/CSV file", _import)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--mapping")
    p.add_argument("--batch")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")
