"""`indicators [--batch NAME] [--json|--out FILE.xlsx]` · `indicators compare FILE [--json]` (R20)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, require_xlsx, writing
from hospital_app.i18n import tr


def _identity(session) -> dict[str, str]:
    from hospital_app import settings

    return {"hospital": settings.get(session, "hospital.name") or "",
            "hospital_code": settings.get(session, "hospital.code") or "",
            "region": settings.get(session, "hospital.region") or ""}


def cmd_indicators(ctx, args) -> int:
    from hospital_app.cli.commands.progress import pct, render_table
    from hospital_app.services.indicators import COUNTS, SHARED, compute_indicators, indicator_label

    if args.out:
        require_xlsx(args.out)
    with ctx.db.session() as s:
        report = compute_indicators(s, ctx.as_of, batch=args.batch)
        identity = _identity(s)
    if args.out:
        from hospital_app.reports.bureau_xlsx import write_bureau_report

        with writing(args.out):
            path = write_bureau_report(args.out, report, identity)
        ctx.out(tr("已导出带量执行报表（{n} 个批次）：{p}", "Execution report written ({n} batches): {p}",
                   n=len(report.batches), p=path))
        return 0
    if args.json:
        ctx.out_json(report.as_dict())
        return 0
    ctx.out(tr("医保带量执行指标（截至 {d}）", "The bureau's execution indicators (as of {d})", d=ctx.as_of.isoformat()))
    if not report.batches:
        ctx.out(tr("没有批次。", "No batches."))
    for b in report.batches:
        ctx.out("")
        ctx.out(tr("{b}（序时进度 {s}）", "{b} (schedule {s})", b=b.batch, s=pct(b.schedule)))
        rows = []
        for key, _zh in COUNTS:
            share = pct(b.share(key)) if key in SHARED else ""
            rows.append([indicator_label(key), str(b.counts[key]), share])
        for line in render_table([tr("指标", "Indicator"), tr("数量", "Count"), tr("占比", "Share")], rows, {1, 2}):
            ctx.out(line)
    return 0


def cmd_compare(ctx, args) -> int:
    from hospital_app.services.indicators import indicator_label
    from hospital_app.services.indicators_compare import compare_with_bureau

    with ctx.db.session() as s:
        result = compare_with_bureau(s, args.file, ctx.as_of)
    if args.json:
        ctx.out_json({"as_of": ctx.as_of.isoformat(), "batches": [c.as_dict() for c in result]})
        return 0
    if not result:
        ctx.out(tr("文件中没有批次行。", "The file has no batch rows."))
    for c in result:
        if not c.known:
            ctx.out(tr("第 {r} 行 {b}：本系统中没有这个批次。", "Row {r} {b}: no such batch here.", r=c.row, b=c.batch))
            continue
        if not c.differences:
            ctx.out(tr("{b}：各项指标与医保部门一致。", "{b}: every indicator matches the bureau's.", b=c.batch))
            continue
        ctx.out(tr("{b}：{n} 项指标不一致", "{b}: {n} indicators differ", b=c.batch, n=len(c.differences)))
        for d in c.differences:
            ctx.out(tr("  {k}：医保 {t}，本院 {o}", "  {k}: bureau {t}, ours {o}",
                       k=indicator_label(d.key), t=d.bureau, o=d.ours))
            if d.products:  # say what the list is: ours counted, or merely the nearest (R20)
                ctx.out(tr("    本院计入该项的产品（已采购/约定量）：", "    Our products in it (bought / agreed):")
                        if d.bureau is None or d.ours > d.bureau else
                        tr("    本院未计入、最接近该项的产品（已采购/约定量），请逐一核对：",
                           "    Not counted by us, nearest to it (bought / agreed); check each:"))
            for p in d.products:
                name = " ".join(x for x in (p.generic_name, p.spec, p.manufacturer) if x)
                ctx.out(f"    #{p.product_id} {name}  {p.detail}")
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "indicators", "医保带量执行指标", "the bureau's execution indicators", cmd_indicators, reads=True)
    p.add_argument("--batch")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--out")
    isub = p.add_subparsers(dest="indicators_command", metavar="compare", required=False)
    c = leaf(isub, common, "compare", "与医保部门的执行报表核对", "compare with the bureau's own report", cmd_compare)
    c.add_argument("file", metavar="FILE")
    c.add_argument("--json", action="store_true")
