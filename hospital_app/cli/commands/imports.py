"""`import KIND FILE` (IMPORT.md, CLI.md) and `products list` (CLI.md v2: products with every pack)."""

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
    errors = [{"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message} for p in exc.problems]
    return {"rows": 0, "inserted": 0, "updated": 0, "unchanged": 0, "errors": errors,
            "error_count": len(errors), "errors_truncated": False, "skipped": []}


def _import(ctx, args) -> int:
    from hospital_app.services.audit import current_user
    from hospital_app.services.importing import import_file

    if args.name is not None and args.kind != "reported-volumes":
        raise BadInput(tr("--name 只用于 reported-volumes（报量名称）。",
                          "--name is only for reported-volumes (the report's name)."))

    try:
        with ctx.db.session() as s:
            result = import_file(s, args.kind, args.file, sheet=args.sheet, mapping=args.mapping,
                                 batch=args.batch, dry_run=args.dry_run, who=current_user(),
                                 skip_invalid=args.skip_invalid, report_name=args.name, as_of=ctx.as_of)
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
    if result.skipped:
        rows = sorted({s["row"] for s in result.skipped})
        ctx.out(tr("跳过了 {n} 行有问题的行（--skip-invalid）：", "{n} row(s) with problems were skipped "
                   "(--skip-invalid):", n=len(rows)))
        for s in result.skipped:
            col = tr("列“{c}”", "column '{c}'", c=s["column"]) if s["column"] else ""
            ctx.out("  " + tr("第 {r} 行", "row {r}", r=s["row"]) + (f" {col}" if col else "") + "：" + s["message"])
    if result.created_products:
        ctx.out(tr("其中新建了 {n} 个非中选/目录产品。", "{n} non-selected/catalogue products were created.",
                   n=result.created_products))
    for w in getattr(result, "warnings", ()):
        where = tr("第 {r} 行", "row {r}", r=w.row) if w.row else ""
        ctx.out(tr("提示：", "Note: ") + (f"{where} " if where else "") + w.message)
    return 0


def _products_list(ctx, args) -> int:
    from hospital_app.services.products_list import list_products

    selected = True if args.selected else (False if args.non_selected else None)
    with ctx.db.session() as s:
        rows = list_products(s, batch=args.batch, selected=selected)
    if args.json:
        ctx.out_json([r.as_dict() for r in rows])
        return 0
    if not rows:
        ctx.out(tr("没有产品。", "No products."))
        return 0
    for r in rows:
        flag = tr("中选", "selected") if r.selected else (
            tr("非中选", "non-selected") if r.category == "nonselected" else tr("目录", "catalogue"))
        ctx.out(f"#{r.product_id} {r.generic_name} {r.spec or ''} {r.manufacturer or ''} [{flag}] "
                f"{r.batch or ''}".rstrip())
        for p in r.packs:
            price = tr("{a} 元/{u}，{b} 元/{base}", "{a} per {u}, {b} per {base}",
                       a=p.price_per_pack if p.price_per_pack is not None else "-", u=p.pack_unit or tr("包装", "pack"),
                       b=p.price_per_unit if p.price_per_unit is not None else "-", base=r.base_unit or "")
            ctx.out(f"    {p.pack_desc or p.units_per_pack}: {p.units_per_pack}{r.base_unit or ''}/"
                    f"{p.pack_unit or ''}  {price}" + (f"  {p.product_code}" if p.product_code else ""))
    return 0


def register(sub, common) -> None:
    pp = sub.add_parser("products", help=tr("产品（含各包装）", "products (with their packs)"))
    psub = pp.add_subparsers(dest="products_command", metavar="SUBCOMMAND", required=True)
    lp = leaf(psub, common, "list", "列出产品及其全部包装", "list products with every pack", _products_list)
    lp.add_argument("--batch")
    which = lp.add_mutually_exclusive_group()
    which.add_argument("--selected", action="store_true")
    which.add_argument("--non-selected", action="store_true")
    lp.add_argument("--json", action="store_true")

    p = leaf(sub, common, "import", "导入 Excel/CSV 文件", "import an Excel/CSV file", _import)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--mapping")
    p.add_argument("--batch")
    p.add_argument("--name", help=tr(
        "报量名称（仅 reported-volumes），打印在报量情况说明和自查报告中；默认“YYYY年度报量”："
        "YYYY 取文件名中的年份（报量_2026.xlsx → 2026年度报量），文件名没有年份时取 --as-of 的下一年",
        "the report's name (reported-volumes only), printed on the notes and the self-check; default "
        "'YYYY年度报量': the year in the file name (报量_2026.xlsx → 2026年度报量), else the year after --as-of"))
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--skip-invalid", action="store_true",
                   help=tr("跳过有问题的行，导入其余各行（并列出跳过的行及原因）",
                           "skip rows with problems, import the rest (and list the skipped rows and why)"))
    p.add_argument("--json", action="store_true")
