"""Product matching and company look-up for an import run.

IMPORT.md "Rules of import": a line's product is found by its code first, else by the
normalised generic name + dosage form + spec + manufacturer; several candidates is an
error naming them, never a guess. ``ProductIndex`` holds all products in memory for
that; ``Companies`` gets or creates a company by its name as written (R16 distributors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Company, Product, ProductPack
from hospital_app.domain.normalize import normalize_generic, normalize_key, normalize_spec


def _form_key(form: str | None) -> str:
    key = normalize_key(form)
    return key[:-1] if key.endswith("剂") and len(key) > 1 else key


@dataclass
class _Prod:
    id: int
    code: str
    generic: str
    form: str
    spec: str
    maker: str
    selected: bool
    upp: int | None
    base_unit: str | None
    pack_unit: str | None
    label: str
    # The product's packs (IMPORT.md v2: several per product): (pack id, units per pack, pack unit,
    # code, description).
    packs: list = field(default_factory=list)


class ProductIndex:
    """All products in memory for matching (IMPORT.md: code first, else normalised
    generic name + dosage form + spec + manufacturer; ambiguous → error)."""

    def __init__(self, session: Session, selected_only: bool = False) -> None:
        self.session = session
        self.by_code: dict[str, list[_Prod]] = {}
        self.by_generic: dict[str, list[_Prod]] = {}
        self.selected_generics: set[str] = set()
        stmt = (select(Product.id, Product.code, Product.generic_name, Product.generic_name_norm,
                       Product.dosage_form, Product.spec, Product.spec_norm, Product.selected,
                       Product.units_per_pack, Product.base_unit, Product.pack_unit, Company.name)
                .outerjoin(Company, Product.manufacturer_id == Company.id))
        if selected_only:
            stmt = stmt.where(Product.selected.is_(True))
        packs: dict[int, list] = {}
        for pk in session.execute(select(ProductPack.product_id, ProductPack.id, ProductPack.units_per_pack,
                                         ProductPack.pack_unit, ProductPack.code, ProductPack.pack_desc)
                                  .order_by(ProductPack.id)):
            packs.setdefault(pk[0], []).append(tuple(pk[1:]))
        for row in session.execute(stmt):
            prod = _Prod(row[0], normalize_key(row[1]), row[3] or normalize_generic(row[2]),
                         _form_key(row[4]), row[6] or normalize_spec(row[5]), normalize_key(row[11]),
                         bool(row[7]), row[8], row[9], row[10],
                         f"#{row[0]} {row[2]} {row[5] or ''} {row[11] or ''}".strip(), packs.get(row[0], []))
            self.add(prod)
            for _pid, _upp, _unit, code, _desc in prod.packs:  # a pack's own code finds its product
                key = normalize_key(code)
                if key and prod not in self.by_code.get(key, ()):
                    self.by_code.setdefault(key, []).append(prod)

    def add(self, p: _Prod) -> None:
        if p.code:
            self.by_code.setdefault(p.code, []).append(p)
        self.by_generic.setdefault(p.generic, []).append(p)
        if p.selected:
            self.selected_generics.add(p.generic)

    @staticmethod
    def _narrow(cands: list[_Prod], generic: str, form: str, spec: str, maker: str) -> list[_Prod]:
        for attr, want in (("generic", generic), ("form", form), ("spec", spec), ("maker", maker)):
            if want and len(cands) > 1:
                narrower = [c for c in cands if getattr(c, attr) == want]
                if narrower:
                    cands = narrower
        return cands

    def match(self, code: str, generic: str, form: str, spec: str, maker: str) -> tuple[_Prod | None, list[_Prod]]:
        """(product, []) on a match; (None, candidates) when ambiguous; (None, []) when none."""
        if code and code in self.by_code:
            cands = self._narrow(self.by_code[code], generic, form, spec, maker)
            if len(cands) > 1:
                sel = [c for c in cands if c.selected]
                cands = sel or cands
            return (cands[0], []) if len(cands) == 1 else (None, cands)
        if not generic:
            return None, []
        cands = [c for c in self.by_generic.get(generic, ())
                 if (not form or not c.form or c.form == form)
                 and (not spec or c.spec == spec)
                 and (not maker or c.maker == maker)]
        if len(cands) > 1 and code:
            cands = [c for c in cands if not c.code] or cands
        if len(cands) == 1:
            return cands[0], []
        return None, cands


class Companies:
    """Company get-or-create by name as written (trimmed, half-width)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}
        self.flags: dict[int, tuple[bool, bool]] = {}
        self.pending: dict[str, None] = {}  # new manufacturers waiting for ``flush_later``
        for cid, name, man, dis in session.execute(
                select(Company.id, Company.name, Company.is_manufacturer, Company.is_distributor)):
            self.ids[name] = cid
            self.flags[cid] = (bool(man), bool(dis))

    def later(self, name: str) -> int | None:
        """A manufacturer's id if known, else None and the name waits for ``flush_later`` (one
        multi-row insert for the thousands of new companies of a provincial list)."""
        cid = self.ids.get(name)
        if cid is None:
            self.pending.setdefault(name, None)
            return None
        return self.get(name, manufacturer=True)

    def flush_later(self) -> None:
        names = [n for n in self.pending if n not in self.ids]
        self.pending = {}
        if not names:
            return
        table = Company.__table__
        ids = self.session.connection().execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True),
            [{"name": n, "is_manufacturer": True, "is_distributor": False, "version": 1} for n in names]).scalars().all()
        for name, cid in zip(names, ids):
            self.ids[name] = cid
            self.flags[cid] = (True, False)

    def get(self, name: str | None, *, manufacturer: bool = False, distributor: bool = False) -> int | None:
        if not name:
            return None
        cid = self.ids.get(name)
        if cid is None:
            # Core on the table, not the ORM bulk path: thousands of new companies stay cheap.
            cid = self.session.connection().execute(
                Company.__table__.insert().returning(Company.__table__.c.id),
                {"name": name, "is_manufacturer": manufacturer, "is_distributor": distributor,
                 "version": 1}).scalar_one()
            self.ids[name] = cid
            self.flags[cid] = (manufacturer, distributor)
            return cid
        man, dis = self.flags[cid]
        if (manufacturer and not man) or (distributor and not dis):
            self.session.execute(update(Company).where(Company.id == cid).values(
                is_manufacturer=man or manufacturer, is_distributor=dis or distributor,
                version=Company.version + 1))
            self.flags[cid] = (man or manufacturer, dis or distributor)
        return cid
