"""R7/R8/R9 (+ R11, R12) against an independent oracle on a seeded random dataset.

The oracle below is plain Python over the generated purchase list: it imports nothing
from ``hospital_app`` (no shared arithmetic), and reads DOMAIN.md R7–R12 / CLI.md
literally. The app computes the same figures through SQL aggregates
(``compute_progress``); every CLI.md key of every row must agree "to the unit".

Version 2 (rule book v2): the row of a product is its period containing d, else its latest
ended period (the final assessment, with ``failed_reasons``); shortfall = ⌈S·V − counted⌉;
backup purchases count only once the linked issue is verified (the bureau's confirmation by
d); non-selected purchases are excused only between the issue's report to the bureau and its
resolution, with the bureau's confirmation by d (policy default); R12 compares partial months
with V/Σw and leaves verified emergency purchases out.

Interpretations fixed here (and in the app), where DOMAIN.md leaves room:
- "no purchase yet" (R8 ``not_started``) = counted purchases up to d (net of returns) ≤ 0;
- "between the report and the resolution" (R11) = purchase date from the day of
  ``insurance_notified_at`` to the day of the earlier of ``resolved_at``/``closed_at`` if
  known by d (else d), inclusive;
- a purchase linked to several issues is counted (or excluded) once;
- an exemption excuses an ended period when it covered any day of it;
- R12 empty month = a month of the period whose last day is ≤ d with no purchase.
"""

from __future__ import annotations

import calendar
import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from db.models import Exemption, SupplyIssue, SupplyIssuePurchase
from hospital_app.domain.normalize import normalize_generic
from hospital_app.services.progress import compute_progress
from tests.services import monitoring_data as md

SEED = 20240229
AS_OF_DATES = [
    date(2023, 12, 14), date(2023, 12, 15), date(2024, 1, 31), date(2024, 2, 28), date(2024, 2, 29),
    date(2024, 3, 1), date(2024, 3, 31), date(2024, 6, 30), date(2024, 11, 19), date(2024, 11, 20),
    date(2024, 12, 14), date(2024, 12, 15), date(2025, 2, 28), date(2025, 3, 1),
]

# (key, generic name as written, selected, role, cheaper_equal_quality, batch key)
PRODUCTS = [
    ("A1", "头孢呋辛酯片（A）", True, "primary", False, "b1"),
    ("A2", " 头孢呋辛酯片(A) ", True, "primary", False, "b1"),   # same generic after normalising
    ("AB", "头孢呋辛酯片(A)", True, "backup", False, "b1"),      # backup supplier (R11)
    ("AN", "头孢呋辛酯片（A）", False, None, False, None),        # non-selected
    ("AC", "头孢呋辛酯片(A)", False, None, True, None),          # non-selected, cheaper & equal quality
    ("M1", "盐酸二甲双胍片", True, "primary", False, "b2"),
    ("MN", "盐酸二甲双胍片", False, None, False, None),
    ("MX", "二甲双胍片", False, None, False, None),             # salt differs: another generic name
    ("T1", "替格瑞洛片", True, "primary", False, "b2"),
    ("T2", "替格瑞洛片", True, "primary", False, "b1"),
]

# Agreement periods per selected product: (start, end, V). Leap day, 13 calendar months,
# V not divisible, ties, a one-day period, a two-year product.
PERIODS = {
    "A1": [(date(2023, 12, 15), date(2024, 12, 14), 10_000), (date(2024, 12, 15), date(2025, 12, 14), 9_001)],
    "A2": [(date(2024, 2, 29), date(2025, 2, 28), 7)],
    "M1": [(date(2023, 11, 20), date(2024, 11, 19), 12_345), (date(2024, 11, 20), date(2025, 11, 19), 3)],
    "T1": [(date(2024, 3, 1), date(2024, 3, 1), 5), (date(2024, 3, 2), date(2025, 3, 1), 366)],
    "T2": [(date(2024, 1, 1), date(2024, 12, 31), 366)],
}
EXEC_START = {"b1": date(2023, 12, 15), "b2": date(2023, 11, 20)}
SHARE_THRESHOLD = {"b1": Fraction(3, 10), "b2": Fraction(1, 2)}  # b2 overrides R9's 30 %


# ----------------------------------------------------------------------------- oracle


def o_norm(name: str) -> str:
    """R9: trimmed, full-width → half-width (NFKC covers the ASCII block), salt kept."""
    return unicodedata.normalize("NFKC", name).strip()


def o_months(s: date, e: date):
    y, m = s.year, s.month
    while (y, m) <= (e.year, e.month):
        dim = calendar.monthrange(y, m)[1]
        yield (y, m), max(s, date(y, m, 1)), min(e, date(y, m, dim)), dim
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def o_schedule(s: date, e: date, d: date) -> Fraction:
    total = sum((Fraction((b - a).days + 1, dim) for _, a, b, dim in o_months(s, e)), Fraction(0))
    done = Fraction(0)
    for _, a, b, dim in o_months(s, e):
        b = min(b, d)
        if b >= a:
            done += Fraction((b - a).days + 1, dim)
    return done / total


def o_targets(s: date, e: date, v: int) -> dict[tuple[int, int], int]:
    months = list(o_months(s, e))
    w = [Fraction((b - a).days + 1, dim) for _, a, b, dim in months]
    exact = [v * x / sum(w) for x in w]
    whole = [int(x) for x in exact]  # floor (non-negative)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in order[: v - sum(whole)]:
        whole[i] += 1
    return {key: t for (key, *_), t in zip(months, whole)}


def half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)) // 1)


def ratio4(x: Fraction) -> float:
    return half_up(x * 10_000) / 10_000


@dataclass
class Buy:
    pid: str
    day: date
    qty: int
    db_id: int = 0


@dataclass
class Issue:
    product: str
    confirmed: datetime | None  # the bureau's confirmation (核实)
    reported: datetime  # reported to the bureau (and filed)
    resolved: datetime | None
    purchases: list  # indexes into the purchase list


def oracle(as_of: date, buys: list[Buy], issues: list[Issue], exemptions: dict[str, tuple]) -> dict[str, dict]:
    info = {k: (g, sel, role, cheap, b) for k, g, sel, role, cheap, b in PRODUCTS}
    emergency: dict[int, set[str]] = {}  # purchase index → issue products (verified by as_of)
    excused: set[int] = set()  # purchase indexes between a confirmed report and the resolution
    for iss in issues:
        if iss.reported.date() > as_of:
            continue
        confirmed = iss.confirmed is not None and iss.confirmed.date() <= as_of
        until = iss.resolved.date() if iss.resolved and iss.resolved.date() <= as_of else as_of
        for i in iss.purchases:
            if buys[i].day > as_of:
                continue
            if confirmed:
                emergency.setdefault(i, set()).add(iss.product)
                if iss.reported.date() <= buys[i].day <= until:
                    excused.add(i)
    out = {}
    for key, periods in PERIODS.items():
        current = [p for p in periods if p[0] <= as_of <= p[1]]
        ended = [p for p in periods if p[1] < as_of]
        if current:
            s, e, v = current[-1]
        elif ended:
            s, e, v = max(ended, key=lambda p: p[1])
        else:
            continue
        is_ended = e < as_of
        generic, _, _, _, batch = info[key]
        d = min(as_of, e)
        inside = [(i, b) for i, b in enumerate(buys) if s <= b.day <= d]
        counted_lines = [(i, b) for i, b in inside if b.pid == key
                         or (info[b.pid][2] == "backup" and key in emergency.get(i, ()))]
        counted = sum(b.qty for _, b in counted_lines)
        sched = o_schedule(s, e, as_of)
        target = half_up(sched * v)
        c = Fraction(counted, v)
        ex = exemptions.get(key)
        if is_ended:
            exempt = bool(ex) and ex[0] <= e and (ex[1] is None or ex[1] >= s)
        else:
            exempt = bool(ex) and ex[0] <= as_of and (ex[1] is None or as_of <= ex[1])
        if exempt:
            status = "exempt"
        elif counted <= 0 and sched > 0:
            status = "not_started"
        elif c >= 1:
            status = "completed"
        elif c >= sched:
            status = "on_track"
        elif c < sched - Fraction(1, 10):
            status = "severely_behind"
        else:
            status = "behind"
        sel = non = 0
        for i, b in inside:
            g, is_sel, role, cheap, _ = info[b.pid]
            if o_norm(g) != o_norm(generic):
                continue
            if role == "backup":
                sel += b.qty if i in emergency else 0
            elif is_sel:
                sel += b.qty
            elif not cheap and i not in excused:
                non += b.qty
        share = Fraction(non, sel + non) if sel + non > 0 else Fraction(0)
        targets = o_targets(s, e, v)
        weights = {m: Fraction((b_ - a).days + 1, dim) for m, a, b_, dim in o_months(s, e)}
        full_month = Fraction(v) / sum(weights.values())
        per_month: dict[tuple[int, int], int] = {}
        no_emergency: dict[tuple[int, int], int] = {}
        for _, b in counted_lines:
            m = (b.day.year, b.day.month)
            per_month[m] = per_month.get(m, 0) + b.qty
            if b.pid == key:
                no_emergency[m] = no_emergency.get(m, 0) + b.qty
        clustered = [m for m, t in targets.items()
                     if no_emergency.get(m, 0) > 2 * (t if weights[m] == 1 else full_month)
                     and date(m[0], m[1], 1) <= as_of]
        empty = []
        if status in ("not_started", "behind", "severely_behind"):
            empty = [m for (m, _a, b_, _dim) in o_months(s, e)
                     if b_ <= as_of and targets[m] > 0 and per_month.get(m, 0) <= 0]
        share_over = share > SHARE_THRESHOLD[batch]
        failed = []
        if is_ended and not exempt and c < 1:
            failed.append("completion")
        if is_ended and share_over:
            failed.append("share")
        out[key] = {
            "period_start": s.isoformat(), "period_end": e.isoformat(), "agreed_volume": v,
            "target_to_date": target, "purchased": counted, "completion": ratio4(c),
            "schedule": ratio4(sched), "status": status,
            "shortfall": max(0, math.ceil(sched * v - counted)),
            "nonselected_share": ratio4(share),
            "remaining": max(0, v - counted), "over_purchase": max(0, counted - v),
            "period_days_left": max(0, (e - as_of).days), "failed_reasons": failed,
            "share_over": share_over,
            "clustered": sorted(f"{y:04d}-{m:02d}" for y, m in clustered),
            "empty": sorted(f"{y:04d}-{m:02d}" for y, m in empty),
            "targets": targets,
        }
    return out


# ------------------------------------------------------------------------------ data


def _dataset(session):
    rng = random.Random(SEED)
    b1 = md.batch(session, name="联盟一", start=EXEC_START["b1"])
    b2 = md.batch(session, name="联盟二", start=EXEC_START["b2"], overrides={"r9_share_threshold": "0.5"})
    batches = {"b1": b1, "b2": b2}
    products = {}
    for key, generic, selected, role, cheap, bkey in PRODUCTS:
        p = md.product(session, batches.get(bkey) if bkey else b1, generic=generic, spec=key,
                       selected=selected, role=role or "primary", cheaper_equal_quality=cheap)
        p.generic_name_norm = normalize_generic(generic)  # as import stores it
        products[key] = p
    for key, periods in PERIODS.items():
        for i, (s, e, v) in enumerate(periods, start=1):
            md.period(session, products[key], s, e, v, year_index=i)
    keys = [k for k, *_ in PRODUCTS]
    weights = [10, 3, 4, 6, 3, 10, 6, 3, 8, 5]
    first, last = date(2023, 10, 1), date(2025, 3, 31)
    buys = []
    for _ in range(420):
        pid = rng.choices(keys, weights)[0]
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        qty = rng.randint(1, 400) if rng.random() > 0.1 else -rng.randint(1, 60)  # returns
        buys.append(Buy(pid, day, qty))
    # Edge days: leap day, period starts/ends, the one-day period; a clustered month.
    for pid, day, qty in [("A1", date(2024, 2, 29), 250), ("A2", date(2024, 2, 29), 3), ("T1", date(2024, 3, 1), 2),
                          ("A1", date(2023, 12, 15), 1), ("A1", date(2024, 12, 14), 5), ("M1", date(2024, 11, 19), 7),
                          ("T2", date(2024, 5, 10), 5000), ("MN", date(2024, 12, 31), 9999)]:
        buys.append(Buy(pid, day, qty))
    for b in buys:
        b.db_id = md.buy(session, products[b.pid], b.day, b.qty).id
    idx = {k: [i for i, b in enumerate(buys) if b.pid == k] for k in keys}
    issues = [
        # confirmed by the bureau on A1 (after some of its purchases): backup purchases count as A1's
        # (and as selected in R9) from the confirmation on; linked non-selected purchases are excused
        Issue("A1", datetime(2024, 2, 20, 11), datetime(2024, 1, 10, 15), datetime(2024, 4, 2, 10),
              idx["AB"][::2] + idx["AN"][:6]),
        # unconfirmed issue on A1, overlapping links: nothing moves, exclusions once
        Issue("A1", None, datetime(2024, 3, 1, 9), None, idx["AB"][:3] + idx["AN"][2:9] + idx["AC"][:5]),
        # a second confirmed issue on A2 sharing backup purchases with the first (counted once each)
        Issue("A2", datetime(2024, 6, 3, 9), datetime(2024, 6, 1, 9), datetime(2024, 9, 30, 18), idx["AB"][::4]),
        # confirmed only after it was resolved; reported on 05-05, resolved 08-20
        Issue("M1", datetime(2024, 12, 1, 9), datetime(2024, 5, 5, 8), datetime(2024, 8, 20, 17), idx["MN"][::3]),
    ]
    for iss in issues:
        row = SupplyIssue(product_id=products[iss.product].id, type="shortage", reported_at=iss.reported,
                          insurance_notified_at=iss.reported, bureau_confirmed_at=iss.confirmed,
                          resolved_at=iss.resolved, status="resolved" if iss.resolved else "open")
        session.add(row)
        session.flush()
        for i in sorted(set(iss.purchases)):
            session.add(SupplyIssuePurchase(issue_id=row.id, purchase_id=buys[i].db_id))
    exemptions = {"T2": (date(2024, 6, 1), date(2024, 11, 30))}
    for key, (s, e) in exemptions.items():
        session.add(Exemption(product_id=products[key].id, reason="guideline_change", document_ref="X", start=s, end=e))
    session.flush()
    return products, buys, issues, exemptions


def test_r7_r8_r9_match_the_independent_oracle(session):
    """GIVEN 428 seeded purchases (returns, leap day, period edges) over 10 products, R11 links and an
    exemption WHEN compute_progress runs on 14 as-of dates (before/at/after period edges, 02-29)
    THEN every CLI.md figure (version 2 keys too), the monthly targets and the R9/R12 flags equal the
    oracle's (R7–R12, R8/R11/R12 v2)."""
    products, buys, issues, exemptions = _dataset(session)
    ids = {p.id: k for k, p in products.items()}
    mismatches = []
    checked = 0
    for as_of in AS_OF_DATES:
        expected = oracle(as_of, buys, issues, exemptions)
        got = {ids[r.product_id]: r for r in compute_progress(session, as_of).rows}
        assert sorted(got) == sorted(expected), (as_of, sorted(got), sorted(expected))
        for key, exp in expected.items():
            row = got[key]
            actual = {k: v for k, v in row.as_dict().items() if k in exp}
            actual["share_over"] = "share_over" in row.flags
            actual["clustered"] = sorted(m.label for m in row.months if m.clustered)
            actual["empty"] = sorted(m.label for m in row.months if m.empty)
            actual["targets"] = {(m.first_day.year, m.first_day.month): m.target for m in row.months}
            want = dict(exp, targets={m: t for m, t in exp["targets"].items() if date(m[0], m[1], 1) <= as_of})
            for field_name, value in want.items():
                checked += 1
                if actual[field_name] != value:
                    mismatches.append((as_of.isoformat(), key, field_name, actual[field_name], value))
            assert ("clustered" in row.flags) == bool(exp["clustered"])
            assert ("empty_month" in row.flags) == bool(exp["empty"])
    assert not mismatches, "\n".join(map(str, mismatches[:40]))
    assert checked > 500


@pytest.mark.parametrize("start,end,volume", [
    (date(2024, 2, 29), date(2025, 2, 28), 7), (date(2023, 11, 20), date(2024, 11, 19), 12_345),
    (date(2024, 3, 1), date(2024, 3, 1), 5), (date(2024, 1, 31), date(2024, 3, 1), 2),
    (date(2024, 9, 20), date(2025, 9, 19), 12_000), (date(2023, 2, 28), date(2024, 2, 29), 13),
])
def test_r7_monthly_targets_and_schedule_match_the_oracle_day_by_day(start, end, volume):
    """GIVEN awkward periods (leap day, 13 months, one day, V not divisible, ties) WHEN the domain
    computes T_m, S(d) and target_to_date THEN they equal the oracle for every day around the period (R7)."""
    from hospital_app.domain.targets import monthly_targets, schedule, target_to_date

    assert {t.key: t.target for t in monthly_targets(start, end, volume)} == o_targets(start, end, volume)
    assert sum(o_targets(start, end, volume).values()) == volume
    d = start - timedelta(days=2)
    while d <= end + timedelta(days=2):
        expected = o_schedule(start, end, d)
        assert schedule(start, end, d) == expected, d
        assert target_to_date(start, end, volume, d) == half_up(expected * volume), d
        d += timedelta(days=1)
