"""``products list`` (CLI.md v2): every product as stored, with every pack (IMPORT.md v2 — a
product can have several packs, each with its price per pack and per base unit and its code)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Batch, Company, Product, ProductPack


@dataclass
class PackRow:
    pack_desc: str | None
    units_per_pack: int
    pack_unit: str | None
    price_per_pack: Decimal | None
    price_per_unit: Decimal | None
    product_code: str | None


@dataclass
class ProductRow:
    product_id: int
    batch: str | None
    kind: str | None
    generic_name: str
    dosage_form: str | None
    spec: str | None
    manufacturer: str | None
    product_code: str | None
    selected: bool
    category: str
    supply_role: str | None
    base_unit: str | None
    packs: list[PackRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        for p in d["packs"]:
            for k in ("price_per_pack", "price_per_unit"):
                p[k] = None if p[k] is None else f"{p[k]:.4f}"
        return d


def list_products(session: Session, *, batch: str | None = None, selected: bool | None = None) -> list[ProductRow]:
    """Products ordered by batch and id; ``selected`` True/False filters selected / non-selected."""
    stmt = (select(Product.id, Batch.name, Batch.kind, Product.generic_name, Product.dosage_form, Product.spec,
                   Company.name, Product.code, Product.selected, Product.category, Product.supply_role,
                   Product.base_unit)
            .outerjoin(Batch, Product.batch_id == Batch.id)
            .outerjoin(Company, Product.manufacturer_id == Company.id)
            .order_by(Product.id))
    if batch is not None:
        stmt = stmt.where(Batch.name == batch)
    if selected is not None:
        stmt = stmt.where(Product.selected.is_(selected))
    rows = {r[0]: ProductRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9], r[10], r[11])
            for r in session.execute(stmt)}
    if rows:
        packs = select(ProductPack.product_id, ProductPack.pack_desc, ProductPack.units_per_pack,
                       ProductPack.pack_unit, ProductPack.price_per_pack, ProductPack.price_per_unit,
                       ProductPack.code).order_by(ProductPack.product_id, ProductPack.id)
        if batch is not None or selected is not None:
            packs = packs.where(ProductPack.product_id.in_(list(rows)))
        for p in session.execute(packs):
            if p[0] in rows:
                rows[p[0]].packs.append(PackRow(*p[1:]))
    return list(rows.values())
