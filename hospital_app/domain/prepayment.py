"""R15: the insurance prepayment of a batch's agreement year and its offset (pure).

prepayment = agreed amount (Σ V × selected price) × rate (policy: drugs 50 %, consumables
30 %, per batch); offset to d = prepayment × min(1, purchased amount / agreed amount) (按采购进度
逐步冲抵); outstanding = prepayment − offset; recovered within 2 months after the cycle ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hospital_app.domain.targets import add_months

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Amounts in 元 with 2 places, half up (DOMAIN.md "Quantities and money")."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Prepayment:
    agreed_amount: Decimal
    rate: Decimal
    prepayment: Decimal
    purchased_amount: Decimal
    offset: Decimal
    outstanding: Decimal


def prepayment(agreed_amount: Decimal, rate: Decimal, purchased_amount: Decimal) -> Prepayment:
    """R15: the figures of one batch and agreement year; the offset never exceeds the prepayment."""
    agreed = money(agreed_amount)
    pre = money(agreed * Decimal(rate))
    progress = min(Decimal(1), Decimal(purchased_amount) / agreed) if agreed > 0 else Decimal(0)
    offset = money(pre * progress)
    return Prepayment(agreed, Decimal(rate), pre, money(purchased_amount), offset, pre - offset)


def recover_by(cycle_end: date | None) -> date | None:
    """R15 (002): what is not offset is recovered within 2 months after the cycle ends."""
    return add_months(cycle_end, 2) if cycle_end else None
