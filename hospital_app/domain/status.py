"""R8: completion and status of an agreement period at a date d.

C(d) = counted purchases up to d / V. Status, first match wins:

1. ``exempt``          — exempted by R11 (an active exemption);
2. ``not_started``     — no counted purchase yet and S(d) > 0;
3. ``completed``       — C ≥ 100 %;
4. ``on_track``        — C ≥ S(d);
5. ``severely_behind`` — C < S(d) − gap (policy ``r8_severe_gap``, default 10 points);
6. ``behind``          — otherwise (C < S(d)).

``not_started`` wins over the "behind" states because it is the more specific fact
(nothing has entered the hospital); it is an alert from the 3rd month of execution
(source 004 (二): "落地执行第3个月起").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hospital_app.domain.targets import add_months
from hospital_app.i18n import tr

EXEMPT = "exempt"
NOT_STARTED = "not_started"
COMPLETED = "completed"
ON_TRACK = "on_track"
BEHIND = "behind"
SEVERELY_BEHIND = "severely_behind"

STATUSES = (NOT_STARTED, SEVERELY_BEHIND, BEHIND, ON_TRACK, COMPLETED, EXEMPT)
BEHIND_STATES = frozenset({NOT_STARTED, BEHIND, SEVERELY_BEHIND})
DEFAULT_SEVERE_GAP = Decimal("0.10")


def status_label(status: str | None) -> str:
    """The status in the user's language (tables, PDF)."""
    labels = {
        EXEMPT: tr("免考核", "exempt"),
        NOT_STARTED: tr("未开始采购", "not started"),
        COMPLETED: tr("已完成", "completed"),
        ON_TRACK: tr("正常", "on track"),
        BEHIND: tr("滞后", "behind"),
        SEVERELY_BEHIND: tr("严重滞后", "severely behind"),
    }
    return labels.get(status or "", status or "")


def flag_label(flag: str) -> str:
    """A progress row flag (R8–R12, R17 marks) in the user's language; unknown codes as written."""
    labels = {
        "exempt": tr("免考核", "exempt"), "suspended": tr("暂停使用", "suspended"),
        "shortage": tr("短缺", "shortage"), "emergency": tr("急抢救", "emergency"),
        "key_monitoring": tr("重点监控", "key monitoring"), "backup": tr("备供", "backup"),
        "merged": tr("合并考核", "merged"), "not_in_hospital": tr("未进院", "not in hospital"),
        "clustered": tr("扎堆采购", "clustered"), "empty_month": tr("当月未采购", "month without purchases"),
        "share_over": tr("非中选超比例", "share over limit"),
        "cheaper_equal_quality": tr("价低质优", "cheaper, equal quality"),
    }
    return labels.get(flag, flag)


def percent_text(value: Fraction | Decimal | float | None, none: str = "—") -> str:
    """A ratio as a percentage with two places for people: 0.4167 → "41.67%" (``none`` when missing).

    The one formatter of C(d)/S(d)/shares for alerts, CLI tables and the PDF report.
    """
    if value is None or value == "":
        return none
    return f"{float(value) * 100:.2f}%"


def completion(purchased: int, agreed_volume: int) -> Fraction:
    """R8: C = counted purchases / V (a period with V = 0 counts as complete)."""
    if agreed_volume <= 0:
        return Fraction(1)
    return Fraction(int(purchased), int(agreed_volume))


def _fraction(value: Decimal | Fraction | float | int | str) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(Decimal(str(value)))


def assess(purchased: int, agreed_volume: int, schedule: Fraction, *,
           severe_gap: Decimal | Fraction | str = DEFAULT_SEVERE_GAP, exempt: bool = False) -> str:
    """R8: the status of a period given counted purchases up to d and S(d)."""
    if exempt:
        return EXEMPT
    if purchased <= 0 and schedule > 0 and agreed_volume > 0:
        return NOT_STARTED
    c = completion(purchased, agreed_volume)
    if c >= 1:
        return COMPLETED
    if c >= schedule:
        return ON_TRACK
    if c < schedule - _fraction(severe_gap):
        return SEVERELY_BEHIND
    return BEHIND


def shortfall(target_to_date: int, purchased: int) -> int:
    """R8/CLI.md: max(0, target_to_date − purchased), in base units."""
    return max(0, int(target_to_date) - int(purchased))


def not_in_hospital_alert_from(execution_start: date) -> date:
    """R8 (source 004 (二)): the first day of the 3rd month of execution.

    Months of execution are counted from the start day: a batch starting 2024-09-20 is in
    its 1st month until 10-19, its 2nd until 11-19, its 3rd from 2024-11-20; a batch
    starting on the 1st of a month is in its 3rd month from the 1st two months later.
    """
    return add_months(execution_start, 2)
