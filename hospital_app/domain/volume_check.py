"""R13: volume reports (报量) — change against the baseline, thresholds, trend, reasons.

Pure functions, exact arithmetic (``Fraction``); no database, no I/O.

- ``check(baseline, reported)`` — R13 change and whether an explanation is needed.
- ``spec_key(spec)`` — the key that decides "same spec" for the baseline.
- ``trend(monthly)`` — rising / falling / stable over the last 12 months.
- ``REASONS`` — R13's list of reasons a pharmacist picks from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Sequence

from hospital_app.domain.normalize import normalize_spec
from hospital_app.i18n import tr

# R13 thresholds: an explanation is needed strictly below −20 % or strictly above +150 %.
DECREASE_LIMIT = Fraction(-1, 5)
INCREASE_LIMIT = Fraction(3, 2)

DECREASE_OVER_20 = "decrease_over_20"
INCREASE_OVER_150 = "increase_over_150"
NO_HISTORY = "no_history"

# R13 reasons, in the order of the rule book: key → (中文, English).
REASONS: dict[str, tuple[str, str]] = {
    "historical_use": ("历史使用量", "historical use"),
    "clinical_feedback": ("临床反馈", "clinical feedback"),
    "treatment_trend": ("诊疗趋势", "treatment trend"),
    "new_technique": ("新技术新项目", "new technique or project"),
    "department_change": ("科室变化", "department change"),
    "key_monitoring": ("重点监控目录", "key-monitoring list"),
    "public_health_event": ("公共卫生事件", "public health event"),
    "guideline_change": ("指南推荐变化", "guideline change"),
    "other": ("其他", "other"),
}


def reason_label(key: str) -> str:
    """R13: the label of a reason key in the user's language."""
    zh, en = REASONS[key]
    return tr(zh, en)


def threshold_label(reason: str | None) -> str:
    """R13: which threshold a line crossed, as a sentence fragment for notes."""
    if reason == DECREASE_OVER_20:
        return tr("降幅超过20%", "decrease of more than 20 %")
    if reason == INCREASE_OVER_150:
        return tr("增幅超过150%", "increase of more than 150 %")
    if reason == NO_HISTORY:
        return tr("无历史采购量", "no purchase history")
    return tr("在阈值范围内", "within the thresholds")


@dataclass(frozen=True)
class VolumeVerdict:
    """R13 outcome for one reported line.

    ``change`` is exact, ``None`` when the baseline is not positive (no ratio exists).
    """

    baseline: int
    reported: int
    change: Fraction | None
    needs_explanation: bool
    reason: str | None

    def change_rounded(self, places: int = 4) -> float | None:
        """The change as a ratio rounded half-up for output only (CLI.md: -0.3333)."""
        return round_ratio(self.change, places)


def round_ratio(value: Fraction | None, places: int = 4) -> float | None:
    """An exact ratio rounded half-up to ``places`` decimals (output only)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def check(baseline: int, reported: int) -> VolumeVerdict:
    """R13: change = (reported − baseline) / baseline; explanation strictly beyond −20 % / +150 %.

    Exactly −20 % or +150 % needs none. A baseline of 0 (or a net negative one, when
    returns exceed purchases) with a positive report needs one: ``no_history``.
    Nothing reported against nothing bought needs nothing.
    """
    if baseline <= 0:
        if reported > 0:
            return VolumeVerdict(baseline, reported, None, True, NO_HISTORY)
        return VolumeVerdict(baseline, reported, None, False, None)
    change = Fraction(reported - baseline, baseline)
    if change < DECREASE_LIMIT:
        return VolumeVerdict(baseline, reported, change, True, DECREASE_OVER_20)
    if change > INCREASE_LIMIT:
        return VolumeVerdict(baseline, reported, change, True, INCREASE_OVER_150)
    return VolumeVerdict(baseline, reported, change, False, None)


# ------------------------------------------------------------------------- spec key

# After normalize_spec the unit words are symbols: mg, μg, g, kg, ml, l.
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(kg|mg|μg|g|ml|l)(?![a-z])")
# Every mass becomes mg, every volume ml.
_TO_CANONICAL: dict[str, tuple[Decimal, str]] = {
    "kg": (Decimal(1_000_000), "mg"),
    "g": (Decimal(1000), "mg"),
    "mg": (Decimal(1), "mg"),
    "μg": (Decimal("0.001"), "mg"),
    "l": (Decimal(1000), "ml"),
    "ml": (Decimal(1), "ml"),
}


def _plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 250, 0.5, 1000."""
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def spec_key(spec: str | None) -> str:
    """R13: the key under which two specs count as the same for the baseline.

    Decision (documented here as the issue asks): besides trimming, full-width →
    half-width, lower case and unit words → symbols (``normalize_spec``), every
    amount of **mass** (kg, g, mg, μg/ug/mcg/微克) is rewritten in mg and every
    amount of **volume** (l, ml) in ml, so "0.25g" = "250mg", "500μg" = "0.5mg",
    "5ml:0.1g" = "5ml:100mg", "0.1L" = "100ml". Pack counts and other units
    (片, 粒, iu, %, 万u …) are left as written: a 10 mg tablet and a 10 mg capsule
    are told apart by their generic names, and we never guess a conversion that a
    unit does not define exactly.
    """
    text = normalize_spec(spec)
    if not text:
        return ""

    def canonical(m: re.Match[str]) -> str:
        factor, unit = _TO_CANONICAL[m.group(2)]
        return _plain(Decimal(m.group(1)) * factor) + unit

    return _QUANTITY.sub(canonical, text)


# ------------------------------------------------------------------------------ trend

RISING, FALLING, STABLE = "rising", "falling", "stable"
# Relative change over the window implied by the fitted line, beyond which we call it a trend.
TREND_THRESHOLD = Fraction(1, 10)


def last_12_months(as_of: date) -> list[tuple[int, int]]:
    """R13: the 12 complete calendar months before the month of ``as_of``, oldest first.

    The running month is left out: a half month would read as a fall.
    """
    months: list[tuple[int, int]] = []
    y, m = as_of.year, as_of.month
    for _ in range(12):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        months.append((y, m))
    return months[::-1]


def trend(monthly: Sequence[int]) -> str:
    """R13: trend of monthly purchases by least squares.

    The fitted slope × (n − 1) is the change the line implies from first to last
    month; relative to the mean it is ``rising`` above +10 %, ``falling`` below
    −10 %, else ``stable`` (also when there is no purchase at all or < 2 months).
    """
    n = len(monthly)
    total = sum(monthly)
    if n < 2 or total <= 0:
        return STABLE
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(total, n)
    sxx = sum((Fraction(i) - mean_x) ** 2 for i in range(n))
    sxy = sum((Fraction(i) - mean_x) * (y - mean_y) for i, y in enumerate(monthly))
    relative = sxy / sxx * (n - 1) / mean_y
    if relative > TREND_THRESHOLD:
        return RISING
    if relative < -TREND_THRESHOLD:
        return FALLING
    return STABLE


def trend_label(value: str) -> str:
    return {RISING: tr("上升", "rising"), FALLING: tr("下降", "falling")}.get(
        value, tr("平稳", "stable"))


def format_percent(change: Fraction | None) -> str:
    """'-33.33%' / '+150.00%' for notes; '—' when there is no ratio."""
    if change is None:
        return "—"
    exact = Decimal(change.numerator) / Decimal(change.denominator) * 100
    value = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'+' if value > 0 else ''}{value}%"


# ------------------------------------------------------------------- R13 v2: coverage


def covers(data_from: date | None, data_to: date | None, start: date, end: date) -> bool:
    """R13 v2: do the purchase data cover [start, end]? Month granularity: the data must reach
    into the first and the last month of the span (a year whose data start in March, or stop in
    October, is not covered; the last purchase on 12-28 still covers December)."""
    if data_from is None or data_to is None:
        return False
    return (data_from.year, data_from.month) <= (start.year, start.month) and \
        (data_to.year, data_to.month) >= (end.year, end.month)


def coverage_text(data_from: date | None, data_to: date | None) -> str:
    """R13 v2: "采购数据只覆盖 …" — what the notes say instead of reading a gap as no purchases."""
    if data_from is None or data_to is None:
        return tr("尚无采购数据", "there are no purchase data yet")
    return tr("采购数据只覆盖 {a} 至 {b}", "the purchase data only cover {a} to {b}",
              a=data_from.isoformat(), b=data_to.isoformat())


# ---------------------------------------------------------- R13 v2: not reported checks

BOUGHT_NOT_REPORTED = "bought_not_reported"  # finding (seed 004 (五))
SELECTED_NOT_REPORTED = "selected_not_reported"  # warning (seed 004 (八))


def bought_not_reported(units: int, amount: Decimal, unit_limit: int, amount_limit: Decimal) -> bool:
    """R13 v2: a generic name absent from the report whose non-selected or substitute purchases in
    the baseline year exceed a threshold (policy: 1 000 base units or 10 000 元; strictly above)."""
    return units > unit_limit or amount > amount_limit
