"""`retention [--year Y] [--json] [--out FILE.xlsx]` (R18 surplus-retention estimate)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, require_xlsx, writing
from hospital_app.i18n import tr


def cmd_retention(ctx, args) -> int:
    from hospital_app import settings
    from hospital_app.cli.commands.progress import render_table
    from hospital_app.services.retention import estimate_retention

    if args.out:
        require_xlsx(args.out)
    with ctx.db.session() as s:
        report = estimate_retention(s, ctx.as_of, args.year)
        hospital = settings.get(s, "hospital.name")
    if args.out:
        from hospital_app.reports.retention_xlsx import write_retention

        with writing(args.out):
            path = write_retention(args.out, report, hospital)
        ctx.out(tr("已导出结余留用估算（{n} 行）：{p}", "Retention estimate written ({n} rows): {p}",
                   n=len(report.rows), p=path))
        return 0
    if args.json:
        ctx.out_json(report.as_dict())
        return 0
    ctx.out(tr("结余留用估算（截至 {d}，留用比例 {r}，估算值）", "Surplus retention estimate (as of {d}, rate {r}; an estimate)",
               d=ctx.as_of.isoformat(), r=f"{report.rate:.0%}"))
    table = [[r.generic_name + (f" {r.spec}" if r.spec else ""), str(r.year), f"{r.reported:,}", f"{r.counted:,}",
              "-" if r.pre_vbp_unit_price is None else str(r.pre_vbp_unit_price),
              "-" if r.selected_unit_price is None else str(r.selected_unit_price), str(r.estimate), r.note]
             for r in report.rows]
    for line in render_table([tr("产品", "Product"), tr("年度", "Year"), tr("报量", "Reported"), tr("计入采购", "Counted"),
                              tr("集采前单价", "Pre-VBP"), tr("中选单价", "Selected"), tr("估算", "Estimate"),
                              tr("说明", "Note")], table, {1, 2, 3, 4, 5, 6}):
        ctx.out(line)
    ctx.out(tr("合计：{t} 元", "Total: {t} yuan", t=report.total))
    if report.left_out:
        ctx.out(tr("提醒：以下中选品种在基线年度有采购但未报量：", "Warning: selected generic names bought but not reported:"))
        for x in report.left_out:
            ctx.out(f"  {x.batch} {x.generic_name} {x.spec or ''} ({x.bought:,})".rstrip())
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "retention", "结余留用估算", "surplus retention estimate", cmd_retention, reads=True)
    p.add_argument("--year", type=int, help=tr("协议年度（1、2、…）", "agreement year (1, 2, …)"))
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--out")
