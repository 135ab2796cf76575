"""`import KIND FILE` (IMPORT.md)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet

KINDS = ["products", "volumes", "purchases", "orders", "reported-volumes"]


def register(sub, common) -> None:
    p = leaf(sub, common, "import", "导入 Excel/CSV 文件", "import an Excel/CSV file",
             not_yet("导入", "import"))
    p.add_argument("kind", choices=KINDS)
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--mapping")
    p.add_argument("--batch")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")
