"""Dates given on the command line: impossible ones are bad input (exit 3), far ones are warned
about on stderr (issue 23 §11, §14). Rules in hospital_app/domain/dates.py."""

from __future__ import annotations

import sys
from datetime import date, datetime

from hospital_app.domain.dates import DATE_MAX, DATE_MIN, in_range, is_far
from hospital_app.errors import BadInput
from hospital_app.i18n import tr


def check_dates(args, today: date | None = None) -> list[str]:
    """Raise BadInput for a date outside the supported range; warn about far ones (returned too)."""
    today = today or date.today()
    warnings = []
    for name, value in sorted(vars(args).items()):
        if not isinstance(value, (date, datetime)):
            continue
        option = "--" + name.strip("_").replace("_", "-")
        if not in_range(value):
            raise BadInput(tr("日期超出支持的范围（{a} 至 {b}）：{o} {v}",
                              "Date outside the supported range ({a} to {b}): {o} {v}",
                              a=DATE_MIN.isoformat(), b=DATE_MAX.isoformat(), o=option, v=value.isoformat()),
                           column=option)
        if is_far(value, today):
            warnings.append(tr("注意：{o} {v} 距今超过 10 年，请确认日期无误。",
                               "Note: {o} {v} is more than 10 years from today; check the date.",
                               o=option, v=value.isoformat()))
    for w in warnings:
        sys.stderr.write(w + "\n")
    return warnings
