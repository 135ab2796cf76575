"""`suppliers [--quarter Q|--year Y] [--json]` (R4 v2 supplier scorecard) and
`suppliers card COMPANY --out FILE.pdf` (the one-page sheet for the supplier's representative)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.errors import BadInput
from hospital_app.i18n import tr


def level_label(level: str | None) -> str:
    return {"serious": tr("严重", "serious"), "warning": tr("预警", "warning"),
            "incentive": tr("激励", "incentive")}.get(level or "", "")


def role_label(role: str) -> str:
    return tr("生产企业", "manufacturer") if role == "manufacturer" else tr("配送企业", "distributor")


def cmd_suppliers(ctx, args) -> int:
    from hospital_app.cli.commands.progress import pct, render_table
    from hospital_app.services.suppliers import scorecard

    with ctx.db.session() as s:
        rows = scorecard(s, ctx.as_of, args.quarter, args.year)
    if args.json:
        ctx.out_json([r.as_dict() for r in rows])
        return 0
    if not rows:
        ctx.out(tr("没有生产或配送企业。", "No manufacturers or distributors."))
        return 0
    ctx.out(tr("供应企业评价 {p}（截至 {d}）", "Supplier scorecard {p} (as of {d})", p=rows[0].period,
               d=ctx.as_of.isoformat()))
    # R4: a company with nothing in the period has no rates and no level; after a catalogue import there are
    # hundreds of them, which buried the few suppliers that matter. The text lists the active ones.
    idle = [r for r in rows if not (r.placed or r.issues or r.escalations)]
    rows = [r for r in rows if r.placed or r.issues or r.escalations]
    if not rows:
        ctx.out(tr("本期没有企业有订单或供应问题（共 {n} 家企业）。", "No company has orders or supply issues in "
                   "the period ({n} companies).", n=len(idle)))
        return 0
    table = [[r.company, role_label(r.role), str(r.placed), pct(r.response_rate), pct(r.timeliness),
              pct(r.delivery_rate), str(r.issues), pct(r.issues_on_time_rate), str(r.escalations),
              level_label(r.level)] for r in rows]
    for line in render_table([tr("企业", "Company"), tr("角色", "Role"), tr("订单", "Orders"), tr("响应率", "Response"),
                              tr("及时率", "Timeliness"), tr("配送率", "Delivery"), tr("问题", "Issues"),
                              tr("按时解决", "On time"), tr("上报", "Escalated"), tr("评价", "Level")],
                             table, {2, 3, 4, 5, 6, 7, 8}):
        ctx.out(line)
    if idle:
        ctx.out(tr("另有 {n} 家企业本期没有订单和供应问题，未列出（--json 列出全部）。",
                   "{n} more companies have no orders or supply issues in the period (--json lists all).",
                   n=len(idle)))
    return 0


def cmd_card(ctx, args) -> int:
    from hospital_app.services.documents_suppliers import make_supplier_card

    if not str(args.out).lower().endswith(".pdf"):
        raise BadInput(tr("输出文件应以 .pdf 结尾：{p}", "The output file must end in .pdf: {p}", p=args.out))
    with ctx.db.session() as s:
        result = make_supplier_card(s, args.company, args.role, args.out, ctx.as_of, args.quarter, args.year)
    ctx.out(tr("已生成：{p}", "Written: {p}", p=result["path"]))
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "suppliers", "供应企业评价", "the supplier scorecard", cmd_suppliers, reads=True)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--quarter")
    when.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true")
    ssub = p.add_subparsers(dest="suppliers_command", metavar="card", required=False)
    c = leaf(ssub, common, "card", "供应企业约谈材料（PDF）", "one-page supplier sheet (PDF)", cmd_card)
    c.add_argument("company", metavar="COMPANY", help=tr("企业名称或编号", "company name or id"))
    c.add_argument("--role", choices=["manufacturer", "distributor"], default=None)
    c.add_argument("--out", required=True)
    cw = c.add_mutually_exclusive_group()
    cw.add_argument("--quarter")
    cw.add_argument("--year", type=int)
