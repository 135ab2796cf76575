"""`issues add | reply | resolve | close | escalate | list` (R3)."""

from __future__ import annotations

from hospital_app.cli.commands._base import datetime_arg, leaf, not_yet

TYPES = ["shortage", "late_delivery", "selective_delivery", "stopped_after_volume",
         "unsuitable_form_spec", "packaging", "batch_number_printing", "quality", "other"]


def register(sub, common) -> None:
    p = sub.add_parser("issues", help="供应问题 / supply issues")
    isub = p.add_subparsers(dest="issues_command", metavar="SUBCOMMAND", required=True)
    stub = not_yet("供应问题", "supply issues")
    a = leaf(isub, common, "add", "登记供应问题", "file a supply issue", stub)
    a.add_argument("--product", type=int, required=True)
    a.add_argument("--type", required=True)
    a.add_argument("--reported-at", type=datetime_arg, required=True)
    a.add_argument("--company")
    a.add_argument("--description")
    a.add_argument("--json", action="store_true")
    for name in ("reply", "resolve", "close", "escalate"):
        x = leaf(isub, common, name, name, name, stub)
        x.add_argument("id", type=int)
        x.add_argument("--at", type=datetime_arg, required=True)
        x.add_argument("--text")
        if name == "reply":
            x.add_argument("--promise")
        x.add_argument("--json", action="store_true")
    ls = leaf(isub, common, "list", "列出供应问题", "list supply issues", stub)
    ls.add_argument("--open", action="store_true")
    ls.add_argument("--overdue", action="store_true")
    ls.add_argument("--json", action="store_true")
