"""Placeholder for the volumes page (filled in by the second GUI issue)."""

from __future__ import annotations

from ui.pages.base import PlaceholderPage


class VolumesPage(PlaceholderPage):
    page_name = "volumes"

    def title(self) -> str:
        return self.tr("报量核对")
