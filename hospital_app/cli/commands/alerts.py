"""`alerts [--json]`: every open finding (R3–R6, R8–R10, R12, R14, R16, R17)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr

#: CLI.md ``alerts --json`` keys, plus ``action`` (what to do) and ``subject`` (what it is about).
KEYS = ("rule", "severity", "product_id", "message", "since", "subject", "action")


def severity_label(severity: str) -> str:
    return {"serious": tr("严重", "serious"), "warning": tr("预警", "warning"),
            "info": tr("提示", "info")}.get(severity, severity)


def topic_label(rule: str) -> str:
    """What a finding is about, in words: the human output never shows a rule id (HELPERS, issue 20);
    ``alerts --json`` keeps ``rule`` (CLI.md)."""
    from hospital_app.services.documents import RULE_TITLES

    return tr(*RULE_TITLES.get(rule, ("其他", "other")))


def cmd_alerts(ctx, args) -> int:
    from hospital_app.domain.findings import Alert
    from hospital_app.services.alerts import collect_alerts
    from hospital_app.services.beside import Beside

    with ctx.db.session() as s, Beside(s) as beside:
        alerts = collect_alerts(s, ctx.as_of, beside=beside)
    if args.json:
        ctx.out_json([{k: d[k] for k in KEYS} for d in map(Alert.as_dict, alerts)])
        return 0
    ctx.out(tr("预警（截至 {d}）：共 {n} 项", "Alerts as of {d}: {n}", d=ctx.as_of.isoformat(), n=len(alerts)))
    for a in alerts:
        since = a.since.isoformat() if a.since else "-"
        product = tr("产品 {id}", "product {id}", id=a.product_id) if a.product_id is not None else ""
        ctx.out(f"[{severity_label(a.severity)}] {topic_label(a.rule)}  {since}  {product}  {a.message}".replace("    ", "  "))
        if a.action:
            ctx.out("      " + tr("处理建议：", "To do: ") + a.action)
    return 0


def register(sub, common) -> None:
    p = leaf(sub, common, "alerts", "全部预警", "every open finding", cmd_alerts, reads=True)
    p.add_argument("--json", action="store_true")
