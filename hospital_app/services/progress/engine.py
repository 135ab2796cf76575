"""The progress engine: SQL aggregates (``queries``) through the tested domain rules.

R7 targets and S(d) (``domain.targets``), R8 status, shortfall, remaining, failed reasons and
the agreement-end alert (``domain.status``), R9 share and R11 classes, R12 clustering and empty
months (``domain.monitoring``). Nothing here re-implements a rule: it only routes the figures.

A row is a selected product's agreement period containing as_of, else its latest ended
period (its final assessment, ``ended``). Counted purchases (R8) = the product's purchases
in the period up to as_of, plus backup-supplier purchases linked to a supply issue of this
product and verified (the bureau's confirmation by as_of, R11 v2). Consumables of one
company and group are assessed together (R11): the row keeps its own figures, its status is
the group's and it carries the flag ``merged``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Batch
from hospital_app.domain import monitoring, status as st
from hospital_app.domain.targets import (
    MonthTarget,
    monthly_targets,
    round_half_up,
    schedule as schedule_at,
    total_weight,
)
from hospital_app.errors import NotFound
from hospital_app.i18n import tr
from hospital_app.services.gc_pause import paused as gc_paused
from hospital_app.services.progress import queries as q
from hospital_app.services.progress.model import MonthFigure, ProgressRow

FLAG_ORDER = ("exempt", "suspended", "shortage", "emergency", "key_monitoring", "backup", "merged",
              "not_in_hospital", "clustered", "empty_month", "share_over", "over_purchase", "ended", "failed")

SELECTED, NONSELECTED, EXCLUDED = monitoring.SELECTED, monitoring.NONSELECTED, monitoring.EXCLUDED


@lru_cache(maxsize=4096)
def targets_of(start: date, end: date, volume: int) -> tuple[MonthTarget, ...]:
    """R7 targets of a period (cached: many products share a period)."""
    return tuple(monthly_targets(start, end, volume))


@lru_cache(maxsize=4096)
def schedule_of(start: date, end: date, d: date) -> Fraction:
    return schedule_at(start, end, d)


def month_figures(targets: tuple[MonthTarget, ...], counted: dict, emergency: dict, as_of: date,
                  k: Fraction, behind: bool, whole_period: bool = False) -> list[MonthFigure]:
    """R12 v2 month by month up to as_of, for progress rows and ``product show`` alike:
    clustered = ``monitoring.clustered_months`` on counted purchases without verified emergency
    purchases; empty = ``monitoring.empty_months`` while the period is behind (R8)."""
    full = None
    if targets:  # V / Σw from the cached Σw of the period (the same value clustered_months derives)
        full = Fraction(sum(t.target for t in targets)) / total_weight(targets[0].first_day, targets[-1].last_day)
    own = {m: qty - emergency.get(m, 0) for m, qty in counted.items()} if emergency else counted
    clustered = {t.key for t in monitoring.clustered_months(targets, own, k, full_month=full)}
    empty = {t.key for t in monitoring.empty_months(targets, counted, as_of)} if behind else set()
    return [MonthFigure(t.label, t.first_day, t.last_day, t.target, counted.get(t.key, 0),
                        t.key in clustered, t.key in empty, emergency.get(t.key, 0))
            for t in targets if whole_period or t.first_day <= as_of]


def _exempt(spans, start: date, end: date, as_of: date, ended: bool) -> bool:
    """R11: an exemption in force on as_of; for an ended period, one that covered any of it."""
    if ended:
        return any((s is None or s <= end) and (e is None or e >= start) and (s is None or s <= as_of)
                   for s, e in spans)
    return any(monitoring.active_on(s, e, as_of) for s, e in spans)


def _verified_for(link: q.LinkedPurchase, product_id: int, as_of: date) -> bool:
    return any(i.product_id == product_id and monitoring.verified_on(i.confirmed_on, as_of) for i in link.issues)


def excused(link: q.LinkedPurchase, as_of: date, confirmation_required: bool) -> bool:
    """R11 v2: a non-selected/substitute purchase outside the assessment thanks to a linked issue
    reported to the bureau (``monitoring.reported_purchase_excused``)."""
    return any(monitoring.reported_purchase_excused(
        link.day, reported_on=i.reported_on, resolved_on=i.resolved_on, confirmed_on=i.confirmed_on,
        d=as_of, confirmation_required=confirmation_required) for i in link.issues)


def link_class(link: q.LinkedPurchase, as_of: date, confirmation_required: bool) -> str:
    """R9/R11 v2 class of a linked purchase (``monitoring.share_class``)."""
    return monitoring.share_class(
        selected=link.selected, supply_role=link.supply_role, cheaper_equal_quality=link.cheaper_equal_quality,
        verified_backup=any(monitoring.verified_on(i.confirmed_on, as_of) for i in link.issues),
        excused_by_report=excused(link, as_of, confirmation_required))


def load_batches(session: Session, batch: str | None) -> dict[int, Batch]:
    stmt = select(Batch)
    if batch is not None:
        stmt = stmt.where(Batch.name == batch)
    batches = {b.id: b for b in session.scalars(stmt)}
    if batch is not None and not batches:
        raise NotFound(tr("找不到批次：{b}", "No such batch: {b}", b=batch))
    return batches


def compute_rows(session: Session, as_of: date, batch: str | None = None,
                 product_ids: list[int] | None = None,
                 units_since: dict[date, dict[int, int]] | None = None, months: bool = True,
                 ended: list[q.PeriodRow] | None = None) -> list[ProgressRow]:
    """The progress rows (see module docstring), sorted by batch, generic name, spec, product.
    ``units_since`` (filled when given): see ``ProgressReport.units_since``; ``months=False``:
    the assessment without the month-by-month R12 figures and "since" dates (``assess``);
    ``ended`` (filled when given): every ended period of the same read (``ended_rows``)."""
    session.flush()  # the Core queries must see pending ORM changes
    batches = load_batches(session, batch)
    chosen, ended_periods = q.periods(session, as_of, list(batches) if batch is not None else None, product_ids)
    if ended is not None:
        ended.extend(ended_periods)
    with gc_paused():
        rows = assess(session, list(chosen.values()), as_of, batches, units_since=units_since, months=months)
    return sorted(rows, key=lambda r: (r.batch or "", r.generic_name_norm, r.spec or "", r.product_id))


def assess(session: Session, periods: list[q.PeriodRow], as_of: date,
           batches: dict[int, Batch], *, months: bool = True,
           units_since: dict[date, dict[int, int]] | None = None) -> list[ProgressRow]:
    """R7–R12 for the given periods as of ``as_of`` (rows in the order of ``periods``).

    ``months=False``: the assessment only (status, figures, share, failed reasons), without the
    month-by-month R12 figures and "since" dates — what the alerts need of ended periods. The
    purchases are then read as one sum per product and window (``q.WHOLE_WINDOW``), so the
    rows' ``own_months`` / ``share_months`` are not per month."""
    if not periods:
        return []
    missing = {p.batch_id for p in periods if p.batch_id is not None and p.batch_id not in batches}
    if missing:
        batches = dict(batches)
        batches.update({b.id: b for b in session.scalars(select(Batch).where(Batch.id.in_(missing)))})
    pols = q.policies(session, batches)
    windows: dict[tuple[date, date], set[str]] = defaultdict(set)
    for p in periods:
        windows[(p.start, p.upto(as_of))].add(p.generic_norm)
    monthly = q.monthly_purchases(session, windows, by_month=months)
    if units_since is not None:  # per period start, units bought up to as_of (the R20 indicators reuse them)
        starts = [start for start, _ in monthly]
        for (start, upto), per_product in monthly.items():
            if starts.count(start) == 1 and upto == as_of:
                units_since[start] = {pid: sum(m.values()) for pid, m in per_product.items()}
    classes = q.product_classes(session, set().union(*windows.values()))
    links = q.linked_purchases(session, as_of)
    links_by_generic: dict[str, list[q.LinkedPurchase]] = defaultdict(list)
    links_by_issue_product: dict[int, list[q.LinkedPurchase]] = defaultdict(list)
    for link in links:
        links_by_generic[link.generic_norm].append(link)
        if link.supply_role == "backup":
            for pid in {i.product_id for i in link.issues}:
                links_by_issue_product[pid].append(link)
    spans = q.exemptions(session, sorted({p.product_id for p in periods}))

    # R9 buckets per (generic, window) before the R11 link adjustments: class → month → units.
    base_share: dict[tuple, dict[str, dict]] = {}
    for window, per_product in monthly.items():
        for pid, by_month in per_product.items():
            c = classes.get(pid)
            if c is None or c.generic_norm not in windows[window]:
                continue
            cls = monitoring.share_class(selected=c.selected, supply_role=c.supply_role,
                                         cheaper_equal_quality=c.cheaper_equal_quality)
            if cls == EXCLUDED:
                continue
            buckets = base_share.setdefault((c.generic_norm, window), {SELECTED: defaultdict(int),
                                                                       NONSELECTED: defaultdict(int)})
            for key, qty in by_month.items():
                buckets[cls][key] += qty
    empty_buckets = {SELECTED: {}, NONSELECTED: {}}

    rows: list[ProgressRow] = []
    for p in periods:
        b = batches.get(p.batch_id) if p.batch_id else None
        policy = pols.get(p.batch_id, pols[None])
        upto = p.upto(as_of)
        window = (p.start, upto)
        ended = st.period_ended(p.end, as_of)
        own = dict(monthly[window].get(p.product_id, {}))
        emergency: dict = defaultdict(int)
        share = base_share.get((p.generic_norm, window), empty_buckets)
        adjusted = False
        for link in links_by_generic.get(p.generic_norm, ()):
            if not (p.start <= link.day <= upto):
                continue
            base = monitoring.share_class(selected=link.selected, supply_role=link.supply_role,
                                          cheaper_equal_quality=link.cheaper_equal_quality)
            now = link_class(link, as_of, policy.confirmation_required)
            if base == now:
                continue
            if not adjusted:  # copy before changing the shared buckets
                share = {cls: defaultdict(int, share[cls]) for cls in (SELECTED, NONSELECTED)}
                adjusted = True
            key = (link.day.year, link.day.month)
            if base != EXCLUDED:
                share[base][key] -= link.quantity
            if now != EXCLUDED:
                share[now][key] += link.quantity
        # R8/R11: verified backup purchases count as purchases of the product whose issue they served.
        for link in links_by_issue_product.get(p.product_id, ()):
            if link.product_id != p.product_id and p.start <= link.day <= upto \
                    and _verified_for(link, p.product_id, as_of):
                key = (link.day.year, link.day.month)
                own[key] = own.get(key, 0) + link.quantity
                emergency[key] += link.quantity
        volume = p.agreed_volume
        s_d = schedule_of(p.start, p.end, as_of)
        counted = sum(own.values())
        exempt = _exempt(spans.get(p.product_id, ()), p.start, p.end, as_of, ended)
        status = st.assess(counted, volume, s_d, severe_gap=policy.severe_gap_f, exempt=exempt)
        sel_units = sum(share[SELECTED].values())
        non_units = sum(share[NONSELECTED].values())
        row = ProgressRow(
            product_id=p.product_id, batch=b.name if b else None, generic_name=p.generic_name,
            dosage_form=p.dosage_form, spec=p.spec, manufacturer=p.maker, unit=p.unit,
            period_start=p.start, period_end=p.end, agreed_volume=volume,
            target_to_date=round_half_up(s_d * volume), purchased=counted,
            completion=st.completion(counted, volume), schedule=s_d, status=status,
            shortfall=st.shortfall(s_d, volume, counted),
            nonselected_share=monitoring.nonselected_share(non_units, sel_units),
            remaining=st.remaining(volume, counted), over_purchase=st.over_purchase(volume, counted),
            period_days_left=st.period_days_left(p.end, as_of), lag_reason=p.lag_reason,
            ended=ended, first_start=p.first_start,
            batch_id=p.batch_id, batch_kind=b.kind if b else None, period_id=p.period_id,
            generic_name_norm=p.generic_norm, execution_start=b.execution_start if b else None,
            months=month_figures(targets_of(p.start, p.end, volume), own, emergency, as_of,
                                 policy.cluster_k_f, behind=False) if months else [],
            share_selected=sel_units, share_nonselected=non_units,
            share_threshold=policy.share_threshold, cluster_k=policy.cluster_k,
            severe_gap=policy.severe_gap, supply_role=p.supply_role,
            marks={"shortage": bool(p.is_shortage), "emergency": bool(p.is_emergency),
                   "key_monitoring": bool(p.key_monitoring)},
            manufacturer_id=p.manufacturer_id, group_name=p.group_name,
            suspended_on=p.suspended_on, suspension_reason=p.suspension_reason, exempt=exempt)
        row.share_months, row.own_months, row.agreement_end_days = share, own, policy.agreement_end_days
        rows.append(row)
    _mark_bought_before_period(session, rows)
    _merge_consumable_groups(rows)
    for row in rows:
        _finish(row, as_of)
    return rows


def _mark_bought_before_period(session: Session, rows: list[ProgressRow]) -> None:
    """R8 v2: for not-started rows, was the product bought since its own first period start
    before this period? (Then it is in the hospital; only this year is not started.)"""
    todo = [r for r in rows if r.status == st.NOT_STARTED and r.first_start and r.first_start < r.period_start]
    last = q.last_purchase_before(session, [r.period_id for r in todo])
    for r in todo:
        day = last.get(r.product_id)
        r.purchased_before_period = day is not None and day >= r.first_start


def _merge_consumable_groups(rows: list[ProgressRow]) -> None:
    """R11: the status of same-company same-group consumables is the group's."""
    groups: dict[tuple, list[ProgressRow]] = defaultdict(list)
    for row in rows:
        key = monitoring.consumable_group_key(row.batch_kind, row.batch_id, row.manufacturer_id, row.group_name)
        if key is not None:
            groups[(key, row.ended, row.period_end if row.ended else None)].append(row)
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
            m.group_shortfall = st.shortfall(s_d, volume, bought)


def _finish(row: ProgressRow, as_of: date) -> None:
    """Flags, failed reasons, the agreement-end alert and "since" dates of a row (R8, R9, R12, R17)."""
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
    if (row.status == st.NOT_STARTED and not row.purchased_before_period and row.first_start
            and as_of >= st.not_in_hospital_alert_from(row.first_start)):
        flags.add("not_in_hospital")
    if any(mf.clustered for mf in row.months):
        flags.add("clustered")
    behind = row.status in st.BEHIND_STATES
    if behind and row.months:
        targets = targets_of(row.period_start, row.period_end, row.agreed_volume)
        empty = {t.key for t in monitoring.empty_months(targets, row.own_months, as_of)}
        for mf in row.months:
            mf.empty = (mf.first_day.year, mf.first_day.month) in empty
        if empty:
            flags.add("empty_month")
        volume = row.agreed_volume
        row.behind_since = _since_from_months(
            row.months, row.period_start, row.period_end, as_of,
            # C >= S as integers (cum/V >= n/d ⇔ cum·d >= n·V for V > 0): no Fraction per month
            lambda cum, s: volume > 0 and cum * s.denominator >= s.numerator * volume)
    share_over = monitoring.share_exceeds(row.nonselected_share, row.share_threshold)
    if share_over:
        flags.add("share_over")
        row.share_over_since = _share_since(row, as_of)
    if row.over_purchase > 0:
        flags.add("over_purchase")
    counted, volume = row.purchased, row.agreed_volume
    if row.group_members:  # R11: the group is assessed together
        counted, volume = row.group_completion.numerator, row.group_completion.denominator
    row.failed_reasons = st.failed_reasons(row.ended, counted, volume, exempt=row.exempt, share_over=share_over)
    if row.ended:
        flags.add("ended")
    if row.failed_reasons:
        flags.add("failed")
    if not row.ended and not row.exempt and "suspended" not in flags:
        row.agreement_end = st.agreement_end_due(row.period_end, as_of, row.purchased, row.agreed_volume,
                                                 row.agreement_end_days)
    row.flags = [f for f in FLAG_ORDER if f in flags]


def _since_from_months(months: list[MonthFigure], start: date, end: date, as_of: date, ok) -> date:
    """The day after the last elapsed month end at which ``ok(cumulative, S)`` held, else ``start``.

    Month granularity (purchases are aggregated per month): good enough for "since".
    """
    since = start
    cumulative = 0
    for mf in months:
        cumulative += mf.purchased
        if mf.last_day >= as_of:
            break
        if ok(cumulative, schedule_of(start, end, mf.last_day)):
            since = mf.last_day + timedelta(days=1)
    return since


def _share_since(row: ProgressRow, as_of: date) -> date:
    """R9: the day after the last elapsed month end at which the share was within the threshold."""
    buckets = row.share_months
    since = row.period_start
    sel = non = 0
    for mf in row.months:
        key = (mf.first_day.year, mf.first_day.month)
        sel += buckets[SELECTED].get(key, 0)
        non += buckets[NONSELECTED].get(key, 0)
        if mf.last_day >= as_of:
            break
        if not monitoring.share_exceeds(monitoring.nonselected_share(non, sel), row.share_threshold):
            since = mf.last_day + timedelta(days=1)
    return since


def ended_rows(session: Session, as_of: date, known: list[ProgressRow],
               ended: list[q.PeriodRow] | None = None) -> list[ProgressRow]:
    """R8 v2: the final assessment of every ended period of a selected product (a failed period
    stays a finding after it ends), reusing the ended rows ``known`` already has. ``ended``:
    the ended periods of every batch as ``compute_rows(…, ended=…)`` read them with ``known``
    (one read of the periods instead of two, issue 21); read here when None."""
    session.flush()
    batches = load_batches(session, None)
    if ended is None:
        _, ended = q.periods(session, as_of)
    have = {r.period_id: r for r in known if r.ended}
    with gc_paused():
        rows = assess(session, [p for p in ended if p.period_id not in have], as_of, batches, months=False)
    return sorted([*rows, *have.values()], key=lambda r: (r.product_id, r.period_start))
