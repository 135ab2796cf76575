"""One product's agreement in full (``product show``) and the per-batch summary (dashboard, PDF)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Batch, Exemption, Product, Purchase
from hospital_app import settings
from hospital_app.domain import monitoring, status as st
from hospital_app.errors import NotFound
from hospital_app.i18n import tr
from hospital_app.services.progress.engine import compute_rows, month_figures, schedule_of, targets_of
from hospital_app.services.progress.model import MonthFigure, ProgressReport, ProgressRow, ratio4


def compute_progress(session: Session, as_of: date, batch: str | None = None, months: bool = True) -> ProgressReport:
    """R7/R8/R9 for every selected product: the agreement period containing ``as_of``, else the
    final assessment of its latest ended period. ``months=False``: the assessment only, without
    the month figures and the flags and dates drawn from them (R12 clustered and empty months,
    "behind since") — for callers that count statuses and shares (the R20 indicators)."""
    units: dict[date, dict[int, int]] = {}
    ended: list = []
    rows = compute_rows(session, as_of, batch, units_since=units, months=months, ended=ended)
    return ProgressReport(as_of=as_of, rows=rows, batch=batch, units_since=units, months=months,
                          ended_periods=ended if batch is None else None)


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
    rows = compute_rows(session, as_of, product_ids=[product_id]) if product.selected else []
    row = rows[0] if rows else None
    k = Fraction(settings.get(session, "r12_cluster_factor", (product.batch.policy_overrides or None)
                              if product.batch else None))
    periods = []
    for period in sorted(product.periods, key=lambda p: p.start):
        volume = int(period.agreed_volume or 0)
        if row is not None and row.period_id == period.id:  # R11 counting as in progress
            bought = row.purchased
            months = month_figures(targets_of(period.start, period.end, volume), row.own_months,
                                   {(m.first_day.year, m.first_day.month): m.emergency for m in row.months},
                                   as_of, k, row.status in st.BEHIND_STATES, whole_period=True)
        else:  # R12 v2 marks the same way as progress (one implementation: month_figures)
            by_month: dict[tuple[int, int], int] = defaultdict(int)
            for day, qty in daily:
                if period.start <= day <= period.end:
                    by_month[(day.year, day.month)] += int(qty or 0)
            bought = sum(by_month.values())
            behind = period.start <= as_of and st.assess(
                bought, volume, schedule_of(period.start, period.end, as_of)) in st.BEHIND_STATES
            months = month_figures(targets_of(period.start, period.end, volume), by_month, {}, as_of, k, behind,
                                   whole_period=True)
        periods.append(PeriodDetail(period.id, period.year_index, period.start, period.end, volume,
                                    period.signed_on, period.start <= as_of <= period.end, months, bought))
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
        exemptions=exemptions, periods=periods, progress=row,
        proposed_periods=proposed)


@dataclass
class BatchSummary:
    batch_id: int
    batch: str
    kind: str
    products: int  # selected products of the batch
    no_current_period: int  # selected products without a period containing as_of
    counts: dict[str, int]  # per R8 status
    agreed_volume: int  # Σ base units of mixed units: for counts only, never a ratio (issue 20)
    target_to_date: int
    purchased: int
    completion: Fraction  # weights.batch_figures: Σ 元 bought / Σ 元 agreed (selected price)
    schedule: Fraction  # the same weights applied to S(d)
    weighting: str = "amount"  # weights.AMOUNT, or weights.PRODUCTS when a price is missing
    agreed_amount: Fraction = Fraction(0)  # 元 when weighting is AMOUNT
    purchased_amount: Fraction = Fraction(0)

    def as_dict(self) -> dict:
        return {"batch_id": self.batch_id, "batch": self.batch, "kind": self.kind,
                "products": self.products, "no_current_period": self.no_current_period,
                "counts": dict(self.counts), "agreed_volume": self.agreed_volume,
                "target_to_date": self.target_to_date, "purchased": self.purchased,
                "completion": ratio4(self.completion), "schedule": ratio4(self.schedule)}


def batch_summary(session: Session, as_of: date, report: ProgressReport | None = None) -> list[BatchSummary]:
    """Dashboard/PDF: per batch, counts by status and overall completion vs schedule."""
    report = report or compute_progress(session, as_of)
    # Running periods only: the final assessments of ended periods are not this year's progress.
    selected_counts = dict(session.execute(
        select(Product.batch_id, func.count(Product.id)).where(Product.selected.is_(True))
        .group_by(Product.batch_id)).all())
    by_batch: dict[int | None, list[ProgressRow]] = defaultdict(list)
    for row in report.current:
        by_batch[row.batch_id].append(row)
    from hospital_app.services.progress.weights import batch_figures, selected_prices, weights_for

    prices = selected_prices(session, (r.product_id for r in report.current))
    out = []
    for b in session.scalars(select(Batch).order_by(Batch.name)):
        rows = by_batch.get(b.id, [])
        counts = {s: 0 for s in st.STATUSES}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        fig = batch_figures(rows, weights_for(rows, prices))  # money, never tablets + vials (issue 20)
        out.append(BatchSummary(
            batch_id=b.id, batch=b.name, kind=b.kind, products=int(selected_counts.get(b.id, 0)),
            no_current_period=int(selected_counts.get(b.id, 0)) - len(rows), counts=counts,
            agreed_volume=sum(r.agreed_volume for r in rows), target_to_date=sum(r.target_to_date for r in rows),
            purchased=sum(r.purchased for r in rows), completion=fig.completion, schedule=fig.schedule,
            weighting=fig.kind, agreed_amount=fig.agreed, purchased_amount=fig.purchased))
    return out
