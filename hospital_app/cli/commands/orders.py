"""`orders stats` (R4)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def cmd_stats(ctx, args) -> int:
    from hospital_app.services.orders import order_stats

    with ctx.db.session() as s:
        rows = order_stats(s, args.quarter, as_of=ctx.as_of)
    if args.json:
        ctx.out_json(rows)
        return 0
    if not rows:
        ctx.out(tr("没有订单。", "No orders."))
    levels = {None: "", "warning": tr("预警", "warning"), "serious": tr("严重", "serious")}
    for r in rows:
        ctx.out(tr("{q} {c}：下单 {p}，48 小时内响应 {ri}（{rr}）；配送 {d}，及时 {di}（{t}）{l}",
                   "{q} {c}: placed {p}, responded within 48 h {ri} ({rr}); delivered {d}, in time {di} ({t}) {l}",
                   q=r["quarter"], c=r["company"] or tr("（未填配送企业）", "(no distributor)"), p=r["placed"],
                   ri=r["responded_in_time"], rr=_pct(r["response_rate"]), d=r["delivered"],
                   di=r["delivered_in_time"], t=_pct(r["timeliness"]),
                   l=f"[{levels[r['level']]}]" if r["level"] else "").rstrip())
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("orders", help="订单统计 / orders")
    osub = p.add_subparsers(dest="orders_command", metavar="SUBCOMMAND", required=True)
    s = leaf(osub, common, "stats", "订单响应率与配送及时率", "order response and delivery rates", cmd_stats, reads=True)
    s.add_argument("--quarter")
    s.add_argument("--json", action="store_true")
