"""Placeholder for the reports page (filled in by the second GUI issue)."""

from __future__ import annotations

from ui.pages.base import PlaceholderPage


class ReportsPage(PlaceholderPage):
    page_name = "reports"

    def title(self) -> str:
        return self.tr("报告")
