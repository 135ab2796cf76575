"""`alerts`: every open finding."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = leaf(sub, common, "alerts", "全部预警", "every open finding", not_yet("预警", "alerts"))
    p.add_argument("--json", action="store_true")
