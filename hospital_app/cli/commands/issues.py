"""`issues add | reply | resolve | close | escalate | report | confirm | list` (R3, as of d), and for R11
`issues link ID --purchases 12,13` (purchases the issue excuses) and
`issues confirm` records the bureau's verification (backup-supplier purchases then count as selected)."""

from __future__ import annotations

from hospital_app.cli.commands._base import date_arg, datetime_arg, leaf
from hospital_app.i18n import tr

TYPES = ["shortage", "late_delivery", "selective_delivery", "stopped_after_volume",
         "unsuitable_form_spec", "packaging", "batch_number_printing", "quality", "other"]


def _dt(value) -> str:
    return value.isoformat(sep=" ", timespec="minutes") if value else "-"


def _overdue_text(view) -> str:
    parts = [tr("答复逾期", "reply overdue") if k == "reply" else tr("解决逾期", "resolution overdue")
             for k in view.overdue]
    if view.promise_exceeds_limit:
        parts.append(tr("承诺超过 5 个工作日", "promise beyond 5 working days"))
    return tr("、", ", ").join(parts)


def _summary(view) -> str:
    from hospital_app.services.supply_issues import status_label, type_label

    res = view.resolution_due.isoformat() + (tr("（暂定）", " (provisional)") if view.resolution_due_provisional else "")
    line = tr("#{id} [{s}] 产品 {pid} {name}  {t}  登记 {r}  答复期限 {rd}  解决期限 {res}",
              "#{id} [{s}] product {pid} {name}  {t}  reported {r}  reply due {rd}  resolution due {res}",
              id=view.id, s=status_label(view.status), pid=view.product_id, name=view.product_name,
              t=type_label(view.type), r=_dt(view.reported_at), rd=view.reply_due.isoformat(), res=res)
    if view.bureau_reported_at:
        line += tr("  已报告医保部门 {t}", "  reported to the bureau {t}", t=_dt(view.bureau_reported_at))
    if view.bureau_confirmed_at:
        line += tr("  医保部门已核实 {t}", "  confirmed by the bureau {t}", t=_dt(view.bureau_confirmed_at))
    flags = _overdue_text(view)
    return line + (f"  ⚠ {flags}" if flags else "")


def _print_change(ctx, args, view, done_zh: str, done_en: str) -> None:
    if getattr(args, "json", False):
        ctx.out_json(view.as_dict())
        return
    ctx.out(tr(done_zh, done_en, id=view.id))
    ctx.out(_summary(view))
    if view.missing_years:
        ctx.out(tr("注意：{y} 年尚无官方节假日安排，期限按周一至周五计算（临时）。",
                   "Note: no official schedule for {y} yet; dates assume Monday–Friday (provisional).",
                   y="、".join(map(str, view.missing_years))))


def cmd_add(ctx, args) -> int:
    from hospital_app.services.supply_issues import add_issue

    with ctx.db.session() as s:
        view = add_issue(s, args.product, args.type, args.reported_at, company=args.company,
                         description=args.description, as_of=ctx.as_of)
    if args.json:
        ctx.out_json(view.as_dict())
    else:
        ctx.out(tr("已登记供应问题 #{id}，供应企业应于 {d} 前答复。", "Supply issue #{id} filed; reply due {d}.",
                   id=view.id, d=view.reply_due.isoformat()))
        ctx.out(_summary(view))
    return 0


def cmd_reply(ctx, args) -> int:
    from hospital_app.services.supply_issues import reply

    with ctx.db.session() as s:
        view = reply(s, args.id, args.at, promised_date=args.promise, text=args.text, as_of=ctx.as_of)
    _print_change(ctx, args, view, "已登记供应问题 #{id} 的答复。", "Reply recorded for supply issue #{id}.")
    if not args.json and view.promise_exceeds_limit:
        ctx.out(tr("警告：承诺解决日期超过答复后 5 个工作日（最迟 {l}）。",
                   "Warning: the promised date is beyond 5 working days after the reply (limit {l}).",
                   l=view.promise_limit))
    return 0


def cmd_resolve(ctx, args) -> int:
    from hospital_app.services.supply_issues import resolve

    with ctx.db.session() as s:
        view = resolve(s, args.id, args.at, text=args.text, as_of=ctx.as_of)
    _print_change(ctx, args, view, "供应问题 #{id} 已解决。", "Supply issue #{id} resolved.")
    return 0


def cmd_close(ctx, args) -> int:
    from hospital_app.services.supply_issues import close

    with ctx.db.session() as s:
        view = close(s, args.id, args.at, text=args.text, as_of=ctx.as_of)
    _print_change(ctx, args, view, "供应问题 #{id} 已关闭。", "Supply issue #{id} closed.")
    return 0


def cmd_escalate(ctx, args) -> int:
    from hospital_app.services.supply_issues import escalate

    with ctx.db.session() as s:
        view = escalate(s, args.id, args.at, text=args.text, as_of=ctx.as_of)
    _print_change(ctx, args, view, "供应问题 #{id} 已上报。可用 report escalation {id} 打印上报函。",
                  "Supply issue #{id} escalated. Print the letter with: report escalation {id}.")
    return 0


def cmd_list(ctx, args) -> int:
    from hospital_app.services.supply_issues import list_issues

    with ctx.db.session() as s:
        views = list_issues(s, ctx.as_of, open_only=args.open, overdue_only=args.overdue)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
        return 0
    if not views:
        ctx.out(tr("没有供应问题。", "No supply issues."))
    for v in views:
        ctx.out(_summary(v))
    return 0


def cmd_report(ctx, args) -> int:
    from hospital_app.services.supply_issues import report_to_bureau

    with ctx.db.session() as s:
        view = report_to_bureau(s, args.id, args.at, to=args.to, as_of=ctx.as_of)
    _print_change(ctx, args, view, "供应问题 #{id} 已登记报告医保部门。",
                  "Supply issue #{id}: report to the insurance bureau recorded.")
    return 0


def cmd_confirm(ctx, args) -> int:
    from hospital_app.services.supply_issues import confirm_by_bureau

    with ctx.db.session() as s:
        view = confirm_by_bureau(s, args.id, args.at, ref=args.ref, as_of=ctx.as_of)
    _print_change(ctx, args, view, "供应问题 #{id} 已登记医保部门核实。",
                  "Supply issue #{id}: the insurance bureau's confirmation recorded.")
    return 0


def _ids(text: str) -> list[int]:
    import argparse

    try:
        return [int(x) for x in text.replace("，", ",").split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(tr("应为以逗号分隔的采购记录编号：{t}",
                                            "expected comma-separated purchase ids: {t}", t=text)) from None


def cmd_link(ctx, args) -> int:
    from hospital_app.services.supply_issues import link_purchases

    with ctx.db.session() as s:
        added = link_purchases(s, args.id, args.purchases)
    ctx.out(tr("供应问题 #{id} 新关联 {n} 条采购记录。", "Supply issue #{id}: {n} purchases newly linked.",
               id=args.id, n=added))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("issues", help="供应问题 / supply issues")
    isub = p.add_subparsers(dest="issues_command", metavar="SUBCOMMAND", required=True)
    a = leaf(isub, common, "add", "登记供应问题", "file a supply issue", cmd_add)
    a.add_argument("--product", type=int, required=True)
    a.add_argument("--type", required=True, help=", ".join(TYPES))
    a.add_argument("--reported-at", type=datetime_arg, required=True)
    a.add_argument("--company")
    a.add_argument("--description")
    a.add_argument("--json", action="store_true")
    handlers = {"reply": (cmd_reply, "登记供应企业答复", "record the supplier's reply"),
                "resolve": (cmd_resolve, "登记问题已解决", "record the resolution"),
                "close": (cmd_close, "关闭问题", "close the issue"),
                "escalate": (cmd_escalate, "上报医保部门", "escalate to the insurance bureau")}
    for name, (handler, zh, en) in handlers.items():
        x = leaf(isub, common, name, zh, en, handler)
        x.add_argument("id", type=int)
        x.add_argument("--at", type=datetime_arg, required=True)
        x.add_argument("--text")
        if name == "reply":
            x.add_argument("--promise", type=date_arg)
        x.add_argument("--json", action="store_true")
    rp = leaf(isub, common, "report", "登记已报告医保部门", "record the report to the insurance bureau", cmd_report)
    rp.add_argument("id", type=int)
    rp.add_argument("--at", type=datetime_arg, required=True)
    rp.add_argument("--to", help=tr("上报对象（如 某市医疗保障局）", "to whom (e.g. the city's insurance bureau)"))
    rp.add_argument("--json", action="store_true")
    cf = leaf(isub, common, "confirm", "登记医保部门核实", "record the insurance bureau's confirmation", cmd_confirm)
    cf.add_argument("id", type=int)
    cf.add_argument("--at", type=datetime_arg, required=True)
    cf.add_argument("--ref", help=tr("核实文号或记录", "the confirmation's reference"))
    cf.add_argument("--json", action="store_true")
    lk = leaf(isub, common, "link", "关联本问题所涉采购", "link the purchases this issue excuses", cmd_link)
    lk.add_argument("id", type=int)
    lk.add_argument("--purchases", type=_ids, required=True, metavar="ID,ID,…")
    ls = leaf(isub, common, "list", "列出供应问题", "list supply issues", cmd_list, reads=True)
    ls.add_argument("--open", action="store_true")
    ls.add_argument("--overdue", action="store_true")
    ls.add_argument("--json", action="store_true")
