"""`progress [--batch NAME] [--json|--csv]` (R7/R8/R9)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = leaf(sub, common, "progress", "执行进度", "progress per selected product",
             not_yet("执行进度", "progress"))
    p.add_argument("--batch")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
