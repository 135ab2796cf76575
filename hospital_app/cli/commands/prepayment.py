"""`prepayment [--json]` (R15): the insurance prepayment per batch and agreement year, as of d."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.cli.commands.progress import render_table
from hospital_app.domain.status import percent_text
from hospital_app.i18n import tr


def cmd_prepayment(ctx, args) -> int:
    from hospital_app.services.prepayment import prepayments

    with ctx.db.session() as s:
        rows = prepayments(s, ctx.as_of)
    if args.json:
        ctx.out_json([r.as_dict() for r in rows])
        return 0
    ctx.out(tr("医保预付与冲抵（截至 {d}）", "Insurance prepayment and offset as of {d}", d=ctx.as_of.isoformat()))
    if not rows:
        ctx.out(tr("没有已开始的协议年度。", "No agreement year has begun."))
        return 0
    headers = [tr("批次", "Batch"), tr("协议年度", "Year"), tr("约定金额", "Agreed amount"), tr("预付比例", "Rate"),
               tr("预付金额", "Prepayment"), tr("已采购金额", "Purchased"), tr("已冲抵", "Offset"),
               tr("未冲抵", "Outstanding"), tr("收回期限", "Recover by")]
    table = [[r.batch, str(r.year), f"{r.agreed_amount:,}", percent_text(r.rate), f"{r.prepayment:,}",
              f"{r.purchased_amount:,}", f"{r.offset:,}", f"{r.outstanding:,}",
              r.recover_by.isoformat() if r.recover_by else "-"] for r in rows]
    for line in render_table(headers, table, right={1, 2, 3, 4, 5, 6, 7}):
        ctx.out(line)
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "prepayment", "医保预付与冲抵", "insurance prepayment per batch and year", cmd_prepayment, reads=True)
    p.add_argument("--json", action="store_true")
