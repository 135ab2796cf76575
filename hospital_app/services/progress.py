"""Progress of every selected product in its current agreement period (R7–R9, R11, R12, R17).

``compute_progress(session, as_of)`` is what ``progress --json``, the dashboard, the
progress export and the self-check PDF show. Decisions (documented for CLI.md's
"current agreement period"):

- A row is a selected product with an agreement period that **contains** ``as_of``
  (start ≤ as_of ≤ end). Products whose periods have all ended, or not begun yet, or
  that have no agreed volume, have no row; ``product_detail`` shows all their periods,
  ``batch_summary`` counts them as ``no_current_period`` and the alerts report an
  ended period that failed its assessment (R8).
- Counted purchases are purchases of the product dated inside the period and on or
  before ``as_of`` (never outside the period), plus backup-supplier purchases linked
  to a verified emergency supply issue of this product (R11).
- Consumables of the same company and group (组别) are assessed together (R11): the
  row keeps the product's own quantities and CLI.md formulas, its ``status`` is the
  group's, and it carries the flag ``merged``.
- Aggregation is one SQL ``GROUP BY`` (current period × purchased product × month)
  over purchases; Python only walks the aggregates.

Flags (short codes): ``exempt``, ``suspended``, ``shortage``, ``emergency``,
``key_monitoring``, ``backup``, ``merged``, ``not_in_hospital`` (R8, from the 3rd month
of execution), ``clustered`` (R12), ``empty_month`` (R12), ``share_over`` (R9).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

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
from hospital_app.domain import monitoring, status as st
from hospital_app.domain.targets import (
    MonthTarget,
    monthly_target_values,
    monthly_targets,
    period_months,
    round_half_up,
    schedule as schedule_at,
)
from hospital_app.errors import NotFound
from hospital_app.i18n import tr

FLAG_ORDER = ("exempt", "suspended", "shortage", "emergency", "key_monitoring", "backup", "merged",
              "not_in_hospital", "clustered", "empty_month", "share_over")


def ratio4(value: Fraction | None) -> float | None:
    """A fraction for output: rounded half up to 4 decimals (CLI.md ratios)."""
    if value is None:
        return None
    # Exact: half up on the fraction itself, no intermediate decimal rounding.
    return round_half_up(value * 10_000) / 10_000


@dataclass
class MonthFigure:
    """One month of the current period: R7 target vs counted purchases (R12)."""

    label: str  # 2025-03
    first_day: date
    last_day: date
    target: int
    purchased: int
    clustered: bool = False
    empty: bool = False

    def as_dict(self) -> dict:
        return {"month": self.label, "first_day": self.first_day, "last_day": self.last_day,
                "target": self.target, "purchased": self.purchased,
                "clustered": self.clustered, "empty": self.empty}


@dataclass
class ProgressRow:
    product_id: int
    batch: str | None
    generic_name: str
    dosage_form: str | None
    spec: str | None
    manufacturer: str | None
    unit: str | None
    period_start: date
    period_end: date
    agreed_volume: int
    target_to_date: int
    purchased: int
    completion: Fraction
    schedule: Fraction
    status: str
    shortfall: int
    nonselected_share: Fraction
    flags: list[str] = field(default_factory=list)
    # Beyond the CLI.md keys (GUI, PDF, alerts):
    batch_id: int | None = None
    batch_kind: str | None = None
    period_id: int | None = None
    generic_name_norm: str = ""
    execution_start: date | None = None
    months: list[MonthFigure] = field(default_factory=list, repr=False)
    share_selected: int = 0
    share_nonselected: int = 0
    share_threshold: Decimal = Decimal("0.30")
    share_over_since: date | None = None
    behind_since: date | None = None
    purchased_before_period: bool = False  # any counted purchase since execution start before this period
    cluster_k: Decimal = Decimal(2)
    severe_gap: Decimal = Decimal("0.10")
    supply_role: str | None = None
    marks: dict = field(default_factory=dict)
    manufacturer_id: int | None = None
    group_name: str | None = None
    group_members: list[int] = field(default_factory=list)  # R11 merged consumables (ids)
    group_completion: Fraction | None = None  # the group's C(d) when merged
    group_schedule: Fraction | None = None
    group_shortfall: int = 0
    suspended_on: date | None = None
    suspension_reason: str | None = None

    def as_dict(self) -> dict:
        """Exactly the keys of CLI.md ``progress --json``, in its order."""
        return {
            "product_id": self.product_id,
            "batch": self.batch,
            "generic_name": self.generic_name,
            "dosage_form": self.dosage_form,
            "spec": self.spec,
            "manufacturer": self.manufacturer,
            "unit": self.unit,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "agreed_volume": self.agreed_volume,
            "target_to_date": self.target_to_date,
            "purchased": self.purchased,
            "completion": ratio4(self.completion),
            "schedule": ratio4(self.schedule),
            "status": self.status,
            "shortfall": self.shortfall,
            "nonselected_share": ratio4(self.nonselected_share),
            "flags": list(self.flags),
        }


@dataclass
class ProgressReport:
    as_of: date
    rows: list[ProgressRow]
    batch: str | None = None  # only this batch's rows (None: every batch)
    #: units bought per product from each period start to ``as_of`` (every product sharing a
    #: generic name with a row of that start, selected or not; absent = none bought): the
    #: figures behind the rows, reused by the R20 indicators instead of a second count.
    units_since: dict[date, dict[int, int]] = field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "rows": [r.as_dict() for r in self.rows]}

    def __iter__(self):  # callers may treat the report as its rows
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=4096)
def _targets(start: date, end: date, volume: int) -> tuple[MonthTarget, ...]:
    return tuple(monthly_targets(start, end, volume))


@lru_cache(maxsize=4096)
def _schedule(start: date, end: date, d: date) -> Fraction:
    return schedule_at(start, end, d)


@dataclass
class _Policy:
    severe_gap: Decimal
    share_threshold: Decimal
    cluster_k: Decimal

    def __post_init__(self) -> None:
        self.severe_gap_f = Fraction(self.severe_gap)
        self.cluster_k_f = Fraction(self.cluster_k)


def _policies(session: Session, batches: dict[int, Batch]) -> dict[int | None, _Policy]:
    """Effective R8/R9/R12 policy per batch (stored settings read once, then batch overrides)."""
    keys = ("r8_severe_gap", "r9_share_threshold", "r12_cluster_factor")
    stored = settings.get_all(session)

    def one(overrides: dict | None) -> _Policy:
        values = [settings.definition(k).parse(overrides[k]) if overrides and k in overrides else stored[k]
                  for k in keys]
        return _Policy(*values)

    out: dict[int | None, _Policy] = {None: one(None)}
    for bid, b in batches.items():
        out[bid] = one(b.policy_overrides or None)
    return out


def _month_index(d: date) -> tuple[int, int]:
    return (d.year, d.month)


def _since_from_months(months: list[MonthFigure], start: date, end: date, volume: int,
                       as_of: date, ok) -> date:
    """The day after the last elapsed month end at which ``ok(cumulative, S)`` held, else ``start``.

    Month granularity (purchases are aggregated per month): good enough for "since".
    """
    since = start
    cumulative = 0
    for mf in months:
        cumulative += mf.purchased
        if mf.last_day >= as_of:
            break
        if ok(cumulative, _schedule(start, end, mf.last_day)):
            since = mf.last_day + timedelta(days=1)
    return since


# --------------------------------------------------------------------------- core


@dataclass
class _Linked:
    """A purchase linked to a supply issue (R11)."""

    purchase_id: int
    product_id: int
    generic_norm: str
    selected: bool
    supply_role: str | None
    purchase_date: date
    quantity: int
    issue_product_id: int
    emergency_verified: bool
    issue_open_from: date
    issue_open_to: date | None


def _linked_purchases(session: Session, as_of: date) -> list[_Linked]:
    pr = aliased(Product)
    q = (select(Purchase.id, Purchase.product_id, pr.generic_name_norm, pr.selected, pr.supply_role,
                Purchase.purchase_date, Purchase.quantity, SupplyIssue.product_id,
                SupplyIssue.emergency_verified, SupplyIssue.reported_at, SupplyIssue.resolved_at,
                SupplyIssue.closed_at)
         .select_from(SupplyIssuePurchase)
         .join(Purchase, Purchase.id == SupplyIssuePurchase.purchase_id)
         .join(pr, pr.id == Purchase.product_id)
         .join(SupplyIssue, SupplyIssue.id == SupplyIssuePurchase.issue_id)
         .where(Purchase.purchase_date <= as_of))
    out = []
    for (pid, prod, gnorm, sel, role, pdate, qty, iprod, verified, reported, resolved, closed) in _core(session, q):
        ends = [t.date() for t in (resolved, closed) if t is not None]
        out.append(_Linked(pid, prod, gnorm, bool(sel), role, pdate, int(qty), iprod, bool(verified),
                           reported.date(), min(ends) if ends else None))
    return out


def _month_key(session: Session):
    """SQL expression 'YYYY-MM' of the purchase date (one GROUP BY key, cheap on SQLite)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(Purchase.purchase_date, 1, 7)
    return func.to_char(Purchase.purchase_date, "YYYY-MM")


def _by_product_date(session: Session, stmt):
    """On SQLite, make the planner walk purchases by (product, date) — without statistics it
    otherwise scans the date index and looks every row up (10× slower on 500 k lines)."""
    if session.get_bind().dialect.name == "sqlite":
        return stmt.with_hint(Purchase, "INDEXED BY ix_purchase_product_date", "sqlite")
    return stmt


def _parse_month(key: str) -> tuple[int, int]:
    return int(key[:4]), int(key[5:7])


def _core(session: Session, stmt):
    """Run a column query on the session's connection, without ORM row handling.

    Half the cost of ``session.execute`` on the ~15 000 aggregate rows of a large hospital
    (issue 12). Callers flush first (``_compute`` does), as Core does not autoflush.
    """
    return session.connection().execute(stmt).all()  # fetchall: one call, not one per row


def _compute(session: Session, as_of: date, batch: str | None = None,
             product_ids: list[int] | None = None,
             units_since: dict[date, dict[int, int]] | None = None) -> list[ProgressRow]:
    """All progress rows (see module docstring); the shared engine of progress and alerts.
    ``units_since`` (filled when given): see ``ProgressReport.units_since``."""
    session.flush()  # the Core queries below must see pending ORM changes
    batch_q = select(Batch)
    if batch is not None:
        batch_q = batch_q.where(Batch.name == batch)
    batches = {b.id: b for b in session.scalars(batch_q)}
    if batch is not None and not batches:
        raise NotFound(tr("找不到批次：{b}", "No such batch: {b}", b=batch))
    policies = _policies(session, batches)

    # Current periods (start ≤ as_of ≤ end) of selected products (Core rows, no ORM objects).
    q = (select(AgreementPeriod.id, AgreementPeriod.start, AgreementPeriod.end, AgreementPeriod.agreed_volume,
                Product.id, Product.batch_id, Product.generic_name, Product.generic_name_norm,
                Product.dosage_form, Product.spec, Product.base_unit, Product.manufacturer_id,
                Product.group_name, Product.supply_role, Product.is_shortage, Product.is_emergency,
                Product.key_monitoring, Product.suspended_on, Product.suspension_reason, Company.name)
         .join(Product, Product.id == AgreementPeriod.product_id)
         .outerjoin(Company, Company.id == Product.manufacturer_id)
         .where(Product.selected.is_(True), AgreementPeriod.start <= as_of, AgreementPeriod.end >= as_of))
    if batch is not None:
        q = q.where(Product.batch_id.in_(list(batches)))
    if product_ids is not None:
        q = q.where(Product.id.in_(product_ids))
    current: dict[int, _Current] = {}
    for r in _core(session, q):
        c = _Current(*r)
        old = current.get(c.product_id)
        if old is None or c.start > old.start:  # overlapping periods: the latest wins
            current[c.product_id] = c
    if not current:
        return []

    # Purchases per (product, month) of every product sharing a generic name with a row, from
    # the row's period start to as_of: one GROUP BY per distinct period start (a handful).
    generics_by_start: dict[date, set[str]] = defaultdict(set)
    for c in current.values():
        generics_by_start[c.start].add(c.generic_norm)
    month = _month_key(session)
    monthly: dict[date, dict[int, dict[tuple[int, int], int]]] = {}
    for start, generics in generics_by_start.items():
        agg = (select(Purchase.product_id, month, func.sum(Purchase.quantity))
               .select_from(Product)
               .join(Purchase, and_(Purchase.product_id == Product.id, Purchase.purchase_date >= start,
                                    Purchase.purchase_date <= as_of))
               .where(Product.generic_name_norm.in_(sorted(generics)))
               .group_by(Purchase.product_id, month))
        per_product: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
        month_keys: dict[str, tuple[int, int]] = {}
        for pid, key, qty in _core(session, _by_product_date(session, agg)):
            mk = month_keys.get(key)
            if mk is None:
                mk = month_keys[key] = _parse_month(key)
            per_product[pid][mk] = int(qty or 0)
        monthly[start] = per_product
        if units_since is not None:
            units_since[start] = {pid: sum(months.values()) for pid, months in per_product.items()}
    all_generics = set().union(*generics_by_start.values())
    kinds = {pid: (g, monitoring.share_class(selected=bool(sel), supply_role=role,
                                             cheaper_equal_quality=bool(cheaper)))
             for pid, g, sel, role, cheaper in _core(session,
                 select(Product.id, Product.generic_name_norm, Product.selected, Product.supply_role,
                        Product.cheaper_equal_quality).where(Product.generic_name_norm.in_(sorted(all_generics))))}
    # R9 buckets per (generic, start): class → month → units
    share_cache: dict[tuple[str, date], dict[str, dict[tuple[int, int], int]]] = {}
    for start, per_product in monthly.items():
        for pid, months in per_product.items():
            generic, cls = kinds.get(pid, (None, monitoring.EXCLUDED))
            if cls == monitoring.EXCLUDED or generic not in generics_by_start[start]:
                continue
            buckets = share_cache.setdefault(
                (generic, start), {monitoring.SELECTED: defaultdict(int), monitoring.NONSELECTED: defaultdict(int)})
            for key, qty in months.items():
                buckets[cls][key] += qty
    own: dict[int, dict[tuple[int, int], int]] = {
        pid: defaultdict(int, monthly[c.start].get(pid, {})) for pid, c in current.items()}
    empty = {monitoring.SELECTED: {}, monitoring.NONSELECTED: {}}
    # Rows of one generic name and start share their buckets; R11 adjustments copy first.
    share = {pid: share_cache.get((c.generic_norm, c.start), empty) for pid, c in current.items()}
    copied: set[int] = set()

    def own_buckets(row_pid: int):
        if row_pid not in copied:
            share[row_pid] = copy_buckets(share[row_pid])
            copied.add(row_pid)
        return share[row_pid]

    # R11 adjustments from purchases linked to supply issues.
    rows_by_generic: dict[str, list[int]] = defaultdict(list)
    for pid, c in current.items():
        rows_by_generic[c.generic_norm].append(pid)
    # One purchase may be linked to several issues: it moves or is excluded once, not per link.
    links_by_purchase: dict[int, list[_Linked]] = defaultdict(list)
    for link in _linked_purchases(session, as_of):
        links_by_purchase[link.purchase_id].append(link)
    for links in links_by_purchase.values():
        link = links[0]
        key = _month_index(link.purchase_date)
        backup = link.supply_role == "backup"
        emergency_for = {x.issue_product_id for x in links if x.emergency_verified} if backup else set()
        # Excluded from the share only if it was counted there as non-selected in the first place
        # (not a cheaper-equal-quality product, R11) and an issue linked to it was open that day.
        excused = (not backup and kinds.get(link.product_id, (None, None))[1] == monitoring.NONSELECTED
                   and any(x.issue_open_from <= link.purchase_date
                           and (x.issue_open_to is None or link.purchase_date <= x.issue_open_to)
                           for x in links))
        if emergency_for or excused:
            for row_pid in rows_by_generic.get(link.generic_norm, []):
                c = current[row_pid]
                if not (c.start <= link.purchase_date <= c.end):
                    continue
                if emergency_for:
                    # counts as selected in the share (it was excluded as a backup purchase)
                    own_buckets(row_pid)[monitoring.SELECTED][key] += link.quantity
                else:
                    own_buckets(row_pid)[monitoring.NONSELECTED][key] -= link.quantity
        # R8/R11: counts as a purchase of each selected product whose verified emergency it served.
        # The backup product's own row (if it has an agreement period) keeps it too: it is still
        # a purchase of that selected product (DOMAIN R8 "purchases of the selected product").
        for issue_pid in emergency_for:
            c = current.get(issue_pid)
            if c is not None and c.start <= link.purchase_date <= c.end and link.product_id != issue_pid:
                own[issue_pid][key] += link.quantity

    exempt_ids = set()
    for pid, start, end in _core(session, select(Exemption.product_id, Exemption.start, Exemption.end)
                                 .where(Exemption.product_id.in_(list(current)))):
        if monitoring.active_on(start, end, as_of):
            exempt_ids.add(pid)

    rows: list[ProgressRow] = []
    for pid, c in current.items():
        b = batches.get(c.batch_id) if c.batch_id else None
        if batch is not None and b is None:
            continue
        policy = policies.get(c.batch_id, policies[None])
        volume = int(c.agreed_volume or 0)
        s_d = _schedule(c.start, c.end, as_of)
        months_purchased = own[pid]
        purchased = sum(months_purchased.values())
        target = round_half_up(s_d * volume)
        status = st.assess(purchased, volume, s_d, severe_gap=policy.severe_gap_f, exempt=pid in exempt_ids)
        buckets = share[pid]
        sel_units = sum(buckets[monitoring.SELECTED].values())
        non_units = sum(buckets[monitoring.NONSELECTED].values())
        months = []
        k_num, k_den = policy.cluster_k_f.numerator, policy.cluster_k_f.denominator
        for (y, mo, first, last, _w), target_m in zip(period_months(c.start, c.end),
                                                       monthly_target_values(c.start, c.end, volume)):
            if first > as_of:
                break
            bought = months_purchased.get((y, mo), 0)
            months.append(MonthFigure(f"{y:04d}-{mo:02d}", first, last, target_m, bought,
                                      clustered=bought * k_den > k_num * target_m))
        rows.append(ProgressRow(
            product_id=pid, batch=b.name if b else None, generic_name=c.generic_name,
            dosage_form=c.dosage_form, spec=c.spec, manufacturer=c.maker,
            unit=c.unit, period_start=c.start, period_end=c.end,
            agreed_volume=volume, target_to_date=target, purchased=purchased,
            completion=st.completion(purchased, volume), schedule=s_d, status=status,
            shortfall=st.shortfall(target, purchased),
            nonselected_share=monitoring.nonselected_share(non_units, sel_units),
            batch_id=c.batch_id, batch_kind=b.kind if b else None, period_id=c.period_id,
            generic_name_norm=c.generic_norm,
            execution_start=b.execution_start if b else None, months=months,
            share_selected=sel_units, share_nonselected=non_units,
            share_threshold=policy.share_threshold, cluster_k=policy.cluster_k,
            severe_gap=policy.severe_gap, supply_role=c.supply_role,
            marks={"shortage": bool(c.is_shortage), "emergency": bool(c.is_emergency),
                   "key_monitoring": bool(c.key_monitoring)},
            manufacturer_id=c.manufacturer_id, group_name=c.group_name,
            suspended_on=c.suspended_on, suspension_reason=c.suspension_reason,
        ))
    _mark_bought_before_period(session, rows)
    _merge_consumable_groups(rows, as_of)
    for row in rows:
        _finish(row, as_of, share.get(row.product_id))
    rows.sort(key=lambda r: (r.batch or "", r.generic_name_norm, r.spec or "", r.product_id))
    return rows


@dataclass
class _Current:
    period_id: int
    start: date
    end: date
    agreed_volume: int
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
    maker: str | None


def copy_buckets(buckets) -> dict[str, dict[tuple[int, int], int]]:
    out = {monitoring.SELECTED: defaultdict(int), monitoring.NONSELECTED: defaultdict(int)}
    if buckets:
        for cls in out:
            out[cls].update(buckets[cls])
    return out


def _mark_bought_before_period(session: Session, rows: list[ProgressRow]) -> None:
    """R8: for not-started rows, was the product bought since execution start before this period?"""
    todo = [r for r in rows if r.status == st.NOT_STARTED and r.execution_start
            and r.execution_start < r.period_start]
    if not todo:
        return
    last = dict(_core(session, _by_product_date(session, (
        select(AgreementPeriod.product_id, func.max(Purchase.purchase_date))
        .select_from(AgreementPeriod)
        .join(Purchase, and_(Purchase.product_id == AgreementPeriod.product_id,
                             Purchase.purchase_date < AgreementPeriod.start, Purchase.quantity > 0))
        .where(AgreementPeriod.id.in_([r.period_id for r in todo]))
        .group_by(AgreementPeriod.product_id)))))
    for r in todo:
        day = last.get(r.product_id)
        r.purchased_before_period = day is not None and day >= r.execution_start


def _merge_consumable_groups(rows: list[ProgressRow], as_of: date) -> None:
    """R11: the status of same-company same-group consumables is the group's."""
    groups: dict[tuple, list[ProgressRow]] = defaultdict(list)
    for row in rows:
        key = monitoring.consumable_group_key(row.batch_kind, row.batch_id, row.manufacturer_id,
                                              row.group_name)
        if key is not None:
            groups[key].append(row)
    for members in groups.values():
        if len(members) < 2 or any(m.status == st.EXEMPT for m in members):
            continue
        volume = sum(m.agreed_volume for m in members)
        bought = sum(m.purchased for m in members)
        # Volume-weighted schedule (equal to S(d) when the periods are the same, as in a batch).
        s_d = sum((m.schedule * m.agreed_volume for m in members), Fraction(0)) / volume if volume else Fraction(1)
        group_status = st.assess(bought, volume, s_d, severe_gap=members[0].severe_gap)
        ids = sorted(m.product_id for m in members)
        for m in members:
            m.status = group_status
            m.group_members = ids
            m.group_completion = st.completion(bought, volume)
            m.group_schedule = s_d
            m.group_shortfall = st.shortfall(sum(x.target_to_date for x in members), bought)


def _finish(row: ProgressRow, as_of: date, share_buckets) -> None:
    """Flags and "since" dates of a row (R8, R9, R12, R17)."""
    flags = set()
    if row.status == st.EXEMPT:
        flags.add("exempt")
    if monitoring.is_suspended(row.suspended_on, as_of):
        flags.add("suspended")
    flags.update(mark for mark, on in row.marks.items() if on)
    if row.supply_role == "backup":
        flags.add("backup")
    if row.group_members:
        flags.add("merged")
    if (row.status == st.NOT_STARTED and not row.purchased_before_period and row.execution_start
            and as_of >= st.not_in_hospital_alert_from(row.execution_start)):
        flags.add("not_in_hospital")
    if any(mf.clustered for mf in row.months):
        flags.add("clustered")
    behind = row.status in st.BEHIND_STATES
    if behind:
        for mf in row.months:
            # R12: a month of the period complete by d (d inclusive, as for S(d)) with no purchase
            mf.empty = mf.last_day <= as_of and mf.target > 0 and mf.purchased <= 0
        if any(mf.empty for mf in row.months):
            flags.add("empty_month")
        volume = row.agreed_volume
        row.behind_since = _since_from_months(
            row.months, row.period_start, row.period_end, volume, as_of,
            # C >= S as integers (cum/V >= n/d ⇔ cum·d >= n·V for V > 0): no Fraction per month
            lambda cum, s: volume > 0 and cum * s.denominator >= s.numerator * volume)
    if monitoring.share_exceeds(row.nonselected_share, row.share_threshold):
        flags.add("share_over")
        row.share_over_since = _share_since(row, share_buckets, as_of)
    row.flags = [f for f in FLAG_ORDER if f in flags]


def _share_since(row: ProgressRow, buckets, as_of: date) -> date:
    """R9: the day after the last elapsed month end at which the share was within the threshold."""
    since = row.period_start
    sel = non = 0
    for mf in row.months:
        key = (mf.first_day.year, mf.first_day.month)
        sel += buckets[monitoring.SELECTED].get(key, 0) if buckets else 0
        non += buckets[monitoring.NONSELECTED].get(key, 0) if buckets else 0
        if mf.last_day >= as_of:
            break
        if not monitoring.share_exceeds(monitoring.nonselected_share(non, sel), row.share_threshold):
            since = mf.last_day + timedelta(days=1)
    return since


# --------------------------------------------------------------------------- public API


def compute_progress(session: Session, as_of: date, batch: str | None = None) -> ProgressReport:
    """R7/R8/R9 for every selected product in the agreement period containing ``as_of``."""
    units: dict[date, dict[int, int]] = {}
    rows = _compute(session, as_of, batch, units_since=units)
    return ProgressReport(as_of=as_of, rows=rows, batch=batch, units_since=units)


@dataclass
class PeriodDetail:
    period_id: int
    year_index: int
    start: date
    end: date
    agreed_volume: int
    signed_on: date | None
    current: bool
    months: list[MonthFigure]
    purchased: int  # counted purchases in the period up to as_of (own product)

    def as_dict(self) -> dict:
        return {"period_id": self.period_id, "year_index": self.year_index, "start": self.start,
                "end": self.end, "agreed_volume": self.agreed_volume, "signed_on": self.signed_on,
                "current": self.current, "purchased": self.purchased,
                "months": [m.as_dict() for m in self.months]}


@dataclass
class ProductDetail:
    product_id: int
    generic_name: str
    spec: str | None
    dosage_form: str | None
    manufacturer: str | None
    batch: str | None
    unit: str | None
    selected_price: Decimal | None
    marks: dict[str, bool]
    suspended_on: date | None
    suspension_reason: str | None
    suspension_reported_to: list
    exemptions: list[dict]
    periods: list[PeriodDetail]
    progress: ProgressRow | None
    proposed_periods: list[tuple[date, date]] = field(default_factory=list)  # R6 policy

    def as_dict(self) -> dict:
        return {
            "product_id": self.product_id, "generic_name": self.generic_name, "spec": self.spec,
            "dosage_form": self.dosage_form, "manufacturer": self.manufacturer, "batch": self.batch,
            "unit": self.unit,
            "selected_price": None if self.selected_price is None else str(self.selected_price),
            "marks": self.marks, "suspended_on": self.suspended_on,
            "suspension_reason": self.suspension_reason,
            "suspension_reported_to": self.suspension_reported_to,
            "exemptions": self.exemptions, "periods": [p.as_dict() for p in self.periods],
            "progress": self.progress.as_dict() if self.progress else None,
            "proposed_periods": [[s.isoformat(), e.isoformat()] for s, e in self.proposed_periods],
        }


def product_detail(session: Session, product_id: int, as_of: date) -> ProductDetail:
    """Everything about one product's agreement: periods, monthly targets vs purchases (R7, R12),
    exemptions (R11), marks, suspension (R17) and its current progress row."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(tr("找不到产品：{id}", "No such product: {id}", id=product_id))
    # One product: group its purchases by day, then bucket per period and month.
    daily = session.execute(
        select(Purchase.purchase_date, func.sum(Purchase.quantity))
        .where(Purchase.product_id == product_id, Purchase.purchase_date <= as_of)
        .group_by(Purchase.purchase_date)).all()
    periods = []
    for period in sorted(product.periods, key=lambda p: p.start):
        by_month: dict[tuple[int, int], int] = defaultdict(int)
        for day, qty in daily:
            if period.start <= day <= period.end:
                by_month[_month_index(day)] += int(qty or 0)
        months = [MonthFigure(t.label, t.first_day, t.last_day, t.target, by_month.get(t.key, 0))
                  for t in _targets(period.start, period.end, int(period.agreed_volume or 0))]
        periods.append(PeriodDetail(period.id, period.year_index, period.start, period.end,
                                    int(period.agreed_volume or 0), period.signed_on,
                                    period.start <= as_of <= period.end, months, sum(by_month.values())))
    rows = _compute(session, as_of, product_ids=[product_id]) if product.selected else []
    exemptions = [
        {"id": e.id, "reason": e.reason, "reason_label": monitoring.exemption_reason_label(e.reason),
         "document_ref": e.document_ref, "note": e.note, "start": e.start, "end": e.end,
         "created_by": e.created_by, "created_at": e.created_at,
         "active": monitoring.active_on(e.start, e.end, as_of)}
        for e in session.scalars(select(Exemption).where(Exemption.product_id == product_id)
                                 .order_by(Exemption.id))]
    proposed: list[tuple[date, date]] = []
    b = product.batch
    if b is not None and b.execution_start and settings.get(session, "r6_renewal_alignment",
                                                            b.policy_overrides or None):
        end = b.extended_to or b.cycle_end
        if end is not None and end >= b.execution_start:
            proposed = monitoring.renewal_alignment(b.execution_start, end)
    return ProductDetail(
        product_id=product.id, generic_name=product.generic_name, spec=product.spec,
        dosage_form=product.dosage_form,
        manufacturer=product.manufacturer.name if product.manufacturer else None,
        batch=b.name if b else None, unit=product.base_unit, selected_price=product.selected_price,
        marks={"shortage": product.is_shortage, "emergency": product.is_emergency,
               "cheaper_equal_quality": product.cheaper_equal_quality,
               "key_monitoring": product.key_monitoring},
        suspended_on=product.suspended_on, suspension_reason=product.suspension_reason,
        suspension_reported_to=list(product.suspension_reported_to or []),
        exemptions=exemptions, periods=periods, progress=rows[0] if rows else None,
        proposed_periods=proposed)


@dataclass
class BatchSummary:
    batch_id: int
    batch: str
    kind: str
    products: int  # selected products of the batch
    no_current_period: int  # selected products without a period containing as_of
    counts: dict[str, int]  # per R8 status
    agreed_volume: int
    target_to_date: int
    purchased: int
    completion: Fraction  # Σ purchased / Σ V
    schedule: Fraction  # volume-weighted S(d)

    def as_dict(self) -> dict:
        return {"batch_id": self.batch_id, "batch": self.batch, "kind": self.kind,
                "products": self.products, "no_current_period": self.no_current_period,
                "counts": dict(self.counts), "agreed_volume": self.agreed_volume,
                "target_to_date": self.target_to_date, "purchased": self.purchased,
                "completion": ratio4(self.completion), "schedule": ratio4(self.schedule)}


def batch_summary(session: Session, as_of: date, report: ProgressReport | None = None) -> list[BatchSummary]:
    """Dashboard/PDF: per batch, counts by status and overall completion vs schedule."""
    report = report or compute_progress(session, as_of)
    selected_counts = dict(session.execute(
        select(Product.batch_id, func.count(Product.id)).where(Product.selected.is_(True))
        .group_by(Product.batch_id)).all())
    by_batch: dict[int | None, list[ProgressRow]] = defaultdict(list)
    for row in report.rows:
        by_batch[row.batch_id].append(row)
    out = []
    for b in session.scalars(select(Batch).order_by(Batch.name)):
        rows = by_batch.get(b.id, [])
        volume = sum(r.agreed_volume for r in rows)
        bought = sum(r.purchased for r in rows)
        counts = {s: 0 for s in st.STATUSES}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        weighted = sum((r.schedule * r.agreed_volume for r in rows), Fraction(0))
        out.append(BatchSummary(
            batch_id=b.id, batch=b.name, kind=b.kind, products=int(selected_counts.get(b.id, 0)),
            no_current_period=int(selected_counts.get(b.id, 0)) - len(rows), counts=counts,
            agreed_volume=volume, target_to_date=sum(r.target_to_date for r in rows), purchased=bought,
            completion=Fraction(bought, volume) if volume else Fraction(0),
            schedule=weighted / volume if volume else Fraction(0)))
    return out
