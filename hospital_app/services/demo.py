"""``demo``: realistic, reproducible demo data (same seed and as-of date → same data).

What it builds, relative to the as-of date (default today):
- a drug alliance batch (execution start about 18 months before as-of, 3-year cycle,
  one agreement period per year) and a consumables batch (same-group products, R11);
- ≥ 40 selected products (``--products``), non-selected originals for a third of the
  generic names, backup supplier, catalogue drugs (substitutes, R10);
- ``--months`` of purchases up to as-of with real patterns: most on track, some
  behind, one severely behind, one not started, one clustered month (R12), one
  pre-VBP price below the selected price (R14);
- orders with response and delivery times (R4), payments on time, late and open (R5);
- supply issues in every state (R3), an exemption, marks, a suspension (R17), a
  product with too many distributors (R16), a substitute mapping (R10);
- a volume report with lines beyond both R13 thresholds, exactly on them, and a
  product without history.
Purchases are written with bulk Core inserts so ``--products 2000 --purchases
500000`` stays well under a minute.
"""

from __future__ import annotations

import calendar as _cal
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select

from db.models import (
    AgreementPeriod,
    Batch,
    Company,
    Exemption,
    ImportRun,
    Order,
    Payment,
    Product,
    ProductDistributor,
    Purchase,
    Substitute,
    SupplyIssue,
    SupplyIssueEvent,
    SupplyIssuePurchase,
    VolumeReport,
    VolumeReportLine,
)
from db import order_summaries, summaries
from db.session import optimize
from hospital_app import settings
from hospital_app.domain.normalize import normalize_generic, normalize_spec
from hospital_app.domain.payments import payment_due
from hospital_app.domain.targets import add_months
from hospital_app.errors import Conflict
from hospital_app.i18n import tr
from hospital_app.services import audit
from hospital_app.services.demo_catalogue import (
    CATALOGUE,
    CONSUMABLE_MAKERS,
    CONSUMABLES,
    DISTRIBUTORS,
    DRUGS,
    MANUFACTURERS,
    ORIGINATORS,
)

DRUG_BATCH = "十六省（区）联盟药品集中带量采购（演示）"
CONSUMABLE_BATCH = "冠脉支架等医用耗材省际联盟集中带量采购（演示）"
CHUNK = 20_000
EMERGENCY_LINES = 3  # backup-supplier purchases during the verified emergency (R11)


@dataclass
class DemoOptions:
    seed: int = 1
    products: int = 48
    months: int = 24
    purchases: int | None = None
    as_of: date = field(default_factory=date.today)


def month_start(d: date) -> date:
    return d.replace(day=1)


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class _Item:
    product: Product
    monthly_use: int
    pattern: str = "on_track"
    cluster_month: date | None = None
    pre_price: Decimal | None = None  # price per base unit before execution start


class _Builder:
    def __init__(self, session, opts: DemoOptions) -> None:
        self.s = session
        self.o = opts
        self.rng = random.Random(opts.seed)
        self.as_of = opts.as_of
        self.data_start = month_start(add_months(self.as_of, -(opts.months - 1)))
        self.exec_start = add_months(self.data_start, max(0, opts.months - 18)).replace(day=20)
        if self.exec_start > self.as_of:
            self.exec_start = self.data_start
        self.companies: dict[str, Company] = {}
        self.items: list[_Item] = []  # selected products
        self.others: list[_Item] = []  # non-selected and catalogue products
        self.backup: _Item | None = None
        self.purchase_count = 0
        self.year_totals: dict[tuple[str, str], int] = defaultdict(int)

    # ------------------------------------------------------------------ helpers
    def company(self, name: str, *, manufacturer=False, distributor=False) -> Company:
        c = self.companies.get(name)
        if c is None:
            c = Company(name=name, is_manufacturer=manufacturer, is_distributor=distributor)
            self.s.add(c)
            self.companies[name] = c
        c.is_manufacturer = c.is_manufacturer or manufacturer
        c.is_distributor = c.is_distributor or distributor
        return c

    def months(self) -> list[date]:
        out, m = [], self.data_start
        while m <= self.as_of:
            out.append(m)
            m = add_months(m, 1)
        return out

    # ------------------------------------------------------------------ batches
    def build_batches(self) -> tuple[Batch, Batch]:
        drug = Batch(name=DRUG_BATCH, kind="drug", level="alliance", execution_start=self.exec_start,
                     cycle_years=3, cycle_end=add_months(self.exec_start, 36) - timedelta(days=1),
                     policy_overrides={}, notes=tr("演示数据", "demo data"))
        cons_start = month_start(add_months(self.as_of, -10))
        cons = Batch(name=CONSUMABLE_BATCH, kind="consumable", level="alliance",
                     execution_start=cons_start, cycle_years=2,
                     cycle_end=add_months(cons_start, 24) - timedelta(days=1), policy_overrides={},
                     notes=tr("演示数据", "demo data"))
        self.s.add_all([drug, cons])
        return drug, cons

    def periods(self, product: Product, start: date, years: int, volume_year1: int,
                later_factor: float) -> None:
        for i in range(years):
            p_start = add_months(start, 12 * i)
            if p_start > add_months(self.as_of, 12):
                break
            volume = volume_year1 if i == 0 else int(volume_year1 * later_factor)
            product.periods.append(AgreementPeriod(
                year_index=i + 1, start=p_start, end=add_months(start, 12 * (i + 1)) - timedelta(days=1),
                agreed_volume=volume, signed_on=p_start - timedelta(days=self.rng.randint(3, 20))))

    # ------------------------------------------------------------------ products
    def build_products(self, drug: Batch, cons: Batch) -> None:
        rng = self.rng
        n_cons = min(len(CONSUMABLES), max(0, self.o.products // 6))
        n_drugs = max(1, self.o.products - n_cons - 1)  # the backup supplier is the last one
        patterns = {0: "on_track", 1: "on_track", 2: "not_started", 3: "clustered",
                    4: "severely_behind", 5: "behind", 6: "behind", 7: "on_track"}
        extra_batches: dict[int, Batch] = {}
        for i in range(n_drugs):
            base = DRUGS[i % len(DRUGS)]
            variant = i // len(DRUGS)
            generic, form, spec, upp, unit, pack_unit, price, use = base
            batch = drug
            if variant:
                batch = extra_batches.get(variant)
                if batch is None:
                    batch = Batch(name=f"第{variant}批扩展药品集中带量采购（演示）", kind="drug",
                                  level="national", execution_start=self.exec_start, cycle_years=3,
                                  cycle_end=add_months(self.exec_start, 36) - timedelta(days=1),
                                  policy_overrides={}, notes=tr("演示数据", "demo data"))
                    self.s.add(batch)
                    extra_batches[variant] = batch
            maker = self.company(MANUFACTURERS[(i * 7 + variant) % len(MANUFACTURERS)], manufacturer=True)
            price_d = Decimal(price)
            use = max(10, int(use * rng.uniform(0.7, 1.3)))
            p = Product(batch=batch, code=f"XY{22 + variant:02d}{i:05d}", generic_name=generic,
                        generic_name_norm=normalize_generic(generic), dosage_form=form, spec=spec,
                        spec_norm=normalize_spec(spec), pack_desc=f"{spec}*{upp}{unit}/{pack_unit}",
                        units_per_pack=upp, base_unit=unit, pack_unit=pack_unit, manufacturer=maker,
                        selected=True, category="selected", supply_role="primary", selected_price=price_d,
                        approval_number=f"国药准字H2{(i * 7919) % 10**7:07d}")
            self.s.add(p)
            volume1 = int(use * 12 * rng.uniform(0.7, 0.9))
            later = 0.85 if i == 12 else rng.uniform(1.0, 1.1)  # i == 12: R6 later year below first
            self.periods(p, self.exec_start, 3, volume1, later)
            pattern = patterns.get(i) or rng.choices(
                ["on_track", "behind", "ahead", "severely_behind"], [70, 15, 10, 5])[0]
            item = _Item(p, use, pattern)
            # Before the batch the hospital paid more — except one (R14: pre-VBP price lower).
            item.pre_price = _q(price_d * Decimal("0.9") if i == 1 else price_d * Decimal(str(rng.uniform(1.8, 4.0))),
                                "0.0001")
            if pattern == "clustered":
                item.cluster_month = month_start(add_months(self.as_of, -3))
            self.items.append(item)
            # A third of the generic names also have a non-selected original.
            if i % 3 == 0:
                orig = self.company(ORIGINATORS[i % len(ORIGINATORS)], manufacturer=True)
                np_ = Product(batch=None, code=f"YP{i:06d}", generic_name=generic,
                              generic_name_norm=normalize_generic(generic), dosage_form=form, spec=spec,
                              spec_norm=normalize_spec(spec), units_per_pack=upp, base_unit=unit,
                              pack_unit=pack_unit, manufacturer=orig, selected=False, category="nonselected")
                self.s.add(np_)
                share = rng.uniform(0.05, 0.25) if i != 9 else 0.45  # i == 9: R9 share finding
                self.others.append(_Item(np_, int(use * share / (1 - share)) + 1, "nonselected",
                                         pre_price=_q(price_d * Decimal(str(rng.uniform(3, 8))), "0.0001")))
        # Backup supplier (备供) of the second drug: bought during a verified emergency (R11).
        g = self.items[min(1, len(self.items) - 1)].product
        backup_maker = self.company("华海药业（备供）股份有限公司", manufacturer=True)
        bp = Product(batch=g.batch, code=g.code + "B", generic_name=g.generic_name,
                     generic_name_norm=g.generic_name_norm, dosage_form=g.dosage_form, spec=g.spec,
                     spec_norm=g.spec_norm, units_per_pack=g.units_per_pack, base_unit=g.base_unit,
                     pack_unit=g.pack_unit, manufacturer=backup_maker, selected=True, category="selected",
                     supply_role="backup", selected_price=g.selected_price)
        self.s.add(bp)
        self.backup = _Item(bp, 0, "backup")
        # Consumables: same company and same group are assessed together (R11).
        for j in range(n_cons):
            generic, spec, upp, unit, pack_unit, price, use, group = CONSUMABLES[j]
            maker = self.company(CONSUMABLE_MAKERS[j % len(CONSUMABLE_MAKERS)] if j > 1 else CONSUMABLE_MAKERS[0],
                                 manufacturer=True)
            p = Product(batch=cons, code=f"HC{j:05d}", generic_name=generic,
                        generic_name_norm=normalize_generic(generic), dosage_form=None, spec=spec,
                        spec_norm=normalize_spec(spec), units_per_pack=upp, base_unit=unit, pack_unit=pack_unit,
                        manufacturer=maker, selected=True, category="selected", supply_role="primary",
                        group_name=group, selected_price=Decimal(price))
            self.s.add(p)
            self.periods(p, cons.execution_start, 2, int(use * 12 * 0.8), 1.0)
            self.items.append(_Item(p, use, "on_track" if j % 4 else "behind",
                                    pre_price=_q(Decimal(price) * Decimal("2.5"), "0.0001")))
        # Catalogue drugs (substitutes of statins, antihypertensives).
        for k, (generic, form, spec, upp, unit, pack_unit, price, use) in enumerate(CATALOGUE):
            maker = self.company(ORIGINATORS[(k + 3) % len(ORIGINATORS)], manufacturer=True)
            p = Product(batch=None, code=f"ML{k:05d}", generic_name=generic,
                        generic_name_norm=normalize_generic(generic), dosage_form=form, spec=spec,
                        spec_norm=normalize_spec(spec), units_per_pack=upp, base_unit=unit, pack_unit=pack_unit,
                        manufacturer=maker, selected=False, category="catalogue")
            self.s.add(p)
            self.others.append(_Item(p, use, "rising" if k == 0 else "catalogue", pre_price=Decimal(price)))
        for name in DISTRIBUTORS:
            self.company(name, distributor=True)
        self.s.flush()

    # ------------------------------------------------------------------ purchases
    def segments(self, item: _Item, month: date) -> list[tuple[date, date, int]]:
        """(first day, last day, base units) bought in a month, one segment per agreement
        period the month overlaps (and one for the days before the batch started), so a
        partial first or last month gets its share only (R7 weights, no false R12 cluster)."""
        rng = self.rng
        p = item.product
        month_end = date(month.year, month.month, _cal.monthrange(month.year, month.month)[1])
        last = min(month_end, self.as_of)
        days_in_month = month_end.day

        def share(lo: date, hi: date) -> float:
            return ((hi - lo).days + 1) / days_in_month

        if item.pattern == "backup":
            return []
        if item.pattern in ("nonselected", "catalogue", "rising"):
            base = item.monthly_use
            if item.pattern == "rising":  # substitutes growing year over year (R10)
                base = int(base * (1 + 0.04 * ((month.year - self.data_start.year) * 12 + month.month)))
            return [(month, last, int(base * rng.uniform(0.8, 1.2) * share(month, last)))]
        start = p.batch.execution_start if p.batch else self.exec_start
        out = []
        if month < start:  # before the batch: the hospital bought less of this maker
            hi = min(last, start - timedelta(days=1))
            out.append((month, hi, int(item.monthly_use * 0.3 * rng.uniform(0.8, 1.2) * share(month, hi))))
        for period in p.periods:
            lo, hi = max(month, period.start), min(last, period.end)
            if lo > hi:
                continue
            target = period.agreed_volume / 12
            factor = {"on_track": rng.uniform(1.0, 1.25), "ahead": rng.uniform(1.4, 1.7),
                      "behind": rng.uniform(0.7, 0.88), "severely_behind": rng.uniform(0.35, 0.55),
                      "clustered": rng.uniform(0.95, 1.15), "not_started": rng.uniform(0.9, 1.1)}[item.pattern]
            if item.pattern == "not_started" and period.year_index >= 2:
                factor = 0.0  # the current year has not started at all (R8 not_started)
            if item.cluster_month == month:
                factor = 3.2  # R12 clustered buying
            if item.pattern == "behind" and month == month_start(add_months(self.as_of, -1)):
                factor = 0.0  # an empty month while behind (R12 warning)
            out.append((lo, hi, int(target * factor * share(lo, hi))))
        return out

    def build_purchases(self) -> None:
        months = self.months()
        everything = self.items + self.others
        slots: list[tuple[_Item, date, date, int]] = []
        for item in everything:
            for m in months:
                for lo, hi, q in self.segments(item, m):
                    if q > 0:
                        slots.append((item, lo, hi, q))
        if self.o.purchases:
            # --purchases is the exact total, the emergency lines included.
            budget = max(0, self.o.purchases - EMERGENCY_LINES)
            per, extra = divmod(budget, max(1, len(slots)))
            lines_per_slot = [per + (1 if i < extra else 0) for i in range(len(slots))]
        else:
            lines_per_slot = [self.rng.randint(1, 4) for _ in slots]
        distributors = [c.id for c in self.companies.values() if c.is_distributor]
        self.s.flush()
        rows: list[dict] = []
        seq = 0
        last_year = self.as_of.year - 1
        rng = self.rng
        for (item, lo, hi, qty), n_lines in zip(slots, lines_per_slot):
            if n_lines == 0:
                continue
            p = item.product
            upp = p.units_per_pack or 1
            packs = max(n_lines, round(qty / upp))
            span = (hi - lo).days
            start = p.batch.execution_start if (p.batch and p.selected) else None
            for k in range(n_lines):
                share = packs // n_lines + (1 if k < packs % n_lines else 0)
                base_units = max(1, share) * upp
                d = lo + timedelta(days=rng.randint(0, span))
                seq += 1
                order_no = f"DD{d:%Y%m}{seq:07d}"
                ot = datetime.combine(d, time(8 + rng.randint(0, 9), rng.choice((0, 15, 30, 45))))
                price = item.pre_price if (start and d < start) or not p.selected else p.selected_price
                price = price or item.pre_price or Decimal("1")
                rows.append({
                    "product_id": p.id, "dedup_key": f"{order_no}#1", "order_no": order_no, "line_no": 1,
                    "order_time": ot, "purchase_date": d, "quantity": base_units, "unit_price": price,
                    "amount": _q(price * base_units, "0.01"),
                    "distributor_id": distributors[(p.id + k) % len(distributors)],
                    "is_return": False, "source_file": "demo", "source_row": None,
                })
                if d.year == last_year:
                    self.year_totals[(p.generic_name_norm, p.spec_norm)] += base_units
                if len(rows) >= CHUNK:
                    self.flush_purchases(rows)
                    rows = []
        self.flush_purchases(rows)

    def flush_purchases(self, rows: list[dict]) -> None:
        if rows:
            self.s.execute(insert(Purchase), rows)
            self.purchase_count += len(rows)

    # ------------------------------------------------------------------ orders, payments
    def build_orders(self) -> int:
        """One platform order per purchase line (R4), and its payment (R5).

        Every line has its order, as on the platform, so that the scale demo (500 000 lines)
        measures R4/R5 at hospital scale (issue 21). Written in chunks with explicit ids.
        """
        slow = {c.id for c in self.companies.values() if c.name == DISTRIBUTORS[-1]}
        now = datetime.combine(self.as_of, time(18))
        next_id = (self.s.execute(select(func.max(Order.id))).scalar() or 0) + 1
        count, after = 0, 0
        while True:  # a chunk of purchase lines at a time: memory stays flat at 500 000 lines
            lines = self.s.execute(
                select(Purchase.id, Purchase.order_no, Purchase.order_time, Purchase.distributor_id,
                       Purchase.product_id, Purchase.quantity, Purchase.amount)
                .where(Purchase.id > after, Purchase.order_time.is_not(None), Purchase.source_file == "demo")
                .order_by(Purchase.id).limit(CHUNK)).all()
            if not lines:
                break
            after = lines[-1][0]
            order_rows, payments = [], []
            for _, order_no, placed, dist, product_id, qty, amount in lines:
                row = self._order(next_id, order_no, placed, dist, product_id, qty, amount, slow, now)
                order_rows.append(row)
                payment = self._payment(row)
                if payment is not None:
                    payments.append(payment)
                next_id += 1
            self.s.execute(insert(Order), order_rows)
            if payments:
                self.s.execute(insert(Payment), payments)
            count += len(order_rows)
        return count

    def _order(self, order_id, order_no, placed, dist, product_id, qty, amount, slow, now) -> dict:
        rng = self.rng
        emergency = rng.random() < 0.05
        late_resp = rng.random() < (0.12 if dist in slow else 0.02)
        responded = placed + timedelta(hours=rng.uniform(50, 72) if late_resp else rng.uniform(0.5, 30))
        window = 4 if emergency else 48
        late_del = rng.random() < (0.2 if dist in slow else 0.05)
        delivered = placed + timedelta(hours=rng.uniform(window + 1, window + 30) if late_del
                                       else rng.uniform(0.5, window - 0.2) if emergency
                                       else rng.uniform(4, window - 1))
        if delivered < responded and not emergency:
            delivered = responded + timedelta(hours=1)
        if responded > now:
            responded = None
        if delivered > now or responded is None:
            delivered = None
        short = delivered is not None and qty and qty > 1 and rng.random() < 0.03
        return {
            "id": order_id, "dedup_key": f"{order_no}#1", "order_no": order_no, "line_no": 1,
            "company_id": dist, "product_id": product_id, "quantity": qty,
            "delivered_quantity": (qty // 2) if short else (qty if delivered else None),
            "amount": amount, "placed_at": placed, "responded_at": responded, "delivered_at": delivered,
            "accepted_on": delivered.date() if delivered else None, "emergency": emergency,
            "source_file": "demo",
        }

    def _payment(self, order: dict) -> dict | None:
        """Paid on time mostly, some late (R5); only recent deliveries are still open."""
        accepted = order["accepted_on"]
        if accepted is None:
            return None
        rng = self.rng
        due = payment_due(accepted)  # R5
        r = rng.random()
        if r < 0.86:
            paid = accepted + timedelta(days=rng.randint(15, (due - accepted).days))
        elif r < 0.94 or due < self.as_of - timedelta(days=60):
            paid = due + timedelta(days=rng.randint(3, 40))  # late (R5)
        else:
            paid = None  # still open
        if paid is None or paid > self.as_of:
            return None
        return {"order_id": order["id"], "amount": order["amount"] or Decimal("0"), "paid_on": paid,
                "reference": f"ZF{order['order_no'][2:]}", "source": "import",
                "dedup_key": f"demo:{order['order_no']}", "version": 1}

    # ------------------------------------------------------------------ supply issues
    def build_issues(self) -> int:
        at = lambda days, hour=10: datetime.combine(self.as_of - timedelta(days=days), time(hour))  # noqa: E731
        drugs = [i.product for i in self.items if i.product.batch and i.product.batch.kind == "drug"]
        dist = self.companies[DISTRIBUTORS[0]]
        specs = [
            # (product index, type, reported days ago, state, description)
            (0, "late_delivery", 1, "open", "配送企业未按约定时间送达，门诊药房库存不足 3 天。"),
            (3, "shortage", 12, "open", "中选产品断货，企业称原料药紧张。"),
            (5, "selective_delivery", 20, "replied", "配送企业只配送大包装规格，小包装拒绝配送。"),
            (6, "packaging", 25, "replied_late_promise", "外包装破损率高，批号印刷不清。"),
            (1, "shortage", 40, "resolved", "中选产品断供，已启用备供企业产品。"),
            (8, "batch_number_printing", 70, "closed", "最小包装批号印刷不清，无法追溯。"),
            (4, "no_delivery", 30, "escalated", "达到约定采购量后企业停止配送。"),
        ]
        n = 0
        for idx, type_, days, state, text in specs:
            if idx >= len(drugs):
                continue
            p = drugs[idx]
            reported = at(days)
            type_ = "stopped_after_volume" if type_ == "no_delivery" else type_
            issue = SupplyIssue(product_id=p.id, company_id=p.manufacturer_id, distributor_id=dist.id,
                                type=type_, description=text, status="open", reported_at=reported,
                                reported_by="药剂科 王药师", insurance_notified_at=reported + timedelta(hours=1))
            issue.events.append(SupplyIssueEvent(at=reported, who="王药师", action="filed", to_status="open",
                                                 detail=text))
            if state in ("replied", "replied_late_promise", "resolved", "closed"):
                replied = reported + timedelta(days=1, hours=3)
                issue.replied_at, issue.status = replied, "replied"
                issue.reply_text = "已协调仓库加急补货。"
                promise_days = 14 if state == "replied_late_promise" else 4
                issue.promised_date = (replied + timedelta(days=promise_days)).date()
                issue.events.append(SupplyIssueEvent(at=replied, who="王药师", action="replied",
                                                     from_status="open", to_status="replied",
                                                     detail=issue.reply_text))
                if state in ("resolved", "closed"):
                    resolved = replied + timedelta(days=3)
                    issue.resolved_at, issue.status = resolved, "resolved"
                    issue.resolution_text = "已恢复正常供应。"
                    issue.events.append(SupplyIssueEvent(at=resolved, who="王药师", action="resolved",
                                                         from_status="replied", to_status="resolved",
                                                         detail=issue.resolution_text))
                    if state == "closed":
                        closed = resolved + timedelta(days=2)
                        issue.closed_at, issue.status = closed, "closed"
                        issue.events.append(SupplyIssueEvent(at=closed, who="李主任", action="closed",
                                                             from_status="resolved", to_status="closed"))
            if state == "escalated":
                esc = reported + timedelta(days=8)
                issue.escalated_at, issue.status = esc, "escalated"
                issue.events.append(SupplyIssueEvent(at=esc, who="李主任", action="escalated",
                                                     from_status="open", to_status="escalated",
                                                     detail="逾期未答复，已致函医保局。"))
            if idx == 1 and self.backup is not None:
                issue.emergency_verified = True
                issue.bureau_confirmed_at = reported + timedelta(days=2)  # verified (R11 v2)
                self.s.add(issue)
                self.s.flush()
                self.emergency_backup_purchases(issue, reported)
            self.s.add(issue)
            n += 1
        self.s.flush()
        return n

    def emergency_backup_purchases(self, issue: SupplyIssue, reported: datetime) -> None:
        """Backup-supplier purchases during a verified supply emergency (R11)."""
        bp = self.backup.product
        rows = []
        for k in range(EMERGENCY_LINES):
            d = (reported + timedelta(days=2 + 3 * k)).date()
            order_no = f"BG{d:%Y%m%d}{k:03d}"
            rows.append({"product_id": bp.id, "dedup_key": f"{order_no}#1", "order_no": order_no, "line_no": 1,
                         "order_time": datetime.combine(d, time(9)), "purchase_date": d,
                         "quantity": 10 * (bp.units_per_pack or 1), "unit_price": bp.selected_price,
                         "amount": _q(bp.selected_price * 10 * (bp.units_per_pack or 1), "0.01"),
                         "distributor_id": issue.distributor_id, "is_return": False, "source_file": "demo"})
        self.flush_purchases(rows)
        ids = self.s.scalars(select(Purchase.id).where(Purchase.product_id == bp.id)).all()
        self.s.execute(insert(SupplyIssuePurchase), [{"issue_id": issue.id, "purchase_id": i} for i in ids])

    # ------------------------------------------------------------------ adjustments
    def build_adjustments(self) -> None:
        items = [i.product for i in self.items]
        if len(items) > 7:
            self.s.add(Exemption(product_id=items[7].id, reason="key_monitoring",
                                 document_ref="吉卫医发〔2024〕12号", note="列入重点监控合理用药药品目录",
                                 start=self.exec_start, created_by="李主任"))
        if len(items) > 8:
            items[8].is_shortage = True
        if len(items) > 9:
            items[9].is_emergency = True
        if len(items) > 10:
            items[10].suspended_on = self.as_of - timedelta(days=60)
            items[10].suspension_reason = "临床反馈疑似不良反应聚集，暂停使用待评估。"
            items[10].suspension_reported_to = ["manufacturer", "health_authority", "drug_authority"]
        distributors = [c for c in self.companies.values() if c.is_distributor]
        for n, p in enumerate(items):
            count = 6 if n == 11 else 1 + n % 3  # n == 11: more than 5 distributors (R16)
            for c in distributors[:count]:
                self.s.add(ProductDistributor(product_id=p.id, company_id=c.id))
        self.s.add(Substitute(selected_generic_norm=normalize_generic("阿托伐他汀钙片"),
                              substitute_generic_name="匹伐他汀钙片",
                              substitute_generic_norm=normalize_generic("匹伐他汀钙片"),
                              note="同类他汀，需控制替代使用", created_by="李主任"))

    # ------------------------------------------------------------------ volume report (R13)
    def build_volume_report(self, drug: Batch) -> int:
        report = VolumeReport(batch_id=drug.id, name=f"{self.as_of.year + 1}年度报量（演示）",
                              cycle=str(self.as_of.year + 1), source_file="demo")
        lines = []
        used: set[tuple[str, str]] = set()
        candidates = [i.product for i in self.items if i.product.batch is drug]

        def pick(pred):
            for p in candidates:
                key = (p.generic_name_norm, p.spec_norm)
                if key not in used and pred(self.year_totals.get(key, 0)):
                    used.add(key)
                    return p, self.year_totals.get(key, 0)
            return None, 0

        plan = [
            ("minus30", lambda b: b > 0, lambda b: b * 7 // 10),
            ("plus200", lambda b: b > 0, lambda b: b * 3),
            ("minus20_exact", lambda b: b > 0 and b % 5 == 0, lambda b: b * 4 // 5),
            ("plus150_exact", lambda b: b > 0 and b % 2 == 0, lambda b: b * 5 // 2),
        ]
        for _, pred, make in plan:
            p, b = pick(pred)
            if p is not None:
                lines.append((p, make(b)))
        for p in candidates:
            key = (p.generic_name_norm, p.spec_norm)
            if key in used or len(lines) >= 20:
                continue
            used.add(key)
            b = self.year_totals.get(key, 0)
            lines.append((p, int(b * self.rng.uniform(0.9, 1.3)) or 100))
        for p, reported in lines:
            report.lines.append(VolumeReportLine(
                product_id=p.id, product_code=p.code, generic_name=p.generic_name,
                generic_name_norm=p.generic_name_norm, dosage_form=p.dosage_form, spec=p.spec,
                spec_norm=p.spec_norm, manufacturer=p.manufacturer.name if p.manufacturer else None,
                reported_quantity=max(0, reported)))
        # A product with no purchase history at all ("no_history").
        report.lines.append(VolumeReportLine(
            product_code="XY9900001", generic_name="达格列净片", generic_name_norm=normalize_generic("达格列净片"),
            dosage_form="片剂", spec="10mg", spec_norm=normalize_spec("10mg"), manufacturer="江苏恒瑞医药股份有限公司",
            reported_quantity=1200))
        self.s.add(report)
        return len(report.lines)


def _has_data(session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Product)))


def generate_demo(db, options: DemoOptions) -> dict:
    """Fill an empty database with demo data. Returns a summary (counts).

    A database that already holds demo data is left as it is (the README's set-up
    command can be run twice); one that holds real data is refused (Conflict, exit 4).
    """
    with db.session() as s:
        if _has_data(s):
            previous = s.scalar(select(ImportRun).where(ImportRun.kind == "demo").limit(1))
            if previous is not None:
                return {"status": "exists", "note": tr("数据库中已有演示数据，未做更改。",
                                                       "The database already holds demo data; nothing changed."),
                        "products": s.scalar(select(func.count()).select_from(Product)),
                        "purchases": s.scalar(select(func.count()).select_from(Purchase))}
            raise Conflict(tr("数据库中已有业务数据，演示数据只能写入空数据库。请用 --db 指定一个新文件。",
                              "The database already holds real data; demo data only goes into an empty "
                              "database. Use --db with a new file."))
        b = _Builder(s, options)
        drug, cons = b.build_batches()
        b.build_products(drug, cons)
        with summaries.bulk(s.connection()):  # 500 000 lines: the monthly sums once, after
            b.build_purchases()
        with order_summaries.bulk(s.connection()):  # 500 000 orders and their payments: summaries once, after
            orders = b.build_orders()
        issues = b.build_issues()
        b.build_adjustments()
        lines = b.build_volume_report(drug)
        from hospital_app.services.demo_departments import build_department_usage

        usage_lines = build_department_usage(s, options.as_of, options.seed)  # R21 (issue 19)
        for key, value in (("hospital.name", "示例市第一人民医院（演示）"), ("hospital.code", "H22020000001"),
                           ("hospital.department", "药学部"), ("hospital.responsible", "王药师"),
                           ("hospital.contact", "药学部 王药师 0432-00000000"), ("hospital.region", "示例市")):
            if not settings.get(s, key):
                settings.set_value(s, key, value, who="demo")
        s.add(ImportRun(kind="demo", file_name=f"demo seed={options.seed}", sha256="-" * 64,
                        rows=b.purchase_count, inserted=b.purchase_count, who=audit.current_user(),
                        finished_at=datetime.now()))
        summary = {
            "status": "created",
            "seed": options.seed,
            "as_of": options.as_of.isoformat(),
            "batches": s.scalar(select(func.count()).select_from(Batch)),
            "selected_products": len(b.items) + 1,
            "products": s.scalar(select(func.count()).select_from(Product)),
            "purchases": b.purchase_count,
            "orders": orders,
            "supply_issues": issues,
            "volume_report_lines": lines,
            "department_usage_lines": usage_lines,
        }
        audit.record(s, None, "demo.generate", "database", None, None, summary)
    optimize(db)  # planner statistics after the bulk insert (issue 12)
    return summary
