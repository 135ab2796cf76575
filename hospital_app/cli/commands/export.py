"""`export progress --out FILE.xlsx`."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf, not_yet


def register(sub, common) -> None:
    p = sub.add_parser("export", help="导出 / export")
    esub = p.add_subparsers(dest="export_command", metavar="SUBCOMMAND", required=True)
    x = leaf(esub, common, "progress", "导出进度表", "export the progress workbook",
             not_yet("导出", "export"))
    x.add_argument("--out", required=True)
    x.add_argument("--batch")
