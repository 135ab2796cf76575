"""Small read-only look-ups the desktop app's dialogs need (pickers and hints).

Plain data out; the caller owns the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Company, Product, Purchase
from hospital_app.domain.calendar import Due
from hospital_app.domain.normalize import normalize_generic


@dataclass(frozen=True)
class ProductChoice:
    id: int
    code: str | None
    generic_name: str
    dosage_form: str | None
    spec: str | None
    manufacturer: str | None
    selected: bool
    batch_id: int | None

    def label(self) -> str:
        parts = [self.generic_name, self.dosage_form or "", self.spec or "", self.manufacturer or ""]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class PurchaseChoice:
    id: int
    purchase_date: date
    order_no: str | None
    quantity: int
    distributor: str | None


def search_products(session: Session, text: str = "", limit: int = 50,
                    selected_only: bool = False) -> list[ProductChoice]:
    """Products whose generic name, code or manufacturer contains ``text`` (selected first)."""
    stmt = (select(Product, Company.name).outerjoin(Company, Product.manufacturer_id == Company.id)
            .order_by(Product.selected.desc(), Product.generic_name, Product.id).limit(limit))
    text = (text or "").strip()
    if text:
        like = f"%{text}%"
        norm = f"%{normalize_generic(text)}%"
        stmt = stmt.where(or_(Product.generic_name.like(like), Product.generic_name_norm.like(norm),
                              Product.code.like(like), Company.name.like(like)))
    if selected_only:
        stmt = stmt.where(Product.selected.is_(True))
    return [ProductChoice(p.id, p.code, p.generic_name, p.dosage_form, p.spec, maker, bool(p.selected),
                          p.batch_id)
            for p, maker in session.execute(stmt)]


def recent_purchases(session: Session, product_ids: list[int], limit: int = 100) -> list[PurchaseChoice]:
    """The latest purchases of some products (to link to a supply issue, R11)."""
    if not product_ids:
        return []
    stmt = (select(Purchase.id, Purchase.purchase_date, Purchase.order_no, Purchase.quantity, Company.name)
            .outerjoin(Company, Purchase.distributor_id == Company.id)
            .where(Purchase.product_id.in_(product_ids))
            .order_by(Purchase.purchase_date.desc(), Purchase.id.desc()).limit(limit))
    return [PurchaseChoice(*row) for row in session.execute(stmt)]


def working_day_due(session: Session, at: datetime, working_days: int) -> Due:
    """R2 on the user's calendar: e.g. the latest promise a reply at ``at`` may make (R3: 5)."""
    from hospital_app.services.calendar import load_calendar

    return load_calendar(session).due(at, working_days)


def product_marks(session: Session, product_id: int) -> dict[str, bool]:
    """R11 marks of one product (shortage, emergency, cheaper_equal_quality, key_monitoring)."""
    from hospital_app.errors import NotFound
    from hospital_app.i18n import tr
    from hospital_app.services.management import product_marks as marks

    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(tr("找不到产品 {id}", "No product {id}", id=product_id))
    return marks(product)
