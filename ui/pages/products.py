"""products page (being built)."""

from __future__ import annotations

from ui.pages.base import PlaceholderPage


class ProductsPage(PlaceholderPage):
    page_name = "products"

    def title(self) -> str:
        return self.tr("产品进度")
