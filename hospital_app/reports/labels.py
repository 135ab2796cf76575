"""Labels the documents print, from the pure domain (no import of ``hospital_app.services``)."""

from __future__ import annotations

from hospital_app.domain import supply_issues as issue_rules
from hospital_app.i18n import tr


def issue_type_label(code: str | None) -> str:
    """R3: the Chinese (English) name of a supply-issue type."""
    zh, en = issue_rules.ISSUE_TYPES.get(code, (code or "", code or ""))
    return tr(zh, en)


def issue_status_label(code: str | None) -> str:
    """R3: the Chinese (English) name of a supply-issue status."""
    if not code:
        return ""
    zh, en = issue_rules.STATUSES.get(code, (code, code))
    return tr(zh, en)


def money_text(value) -> str:
    """Money with thousands separators and 元: Decimal("1234567.5") → "1,234,567.50 元"."""
    from decimal import ROUND_HALF_UP, Decimal

    amount = Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return tr("{v} 元", "CNY {v}", v=f"{amount:,}")


def count_text(value) -> str:
    """A whole quantity with thousands separators (12000 → "12,000")."""
    return f"{int(value or 0):,}"
