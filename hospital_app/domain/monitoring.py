"""Monitoring rules beside R7/R8: R6, R9–R12, R14, R16, R17 (pure, no I/O).

The services feed these functions with SQL aggregates; every rule lives here once so
that the CLI, the GUI and the PDF report agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Sequence

from hospital_app.domain.targets import MonthTarget, add_years

# ------------------------------------------------------------------------- R11 lists

#: R11 reasons an exemption may give (source 004 (十四)).
EXEMPTION_REASONS = ("key_monitoring", "public_health_event", "guideline_change")

#: R11/R17 product marks (columns of Product).
PRODUCT_MARKS = ("shortage", "emergency", "cheaper_equal_quality", "key_monitoring")

#: R17: to whom a suspension was reported.
REPORTED_TO = ("manufacturer", "health_authority", "drug_authority")

# Classes of a purchase for the R9 share (after R11 exclusions).
SELECTED = "selected"
NONSELECTED = "nonselected"
EXCLUDED = "excluded"


def exemption_reason_label(reason: str) -> str:
    from hospital_app.i18n import tr

    return {
        "key_monitoring": tr("纳入重点监控合理用药药品目录", "listed in the key-monitoring drug list"),
        "public_health_event": tr("发生公共卫生事件", "public health event"),
        "guideline_change": tr("临床指南药物推荐级别变化", "change of the clinical guideline recommendation"),
    }.get(reason, reason)


def active_on(start: date | None, end: date | None, d: date) -> bool:
    """R11/R17: an exemption (or any dated state) with open ends is in force on d."""
    return (start is None or start <= d) and (end is None or d <= end)


def is_suspended(suspended_on: date | None, d: date) -> bool:
    """R17: suspended on d (suspension recorded on or before d)."""
    return suspended_on is not None and suspended_on <= d


# ------------------------------------------------------------------------------- R9


def share_class(*, selected: bool, supply_role: str | None, cheaper_equal_quality: bool,
                verified_backup: bool = False, excused_by_report: bool = False) -> str:
    """R9 + R11 v2: how one purchase enters the assessment (completion, R9 share and R10).

    - a backup supplier's purchase counts as selected only when verified (the bureau's
      confirmation on the linked supply issue, as of d); otherwise it is outside the assessment;
    - non-selected/substitute products marked cheaper with equal quality are outside it;
    - non-selected purchases excused by a supply issue reported to the bureau
      (``reported_purchase_excused``) are outside it;
    - otherwise selected products are ``selected``, the rest ``nonselected``.
    """
    if supply_role == "backup":
        return SELECTED if verified_backup else EXCLUDED
    if selected:
        return SELECTED
    if cheaper_equal_quality or excused_by_report:
        return EXCLUDED
    return NONSELECTED


def verified_on(confirmed_on: date | None, d: date) -> bool:
    """R11 v2: a supply issue is verified (经核实) on d once the bureau's confirmation is recorded
    with a date on or before d (as of d: a later confirmation is not known yet)."""
    return confirmed_on is not None and confirmed_on <= d


def reported_purchase_excused(purchase_day: date, *, reported_on: date | None, resolved_on: date | None,
                              confirmed_on: date | None, d: date, confirmation_required: bool) -> bool:
    """R11 v2: a non-selected purchase linked to a supply issue is outside the assessment when it
    was made between the issue's report to the bureau and its resolution (both as of d; an issue
    not resolved by d is still open). Policy ``r11_bureau_confirmation_required`` (default on):
    the bureau's confirmation (by d) is required as well."""
    if reported_on is None or reported_on > d or purchase_day > d:
        return False
    if confirmation_required and not verified_on(confirmed_on, d):
        return False
    until = resolved_on if resolved_on is not None and resolved_on <= d else d
    return reported_on <= purchase_day <= until


def nonselected_share(nonselected: int, selected: int) -> Fraction:
    """R9: non-selected / (selected + non-selected) base units; 0 when nothing was bought."""
    total = int(selected) + int(nonselected)
    if total <= 0:
        return Fraction(0)
    return Fraction(int(nonselected), total)


def share_exceeds(share: Fraction, threshold: Decimal | str) -> bool:
    """R9: above the threshold (policy, default 30 %) is a finding; exactly at it is not."""
    return share > _fraction_of(str(threshold))


@lru_cache(maxsize=64)
def _fraction_of(text: str) -> Fraction:
    """A policy value's exact Fraction (the same few thresholds for every product)."""
    return Fraction(Decimal(text))


# ------------------------------------------------------------------------------ R10


@dataclass(frozen=True)
class SubstituteCheck:
    level: str | None  # None | "exceeded" (finding) | "projected" (warning)
    current: int
    previous: int
    projected: Fraction | None


def substitute_check(current_ytd: int, previous_year: int, schedule: Fraction) -> SubstituteCheck:
    """R10: substitutes' purchases this agreement year vs the previous year.

    A finding when the year to date already exceeds the previous year; a warning when
    the year to date projected over the year (÷ S(d)) exceeds it.
    """
    projected = Fraction(int(current_ytd)) / schedule if schedule > 0 else None
    if current_ytd > previous_year:
        level = "exceeded"
    elif projected is not None and projected > previous_year:
        level = "projected"
    else:
        level = None
    return SubstituteCheck(level, int(current_ytd), int(previous_year), projected)


def previous_year_window(start: date, end: date) -> tuple[date, date]:
    """R10: the agreement year before [start, end]: the same dates one year earlier."""
    return add_years(start, -1), start - timedelta(days=1)


# ------------------------------------------------------------------------------ R12


def full_month_target(targets: Sequence[MonthTarget]) -> Fraction:
    """R12 v2: a full month's target of a period, V / Σw (from the period's whole target list)."""
    total_w = sum((t.weight for t in targets), Fraction(0))
    return Fraction(sum(t.target for t in targets)) / total_w if total_w else Fraction(0)


def clustered_months(targets: Sequence[MonthTarget], purchases: dict[tuple[int, int], int],
                     k: Decimal | str | Fraction = Decimal(2), *,
                     full_month: Fraction | None = None) -> list[MonthTarget]:
    """R12 v2: months whose purchases exceed k × T_m (不得扎堆采购).

    ``targets`` is the period's whole R7 target list (V = Σ T_m, Σw = Σ w_m). A partial month
    (first or last, w_m < 1) is compared with a full month's target V / Σw instead of its
    pro-rated T_m, so an ordinary first order placed late in a month is not a false alarm.
    ``purchases`` are the counted purchases per month without verified emergency purchases (R11).
    ``full_month``: V / Σw when the caller has it already (the same value, computed once).
    """
    factor = k if isinstance(k, Fraction) else Fraction(Decimal(str(k)))
    kn, kd = factor.numerator, factor.denominator
    full = full_month if full_month is not None else full_month_target(targets)
    fn, fd = full.numerator, full.denominator
    out = []
    for t in targets:
        bought = purchases.get(t.key, 0)
        if bought <= 0:
            continue
        # exact integer comparisons: bought > k·T  ⇔  bought·kd > kn·T (and likewise for V/Σw)
        whole = t.weight.numerator >= t.weight.denominator  # w_m >= 1, without a Fraction comparison
        if (bought * kd > kn * t.target) if whole else (bought * kd * fd > kn * fn):
            out.append(t)
    return out


def empty_months(targets: Sequence[MonthTarget], purchases: dict[tuple[int, int], int],
                 d: date) -> list[MonthTarget]:
    """R12: months of the period complete by d (their last day ≤ d: d counts, as in S(d))
    with no purchases at all.

    The caller reports them only while the product is behind (R8).
    """
    return [t for t in targets if t.last_day <= d and t.target > 0 and purchases.get(t.key, 0) <= 0]


# ------------------------------------------------------------------------------- R6
# The previous-year comparison is hospital_app.domain.periods.below_previous_year.


def renewal_alignment(execution_start: date, cycle_end: date) -> list[tuple[date, date]]:
    """R6 policy (Shanxi, setting ``r6_renewal_alignment``, off by default): proposed periods.

    A batch that started in January–June renews on 07-01, one that started in
    July–December on 01-01 of the next year; then yearly until the cycle end. The app
    only proposes these dates; the user confirms them.
    """
    if cycle_end < execution_start:
        raise ValueError("cycle end before execution start")
    if execution_start.month <= 6:
        renew = date(execution_start.year, 7, 1)
    else:
        renew = date(execution_start.year + 1, 1, 1)
    out = [(execution_start, min(renew - timedelta(days=1), cycle_end))]
    s = renew
    while s <= cycle_end:
        e = min(add_years(s, 1) - timedelta(days=1), cycle_end)
        out.append((s, e))
        s = e + timedelta(days=1)
    return out


# ------------------------------------------------------------------------------ R14


def pre_vbp_price_lower(last_price: Decimal | None, selected_price: Decimal | None) -> bool:
    """R14: the last purchase price per base unit before execution start is below the selected price."""
    return last_price is not None and selected_price is not None and last_price < selected_price


# ------------------------------------------------------------------------------ R16

DEFAULT_MAX_DISTRIBUTORS = {"drug": 5, "consumable": 10}


def distributors_exceeded(count: int, limit: int) -> bool:
    """R16: more distributors recorded than allowed (5 per drug, 10 per consumable)."""
    return count > limit


# ------------------------------------------------------------------------------ R11


def consumable_group_key(batch_kind: str | None, batch_id: int | None, manufacturer_id: int | None,
                         group_name: str | None) -> tuple | None:
    """R11: consumables of the same company and the same group (组别) are assessed together.

    Returns the key of the merged assessment, or None for a product assessed alone.
    """
    if batch_kind != "consumable" or not group_name or manufacturer_id is None:
        return None
    return (batch_id, manufacturer_id, group_name.strip())
