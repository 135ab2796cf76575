"""The SQL side of progress (R7–R12): every read is a Core query or a ``GROUP BY`` aggregate,
"as of d" (nothing dated after d). Python only walks the aggregates (``engine.py``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from db.models import (
    AgreementPeriod,
    Batch,
    Company,
    Exemption,
    Product,
    Purchase,
    SupplyIssue,
    SupplyIssuePurchase,
)
from hospital_app import settings
from hospital_app.services import purchase_totals

Month = tuple[int, int]


def core(session: Session, stmt):
    """Run a column query on the session's connection, without ORM row handling.

    Half the cost of ``session.execute`` on the ~15 000 aggregate rows of a large hospital
    (issue 12). Callers flush first (the engine does), as Core does not autoflush.
    """
    return session.connection().execute(stmt).all()  # fetchall: one call, not one per row


# ------------------------------------------------------------------------------ policy


@dataclass
class Policy:
    """Effective policy values of one batch (R8, R9, R11, R12)."""

    severe_gap: Decimal
    share_threshold: Decimal
    cluster_k: Decimal
    agreement_end_days: int
    confirmation_required: bool

    def __post_init__(self) -> None:
        self.severe_gap_f = Fraction(self.severe_gap)
        self.cluster_k_f = Fraction(self.cluster_k)


_POLICY_KEYS = ("r8_severe_gap", "r9_share_threshold", "r12_cluster_factor", "r8_agreement_end_days",
                "r11_bureau_confirmation_required")


def policies(session: Session, batches: dict[int, Batch]) -> dict[int | None, Policy]:
    """Effective policy per batch (stored settings read once, then batch overrides); key None: none."""
    stored = settings.get_all(session)

    def one(overrides: dict | None) -> Policy:
        return Policy(*[settings.definition(k).parse(overrides[k]) if overrides and k in overrides else stored[k]
                        for k in _POLICY_KEYS])

    out: dict[int | None, Policy] = {None: one(None)}
    for bid, b in batches.items():
        out[bid] = one(b.policy_overrides or None)
    return out


# ----------------------------------------------------------------------------- periods


@dataclass
class PeriodRow:
    """One agreement period of a selected product, with what the assessment needs of the product."""

    period_id: int
    start: date
    end: date
    agreed_volume: int
    is_extension: bool
    product_id: int
    batch_id: int | None
    generic_name: str
    generic_norm: str
    dosage_form: str | None
    spec: str | None
    unit: str | None
    manufacturer_id: int | None
    group_name: str | None
    supply_role: str | None
    is_shortage: bool
    is_emergency: bool
    key_monitoring: bool
    suspended_on: date | None
    suspension_reason: str | None
    lag_reason: str | None
    maker: str | None
    first_start: date | None = None  # the product's own first period start (R8 v2)

    def upto(self, as_of: date) -> date:
        """The last day whose purchases count: as_of, or the period's end once it ended."""
        return min(self.end, as_of)


def _period_query(as_of: date):
    return (select(AgreementPeriod.id, AgreementPeriod.start, AgreementPeriod.end, AgreementPeriod.agreed_volume,
                   AgreementPeriod.is_extension,
                   Product.id, Product.batch_id, Product.generic_name, Product.generic_name_norm,
                   Product.dosage_form, Product.spec, Product.base_unit, Product.manufacturer_id,
                   Product.group_name, Product.supply_role, Product.is_shortage, Product.is_emergency,
                   Product.key_monitoring, Product.suspended_on, Product.suspension_reason, Product.lag_reason,
                   Company.name)
            .join(Product, Product.id == AgreementPeriod.product_id)
            .outerjoin(Company, Company.id == Product.manufacturer_id)
            .where(Product.selected.is_(True), AgreementPeriod.start <= as_of))


def periods(session: Session, as_of: date, batch_ids: list[int] | None = None,
            product_ids: list[int] | None = None) -> tuple[dict[int, PeriodRow], list[PeriodRow]]:
    """Periods begun by as_of of selected products: (the row per product — the period containing
    as_of, else its latest ended period (the final assessment) — and every ended period)."""
    q = _period_query(as_of)
    if batch_ids is not None:
        q = q.where(Product.batch_id.in_(batch_ids))
    if product_ids is not None:
        q = q.where(Product.id.in_(product_ids))
    first: dict[int, date] = {}
    current: dict[int, PeriodRow] = {}
    latest_ended: dict[int, PeriodRow] = {}
    ended: list[PeriodRow] = []
    for r in core(session, q):
        p = PeriodRow(*r)
        p.agreed_volume = int(p.agreed_volume or 0)
        first[p.product_id] = min(first.get(p.product_id, p.start), p.start)
        if p.end >= as_of:
            old = current.get(p.product_id)
            if old is None or p.start > old.start:  # overlapping periods: the latest wins
                current[p.product_id] = p
        else:
            ended.append(p)
            old = latest_ended.get(p.product_id)
            if old is None or p.end > old.end:
                latest_ended[p.product_id] = p
    for p in (*current.values(), *ended):
        p.first_start = first[p.product_id]
    rows = dict(latest_ended)
    rows.update(current)
    return rows, ended


# --------------------------------------------------------------------------- purchases


#: The one key of a window's purchases read without month figures (``by_month=False``).
WHOLE_WINDOW: Month = (0, 0)


def monthly_purchases(session: Session, windows: dict[tuple[date, date], set[str]], by_month: bool = True
                      ) -> dict[tuple[date, date], dict[int, dict[Month, int]]]:
    """Purchases per (product, month) of every product of the window's generic names, dated in
    the window [start, upto]: whole months from the monthly summary, the edges from the lines
    (``purchase_totals``), one read per distinct window (a handful per year).

    ``by_month=False``: each product's units of the whole window under the one key
    ``WHOLE_WINDOW`` (an assessment without month figures needs only the sums: ~2 000 rows
    read instead of ~35 000 at hospital scale; the sums are the same)."""
    out: dict[tuple[date, date], dict[int, dict[Month, int]]] = {}
    for (start, upto), generics in windows.items():
        products = Product.generic_name_norm.in_(sorted(generics))
        if by_month:
            out[(start, upto)] = purchase_totals.quantities_per_month(session, start, upto, products)
        else:
            out[(start, upto)] = {pid: {WHOLE_WINDOW: qty} for pid, qty in
                                  purchase_totals.quantities(session, start, upto, products).items()}
    return out


@dataclass(frozen=True)
class ProductClass:
    generic_norm: str
    selected: bool
    supply_role: str | None
    cheaper_equal_quality: bool


def product_classes(session: Session, generics: set[str]) -> dict[int, ProductClass]:
    """What R9/R11 need to know of every product of these generic names."""
    return {pid: ProductClass(g, bool(sel), role, bool(cheaper)) for pid, g, sel, role, cheaper in core(
        session, select(Product.id, Product.generic_name_norm, Product.selected, Product.supply_role,
                        Product.cheaper_equal_quality).where(Product.generic_name_norm.in_(sorted(generics))))}


@dataclass
class LinkedIssue:
    """A supply issue a purchase is linked to, its dates as of d (R11)."""

    product_id: int
    reported_on: date | None  # reported to the bureau (insurance_notified_at)
    confirmed_on: date | None  # the bureau's confirmation (核实)
    resolved_on: date | None  # the earlier of resolution and closing


@dataclass
class LinkedPurchase:
    """A purchase linked to one or more supply issues (R11); each purchase once."""

    purchase_id: int
    product_id: int
    generic_norm: str
    selected: bool
    supply_role: str | None
    cheaper_equal_quality: bool
    day: date
    quantity: int
    issues: list[LinkedIssue]


def linked_purchases(session: Session, as_of: date) -> list[LinkedPurchase]:
    """Purchases up to as_of linked to supply issues filed by as_of; facts dated after as_of
    (a later report, confirmation or resolution) are not known yet (preamble)."""
    pr = aliased(Product)
    q = (select(Purchase.id, Purchase.product_id, pr.generic_name_norm, pr.selected, pr.supply_role,
                pr.cheaper_equal_quality, Purchase.purchase_date, Purchase.quantity, SupplyIssue.product_id,
                SupplyIssue.insurance_notified_at, SupplyIssue.bureau_confirmed_at,
                SupplyIssue.resolved_at, SupplyIssue.closed_at)
         .select_from(SupplyIssuePurchase)
         .join(Purchase, Purchase.id == SupplyIssuePurchase.purchase_id)
         .join(pr, pr.id == Purchase.product_id)
         .join(SupplyIssue, SupplyIssue.id == SupplyIssuePurchase.issue_id)
         .where(Purchase.purchase_date <= as_of,
                SupplyIssue.reported_at < datetime.combine(as_of + timedelta(days=1), time())))

    def known(t) -> date | None:
        return t.date() if t is not None and t.date() <= as_of else None

    out: dict[int, LinkedPurchase] = {}
    for (pid, prod, gnorm, sel, role, cheaper, day, qty, iprod, notified, confirmed, resolved,
         closed) in core(session, q):
        ends = [d for d in (known(resolved), known(closed)) if d is not None]
        link = out.get(pid)
        if link is None:
            link = out[pid] = LinkedPurchase(pid, prod, gnorm, bool(sel), role, bool(cheaper), day, int(qty), [])
        link.issues.append(LinkedIssue(iprod, known(notified), known(confirmed), min(ends) if ends else None))
    return list(out.values())


def exemptions(session: Session, product_ids: list[int]) -> dict[int, list[tuple[date | None, date | None]]]:
    """R11 exemptions (start, end) per product."""
    out: dict[int, list] = defaultdict(list)
    for pid, start, end in core(session, select(Exemption.product_id, Exemption.start, Exemption.end)
                                .where(Exemption.product_id.in_(product_ids))):
        out[pid].append((start, end))
    return out


def last_purchase_before(session: Session, period_ids: list[int]) -> dict[int, date]:
    """R8: per product, the last purchase day before the start of the given period."""
    if not period_ids:
        return {}
    return dict(core(session, (
        select(AgreementPeriod.product_id, func.max(Purchase.purchase_date))
        .select_from(AgreementPeriod)
        .join(Purchase, and_(Purchase.product_id == AgreementPeriod.product_id,
                             Purchase.purchase_date < AgreementPeriod.start, Purchase.quantity > 0))
        .where(AgreementPeriod.id.in_(period_ids))
        .group_by(AgreementPeriod.product_id))))
