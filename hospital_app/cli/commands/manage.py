"""Management commands (R6, R9–R11, R17); every change lands in the audit log.

Commands:
    exemption add --product ID --reason REASON --document REF [--note T] [--start D] [--end D] [--json]
    exemption list [--product ID] [--json]
    exemption remove ID
    substitute add --selected GENERIC --substitute GENERIC [--note T] [--json]
    substitute list [--json]
    substitute remove ID
    product mark ID MARK [--off]          MARK: shortage | emergency | cheaper_equal_quality | key_monitoring
    product suspend ID --on DATE --reason TEXT [--reported-to manufacturer,health_authority,drug_authority]
    product unsuspend ID
    product show ID [--json]              periods, monthly targets vs purchases, exemptions, marks (R7, R12)
    product reason ID --text TEXT         the reason a product lags (未完成原因; empty text clears it)
    batch list [--json]                   kind, execution start, cycle end, extension (R6)
    batch set-kind NAME drug|consumable   (R6: decides R11 merging, R15, R16)
    batch extend NAME --to DATE [--volumes FILE] [--json]   extension periods (顺延, R6)
    batch set-policy NAME KEY VALUE       e.g. batch set-policy 十六省联盟 r9_share_threshold 0.25
    batch unset-policy NAME KEY
    batch policies NAME [--json]

REASON (R11): key_monitoring | public_health_event | guideline_change.
"""

from __future__ import annotations


from hospital_app.cli.commands._base import date_arg, leaf
from hospital_app.i18n import tr


def _reported_list(text: str) -> list[str]:
    return [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]


# ------------------------------------------------------------------------ exemption


def cmd_exemption_add(ctx, args) -> int:
    from hospital_app.services.management import add_exemption

    with ctx.db.session() as s:
        view = add_exemption(s, args.product, args.reason, args.document, note=args.note,
                             start=args.start, end=args.end)
    if args.json:
        ctx.out_json(view.as_dict())
    else:
        ctx.out(tr("已登记免考核 #{id}：产品 {p}（{n}），原因：{r}，依据：{d}",
                   "Exemption #{id} recorded: product {p} ({n}), reason: {r}, document: {d}",
                   id=view.id, p=view.product_id, n=view.product, r=view.reason_label, d=view.document_ref))
    return 0


def cmd_exemption_list(ctx, args) -> int:
    from hospital_app.services.management import list_exemptions

    with ctx.db.session() as s:
        views = list_exemptions(s, args.product)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
        return 0
    if not views:
        ctx.out(tr("没有免考核记录。", "No exemptions."))
    for v in views:
        span = f"{v.start or '…'}~{v.end or '…'}"
        ctx.out(tr("#{id} 产品 {p}（{n}） {r}  依据 {d}  有效期 {s}",
                   "#{id} product {p} ({n}) {r}  document {d}  valid {s}",
                   id=v.id, p=v.product_id, n=v.product, r=v.reason_label, d=v.document_ref or "-", s=span))
    return 0


def cmd_exemption_remove(ctx, args) -> int:
    from hospital_app.services.management import remove_exemption

    with ctx.db.session() as s:
        remove_exemption(s, args.id)
    ctx.out(tr("已删除免考核 #{id}。", "Exemption #{id} removed.", id=args.id))
    return 0


# ----------------------------------------------------------------------- substitute


def cmd_substitute_add(ctx, args) -> int:
    from hospital_app.services.management import add_substitute

    with ctx.db.session() as s:
        view = add_substitute(s, args.selected, args.substitute, note=args.note)
    if args.json:
        ctx.out_json(view.as_dict())
    else:
        ctx.out(tr("已登记可替代药品 #{id}：{sub} → {sel}", "Substitute #{id}: {sub} → {sel}",
                   id=view.id, sub=view.substitute_generic, sel=view.selected_generic))
    return 0


def cmd_substitute_list(ctx, args) -> int:
    from hospital_app.services.management import list_substitutes

    with ctx.db.session() as s:
        views = list_substitutes(s)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
        return 0
    if not views:
        ctx.out(tr("没有可替代药品对应关系。", "No substitute mappings."))
    for v in views:
        ctx.out(f"#{v.id}  {v.substitute_generic} → {v.selected_generic}" + (f"  ({v.note})" if v.note else ""))
    return 0


def cmd_substitute_remove(ctx, args) -> int:
    from hospital_app.services.management import remove_substitute

    with ctx.db.session() as s:
        remove_substitute(s, args.id)
    ctx.out(tr("已删除可替代药品对应关系 #{id}。", "Substitute mapping #{id} removed.", id=args.id))
    return 0


# -------------------------------------------------------------------------- product


def cmd_product_mark(ctx, args) -> int:
    from hospital_app.services.management import mark_label, set_mark

    with ctx.db.session() as s:
        marks = set_mark(s, args.id, args.mark, on=not args.off)
    on = [mark_label(m) for m, v in marks.items() if v]
    ctx.out(tr("产品 {id} 的标记：{m}", "Marks of product {id}: {m}", id=args.id,
               m=tr("、", ", ").join(on) or tr("无", "none")))
    return 0


def cmd_product_suspend(ctx, args) -> int:
    from hospital_app.services.management import suspend

    with ctx.db.session() as s:
        suspend(s, args.id, args.on, args.reason, _reported_list(args.reported_to or ""))
    ctx.out(tr("产品 {id} 自 {d} 起暂停使用。", "Product {id} suspended from {d}.", id=args.id, d=args.on))
    return 0


def cmd_product_unsuspend(ctx, args) -> int:
    from hospital_app.services.management import unsuspend

    with ctx.db.session() as s:
        unsuspend(s, args.id)
    ctx.out(tr("产品 {id} 已恢复使用。", "Product {id} is no longer suspended.", id=args.id))
    return 0


def cmd_product_show(ctx, args) -> int:
    from hospital_app.services.progress import product_detail

    with ctx.db.session() as s:
        detail = product_detail(s, args.id, ctx.as_of)
    if args.json:
        ctx.out_json(detail.as_dict())
        return 0
    ctx.out(f"#{detail.product_id} {detail.generic_name} {detail.spec or ''} {detail.manufacturer or ''}".rstrip())
    if detail.suspended_on:
        ctx.out(tr("  暂停使用：自 {d}，{r}", "  Suspended since {d}: {r}", d=detail.suspended_on,
                   r=detail.suspension_reason or ""))
    for p in detail.periods:
        ctx.out(tr("  协议期 {s}~{e} 约定量 {v}，已采购 {b}{c}", "  Period {s}..{e} agreed {v}, purchased {b}{c}",
                   s=p.start, e=p.end, v=p.agreed_volume, b=p.purchased,
                   c=tr("（当前）", " (current)") if p.current else ""))
        for m in p.months:
            ctx.out(f"    {m.label}  {m.target:>10}  {m.purchased:>10}")
    for e in detail.exemptions:
        ctx.out(tr("  免考核：{r}（{d}）", "  Exempt: {r} ({d})", r=e["reason_label"], d=e["document_ref"]))
    return 0


# ---------------------------------------------------------------------------- batch


def cmd_batch_set_policy(ctx, args) -> int:
    from hospital_app.services.management import set_batch_policy

    with ctx.db.session() as s:
        after = set_batch_policy(s, args.name, args.key, args.value)
    ctx.out(tr("批次 {b} 的 {k} 已设为 {v}。", "Batch {b}: {k} set to {v}.", b=args.name, k=args.key, v=after[args.key]))
    return 0


def cmd_batch_unset_policy(ctx, args) -> int:
    from hospital_app.services.management import unset_batch_policy

    with ctx.db.session() as s:
        unset_batch_policy(s, args.name, args.key)
    ctx.out(tr("批次 {b} 的 {k} 已恢复为全局设置。", "Batch {b}: {k} back to the global setting.",
               b=args.name, k=args.key))
    return 0


def cmd_batch_policies(ctx, args) -> int:
    from hospital_app.services.management import batch_policies

    with ctx.db.session() as s:
        values = batch_policies(s, args.name)
    if args.json:
        ctx.out_json(values)
    else:
        for k, v in values.items():
            ctx.out(f"{k} = {v}")
    return 0


def cmd_product_reason(ctx, args) -> int:
    from hospital_app.services.management import set_lag_reason

    with ctx.db.session() as s:
        value = set_lag_reason(s, args.id, args.text)
    ctx.out(tr("已记录产品 {id} 的未完成原因。", "Lag reason of product {id} recorded.", id=args.id) if value
            else tr("已清除产品 {id} 的未完成原因。", "Lag reason of product {id} cleared.", id=args.id))
    return 0


def _d(value) -> str:
    return value.isoformat() if value else "-"


def cmd_batch_list(ctx, args) -> int:
    from hospital_app.services.batches import kind_label, list_batches

    with ctx.db.session() as s:
        views = list_batches(s)
    if args.json:
        ctx.out_json([v.as_dict() for v in views])
        return 0
    if not views:
        ctx.out(tr("没有批次。", "No batches."))
    for v in views:
        ctx.out(tr("{n}  [{k}]  执行 {s}  周期至 {e}{x}  中选产品 {p} 个",
                   "{n}  [{k}]  start {s}  cycle end {e}{x}  {p} selected products",
                   n=v.name, k=kind_label(v.kind), s=_d(v.start), e=_d(v.cycle_end), p=v.products,
                   x=tr("（顺延至 {t}）", " (extended to {t})", t=_d(v.extended_to)) if v.extended_to else ""))
    return 0


def cmd_batch_set_kind(ctx, args) -> int:
    from hospital_app.services.batches import kind_label, set_batch_kind

    with ctx.db.session() as s:
        view = set_batch_kind(s, args.name, args.kind)
    ctx.out(tr("批次 {n} 的类别为：{k}", "Batch {n} is now: {k}", n=view.name, k=kind_label(view.kind)))
    return 0


def cmd_batch_extend(ctx, args) -> int:
    from hospital_app.services.batches import extend_batch, read_volumes

    with ctx.db.session() as s:
        volumes = read_volumes(s, args.volumes) if args.volumes else None
        result = extend_batch(s, args.name, args.to, volumes)
    if args.json:
        ctx.out_json(result.as_dict())
        return 0
    ctx.out(tr("批次 {n} 已顺延至 {t}，新增 {k} 个顺延协议期。", "Batch {n} extended to {t}: {k} extension periods.",
               n=result.batch, t=result.extended_to.isoformat(), k=len(result.periods)))
    for p in result.periods:
        how = tr("按上一协议期折算", "pro-rated from the last period") if p.source == "prorated" \
            else tr("来自文件", "from the file")
        ctx.out(tr("  产品 {id} {g}  {s} 至 {e}  约定量 {v}（{h}）", "  product {id} {g}  {s}..{e}  agreed {v} ({h})",
                   id=p.product_id, g=p.generic_name, s=p.start.isoformat(), e=p.end.isoformat(),
                   v=p.agreed_volume, h=how))
    if result.without_periods:
        ctx.out(tr("以下中选产品没有协议期，未顺延：{ids}", "Selected products without a period, not extended: {ids}",
                   ids=", ".join(map(str, result.without_periods))))
    return 0


def register(sub, common) -> None:
    from hospital_app.domain.monitoring import EXEMPTION_REASONS, PRODUCT_MARKS

    e = sub.add_parser("exemption", help=tr("免考核", "assessment exemptions"))
    esub = e.add_subparsers(dest="exemption_command", metavar="SUBCOMMAND", required=True)
    a = leaf(esub, common, "add", "登记免考核", "exempt a product", cmd_exemption_add)
    a.add_argument("--product", type=int, required=True)
    a.add_argument("--reason", choices=EXEMPTION_REASONS, required=True)
    a.add_argument("--document", required=True, help=tr("依据文件文号", "document reference"))
    a.add_argument("--note")
    a.add_argument("--start", type=date_arg)
    a.add_argument("--end", type=date_arg)
    a.add_argument("--json", action="store_true")
    ls = leaf(esub, common, "list", "列出免考核", "list exemptions", cmd_exemption_list, reads=True)
    ls.add_argument("--product", type=int)
    ls.add_argument("--json", action="store_true")
    rm = leaf(esub, common, "remove", "删除免考核", "remove an exemption", cmd_exemption_remove)
    rm.add_argument("id", type=int)

    sb = sub.add_parser("substitute", help=tr("可替代药品", "substitute drugs"))
    ssub = sb.add_subparsers(dest="substitute_command", metavar="SUBCOMMAND", required=True)
    a = leaf(ssub, common, "add", "登记可替代药品", "map a substitute", cmd_substitute_add)
    a.add_argument("--selected", required=True, help=tr("中选药品通用名", "selected generic name"))
    a.add_argument("--substitute", required=True, help=tr("可替代药品通用名", "substitute generic name"))
    a.add_argument("--note")
    a.add_argument("--json", action="store_true")
    ls = leaf(ssub, common, "list", "列出可替代药品", "list substitutes", cmd_substitute_list, reads=True)
    ls.add_argument("--json", action="store_true")
    rm = leaf(ssub, common, "remove", "删除对应关系", "remove a mapping", cmd_substitute_remove)
    rm.add_argument("id", type=int)

    pr = sub.add_parser("product", help=tr("产品标记、暂停使用、详情", "product marks, suspension, detail"))
    psub = pr.add_subparsers(dest="product_command", metavar="SUBCOMMAND", required=True)
    mk = leaf(psub, common, "mark", "设置产品标记", "set a product mark", cmd_product_mark)
    mk.add_argument("id", type=int)
    mk.add_argument("mark", choices=PRODUCT_MARKS)
    mk.add_argument("--off", action="store_true", help=tr("取消该标记", "clear the mark"))
    sp = leaf(psub, common, "suspend", "暂停使用（质量风险）", "suspend for a quality risk", cmd_product_suspend)
    sp.add_argument("id", type=int)
    sp.add_argument("--on", type=date_arg, required=True)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--reported-to", dest="reported_to",
                    help="manufacturer,health_authority,drug_authority")
    us = leaf(psub, common, "unsuspend", "恢复使用", "lift a suspension", cmd_product_unsuspend)
    us.add_argument("id", type=int)
    sh = leaf(psub, common, "show", "产品执行详情", "product detail", cmd_product_show, reads=True)
    sh.add_argument("id", type=int)
    sh.add_argument("--json", action="store_true")

    rs = leaf(psub, common, "reason", "记录未完成原因", "record why a product lags", cmd_product_reason)
    rs.add_argument("id", type=int)
    rs.add_argument("--text", required=True)

    bt = sub.add_parser("batch", help=tr("批次：类别、顺延、政策设置", "batches: kind, extension, policy overrides"))
    bsub = bt.add_subparsers(dest="batch_command", metavar="SUBCOMMAND", required=True)
    bl = leaf(bsub, common, "list", "列出批次", "list batches", cmd_batch_list, reads=True)
    bl.add_argument("--json", action="store_true")
    bk = leaf(bsub, common, "set-kind", "设置批次类别", "set a batch's kind", cmd_batch_set_kind)
    bk.add_argument("name")
    bk.add_argument("kind", choices=("drug", "consumable"))
    be = leaf(bsub, common, "extend", "顺延采购周期", "extend the procurement cycle", cmd_batch_extend)
    be.add_argument("name")
    be.add_argument("--to", type=date_arg, required=True)
    be.add_argument("--volumes", help=tr("约定量文件（产品ID、约定采购量两列）",
                                         "volumes file (product_id and agreed_volume columns)"))
    be.add_argument("--json", action="store_true")
    st = leaf(bsub, common, "set-policy", "覆盖批次政策值", "override a policy for a batch", cmd_batch_set_policy)
    st.add_argument("name")
    st.add_argument("key")
    st.add_argument("value")
    un = leaf(bsub, common, "unset-policy", "取消覆盖", "drop a batch override", cmd_batch_unset_policy)
    un.add_argument("name")
    un.add_argument("key")
    po = leaf(bsub, common, "policies", "批次生效的政策值", "effective policies of a batch", cmd_batch_policies, reads=True)
    po.add_argument("name")
    po.add_argument("--json", action="store_true")

