"""`payments` (R5)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = leaf(sub, common, "payments", "回款", "payments", not_yet("回款", "payments"))
    p.add_argument("--open", action="store_true")
    p.add_argument("--json", action="store_true")
