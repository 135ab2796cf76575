"""The products a product-list import works on, in memory, written in chunks.

A province's list has 18 000–58 000 rows (IMPORT.md v2 "Big lists"): looking each row's product
up with a query and flushing it one by one took most of a minute. ``ProductBook`` loads the
products, their packs, periods and distributors once, finds a row's product in dictionaries and
collects new and changed rows; ``flush`` writes them with one multi-row statement per table
(new product ids come back through RETURNING, in order), which is why a dry run of a big list
costs about what reading it costs.

Identity of a product (IMPORT.md "Rules of import", issue 15): batch + generic name as written
(spaces and width ignored — "(25R)" and "(50R)" insulins are two products, though R9 groups them)
+ dosage form + spec + manufacturer (+ the code for consumables, where one name and size can be
several items); a row or product without a form matches on the rest when that is unique;
its packs are keyed by (units per pack, pack unit) — a product can have several (14片/盒 and
20片/盒), each with its price and code (``product_pack``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, update

from db.models import AgreementPeriod, Company, Product, ProductDistributor, ProductPack
from hospital_app.domain.normalize import normalize_key
from hospital_app.services.importing.matching import _form_key

PRODUCT_COLS = ("code", "generic_name", "generic_name_norm", "dosage_form", "spec", "spec_norm", "pack_desc",
                "units_per_pack", "base_unit", "pack_unit", "approval_number", "manufacturer_id",
                "selected", "category", "supply_role", "group_name", "selected_price", "batch_id")
# Product columns that describe its first pack (kept for the reports that read one pack).
PACK_COLS = ("units_per_pack", "pack_unit", "pack_desc", "selected_price")


@dataclass
class Pack:
    id: int | None
    upp: int
    pack_unit: str | None
    pack_desc: str | None
    price_per_pack: Decimal | None
    price_per_unit: Decimal | None
    code: str | None
    row: int | None = None  # the row of this run that gave it (None: as stored)
    dirty: bool = False


@dataclass
class Entry:
    id: int | None
    values: dict
    maker_key: str
    packs: dict[tuple[int, str | None], Pack] = field(default_factory=dict)
    periods: dict[date, list] = field(default_factory=dict)  # start → [id, end, volume, row]
    distributors: set[int] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)
    new_distributors: list[int] = field(default_factory=list)
    row: int | None = None
    maker_name: str | None = None  # for a manufacturer created with the next flush


class ProductBook:
    def __init__(self, session, companies=None) -> None:
        self.s = session
        self.companies = companies
        self.by_key: dict[tuple, Entry] = {}
        self.by_loose: dict[tuple, list[Entry]] = {}  # the key without the form
        self.by_code: dict[str, list[Entry]] = {}
        self.entries: dict[int, Entry] = {}
        self.pending: list[Entry] = []  # new, not yet inserted
        self.touched: list[Entry] = []  # known, with changes, packs, periods or distributors to write
        cols = [getattr(Product, c) for c in PRODUCT_COLS]
        for row in session.execute(select(Product.id, *cols, Company.name)
                                   .outerjoin(Company, Product.manufacturer_id == Company.id)):
            values = dict(zip(PRODUCT_COLS, row[1:-1]))
            entry = Entry(row[0], values, normalize_key(row[-1]))
            self.entries[row[0]] = entry
            self._index(entry, None)
        for p in session.execute(select(ProductPack.id, ProductPack.product_id, ProductPack.units_per_pack,
                                        ProductPack.pack_unit, ProductPack.pack_desc, ProductPack.price_per_pack,
                                        ProductPack.price_per_unit, ProductPack.code)):
            entry = self.entries.get(p[1])
            if entry is not None:
                entry.packs[(p[2], p[3])] = Pack(p[0], p[2], p[3], p[4], p[5], p[6], p[7])
                if p[7]:
                    self.by_code.setdefault(normalize_key(p[7]), []).append(entry)
        for a in session.execute(select(AgreementPeriod.id, AgreementPeriod.product_id, AgreementPeriod.start,
                                        AgreementPeriod.end, AgreementPeriod.agreed_volume)):
            if a[1] in self.entries:
                self.entries[a[1]].periods[a[2]] = [a[0], a[3], a[4], None]
        for pid, cid in session.execute(select(ProductDistributor.product_id, ProductDistributor.company_id)):
            if pid in self.entries:
                self.entries[pid].distributors.add(cid)

    @staticmethod
    def key(batch_id: int | None, name: str, form: str, spec: str, maker: str, code: str | None) -> tuple:
        return (batch_id, name, form, spec or "", maker, code or "")

    def _index(self, entry: Entry, consumable_code: str | None) -> None:
        v = entry.values
        name, form = normalize_key(v["generic_name"]), _form_key(v["dosage_form"])
        k = self.key(v["batch_id"], name, form, v["spec_norm"] or "", entry.maker_key, None)
        self.by_key.setdefault(k, entry)
        loose = self.by_loose.setdefault(k[:2] + k[3:], [])
        if entry not in loose:
            loose.append(entry)
        if consumable_code:
            self.by_key[k[:-1] + (consumable_code,)] = entry
        if v["code"]:
            self.by_code.setdefault(normalize_key(v["code"]), []).append(entry)

    def _by_name(self, batch_id: int | None, name: str, form: str, spec: str, maker: str,
                 code: str | None) -> Entry | None:
        found = self.by_key.get(self.key(batch_id, name, form, spec, maker, code))
        if found is not None or code:
            return found
        loose = [e for e in self.by_loose.get((batch_id, name, spec or "", maker, ""), ())
                 if not form or not e.values["dosage_form"]]
        return loose[0] if len(loose) == 1 else None

    def find(self, batch_id: int, code: str | None, name: str, form: str, spec: str, maker: str,
             consumable: bool) -> Entry | None:
        """The product a row describes: same batch and code, else same batch and name key; a
        product without a batch (bought before the list came) with that code or key is promoted."""
        code_key = normalize_key(code) if code else ""
        if code_key:
            cands = self.by_code.get(code_key, ())
            for e in cands:
                if e.values["batch_id"] == batch_id:
                    return e
            for e in cands:
                if e.values["batch_id"] is None:
                    return e
        found = self._by_name(batch_id, name, form, spec, maker, code_key if consumable else None)
        if found is not None:
            if consumable and code_key and found.values["code"] and normalize_key(found.values["code"]) != code_key:
                return None  # another item of the same name and size
            return found
        found = self._by_name(None, name, form, spec, maker, None)
        if found is not None and (not code_key or not found.values["code"]):
            return found
        return None

    def add(self, values: dict, maker_key: str, row: int, consumable_code: str | None,
            maker_name: str | None = None) -> Entry:
        entry = Entry(None, values, maker_key, row=row, maker_name=maker_name)
        self.pending.append(entry)
        self._index(entry, consumable_code)
        return entry

    def set(self, entry: Entry, changes: dict) -> None:
        """Changed product columns (a promoted product also moves to its new batch key)."""
        if not changes:
            return
        entry.values.update(changes)
        if entry.id is not None:
            entry.dirty.update(changes)
            self._touch(entry)
        if "batch_id" in changes or "code" in changes:
            self._index(entry, None)

    def _touch(self, entry: Entry) -> None:
        if entry.id is not None and not getattr(entry, "_touched", False):
            entry._touched = True  # type: ignore[attr-defined]
            self.touched.append(entry)

    def add_pack(self, entry: Entry, pack: Pack) -> None:
        entry.packs[(pack.upp, pack.pack_unit)] = pack
        if pack.code:
            self.by_code.setdefault(normalize_key(pack.code), []).append(entry)
        self._touch(entry)

    def change_pack(self, entry: Entry, pack: Pack, **changes) -> None:
        for k, v in changes.items():
            setattr(pack, k, v)
        pack.dirty = True
        self._touch(entry)

    def set_period(self, entry: Entry, start: date, end: date, volume: int, row: int) -> None:
        old = entry.periods.get(start)
        if old is None:
            entry.periods[start] = [None, end, volume, row]
        else:
            old[1], old[2], old[3] = end, volume, row
            if old[0] is not None:
                old.append("dirty")
        self._touch(entry)

    def add_distributor(self, entry: Entry, company_id: int) -> bool:
        if company_id in entry.distributors:
            return False
        entry.distributors.add(company_id)
        entry.new_distributors.append(company_id)
        self._touch(entry)
        return True

    # ------------------------------------------------------------------ writing
    def flush(self) -> None:
        """Write the new and changed products, packs, periods and distributors."""
        conn = self.s.connection()
        if self.companies is not None:
            self.companies.flush_later()
            for e in self.pending:
                if e.values["manufacturer_id"] is None and e.maker_name:
                    e.values["manufacturer_id"] = self.companies.ids[e.maker_name]
        if self.pending:
            table = Product.__table__
            rows = [{**e.values, "version": 1, "suspension_reported_to": []} for e in self.pending]
            ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               rows).scalars().all()
            for e, pid in zip(self.pending, ids):
                e.id = pid
                self.entries[pid] = e
        work = self.pending + self.touched
        self.pending, self.touched = [], []
        new_packs, new_periods, new_dists = [], [], []
        for e in work:
            e._touched = False  # type: ignore[attr-defined]
            if e.dirty:
                conn.execute(update(Product.__table__).where(Product.__table__.c.id == e.id)
                             .values(**{c: e.values[c] for c in e.dirty}, version=Product.__table__.c.version + 1))
                e.dirty = set()
            for p in e.packs.values():
                values = {"pack_desc": p.pack_desc, "units_per_pack": p.upp, "pack_unit": p.pack_unit,
                          "price_per_pack": p.price_per_pack, "price_per_unit": p.price_per_unit, "code": p.code}
                if p.id is None:
                    new_packs.append((p, {"product_id": e.id, **values}))
                elif p.dirty:
                    conn.execute(update(ProductPack.__table__).where(ProductPack.__table__.c.id == p.id)
                                 .values(**values))
                p.dirty = False
            for start, per in e.periods.items():
                if per[0] is None:
                    new_periods.append((per, {"product_id": e.id, "start": start, "end": per[1],
                                              "agreed_volume": per[2], "version": 1,
                                              "year_index": 1 + sum(1 for s in e.periods if s < start)}))
                elif len(per) > 4:
                    conn.execute(update(AgreementPeriod.__table__).where(AgreementPeriod.__table__.c.id == per[0])
                                 .values(end=per[1], agreed_volume=per[2],
                                         version=AgreementPeriod.__table__.c.version + 1))
                    del per[4:]
            new_dists.extend({"product_id": e.id, "company_id": c} for c in e.new_distributors)
            e.new_distributors = []
        if new_packs:
            table = ProductPack.__table__
            ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               [v for _p, v in new_packs]).scalars().all()
            for (p, _v), pid in zip(new_packs, ids):
                p.id = pid
        if new_periods:
            table = AgreementPeriod.__table__
            ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               [v for _p, v in new_periods]).scalars().all()
            for (per, _v), pid in zip(new_periods, ids):
                per[0] = pid
        if new_dists:
            conn.execute(insert(ProductDistributor.__table__), new_dists)


__all__ = ["ProductBook", "Entry", "Pack", "PRODUCT_COLS", "PACK_COLS"]
