"""The bureau's execution indicators per batch (R20, 国采医疗机构带量执行报表), as of d.

Built on the progress service (``compute_progress`` / ``batch_summary``): the status
figures come from its rows (``purchased``, ``agreed_volume``, ``completion``,
``schedule``, ``nonselected_share``, ``share_threshold``), never from a second
calculation. What progress does not compute is added here with SQL aggregates:

- the R9 share **by amount** (非中选超额) — per generic name and period start, the
  non-selected amount / (selected + non-selected amount) from purchases in the row's
  period up to d, classes as R9/R11 give them from the product (``share_class``);
- the non-selected and substitute products on record and bought in the period.

Categories (R20), per signed product (a selected product with a current agreement period):
``zero`` no counted purchase; ``over_purchase`` counted purchases > V (exactly V is
not over); ``below_schedule`` purchases > 0 and C < S; ``normal`` the rest. A share
exactly at the threshold is not over (R9: "above the threshold").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from db.models import Batch, Product, Substitute
from hospital_app.domain import monitoring
from hospital_app.domain.status import percent_text as _pct
from hospital_app.services import purchase_totals
from hospital_app.services.progress import ProgressRow, batch_summary, compute_progress, ratio4

#: (key, bureau column) of the count indicators, in the bureau's order (R20).
COUNTS: tuple[tuple[str, str], ...] = (
    ("total", "签约产品总数"),
    ("zero", "零采购产品数"),
    ("below_schedule", "低于序时进度产品数"),
    ("over_purchase", "超量采购产品数"),
    ("normal", "正常采购产品数"),
    ("nonselected_total", "对应非中选产品总数"),
    ("nonselected_bought", "采购非中选产品数"),
    ("nonselected_over_quantity", "非中选超量产品数"),
    ("nonselected_over_amount", "非中选超额产品数"),
    ("substitute_total", "对应可替代产品总数"),
    ("substitute_bought", "采购可替代产品数"),
    ("below_and_nonselected_over", "低于序时进度且非中选超量的产品数"),
)
#: indicators that also have a share of 签约产品总数 (R20).
SHARED = ("zero", "below_schedule", "over_purchase", "normal")

#: English names of the indicators (the CLI with --lang en, the GUI's English UI).
ENGLISH = {
    "total": "Signed products", "zero": "Zero purchase", "below_schedule": "Below schedule",
    "over_purchase": "Over-purchase", "normal": "Normal", "nonselected_total": "Non-selected products on record",
    "nonselected_bought": "Non-selected products bought",
    "nonselected_over_quantity": "Non-selected share over (quantity)",
    "nonselected_over_amount": "Non-selected share over (amount)",
    "substitute_total": "Substitute products on record", "substitute_bought": "Substitute products bought",
    "below_and_nonselected_over": "Below schedule and non-selected share over",
}


def indicator_label(key: str) -> str:
    from hospital_app.i18n import tr

    return tr(dict(COUNTS)[key], ENGLISH[key])


@dataclass
class ProductRef:
    """A product behind an indicator (what a click on a number lists)."""

    product_id: int
    generic_name: str
    spec: str | None
    manufacturer: str | None
    selected: bool
    detail: str = ""  # the figure that puts it there, e.g. "0 / 1200" or "31.2%"
    margin: Fraction | int | None = None  # distance to the category's boundary (compare: nearest first)
    units: int | None = None  # base units bought in the period

    def as_dict(self) -> dict:
        return {"product_id": self.product_id, "generic_name": self.generic_name, "spec": self.spec,
                "manufacturer": self.manufacturer, "selected": self.selected, "detail": self.detail}


@dataclass
class BatchIndicators:
    """R20: one row of the bureau's report (one batch) as of d."""

    batch_id: int
    batch: str
    start: date | None
    end: date | None
    schedule: Fraction
    counts: dict[str, int]
    products: dict[str, list[ProductRef]] = field(default_factory=dict, repr=False)

    def share(self, key: str) -> Fraction | None:
        total = self.counts["total"]
        return Fraction(self.counts[key], total) if total else None

    def as_dict(self, with_products: bool = False) -> dict:
        out: dict = {"batch": self.batch, "start": _iso(self.start), "end": _iso(self.end),
                     "schedule": ratio4(self.schedule)}
        for key, _zh in COUNTS:
            out[key] = self.counts[key]
            if key in SHARED:
                out[f"{key}_share"] = ratio4(self.share(key))
        if with_products:
            out["products"] = {k: [p.as_dict() for p in v] for k, v in self.products.items()}
        return out


@dataclass
class IndicatorReport:
    as_of: date
    batches: list[BatchIndicators]

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "batches": [b.as_dict() for b in self.batches]}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# --------------------------------------------------------------------------- categories


def category(row: ProgressRow) -> str:
    """R20 status category of one progress row: zero, over_purchase, below_schedule or normal."""
    if row.purchased <= 0:
        return "zero"
    if row.purchased > row.agreed_volume:
        return "over_purchase"
    if row.completion < row.schedule:
        return "below_schedule"
    return "normal"


def _ref(row: ProgressRow, detail: str, margin: Fraction | None = None) -> ProductRef:
    return ProductRef(row.product_id, row.generic_name, row.spec, row.manufacturer, True, detail, margin,
                      row.purchased)


def _status_ref(row: ProgressRow, cat: str) -> ProductRef:
    detail = f"{row.purchased:,} / {row.agreed_volume:,}"
    if cat == "zero":
        margin = Fraction(0)
    elif cat == "over_purchase":
        margin = Fraction(row.purchased - row.agreed_volume)
    elif cat == "below_schedule":
        margin = row.schedule - row.completion
    else:  # normal
        margin = row.completion - row.schedule
    return _ref(row, detail, margin)


# --------------------------------------------------------------------------- SQL aggregates


def _amount_shares(session: Session, rows: list[ProgressRow], as_of: date) -> dict[tuple[str, date], Fraction]:
    """R9 by amount: non-selected / (selected + non-selected) amount per (generic, period start)."""
    by_start: dict[date, set[str]] = defaultdict(set)
    for r in rows:
        by_start[r.period_start].add(r.generic_name_norm)
    out: dict[tuple[str, date], Fraction] = {}
    for start, generics in by_start.items():
        where = Product.generic_name_norm.in_(sorted(generics))
        value = {pid: s.value for pid, s in purchase_totals.per_product(session, start, as_of, where).items()}
        sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for pid, generic, sel, role, cheaper in session.execute(
                select(Product.id, Product.generic_name_norm, Product.selected, Product.supply_role,
                       Product.cheaper_equal_quality).where(where)):
            cls = monitoring.share_class(selected=bool(sel), supply_role=role,
                                         cheaper_equal_quality=bool(cheaper))
            if cls != monitoring.EXCLUDED:
                sums[generic][cls] += value.get(pid, 0)
        for generic in generics:
            sel_amt = sums[generic][monitoring.SELECTED]
            non_amt = sums[generic][monitoring.NONSELECTED]
            total = sel_amt + non_amt
            out[(generic, start)] = Fraction(non_amt, total) if total > 0 else Fraction(0)
    return out


@dataclass
class _Other:
    product_id: int
    generic_name: str
    spec: str | None
    manufacturer: str | None
    bought: int  # base units in the period up to d


def _others(session: Session, rows: list[ProgressRow], as_of: date, *, substitutes: bool,
            units_since: dict[date, dict[int, int]] | None = None) -> dict[int, list[_Other]]:
    """Non-selected products (or substitute products, R10) of each batch's generic names on record,
    with their units bought from the row's period start to d.

    The products come from one query; the units of non-selected products from progress's own
    per-product figures (``units_since``, the same generic names and dates), the others from
    one indexed GROUP BY per distinct period start (``product_id IN …``, date-bounded)."""
    from db.models import Company

    keys: dict[tuple[int, date], set[str]] = defaultdict(set)  # (batch, start) → selected generics
    for r in rows:
        keys[(r.batch_id, r.period_start)].add(r.generic_name_norm)
    mapping: dict[str, set[str]] = defaultdict(set)  # substitute generic → selected generics
    if substitutes:
        all_generics = set().union(*keys.values()) if keys else set()
        for sel, sub in session.execute(select(Substitute.selected_generic_norm, Substitute.substitute_generic_norm)
                                        .where(Substitute.selected_generic_norm.in_(sorted(all_generics)))):
            mapping[sub].add(sel)
    targets_of: dict[tuple[int, date], list[str]] = {}
    for key, generics in keys.items():
        targets = (sorted(g for g, sels in mapping.items() if sels & generics) if substitutes
                   else sorted(generics))
        if targets:
            targets_of[key] = targets
    if not targets_of:
        return {}
    where = Product.generic_name_norm.in_(sorted(set().union(*targets_of.values())))
    if not substitutes:
        where = and_(where, Product.selected.is_(False))
    by_generic: dict[str, list[tuple]] = defaultdict(list)
    for pid, norm, name, spec, maker in session.execute(
            select(Product.id, Product.generic_name_norm, Product.generic_name, Product.spec, Company.name)
            .outerjoin(Company, Company.id == Product.manufacturer_id).where(where)):
        by_generic[norm].append((pid, name, spec, maker))
    units: dict[date, dict[int, int]] = {}
    for start in sorted({start for _b, start in targets_of}):
        if not substitutes and units_since is not None and start in units_since:
            units[start] = units_since[start]
            continue
        pids = sorted({p[0] for (_b, s), targets in targets_of.items() if s == start
                       for g in targets for p in by_generic.get(g, ())})
        units[start] = {pid: s.quantity for pid, s in purchase_totals.per_product(
            session, start, as_of, Product.id.in_(pids)).items()}
    out: dict[int, dict[int, _Other]] = defaultdict(dict)
    for (batch_id, start), targets in targets_of.items():
        seen, bought = out[batch_id], units[start]
        for g in targets:
            for pid, name, spec, maker in by_generic.get(g, ()):
                n = bought.get(pid, 0)
                old = seen.get(pid)
                if old is None or n > old.bought:
                    seen[pid] = _Other(pid, name, spec, maker, n)
    return {b: sorted(v.values(), key=lambda o: (o.generic_name, o.spec or "", o.product_id)) for b, v in out.items()}


def _other_ref(o: _Other, made: dict[tuple[int, int], ProductRef]) -> ProductRef:
    """The reference of a non-selected or substitute product, made once per (product, units):
    one product is listed under every batch its generic name belongs to (30 000 references of
    2 700 products at hospital scale). An int margin: exact, and no Fraction each."""
    ref = made.get((o.product_id, o.bought))
    if ref is None:
        ref = made[(o.product_id, o.bought)] = ProductRef(
            o.product_id, o.generic_name, o.spec, o.manufacturer, False, f"{o.bought:,}", o.bought, o.bought)
    return ref


# --------------------------------------------------------------------------- public API


def compute_indicators(session: Session, as_of: date, batch: str | None = None,
                       report=None, batches_summary=None) -> IndicatorReport:
    """R20 per batch as of ``as_of`` (``report``: a ``ProgressReport`` already computed for
    ``as_of``, e.g. by the dashboard, so that progress runs once; ``batches_summary``: its
    ``batch_summary``, when the caller has it too)."""
    if report is None or (batch is not None and report.batch != batch):
        # The categories and shares need no month figures (R20): the assessment only.
        report, batches_summary = compute_progress(session, as_of, batch=batch, months=False), None
    if batches_summary is None:
        batches_summary = batch_summary(session, as_of, report)
    rows = list(report.rows)
    summaries = {s.batch_id: s for s in batches_summary}
    batches = {b.id: b for b in session.scalars(select(Batch).order_by(Batch.name))}
    if batch is not None:
        batches = {i: b for i, b in batches.items() if b.name == batch}
    by_batch: dict[int, list[ProgressRow]] = defaultdict(list)
    for r in rows:
        if r.batch_id is not None:
            by_batch[r.batch_id].append(r)
    amount_share = _amount_shares(session, rows, as_of)
    nonselected = _others(session, rows, as_of, substitutes=False, units_since=report.units_since)
    subs = _others(session, rows, as_of, substitutes=True)

    out = []
    made: dict[tuple[int, int], ProductRef] = {}
    for bid, b in batches.items():
        products: dict[str, list[ProductRef]] = {key: [] for key, _zh in COUNTS}
        for r in by_batch.get(bid, []):
            products["total"].append(_ref(r, f"{r.purchased:,} / {r.agreed_volume:,}"))
            cat = category(r)
            products[cat].append(_status_ref(r, cat))
            share_q = r.nonselected_share
            over_q = monitoring.share_exceeds(share_q, r.share_threshold)
            if over_q:
                products["nonselected_over_quantity"].append(
                    _ref(r, _pct(share_q), share_q - Fraction(r.share_threshold)))
            share_a = amount_share.get((r.generic_name_norm, r.period_start), Fraction(0))
            if monitoring.share_exceeds(share_a, r.share_threshold):
                products["nonselected_over_amount"].append(
                    _ref(r, _pct(share_a), share_a - Fraction(r.share_threshold)))
            if cat == "below_schedule" and over_q:
                products["below_and_nonselected_over"].append(_ref(r, f"{_pct(r.completion)} / {_pct(share_q)}"))
        for o in nonselected.get(bid, []):
            ref = _other_ref(o, made)
            products["nonselected_total"].append(ref)
            if o.bought > 0:
                products["nonselected_bought"].append(ref)
        for o in subs.get(bid, []):
            ref = _other_ref(o, made)
            products["substitute_total"].append(ref)
            if o.bought > 0:
                products["substitute_bought"].append(ref)
        summary = summaries.get(bid)
        out.append(BatchIndicators(
            batch_id=bid, batch=b.name, start=b.execution_start, end=b.extended_to or b.cycle_end,
            schedule=summary.schedule if summary else Fraction(0),
            counts={k: len(v) for k, v in products.items()}, products=products))
    return IndicatorReport(as_of=as_of, batches=out)
