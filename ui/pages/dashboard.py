"""dashboard page (being built)."""

from __future__ import annotations

from ui.pages.base import PlaceholderPage


class DashboardPage(PlaceholderPage):
    page_name = "dashboard"

    def title(self) -> str:
        return self.tr("总览")
