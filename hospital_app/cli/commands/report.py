"""`report self-check | complaint | escalation | notes` (PDF documents)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = sub.add_parser("report", help="生成文书 / documents")
    rsub = p.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    stub = not_yet("文书生成", "documents")
    s = leaf(rsub, common, "self-check", "自查自纠报告", "self-check report", stub)
    s.add_argument("--period", required=True)
    s.add_argument("--out", required=True)
    for name in ("complaint", "escalation"):
        x = leaf(rsub, common, name, name, name, stub)
        x.add_argument("issue_id", type=int)
        x.add_argument("--out", required=True)
    n = leaf(rsub, common, "notes", "报量情况说明", "explanatory notes", stub)
    n.add_argument("--out", required=True)
