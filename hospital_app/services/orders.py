"""Order response rate and delivery timeliness per company and quarter (R4).

An order (one ``order_no`` of one distributor) may have several lines: it counts once,
placed at its first line's time, responded/delivered when its last line was.
The rows read are a narrow projection (no ORM objects); the clock-hour comparisons
are done in Python because SQLite and PostgreSQL disagree on interval arithmetic
and an exact 48:00 must count as in time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import Company, Order
from hospital_app import settings
from hospital_app.domain import orders as rules
from hospital_app.domain.findings import Alert
from hospital_app.domain.orders import Quarter
from hospital_app.i18n import tr

JSON_KEYS = ("company", "quarter", "placed", "responded_in_time", "response_rate", "delivered",
             "delivered_in_time", "timeliness", "level")


def one_line_per_order(session: Session) -> bool:
    """True when no order number has several lines, so that each order is one row and a
    per-order GROUP BY can be skipped (issues 17/21). Walks ``ix_orders_order_no`` and
    stops at the first repeated number."""
    repeated = select(Order.order_no).group_by(Order.order_no).having(func.count() > 1).limit(1)
    return session.execute(repeated).first() is None


@dataclass
class _Tally:
    placed: int = 0
    responded_in_time: int = 0
    delivered: int = 0
    delivered_in_time: int = 0


def _tallies(session: Session, start: date | None, end: date | None,
             as_of: date | None) -> dict[tuple[str, Quarter], _Tally]:
    """R4 counts per (company, quarter) for orders placed in [start, end]."""
    response_hours = settings.get(session, "r4_response_hours")
    ordinary = settings.get(session, "r4_delivery_hours_ordinary")
    emergency_h = settings.get(session, "r4_delivery_hours_emergency")
    company = Company.name  # plain column: PostgreSQL needs GROUP BY and SELECT to match
    query = (select(company, Order.order_no, func.min(Order.placed_at), func.max(Order.responded_at),
                    func.count(Order.responded_at), func.max(Order.delivered_at), func.count(Order.delivered_at),
                    func.count(), func.max(case((Order.emergency, 1), else_=0)))
             .select_from(Order).outerjoin(Company, Company.id == Order.company_id)
             .group_by(company, Order.order_no))
    if start is not None:
        query = query.where(Order.placed_at >= datetime.combine(start, time.min))
    if end is not None:
        query = query.where(Order.placed_at <= datetime.combine(end, time.max))
    now = datetime.combine(as_of, time.max) if as_of else None
    out: dict[tuple[str, Quarter], _Tally] = defaultdict(_Tally)
    for name, _no, placed, responded, n_resp, delivered, n_deliv, n_lines, emerg in session.execute(query):
        # A line not yet responded/delivered means the order is not (max() ignores NULLs).
        responded = responded if n_resp == n_lines else None
        delivered = delivered if n_deliv == n_lines else None
        if now is not None:
            if placed > now:
                continue
            if responded is None and now - placed <= timedelta(hours=response_hours):
                continue  # still inside its response window: not assessable yet
        t = out[(name or "", Quarter.of(placed))]
        t.placed += 1
        t.responded_in_time += rules.responded_in_time(placed, responded, response_hours)
        if delivered is not None:
            t.delivered += 1
            t.delivered_in_time += rules.delivered_in_time(placed, delivered, bool(emerg), ordinary, emergency_h)
    return out


def order_stats(session: Session, quarter: str | None = None, as_of: date | None = None) -> list[dict]:
    """R4 per company and quarter (``orders stats --json`` rows, CLI.md).

    ``level``: ``serious`` when timeliness is below 90 % this and the previous quarter,
    ``warning`` when response rate < 95 % or timeliness < 90 %, else None.
    """
    q = Quarter.parse(quarter) if quarter else None
    return _stats(session, [q] if q else None, as_of)


def _stats(session: Session, quarters: list[Quarter] | None, as_of: date | None) -> list[dict]:
    """Rows for the given quarters (all when None), from one pass over the orders."""
    start = min(quarters).previous().start if quarters else None
    end = max(quarters).end if quarters else None
    tallies = _tallies(session, start, end, as_of)
    rw = settings.get(session, "r4_response_rate_warning")
    tw = settings.get(session, "r4_timeliness_warning")
    rows = []
    for (name, qq), t in sorted(tallies.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if quarters is not None and qq not in quarters:
            continue
        prev = tallies.get((name, qq.previous()))
        prev_timeliness = rules.exact_ratio(prev.delivered_in_time, prev.delivered) if prev else None
        lvl = rules.level(rules.exact_ratio(t.responded_in_time, t.placed),
                          rules.exact_ratio(t.delivered_in_time, t.delivered), prev_timeliness, rw, tw)
        rows.append({
            "company": name, "quarter": str(qq), "placed": t.placed,
            "responded_in_time": t.responded_in_time,
            "response_rate": rules.ratio(t.responded_in_time, t.placed),
            "delivered": t.delivered, "delivered_in_time": t.delivered_in_time,
            "timeliness": rules.ratio(t.delivered_in_time, t.delivered), "level": lvl,
        })
    return rows


def order_alerts(session: Session, as_of: date) -> list[Alert]:
    """R4 findings for the last completed quarter and the current one up to ``as_of``."""
    current = Quarter.of(as_of)
    response_warning = float(settings.get(session, "r4_response_rate_warning"))
    timeliness_warning = float(settings.get(session, "r4_timeliness_warning"))
    alerts = []
    for row in _stats(session, [current.previous(), current], as_of):
        if row["level"] is None:
            continue
        parts = []
        if row["response_rate"] is not None and row["response_rate"] < response_warning:
            parts.append(tr("订单响应率 {r:.1%}", "response rate {r:.1%}", r=row["response_rate"]))
        if row["timeliness"] is not None and row["timeliness"] < timeliness_warning:
            parts.append(tr("配送及时率 {r:.1%}", "delivery timeliness {r:.1%}", r=row["timeliness"]))
        if row["level"] == "serious":
            parts.append(tr("连续两个季度配送及时率低于 90%", "timeliness below 90 % two quarters running"))
        alerts.append(Alert(
            "R4", row["level"],
            tr("{c} {q}：", "{c} {q}: ", c=row["company"] or tr("（未填配送企业）", "(no distributor)"),
               q=row["quarter"]) + "；".join(parts),
            None, Quarter.parse(row["quarter"]).start, f"orders:{row['company']}:{row['quarter']}",
            tr("与配送企业沟通并记录", "Take it up with the distributor and keep a record"),
            dict(row)))
    return alerts
