"""The supplier scorecard (R4 v2): per manufacturer and per distributor, per calendar
quarter or year, as of d.

- **Orders** (an order is one ``order_no`` of a company, as in ``orders stats``): placed,
  responded within 48 h, delivered, delivered in time — SQL aggregates only (an order
  per (company, order_no), then counts per company and quarter); the clock-hour windows
  are compared exactly to the microsecond, as ``orders stats`` does, so exactly 48:00 is in
  time and a microsecond more is not. An order still
  inside its response window on d is not assessable yet and is not counted (as the
  R4 alerts do). A reply or delivery recorded after d is not known yet.
- **Order delivery rate** (订单配送率) = order **lines** delivered in full / lines placed:
  delivered by d and ``delivered_quantity`` ≥ ``quantity`` (no delivered quantity with a
  delivery time = in full).
- The manufacturer of an order line is its product's manufacturer; the distributor is
  the order's company.
- **Issues** are counted on the company they were filed against (manufacturer:
  ``company_id``, distributor: ``distributor_id``), reported in the period and by d.
  "On time" = replied by the R3 reply due and resolved by the R3 resolution due. The
  share is taken over the issues whose outcome is known on d (resolved, or a due date
  passed); an issue still inside its dues is pending and not in the share. Escalations:
  the period's issues escalated by d.
- **Level**: quarter — ``serious`` (timeliness < 90 % this and the previous quarter), else
  ``warning`` (response < 95 % or timeliness < 90 %), else ``incentive``; year — ``serious``
  when any of its quarters is, else by the year's own rates. No orders → rates None and
  no level.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from db.models import Company, Order, Product, SupplyIssue
from db.sql_time import within_hours
from hospital_app import settings
from hospital_app.domain import orders as rules
from hospital_app.domain import supply_issues as issue_rules
from hospital_app.domain.orders import Quarter
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.services.orders import hours_in_micros, one_line_per_order, quarter_index
from hospital_app.services.progress import ratio4

ROLES = ("manufacturer", "distributor")
JSON_KEYS = ("company", "role", "period", "placed", "response_rate", "timeliness", "delivery_rate", "issues",
             "issues_on_time_rate", "escalations", "level")


@dataclass(frozen=True)
class Period:
    """A calendar quarter ("2025Q2") or year ("2025")."""

    label: str
    start: date
    end: date
    quarters: tuple[Quarter, ...]

    @classmethod
    def quarter(cls, text: str) -> Period:
        q = Quarter.parse(text)
        return cls(str(q), q.start, q.end, (q,))

    @classmethod
    def year(cls, year: int) -> Period:
        if not 1900 <= int(year) <= 2100:
            raise BadInput(tr("年份无效：{y}", "Invalid year: {y}", y=year))
        qs = tuple(Quarter.parse(f"{year}Q{i}") for i in range(1, 5))
        return cls(str(year), date(year, 1, 1), date(year, 12, 31), qs)


def resolve_period(as_of: date, quarter: str | None = None, year: int | None = None) -> Period:
    """``--quarter`` / ``--year``; neither: the quarter containing d."""
    if quarter and year:
        raise BadInput(tr("--quarter 与 --year 只能选一个", "Give either --quarter or --year, not both"))
    if year is not None:
        return Period.year(int(year))
    return Period.quarter(quarter or str(Quarter.of(as_of)))


@dataclass
class _Tally:
    placed: int = 0
    responded_in_time: int = 0
    delivered: int = 0
    delivered_in_time: int = 0
    lines: int = 0
    lines_in_full: int = 0

    def add(self, other: _Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass
class SupplierScore:
    company_id: int
    company: str
    role: str
    period: str
    placed: int
    responded_in_time: int
    delivered: int
    delivered_in_time: int
    lines: int
    lines_in_full: int
    response_rate: Fraction | None
    timeliness: Fraction | None
    delivery_rate: Fraction | None
    issues: int
    issues_on_time: int
    issues_pending: int
    issues_on_time_rate: Fraction | None
    escalations: int
    level: str | None
    top_products: list[dict] = field(default_factory=list)  # [{"product_id", "name", "issues"}]

    def as_dict(self) -> dict:
        """CLI.md ``suppliers --json`` keys, then the detail behind them."""
        return {"company": self.company, "role": self.role, "period": self.period, "placed": self.placed,
                "response_rate": ratio4(self.response_rate), "timeliness": ratio4(self.timeliness),
                "delivery_rate": ratio4(self.delivery_rate), "issues": self.issues,
                "issues_on_time_rate": ratio4(self.issues_on_time_rate), "escalations": self.escalations,
                "level": self.level,
                "company_id": self.company_id, "responded_in_time": self.responded_in_time,
                "delivered": self.delivered, "delivered_in_time": self.delivered_in_time,
                "lines": self.lines, "lines_in_full": self.lines_in_full, "issues_on_time": self.issues_on_time,
                "issues_pending": self.issues_pending, "top_products": list(self.top_products)}


def _end_of(d: date) -> datetime:
    return datetime.combine(d, time.max)


def _known(column, now: datetime):
    """A time column as known at ``now`` (later → NULL: not known yet on d)."""
    return case((column <= now, column), else_=None)


def _company_key(role: str):
    return Product.manufacturer_id if role == "manufacturer" else Order.company_id


def _windows(session: Session) -> tuple[int, int, int]:
    """R4 windows in hours: response, ordinary delivery, emergency delivery."""
    return (settings.get(session, "r4_response_hours"), settings.get(session, "r4_delivery_hours_ordinary"),
            settings.get(session, "r4_delivery_hours_emergency"))


def _in_range(start: date, end: date, as_of: date):
    """Orders placed in [start, min(end, d)] (bounded on the covering index's first column)."""
    return (Order.placed_at >= datetime.combine(start, time.min),
            Order.placed_at <= min(_end_of(end), _end_of(as_of)))


def _quarters_of(start: date, end: date, as_of: date) -> list[Quarter]:
    last = max(start, min(end, as_of))
    out = [Quarter.of(start)]
    while out[-1] < Quarter.of(last):
        out.append(out[-1].next())
    return out


def _line_tallies(session: Session, start: date, end: date, as_of: date) -> dict[str, dict[tuple[int, Quarter], _Tally]]:
    """R4 counts per (company, quarter) for both roles in one pass over the covering index
    ``ix_orders_placed_cover`` when every order is one line (``orders.one_line_per_order``): the
    same counts as ``_tallies`` (an order of one line is placed, responded and delivered
    when that line is), grouped by (manufacturer, distributor, quarter) and summed per role.
    The durations are those the database stored with each line (``response_us`` /
    ``delivery_us``, exact to the microsecond), so the windows are integer comparisons and the
    quarter a CASE over its start times (issue 21)."""
    now = _end_of(as_of)
    response_h, ordinary_h, emergency_h = _windows(session)
    responded_known, delivered_known = Order.responded_at <= now, Order.delivered_at <= now
    resp_ok = and_(responded_known, Order.response_us <= hours_in_micros(response_h))
    window = case((Order.emergency, hours_in_micros(emergency_h)), else_=hours_in_micros(ordinary_h))
    deliv_ok = and_(delivered_known, Order.delivery_us <= window)
    in_full = and_(delivered_known, or_(Order.delivered_quantity.is_(None), Order.quantity.is_(None),
                                        Order.delivered_quantity >= Order.quantity))
    # An order still inside its response window on d is not assessable yet (as the R4 alerts).
    assessable = or_(responded_known, Order.placed_at < now - timedelta(hours=response_h))
    quarters = _quarters_of(start, end, as_of)
    one = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    per_line = (select(Product.manufacturer_id.label("maker"), Order.company_id.label("distributor"),
                       quarter_index(Order.placed_at, quarters).label("bucket"), one(resp_ok).label("resp"),
                       one(delivered_known).label("deliv"), one(deliv_ok).label("deliv_in"),
                       one(in_full).label("full"))
                .select_from(Order).outerjoin(Product, Product.id == Order.product_id)
                .where(*_in_range(start, end, as_of), assessable)).subquery()
    o = per_line.c
    q = (select(o.maker, o.distributor, o.bucket, func.count(), func.sum(o.resp), func.sum(o.deliv),
                func.sum(o.deliv_in), func.sum(o.full))
         .group_by(o.maker, o.distributor, o.bucket))
    out: dict[str, dict[tuple[int, Quarter], _Tally]] = {r: defaultdict(_Tally) for r in ROLES}
    for maker, distributor, bucket, placed, resp, deliv, deliv_in, full in session.execute(q):
        t = _Tally(int(placed), int(resp or 0), int(deliv or 0), int(deliv_in or 0), int(placed), int(full or 0))
        for role, cid in (("manufacturer", maker), ("distributor", distributor)):
            if cid is not None:
                out[role][(cid, quarters[int(bucket)])].add(t)
    return {r: dict(v) for r, v in out.items()}


def _tallies(session: Session, role: str, start: date, end: date, as_of: date) -> dict[tuple[int, Quarter], _Tally]:
    """R4 counts per (company, quarter): an inner GROUP BY (company, order_no) makes each order
    one row (placed at its first line, responded/delivered when its last line was, as known on
    d); the outer GROUP BY counts them with the clock-hour windows compared exactly
    (``db.sql_time.within_hours``, as ``orders stats`` does)."""
    now = _end_of(as_of)
    response_h, ordinary_h, emergency_h = _windows(session)
    responded, delivered = _known(Order.responded_at, now), _known(Order.delivered_at, now)
    in_full = case((and_(Order.delivered_at <= now,
                         or_(Order.delivered_quantity.is_(None), Order.quantity.is_(None),
                             Order.delivered_quantity >= Order.quantity)), 1), else_=0)
    key = _company_key(role)
    quarters = _quarters_of(start, end, as_of)
    placed = func.min(Order.placed_at)
    inner = (select(key.label("cid"), placed.label("placed"), quarter_index(placed, quarters).label("bucket"),
                    func.max(responded).label("resp"), func.count(responded).label("n_resp"),
                    func.max(delivered).label("deliv"), func.count(delivered).label("n_deliv"),
                    func.count().label("n"), func.max(case((Order.emergency, 1), else_=0)).label("emerg"),
                    func.sum(in_full).label("full"))
             .select_from(Order)
             .where(*_in_range(start, end, as_of), key.is_not(None))
             .group_by(key, Order.order_no))
    if role == "manufacturer":
        inner = inner.join(Product, Product.id == Order.product_id)
    o = inner.subquery()
    all_responded, all_delivered = o.c.n_resp == o.c.n, o.c.n_deliv == o.c.n
    resp_ok = and_(all_responded, within_hours(o.c.placed, o.c.resp, response_h))
    deliv_ok = and_(all_delivered, case((o.c.emerg == 1, within_hours(o.c.placed, o.c.deliv, emergency_h)),
                                        else_=within_hours(o.c.placed, o.c.deliv, ordinary_h)))
    # An order still inside its response window on d is not assessable yet (as the R4 alerts).
    assessable = or_(all_responded, o.c.placed < now - timedelta(hours=response_h))
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    q = (select(o.c.cid, o.c.bucket, func.count(), one(resp_ok), one(all_delivered), one(deliv_ok),
                func.sum(o.c.n), func.sum(o.c.full))
         .where(assessable).group_by(o.c.cid, o.c.bucket))
    out: dict[tuple[int, Quarter], _Tally] = {}
    for cid, bucket, placed_n, resp, deliv, deliv_in, lines, full in session.execute(q):
        out[(cid, quarters[int(bucket)])] = _Tally(int(placed_n), int(resp or 0), int(deliv or 0),
                                                    int(deliv_in or 0), int(lines or 0), int(full or 0))
    return out


@dataclass
class _IssueFact:
    issue_id: int
    product_id: int
    product_name: str
    reported_at: datetime
    on_time: bool | None  # None: pending on d
    escalated: bool


def issue_outcome(cal, reported_at: datetime, replied_at: datetime | None, promised: date | None,
                  resolved_at: datetime | None, as_of: date) -> bool | None:
    """R3/R4: replied and resolved within their dues (True), missed one (False), or still
    inside its dues on d (None). Times after d are not known yet."""
    now = _end_of(as_of)
    replied = replied_at if replied_at is not None and replied_at <= now else None
    resolved = resolved_at if resolved_at is not None and resolved_at <= now else None
    dues = issue_rules.issue_dues(cal, reported_at, replied, promised if replied else None)
    reply_ok = replied is not None and replied.date() <= dues.reply_due.date
    if replied is None and as_of > dues.reply_due.date:
        return False
    if replied is not None and not reply_ok:
        return False
    if resolved is not None:
        return resolved.date() <= dues.resolution_due.date and reply_ok
    if as_of > dues.resolution_due.date:
        return False
    return None


def _issue_facts(session: Session, role: str, start: date, end: date, as_of: date) -> dict[int, list[_IssueFact]]:
    from hospital_app.services.calendar import load_calendar

    cal = load_calendar(session)
    now = _end_of(as_of)
    col = SupplyIssue.company_id if role == "manufacturer" else SupplyIssue.distributor_id
    q = (select(col, SupplyIssue.id, SupplyIssue.product_id, Product.generic_name, Product.spec,
                SupplyIssue.reported_at, SupplyIssue.replied_at, SupplyIssue.promised_date,
                func.coalesce(SupplyIssue.resolved_at, SupplyIssue.closed_at), SupplyIssue.escalated_at)
         .join(Product, Product.id == SupplyIssue.product_id)
         .where(col.is_not(None), SupplyIssue.reported_at >= datetime.combine(start, time.min),
                SupplyIssue.reported_at <= min(_end_of(end), now)))
    out: dict[int, list[_IssueFact]] = defaultdict(list)
    for cid, iid, pid, name, spec, reported, replied, promised, resolved, escalated in session.execute(q):
        out[cid].append(_IssueFact(
            iid, pid, " ".join(x for x in (name, spec) if x), reported,
            issue_outcome(cal, reported, replied, promised, resolved, as_of),
            escalated is not None and escalated <= now))
    return out


def _level(thresholds: tuple, t: _Tally, prev: _Tally | None) -> str | None:
    if t.placed == 0:
        return None
    rw, tw = thresholds
    prev_t = rules.exact_ratio(prev.delivered_in_time, prev.delivered) if prev else None
    return rules.level(rules.exact_ratio(t.responded_in_time, t.placed),
                       rules.exact_ratio(t.delivered_in_time, t.delivered), prev_t, rw, tw) or "incentive"


def _companies(session: Session, role: str) -> dict[int, str]:
    flag = Company.is_manufacturer if role == "manufacturer" else Company.is_distributor
    return dict(session.execute(select(Company.id, Company.name).where(flag.is_(True))).all())


def scorecard(session: Session, as_of: date, quarter: str | None = None, year: int | None = None,
              role: str | None = None) -> list[SupplierScore]:
    """R4 v2 scorecard rows for the period (``--quarter`` / ``--year``; default the quarter of d)."""
    period = resolve_period(as_of, quarter, year)
    session.flush()
    names = dict(session.execute(select(Company.id, Company.name)).all())
    # R4 warning thresholds, read once (not once per company and quarter: a setting left at its
    # default is not in the session's identity map, so each read was a query).
    thresholds = (settings.get(session, "r4_response_rate_warning"), settings.get(session, "r4_timeliness_warning"))
    out: list[SupplierScore] = []
    first = period.quarters[0].previous().start  # a quarter's level needs the quarter before
    by_role = _line_tallies(session, first, period.end, as_of) if one_line_per_order(session) else None
    for r in ROLES if role is None else (role,):
        tallies = by_role[r] if by_role is not None else _tallies(session, r, first, period.end, as_of)
        facts = _issue_facts(session, r, period.start, period.end, as_of)
        ids = set(_companies(session, r)) | {cid for cid, _q in tallies} | set(facts)
        for cid in ids:
            total = _Tally()
            quarter_levels = []
            for q in period.quarters:
                t = tallies.get((cid, q))
                if t is not None:
                    total.add(t)
                    quarter_levels.append(_level(thresholds, t, tallies.get((cid, q.previous()))))
            if len(period.quarters) == 1:
                level = quarter_levels[0] if quarter_levels else None
            else:
                level = "serious" if "serious" in quarter_levels else _level(thresholds, total, None)
            mine = facts.get(cid, [])
            known = [f for f in mine if f.on_time is not None]
            on_time = sum(1 for f in known if f.on_time)
            counts = Counter((f.product_id, f.product_name) for f in mine)
            top = [{"product_id": pid, "name": name, "issues": n}
                   for (pid, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))[:3]]
            out.append(SupplierScore(
                company_id=cid, company=names.get(cid, ""), role=r, period=period.label,
                placed=total.placed, responded_in_time=total.responded_in_time, delivered=total.delivered,
                delivered_in_time=total.delivered_in_time, lines=total.lines, lines_in_full=total.lines_in_full,
                response_rate=rules.exact_ratio(total.responded_in_time, total.placed),
                timeliness=rules.exact_ratio(total.delivered_in_time, total.delivered) if total.placed else None,
                delivery_rate=rules.exact_ratio(total.lines_in_full, total.lines) if total.placed else None,
                issues=len(mine), issues_on_time=on_time, issues_pending=len(mine) - len(known),
                issues_on_time_rate=rules.exact_ratio(on_time, len(known)),
                escalations=sum(1 for f in mine if f.escalated), level=level, top_products=top))
    out.sort(key=lambda s: (ROLES.index(s.role), s.company, s.company_id))
    return out
