"""`payments [--open] [--json]` and `payments record ORDER_NO --paid-on DATE [--amount X]` (R5 v2)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import islice

from hospital_app.cli.commands._base import date_arg, leaf
from hospital_app.cli.context import dumps, json_default
from hospital_app.i18n import tr


def _batched(rows: Iterable[dict], n: int) -> Iterable[tuple[dict, ...]]:
    it = iter(rows)
    while part := tuple(islice(it, n)):
        yield part


def _out_json_list(rows: Iterable[dict], chunk: int = 5000) -> None:
    """The same text as ``ctx.out_json(list(rows))``, written a chunk of rows at a time as they
    come from the database: a hospital's 500 000 deliveries never sit in memory, neither as
    dicts nor as one 100 MB string (issue 21)."""
    days: dict = {}  # a few hundred distinct days: each is formatted once, not once per row

    def iso(value):
        text = days.get(value)
        if text is None:
            text = days[value] = json_default(value)
        return text

    sys.stdout.write("[")
    first = True
    for part in _batched(rows, chunk):
        for r in part:
            r["accepted_on"], r["due"] = iso(r["accepted_on"]), iso(r["due"])
            if r["paid_on"] is not None:
                r["paid_on"] = iso(r["paid_on"])
        sys.stdout.write(("" if first else ", ") + dumps(list(part))[1:-1])
        first = False
    sys.stdout.write("]\n")


def cmd_payments(ctx, args) -> int:
    from hospital_app.services.payments import iter_payments

    with ctx.db.session() as s:
        rows = iter_payments(s, ctx.as_of, open_only=args.open)
        if args.json:
            _out_json_list(rows)
            return 0
        _out_text(ctx, rows)
    return 0


def _out_text(ctx, rows: Iterable[dict]) -> None:
    empty = True
    for r in rows:
        empty = False
        if r["paid_on"]:
            state = (tr("已付 {d}（逾期支付）", "paid {d} (late)", d=r["paid_on"].isoformat()) if r["paid_late"]
                     else tr("已付 {d}", "paid {d}", d=r["paid_on"].isoformat()))
        else:
            state = tr("逾期未付", "OVERDUE") if r["overdue"] else tr("未付", "unpaid")
            if r["paid_amount"] != "0.00":
                state += tr("（已付 {p} 元）", " ({p} yuan paid)", p=r["paid_amount"])
        ctx.out(tr("{no} {c}  验收 {a}  金额 {m} 元  应付 {due} 前  {s}",
                   "{no} {c}  accepted {a}  {m} yuan  due {due}  {s}",
                   no=r["order_no"], c=r["company"], a=r["accepted_on"].isoformat(), m=r["amount"],
                   due=r["due"].isoformat(), s=state))
    if empty:
        ctx.out(tr("没有已验收的订单。", "No accepted deliveries."))


def cmd_record(ctx, args) -> int:
    from hospital_app.services.payments import record_payment

    with ctx.db.session() as s:
        done = record_payment(s, args.order_no, args.paid_on, args.amount, reference=args.reference)
    if args.json:
        ctx.out_json(done.as_dict())
        return 0
    ctx.out(tr("已登记订单 {no} 付款 {a} 元（{d}）。", "Payment of {a} yuan recorded for order {no} ({d}).",
               no=done.order_no, a=done.as_dict()["amount"], d=done.paid_on.isoformat()))
    ctx.out(tr("已全部付清。", "Paid in full.") if done.paid_in_full
            else tr("尚欠 {o} 元。", "{o} yuan still outstanding.", o=done.as_dict()["outstanding_after"]))
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "payments", "回款", "payments", cmd_payments, reads=True)
    p.add_argument("--open", action="store_true")
    p.add_argument("--json", action="store_true")
    psub = p.add_subparsers(dest="payments_command", metavar="SUBCOMMAND", required=False)
    r = leaf(psub, common, "record", "登记付款（可部分付款）", "record a payment (part payments allowed)", cmd_record)
    r.add_argument("order_no")
    r.add_argument("--paid-on", dest="paid_on", type=date_arg, required=True)
    r.add_argument("--amount", help=tr("金额（元）；不填则付清余额", "amount (yuan); none pays the rest"))
    r.add_argument("--reference", help=tr("付款凭证号", "payment reference"))
    r.add_argument("--json", action="store_true")
