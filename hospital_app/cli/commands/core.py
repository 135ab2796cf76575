"""`init` and `demo`."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr


def cmd_init(ctx, args) -> int:
    from db.session import current_revision

    db = ctx.db  # opening creates or migrates
    revision = current_revision(db.engine)
    if getattr(args, "json", False):
        ctx.out_json({"database": db.location, "backend": db.backend, "revision": revision})
    else:
        ctx.out(tr("数据库：{loc}", "Database: {loc}", loc=db.location))
        ctx.out(tr("结构版本：{rev}", "Schema revision: {rev}", rev=revision))
    return 0


def cmd_demo(ctx, args) -> int:
    from hospital_app.services.demo import DemoOptions, generate_demo

    options = DemoOptions(seed=args.seed, products=args.products, months=args.months,
                          purchases=args.purchases, as_of=ctx.as_of)
    summary = generate_demo(ctx.db, options)
    if getattr(args, "json", False):
        ctx.out_json(summary)
    else:
        if summary.get("status") == "exists":
            ctx.out(str(summary.get("note") or ""))
        else:
            ctx.out(tr("演示数据已生成：{loc}", "Demo data written to {loc}", loc=ctx.db.location))
        labels = demo_labels()
        for key, value in summary.items():
            if key not in ("status", "note"):
                ctx.out(f"  {labels.get(key, key)}：{value}" if labels.get(key) else f"  {key}: {value}")
    return 0


def demo_labels() -> dict[str, str]:
    """The demo summary's keys for people (the JSON keeps the keys): the text output printed
    "status: created", "orders: 3926" in the Chinese CLI."""
    return {"seed": tr("随机种子", "seed"), "as_of": tr("数据截至", "as of"), "batches": tr("批次", "batches"),
            "selected_products": tr("中选产品", "selected products"), "products": tr("产品", "products"),
            "purchases": tr("采购明细", "purchase lines"), "orders": tr("订单", "orders"),
            "supply_issues": tr("供应问题", "supply issues"), "volume_report_lines": tr("报量明细", "volume report lines"),
            "department_usage_lines": tr("科室用量明细", "department usage lines")}


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("应为正整数：{t}", "must be a positive whole number: {t}", t=text))
    if value <= 0:
        raise argparse.ArgumentTypeError(tr("应为正整数：{t}", "must be a positive whole number: {t}", t=text))
    return value


def register(sub, common) -> None:
    p = leaf(sub, common, "init", "创建或升级数据库", "create or migrate the database", cmd_init)
    p.add_argument("--json", action="store_true")
    d = leaf(sub, common, "demo", "写入演示数据", "fill the database with demo data", cmd_demo)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--products", type=_positive_int, default=48,
                   help=tr("中选产品数量", "number of selected products"))
    d.add_argument("--months", type=_positive_int, default=24, help=tr("采购月数", "months of purchases"))
    d.add_argument("--purchases", type=_positive_int, default=None,
                   help=tr("采购明细总行数（规模测试）", "total purchase lines (scale tests)"))
    d.add_argument("--json", action="store_true")
