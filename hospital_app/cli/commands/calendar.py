"""`calendar due | is-workday | set | list` (R1, R2)."""

from __future__ import annotations

from hospital_app.cli.commands._base import date_arg, datetime_arg, leaf
from hospital_app.i18n import tr

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _weekday(d) -> str:
    return tr("周" + WEEKDAYS[d.weekday()], WEEKDAYS_EN[d.weekday()])


def _provisional_note(missing_years) -> str:
    return tr("（临时结果：{y} 年尚无官方节假日安排，按周一至周五计算）",
              " (provisional: no official schedule for {y} yet; Monday–Friday assumed)",
              y="、".join(map(str, missing_years)))


def cmd_due(ctx, args) -> int:
    from hospital_app.services.calendar import load_calendar

    with ctx.db.session() as s:
        due = load_calendar(s).due(args.from_, args.working_days)
    if args.json:
        ctx.out_json(due.as_dict())
    else:
        line = tr("截止：{d}（{w}）23:59:59", "Due: end of {w} {d}", d=due.date.isoformat(), w=_weekday(due.date))
        ctx.out(line + (_provisional_note(due.missing_years) if due.provisional else ""))
    return 0


def cmd_is_workday(ctx, args) -> int:
    from hospital_app.services.calendar import load_calendar

    with ctx.db.session() as s:
        cal = load_calendar(s)
    d = args.date
    workday, provisional = cal.is_workday(d), cal.is_provisional(d)
    if args.json:
        ctx.out_json({"date": d.isoformat(), "workday": workday, "provisional": provisional})
    else:
        text = tr("{d}（{w}）是工作日", "{d} ({w}) is a working day", d=d.isoformat(), w=_weekday(d)) if workday \
            else tr("{d}（{w}）不是工作日", "{d} ({w}) is not a working day", d=d.isoformat(), w=_weekday(d))
        name = cal.holiday_name(d)
        if name and not provisional:
            text += f"（{name}）" if ctx.lang == "zh" else f" ({name})"
        ctx.out(text + (_provisional_note([d.year]) if provisional else ""))
    return 0


def cmd_set(ctx, args) -> int:
    from hospital_app.services.calendar import set_day

    workday = args.kind == "workday"
    with ctx.db.session() as s:
        set_day(s, args.date, workday, args.note)
    ctx.out(tr("已将 {d}（{w}）设为{k}。", "{d} ({w}) is now a {k}.", d=args.date.isoformat(), w=_weekday(args.date),
               k=tr("工作日", "working day") if workday else tr("休息日", "day off")))
    return 0


def cmd_list(ctx, args) -> int:
    from hospital_app.services.calendar import list_year

    year = args.year or ctx.as_of.year  # default: the year of --as-of (today)
    if not 1 <= year <= 9999:
        from hospital_app.errors import BadInput

        raise BadInput(tr("年份无效：{y}", "invalid year: {y}", y=year))
    with ctx.db.session() as s:
        doc = list_year(s, year)
    if args.json:
        ctx.out_json(doc)
        return 0
    if doc["provisional"]:
        ctx.out(tr("{y} 年尚无官方节假日安排：按周一至周五计算，结果为临时结果。",
                   "No official schedule for {y} yet: Monday–Friday is assumed and results are provisional.",
                   y=year))
    sources = {"official": tr("官方", "official"), "user": tr("用户更正", "user")}
    if not doc["days"]:
        ctx.out(tr("没有非标准日。", "No non-standard days."))
    for day in doc["days"]:
        d = day["date"]
        kind = tr("上班", "working day") if day["workday"] else tr("休息", "day off")
        extra = " ".join(x for x in (day["name"], day["note"]) if x)
        ctx.out(f"{d.isoformat()} {_weekday(d)}  {kind}  [{sources[day['source']]}]  {extra}".rstrip())
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("calendar", help="工作日日历 / working-day calendar")
    csub = p.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND", required=True)
    d = leaf(csub, common, "due", "计算截止日期", "compute a deadline", cmd_due, reads=True)
    d.add_argument("--from", dest="from_", required=True, type=datetime_arg)
    d.add_argument("--working-days", type=int, required=True)
    d.add_argument("--json", action="store_true")
    w = leaf(csub, common, "is-workday", "是否工作日", "is it a working day", cmd_is_workday, reads=True)
    w.add_argument("date", type=date_arg)
    w.add_argument("--json", action="store_true")
    s = leaf(csub, common, "set", "更正某日", "correct a day", cmd_set)
    s.add_argument("date", type=date_arg)
    s.add_argument("kind", choices=["workday", "holiday"])
    s.add_argument("--note")
    ls = leaf(csub, common, "list", "列出非标准日", "list non-standard days", cmd_list, reads=True)
    ls.add_argument("--year", type=int, default=None,
                    help=tr("年份（默认：--as-of 所在年份）", "year (default: the year of --as-of)"))
    ls.add_argument("--json", action="store_true")
