"""`calendar due | is-workday | set | list` (R1, R2)."""

from __future__ import annotations

from hospital_app.cli.commands._base import date_arg, datetime_arg, leaf, not_yet


def register(sub, common) -> None:
    p = sub.add_parser("calendar", help="工作日日历 / working-day calendar")
    csub = p.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND", required=True)
    stub = not_yet("工作日日历", "working-day calendar")
    d = leaf(csub, common, "due", "计算截止日期", "compute a deadline", stub)
    d.add_argument("--from", dest="from_", required=True, type=datetime_arg)
    d.add_argument("--working-days", type=int, required=True)
    d.add_argument("--json", action="store_true")
    w = leaf(csub, common, "is-workday", "是否工作日", "is it a working day", stub)
    w.add_argument("date", type=date_arg)
    w.add_argument("--json", action="store_true")
    s = leaf(csub, common, "set", "更正某日", "correct a day", stub)
    s.add_argument("date", type=date_arg)
    s.add_argument("kind", choices=["workday", "holiday"])
    s.add_argument("--note")
    ls = leaf(csub, common, "list", "列出非标准日", "list non-standard days", stub)
    ls.add_argument("--year", type=int, required=True)
    ls.add_argument("--json", action="store_true")
