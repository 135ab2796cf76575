"""`backup`, `restore`, `check`."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    b = leaf(sub, common, "backup", "备份数据库", "back up the database", not_yet("备份", "backup"))
    b.add_argument("--out", required=True)
    r = leaf(sub, common, "restore", "从备份恢复", "restore from a backup", not_yet("恢复", "restore"))
    r.add_argument("file")
    leaf(sub, common, "check", "完整性检查", "integrity check", not_yet("检查", "check"))
