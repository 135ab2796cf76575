"""Placeholder for the settings page (filled in by the second GUI issue)."""

from __future__ import annotations

from ui.pages.base import PlaceholderPage


class SettingsPage(PlaceholderPage):
    page_name = "settings"

    def title(self) -> str:
        return self.tr("设置")
