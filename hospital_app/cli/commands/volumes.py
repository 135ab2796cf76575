"""`volume-check` and the explanatory notes (R13)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = leaf(sub, common, "volume-check", "报量核查", "check reported volumes",
             not_yet("报量核查", "volume check"))
    p.add_argument("--baseline-year", type=int)
    p.add_argument("--json", action="store_true")
