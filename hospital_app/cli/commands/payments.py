"""`payments` (R5)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr


def cmd_payments(ctx, args) -> int:
    from hospital_app.services.payments import list_payments

    with ctx.db.session() as s:
        rows = list_payments(s, ctx.as_of, open_only=args.open)
    if args.json:
        ctx.out_json(rows)
        return 0
    if not rows:
        ctx.out(tr("没有已验收的订单。", "No accepted deliveries."))
    for r in rows:
        state = (tr("已付 {d}", "paid {d}", d=r["paid_on"].isoformat()) if r["paid_on"]
                 else tr("逾期未付", "OVERDUE") if r["overdue"] else tr("未付", "unpaid"))
        ctx.out(tr("{no} {c}  验收 {a}  金额 {m} 元  应付 {due} 前  {s}",
                   "{no} {c}  accepted {a}  {m} yuan  due {due}  {s}",
                   no=r["order_no"], c=r["company"], a=r["accepted_on"].isoformat(), m=r["amount"],
                   due=r["due"].isoformat(), s=state))
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "payments", "回款", "payments", cmd_payments)
    p.add_argument("--open", action="store_true")
    p.add_argument("--json", action="store_true")
