"""`orders stats` (R4)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = sub.add_parser("orders", help="订单统计 / orders")
    osub = p.add_subparsers(dest="orders_command", metavar="SUBCOMMAND", required=True)
    s = leaf(osub, common, "stats", "订单响应率与配送及时率", "order response and delivery rates",
             not_yet("订单统计", "order statistics"))
    s.add_argument("--quarter")
    s.add_argument("--json", action="store_true")
