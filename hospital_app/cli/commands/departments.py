"""`departments [--product ID] [--department NAME] [--json]` · `departments list|rename|merge` ·
`report department NAME --period P --out FILE.pdf` (R21)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr


def _pct(value) -> str:
    from hospital_app.domain.status import percent_text

    return percent_text(value, none="-")


def cmd_departments(ctx, args) -> int:
    from hospital_app.domain.status import status_label
    from hospital_app.services.departments import department_detail, department_view

    with ctx.db.session() as s:
        if args.department:
            detail = department_detail(s, args.department, ctx.as_of)
            if args.json:
                ctx.out_json(detail.as_dict())
                return 0
            _print_detail(ctx, detail)
            return 0
        report = department_view(s, ctx.as_of, product_id=args.product)
    if args.json:
        ctx.out_json(report.as_dict())
        return 0
    from hospital_app.cli.commands.progress import render_table

    ctx.out(tr("科室用量（截至 {d}，当前协议期）", "Use by department as of {d} (current agreement period)",
               d=ctx.as_of.isoformat()))
    shown = [p for p in report.products if p.departments]
    if not shown:
        ctx.out(tr("没有科室用量数据（请先导入科室发药/领用数据）。",
                   "No department usage on record (import the HIS dispensing export first)."))
        return 0
    for p in shown:
        ctx.out("")
        ctx.out(tr("{id} {g} {s}：{st}，缺口 {sf}，全院非中选占比 {ns}",
                   "{id} {g} {s}: {st}, shortfall {sf}, hospital non-selected share {ns}",
                   id=p.product_id, g=p.generic_name, s=p.spec or "", st=status_label(p.status),
                   sf=p.shortfall, ns=_pct(p.nonselected_share)))
        headers = [tr("科室", "Department"), tr("中选", "Selected"), tr("非中选", "Non-selected"),
                   tr("非中选占比", "Non-sel. share"), tr("用量占比", "Use share"), tr("应承担缺口", "Shortfall part")]
        rows = [[f.department, str(f.selected), str(f.nonselected), _pct(f.nonselected_share), _pct(f.use_share),
                 str(f.shortfall_part)] for f in p.departments]
        for line in render_table(headers, rows, right={1, 2, 3, 4, 5}):
            ctx.out("  " + line)
        top = p.top_departments()
        if top:
            ctx.out("  " + tr("重点科室：", "Departments to address: ") + tr("、", ", ").join(f.department for f in top))
    return 0


def _print_detail(ctx, detail) -> None:
    from hospital_app.domain.status import status_label

    s = detail.summary
    ctx.out(tr("{n}（截至 {d}）：中选 {a}，非中选 {b}，非中选占比 {p}，应承担缺口合计 {c}",
               "{n} as of {d}: selected {a}, non-selected {b}, non-selected share {p}, shortfall part {c}",
               n=detail.department, d=detail.as_of.isoformat(), a=s.selected, b=s.nonselected,
               p=_pct(s.nonselected_share), c=s.shortfall_part))
    for p, f in detail.lagging:
        ctx.out("  " + tr("滞后：{g} {sp}（{st}），应承担缺口 {c}", "Behind: {g} {sp} ({st}), shortfall part {c}",
                          g=p.generic_name, sp=p.spec or "", st=status_label(p.status), c=f.shortfall_part))
    for p, f in detail.nonselected:
        ctx.out("  " + tr("非中选：{g}，非中选 {n}，占比 {r}", "Non-selected: {g}, {n} units, share {r}",
                          g=p.generic_name, n=f.nonselected, r=_pct(f.nonselected_share)))


def cmd_list(ctx, args) -> int:
    from hospital_app.services.department_names import list_departments

    with ctx.db.session() as s:
        items = list_departments(s)
    if args.json:
        ctx.out_json([d.as_dict() for d in items])
        return 0
    for d in items:
        alias = tr("（别名：{a}）", " (aliases: {a})", a=tr("、", ", ").join(d.aliases)) if d.aliases else ""
        ctx.out(tr("{n}：{r} 行用量{a}", "{n}: {r} usage lines{a}", n=d.name, r=d.usage_rows, a=alias))
    if not items:
        ctx.out(tr("还没有科室。", "No departments yet."))
    return 0


def cmd_rename(ctx, args) -> int:
    from hospital_app.services.audit import current_user
    from hospital_app.services.department_names import rename

    with ctx.db.session() as s:
        d = rename(s, args.old, args.new, who=current_user())
    ctx.out(tr("已将科室“{o}”改名为“{n}”（原名称保留为别名）。",
               "Department '{o}' renamed to '{n}' (the old name stays an alias).", o=args.old, n=d.name))
    return 0


def cmd_merge(ctx, args) -> int:
    from hospital_app.services.audit import current_user
    from hospital_app.services.department_names import merge

    with ctx.db.session() as s:
        d = merge(s, args.source, args.target, who=current_user())
    ctx.out(tr("已将科室“{a}”合并到“{b}”（共 {n} 行用量）。", "Department '{a}' merged into '{b}' ({n} usage lines).",
               a=args.source, b=d.name, n=d.usage_rows))
    return 0


def cmd_report(ctx, args) -> int:
    """`report department NAME --period P --out FILE.pdf`: the department notice (科室通报)."""
    from hospital_app.cli.commands.report import _pdf_path, _write
    from hospital_app.domain.periods import parse_period
    from hospital_app.services.department_notice import make_department_notice

    period = parse_period(args.period)
    path = _pdf_path(args.out)
    with ctx.db.session() as s:
        result = _write(make_department_notice, s, args.name, period, path=path, as_of=ctx.as_of)
    ctx.out(tr("已生成科室通报（{d}，{p}，截至 {a}，共 {n} 页）：{f}",
               "Department notice written ({d}, {p}, as of {a}, {n} pages): {f}",
               d=result["department"], p=period.label, a=result["as_of"], n=result["pages"], f=result["path"]))
    return 0


def register_report(rsub, common) -> None:
    """Called by ``report.register``: the ``report department`` subcommand."""
    r = leaf(rsub, common, "department", "科室通报", "department notice", cmd_report)
    r.add_argument("name")
    r.add_argument("--period", required=True)
    r.add_argument("--out", required=True)


def register(sub, common) -> None:
    p = leaf(sub, common, "departments", "科室用量与滞后", "use and lag by department", cmd_departments, reads=True)
    p.add_argument("--product", type=int, help=tr("只看这个产品", "only this product"))
    p.add_argument("--department", help=tr("只看这个科室", "only this department"))
    p.add_argument("--json", action="store_true")
    dsub = p.add_subparsers(dest="departments_command", metavar="SUBCOMMAND", required=False)
    ls = leaf(dsub, common, "list", "科室列表", "list departments", cmd_list, reads=True)
    ls.add_argument("--json", action="store_true")
    rn = leaf(dsub, common, "rename", "科室改名", "rename a department", cmd_rename)
    rn.add_argument("old")
    rn.add_argument("new")
    mg = leaf(dsub, common, "merge", "合并科室", "merge two departments", cmd_merge)
    mg.add_argument("source", metavar="FROM")
    mg.add_argument("target", metavar="INTO")
