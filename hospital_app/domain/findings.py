"""A finding (alert) as every rule reports it: ``alerts --json`` per CLI.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

SEVERITIES = ("info", "warning", "serious")


@dataclass(frozen=True)
class Alert:
    rule: str  # "R8"
    severity: str  # info | warning | serious
    message: str  # in the user's language
    product_id: int | None = None
    since: date | None = None
    # What the alert is about beyond the product (issue id, company, generic name …),
    # so that each finding is listed once.
    subject: str | None = None
    action: str | None = None  # what the pharmacist should do (dashboard "今日待办")
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "product_id": self.product_id,
            "message": self.message,
            "since": self.since.isoformat() if self.since else None,
            "subject": self.subject,
            "action": self.action,
        }
