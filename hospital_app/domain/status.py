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

import math
from datetime import date, timedelta
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
        "ended": tr("协议期已结束", "period ended"), "failed": tr("考核不合格", "failed the assessment"),
        "over_purchase": tr("超量采购", "over-purchase"), "agreement_end": tr("协议期即将结束", "period ending soon"),
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
    p, v = int(purchased), int(agreed_volume)
    if v <= 0 or p >= v:  # C = p/V ≥ 1 (V = 0 counts as complete)
        return COMPLETED
    # The same comparisons of C = p/V in integers (V > 0): C ≥ n/d ⇔ p·d ≥ n·V.
    s = schedule if isinstance(schedule, Fraction) else Fraction(schedule)
    if p * s.denominator >= s.numerator * v:
        return ON_TRACK
    low = s - _fraction(severe_gap)
    if p * low.denominator < low.numerator * v:
        return SEVERELY_BEHIND
    return BEHIND


def shortfall(schedule: Fraction, agreed_volume: int, counted: int) -> int:
    """R8 v2 (one definition everywhere): the whole units still needed to reach the schedule,
    ``max(0, ⌈S(d)·V − counted⌉)``. A ``behind`` row (C < S) always has a shortfall ≥ 1."""
    s = schedule if isinstance(schedule, Fraction) else Fraction(schedule)
    # ⌈n/d·V − counted⌉ = ⌈(n·V − counted·d) / d⌉, in integers (exact, and no Fraction per row)
    numerator = s.numerator * int(agreed_volume) - int(counted) * s.denominator
    return max(0, -(-numerator // s.denominator))


def remaining(agreed_volume: int, counted: int) -> int:
    """R8 v2: units still to buy to reach V, ``max(0, V − counted)``."""
    return max(0, int(agreed_volume) - int(counted))


def over_purchase(agreed_volume: int, counted: int) -> int:
    """R8 v2: counted purchases above V (超量采购) — shown, not a fault."""
    return max(0, int(counted) - int(agreed_volume))


def period_days_left(end: date, d: date) -> int:
    """R8 v2: days of the period after d (d itself counts as done, as in S(d)); 0 once ended."""
    return max(0, (end - d).days)


def period_ended(end: date, d: date) -> bool:
    """Preamble: a period ends at the end of its last day; its final assessment shows from the next day."""
    return d > end


FAILED_COMPLETION = "completion"
FAILED_SHARE = "share"


def failed_reasons(ended: bool, counted: int, agreed_volume: int, *, exempt: bool,
                   share_over: bool) -> list[str]:
    """R8/R9 v2: why an ended period fails the assessment (seed 004 (十四)).

    ``completion`` when it ended below 100 % and is not exempt (R11); ``share`` when its
    non-selected share (R9) ended above the threshold (an exemption from the completion
    assessment does not excuse the share). A running period has no reasons yet.
    """
    if not ended:
        return []
    out = []
    if not exempt and 0 < agreed_volume and counted < agreed_volume:  # C < 100 % (V = 0 is complete)
        out.append(FAILED_COMPLETION)
    if share_over:
        out.append(FAILED_SHARE)
    return out


def months_left(end: date, d: date) -> int:
    """R8 v2: calendar months with days of the period after d (the current month counts when
    days of it remain): d = 2025-08-15, end = 2025-09-19 → 2 (August's rest and September)."""
    if d >= end:
        return 0
    first = d + timedelta(days=1)
    return (end.year - first.year) * 12 + end.month - first.month + 1


def agreement_end_due(end: date, d: date, counted: int, agreed_volume: int,
                      window_days: int) -> tuple[int, int] | None:
    """R8 v2 agreement-end alert: a period ending within ``window_days`` (policy, 60) after d
    with C < 100 % → (units still to buy, units per remaining month, rounded up); else None."""
    if d > end or (end - d).days > window_days or completion(counted, agreed_volume) >= 1:
        return None
    left = remaining(agreed_volume, counted)
    months = max(1, months_left(end, d))
    return left, math.ceil(Fraction(left, months))


def not_in_hospital_alert_from(product_start: date) -> date:
    """R8 v2 (source 004 (二)): "not yet in the hospital" is due from the product's OWN first
    agreement period start + 2 calendar months, day for day (start 2025-06-01 → 2025-08-01).

    A product added to a running batch gets its own two months (not the batch's start).
    """
    return add_months(product_start, 2)
