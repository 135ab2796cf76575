"""`volume-check` and `notes list|show|set|sign|reopen|draft` — R13 volume reports.

A thin front end over hospital_app.services.volume_reports (CLI.md).
"""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.domain import volume_check as vc
from hospital_app.i18n import tr


def _reason_text(reason: str | None) -> str:
    return vc.threshold_label(reason) if reason else ""


def _status_text(status: str) -> str:
    return {"signed": tr("已签字", "signed"), "draft": tr("草稿", "draft")}.get(
        status, tr("未起草", "not drafted"))


def volume_check(ctx, args) -> int:
    """R13: every reported line against its baseline."""
    from hospital_app.services.volume_reports import check_volumes

    with ctx.db.session() as s:
        rows = check_volumes(s, ctx.as_of, args.baseline_year)
    if args.json:
        ctx.out_json([r.as_dict() for r in rows])
        return 0
    if not rows:
        ctx.out(tr("没有已导入的报量明细（请先 import reported-volumes）。",
                   "No reported volumes imported yet (use import reported-volumes)."))
        return 0
    ctx.out(tr("基线年度：{y}", "Baseline year: {y}", y=", ".join(sorted({str(r.baseline_year) for r in rows}))))
    ctx.out("\t".join([tr("明细ID", "Line"), tr("通用名", "Generic name"), tr("规格", "Spec"),
                       tr("基线", "Baseline"), tr("申报量", "Reported"), tr("变化", "Change"),
                       tr("需说明", "Note needed")]))
    for r in rows:
        need = _reason_text(r.reason) if r.needs_explanation else tr("否", "no")
        ctx.out("\t".join([str(r.line_id), r.generic_name, r.spec or "", str(r.baseline), str(r.reported),
                           vc.format_percent(r.change), need]))
    n = sum(r.needs_explanation for r in rows)
    ctx.out(tr("共 {t} 条，需说明 {n} 条。", "{t} lines, {n} need a note.", t=len(rows), n=n))
    partial = [r for r in rows if not r.baseline_covered]
    if partial:  # R13 v2: say so instead of reading a gap as "no purchases"
        r = partial[0]
        ctx.out(tr("注意：{c}，基线年度 {y} 的采购量不完整，据此计算的变化幅度仅供参考。",
                   "Note: {c}; the baseline year {y} is incomplete; the changes are indicative only.",
                   c=vc.coverage_text(r.data_from, r.data_to),
                   y=tr("、", ", ").join(sorted({str(x.baseline_year) for x in partial}))))
    return 0


def _print_list(ctx, views) -> None:
    if not views:
        ctx.out(tr("没有需要说明的报量明细。", "No line needs an explanation."))
        return
    ctx.out("\t".join([tr("明细ID", "Line"), tr("通用名", "Generic name"), tr("规格", "Spec"),
                       tr("变化", "Change"), tr("触发情形", "Threshold"), tr("状态", "Status"),
                       tr("原因", "Reasons")]))
    for v in views:
        ctx.out("\t".join([str(v.line_id), v.row.generic_name, v.row.spec or "",
                           vc.format_percent(v.row.change), _reason_text(v.row.reason),
                           _status_text(v.status), tr("、", ", ").join(v.reason_labels())]))


def _print_note(ctx, v) -> None:
    r = v.row
    ctx.out(tr("报量明细 {id}：{g} {s}", "Line {id}: {g} {s}", id=r.line_id, g=r.generic_name, s=r.spec or ""))
    ctx.out(tr("基线（{y} 年）：{b}　申报量：{p}　变化：{c}　{t}",
               "Baseline ({y}): {b}  reported: {p}  change: {c}  {t}",
               y=r.baseline_year, b=r.baseline, p=r.reported, c=vc.format_percent(r.change),
               t=_reason_text(r.reason) if r.needs_explanation else tr("无需说明", "no note needed")))
    ctx.out(tr("近12个月：", "Last 12 months: ") + ", ".join(f"{m.month} {m.quantity}" for m in v.months)
            + tr("（趋势：{t}）", " (trend: {t})", t=vc.trend_label(v.trend)))
    status = _status_text(v.status)
    if v.status == "signed":
        status += f"（{v.signed_by}，{v.signed_at:%Y-%m-%d %H:%M}）" if v.signed_at else ""
    ctx.out(tr("状态：", "Status: ") + status)
    ctx.out(tr("原因：", "Reasons: ") + (tr("、", ", ").join(v.reason_labels()) or "—"))
    ctx.out("")
    ctx.out(v.draft_text)


def _emit(ctx, args, view) -> int:
    if getattr(args, "json", False):
        ctx.out_json(view.as_dict())
    else:
        _print_note(ctx, view)
    return 0


def notes_list(ctx, args) -> int:
    from hospital_app.services.volume_reports import list_notes

    with ctx.db.session() as s:
        views = list_notes(s, ctx.as_of, args.baseline_year)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
    else:
        _print_list(ctx, views)
    return 0


def notes_draft(ctx, args) -> int:
    from hospital_app.services.volume_reports import draft_notes

    with ctx.db.session() as s:
        views = draft_notes(s, ctx.as_of, args.baseline_year)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
    else:
        _print_list(ctx, views)
        ctx.out(tr("已起草或更新 {n} 条说明（已签字的保持不变）。",
                   "{n} notes drafted or updated (signed ones unchanged).", n=len(views)))
    return 0


def notes_show(ctx, args) -> int:
    from hospital_app.services.volume_reports import get_note

    with ctx.db.session() as s:
        view = get_note(s, args.line_id, ctx.as_of, args.baseline_year)
    return _emit(ctx, args, view)


def notes_set(ctx, args) -> int:
    from hospital_app.services.volume_reports import set_note

    reasons = None if args.reasons is None else args.reasons.replace("，", ",").split(",")
    with ctx.db.session() as s:
        view = set_note(s, args.line_id, reasons, args.text, as_of=ctx.as_of,
                        baseline_year=args.baseline_year)
    if not args.json:
        ctx.out(tr("已保存报量明细 {id} 的说明。", "Saved the note of line {id}.", id=args.line_id))
    return _emit(ctx, args, view)


def notes_sign(ctx, args) -> int:
    from hospital_app.services.volume_reports import sign_note

    with ctx.db.session() as s:
        view = sign_note(s, args.line_id, args.by, as_of=ctx.as_of)
    if not args.json:
        ctx.out(tr("报量明细 {id} 的说明已签字并锁定。", "The note of line {id} is signed and locked.",
                   id=args.line_id))
    return _emit(ctx, args, view)


def notes_reopen(ctx, args) -> int:
    from hospital_app.services.volume_reports import reopen_note

    with ctx.db.session() as s:
        view = reopen_note(s, args.line_id, as_of=ctx.as_of)
    if not args.json:
        ctx.out(tr("报量明细 {id} 的说明已撤销签字，可再次编辑。",
                   "The note of line {id} is reopened for editing.", id=args.line_id))
    return _emit(ctx, args, view)


def register(sub, common) -> None:
    p = leaf(sub, common, "volume-check", "报量核查", "check reported volumes", volume_check, reads=True)
    p.add_argument("--baseline-year", type=int, metavar="YYYY")
    p.add_argument("--json", action="store_true")

    n = sub.add_parser("notes", help=tr("报量情况说明", "explanatory notes of volume reports"))
    nsub = n.add_subparsers(dest="notes_command", metavar="SUBCOMMAND", required=True)

    def with_common(parser, *, line: bool, year: bool = True):
        if line:
            parser.add_argument("line_id", type=int, metavar="LINE_ID")
        if year:
            parser.add_argument("--baseline-year", type=int, metavar="YYYY")
        parser.add_argument("--json", action="store_true")
        return parser

    with_common(leaf(nsub, common, "list", "需说明的报量明细及其说明", "lines needing a note", notes_list, reads=True),
                line=False)
    with_common(leaf(nsub, common, "draft", "为需说明的明细起草说明", "draft the notes", notes_draft),
                line=False)
    with_common(leaf(nsub, common, "show", "查看一条说明", "show a note", notes_show, reads=True), line=True)
    s = with_common(leaf(nsub, common, "set", "选择原因、填写说明", "set reasons and text", notes_set),
                    line=True)
    s.add_argument("--reasons", metavar="KEY[,KEY]",
                   help=tr("原因代码，逗号分隔：", "reason keys, comma separated: ") + ",".join(vc.REASONS))
    s.add_argument("--text", help=tr("补充说明", "free text"))
    g = with_common(leaf(nsub, common, "sign", "签字确认（锁定）", "sign off (locks)", notes_sign),
                    line=True, year=False)
    g.add_argument("--by", metavar="NAME", help=tr("签字人（默认当前用户）", "signer (default: current user)"))
    with_common(leaf(nsub, common, "reopen", "撤销签字", "reopen a signed note", notes_reopen),
                line=True, year=False)
