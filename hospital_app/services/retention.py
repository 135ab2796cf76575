"""Surplus retention estimate (R18, 结余留用) per selected product and agreement year, as of d.

saving = (pre-VBP unit price − selected unit price) × min(reported volume, counted purchases);
estimate = saving × rate (policy ``r18_retention_rate``, 50 %), rounded half up to 0.01 元.

- **counted purchases** come from the progress service (``compute_progress`` as of
  min(d, period end): the row of that product and period), never a second count;
- **pre-VBP unit price** = the hospital's total amount ÷ total base units of the same
  generic name and spec (all manufacturers) in the 12 months before execution start,
  else the product's user-entered ``reference_price``; where it came from is shown;
- **reported volume** = the batch's latest volume report known on d (submitted on or
  before d, or not yet dated): the product's own lines, else the lines of its generic
  name and spec; none → 0 with the reason (the bureau pays nothing for a generic name
  not reported);
- a pre-VBP price at or below the selected price saves nothing (0, with the reason).

The warning list (R13 v2): selected generic names bought in the report's baseline year
but missing from the volume report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Batch, Company, Product, Purchase, VolumeReport, VolumeReportLine
from hospital_app import settings
from hospital_app.domain.targets import add_months
from hospital_app.i18n import tr
from hospital_app.services.purchase_totals import line_value as amount_e4
from hospital_app.services.progress import compute_progress

CENT = Decimal("0.01")
PRICE4 = Decimal("0.0001")


@dataclass
class RetentionRow:
    product_id: int
    batch: str | None
    generic_name: str
    spec: str | None
    manufacturer: str | None
    year: int  # agreement year (1, 2, …)
    period_start: date
    period_end: date
    reported: int
    counted: int
    pre_vbp_unit_price: Decimal | None
    price_source: str | None  # "history" | "reference" | None
    selected_unit_price: Decimal | None
    saving: Decimal
    rate: Decimal
    estimate: Decimal
    note: str

    def as_dict(self) -> dict:
        """CLI.md ``retention --json`` keys, then where the inputs come from."""
        money = lambda v: None if v is None else str(v)  # noqa: E731
        return {"product_id": self.product_id, "reported": self.reported, "counted": self.counted,
                "pre_vbp_unit_price": money(self.pre_vbp_unit_price),
                "selected_unit_price": money(self.selected_unit_price), "saving": money(self.saving),
                "rate": money(self.rate), "estimate": money(self.estimate), "note": self.note,
                "batch": self.batch, "generic_name": self.generic_name, "spec": self.spec,
                "manufacturer": self.manufacturer, "year": self.year,
                "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
                "price_source": self.price_source}


@dataclass
class LeftOut:
    """A selected generic name bought in the baseline year but missing from the volume report."""

    batch: str
    generic_name: str
    spec: str | None
    bought: int

    def as_dict(self) -> dict:
        return {"batch": self.batch, "generic_name": self.generic_name, "spec": self.spec, "bought": self.bought}


@dataclass
class RetentionReport:
    as_of: date
    rate: Decimal
    rows: list[RetentionRow]
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.estimate for r in self.rows), Decimal("0.00"))

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "rate": str(self.rate), "total": str(self.total),
                "rows": [r.as_dict() for r in self.rows], "left_out": [x.as_dict() for x in self.left_out]}


def _pre_vbp_prices(session: Session, keys: set[tuple[str, str, date]]) -> dict[tuple[str, str, date], Decimal]:
    """R18: total amount ÷ total base units per (generic, spec) in the 12 months before each start."""
    by_start: dict[date, set[tuple[str, str]]] = defaultdict(set)
    for g, sp, start in keys:
        by_start[start].add((g, sp))
    out = {}
    for start, pairs in by_start.items():
        generics = sorted({g for g, _s in pairs})
        q = (select(Product.generic_name_norm, func.coalesce(Product.spec_norm, ""), func.sum(amount_e4()),
                    func.sum(Purchase.quantity))
             .join(Purchase, Purchase.product_id == Product.id)
             .where(Product.generic_name_norm.in_(generics), Purchase.purchase_date >= add_months(start, -12),
                    Purchase.purchase_date < start, amount_e4().is_not(None))
             .group_by(Product.generic_name_norm, func.coalesce(Product.spec_norm, "")))
        for g, sp, amount, units in session.execute(q):
            if (g, sp) in pairs and units and int(units) > 0 and amount is not None:
                out[(g, sp, start)] = (Decimal(int(amount)) / 10_000 / int(units)).quantize(PRICE4, ROUND_HALF_UP)
    return out


def _latest_reports(session: Session, as_of: date) -> dict[int, VolumeReport]:
    """The latest volume report of each batch known on d."""
    out: dict[int, VolumeReport] = {}
    q = (select(VolumeReport).where(VolumeReport.batch_id.is_not(None),
                                    or_(VolumeReport.submitted_on.is_(None), VolumeReport.submitted_on <= as_of))
         .order_by(VolumeReport.batch_id, VolumeReport.submitted_on, VolumeReport.id))
    for r in session.scalars(q):
        out[r.batch_id] = r  # the last one wins
    return out


def _reported(session: Session, report_ids: list[int]):
    """Reported base units per report by product id and by (generic, spec)."""
    by_product: dict[tuple[int, int], int] = defaultdict(int)
    by_name: dict[tuple[int, str, str], int] = defaultdict(int)
    names: dict[int, set[str]] = defaultdict(set)
    if not report_ids:
        return by_product, by_name, names
    q = select(VolumeReportLine.report_id, VolumeReportLine.product_id, VolumeReportLine.generic_name_norm,
               func.coalesce(VolumeReportLine.spec_norm, ""), VolumeReportLine.reported_quantity
               ).where(VolumeReportLine.report_id.in_(report_ids))
    for rid, pid, g, sp, qty in session.execute(q):
        if pid is not None:
            by_product[(rid, pid)] += int(qty or 0)
        by_name[(rid, g, sp)] += int(qty or 0)
        names[rid].add(g)
    return by_product, by_name, names


def _counted(session: Session, periods: list[tuple], as_of: date) -> dict[tuple[int, date], int]:
    """Counted purchases per (product, period start) from the progress service, one run per day."""
    out = {}
    for day in sorted({min(as_of, p.end) for p in periods}):
        for row in compute_progress(session, day).rows:
            out[(row.product_id, row.period_start)] = row.purchased
    return out


def estimate_retention(session: Session, as_of: date, year: int | None = None) -> RetentionReport:
    """R18 for every agreement period begun by d (``year``: only that agreement year)."""
    rate = settings.get(session, "r18_retention_rate")
    q = (select(AgreementPeriod.year_index, AgreementPeriod.start, AgreementPeriod.end, Product.id, Product.batch_id,
                Batch.name, Batch.execution_start, Product.generic_name, Product.generic_name_norm, Product.spec,
                func.coalesce(Product.spec_norm, ""), Company.name, Product.selected_price, Product.reference_price)
         .join(Product, Product.id == AgreementPeriod.product_id)
         .outerjoin(Batch, Batch.id == Product.batch_id)
         .outerjoin(Company, Company.id == Product.manufacturer_id)
         .where(Product.selected.is_(True), AgreementPeriod.start <= as_of)
         .order_by(Batch.name, Product.generic_name_norm, Product.spec, Product.id, AgreementPeriod.start))
    if year is not None:
        q = q.where(AgreementPeriod.year_index == year)
    periods = session.execute(q).all()
    first_start: dict[int, date] = {}
    for p in periods:
        first_start[p.id] = min(first_start.get(p.id, p.start), p.start)
    starts = {p.id: p.execution_start or first_start[p.id] for p in periods}
    prices = _pre_vbp_prices(session, {(p.generic_name_norm, p[10], starts[p.id]) for p in periods})
    reports = _latest_reports(session, as_of)
    by_product, by_name, names = _reported(session, [r.id for r in reports.values()])
    counted = _counted(session, periods, as_of)

    rows = []
    for p in periods:
        spec_norm = p[10]
        report = reports.get(p.batch_id)
        reported = 0
        if report is not None:
            reported = by_product.get((report.id, p.id)) or by_name.get((report.id, p.generic_name_norm, spec_norm), 0)
        pre = prices.get((p.generic_name_norm, spec_norm, starts[p.id]))
        source = "history" if pre is not None else None
        if pre is None and p.reference_price is not None:
            pre, source = Decimal(p.reference_price), "reference"
        selected = Decimal(p.selected_price) if p.selected_price is not None else None
        units = counted.get((p.id, p.start), 0)
        saving, note = Decimal("0.00"), ""
        if report is None:
            note = tr("该批次没有报量数据：未报量的品种不予拨付结余留用资金",
                      "No volume report for this batch: nothing is paid for a generic name not reported")
        elif reported <= 0:
            note = tr("未报量：该品种不予拨付结余留用资金",
                      "Not reported: nothing is paid for a generic name not reported")
        elif pre is None:
            note = tr("缺少集采前价格（执行前 12 个月无采购，且未填参考价）",
                      "No pre-VBP price (no purchase in the 12 months before execution and no reference price)")
        elif selected is None:
            note = tr("缺少中选价格", "No selected price")
        elif pre <= selected:
            note = tr("集采前价格不高于中选价格，无结余", "Pre-VBP price not above the selected price: no saving")
        else:
            saving = ((pre - selected) * min(reported, units)).quantize(CENT, ROUND_HALF_UP)
            note = tr("估算值", "estimate") if source == "history" else tr("估算值（集采前价格为参考价）",
                                                                         "estimate (pre-VBP price is the reference price)")
        rows.append(RetentionRow(
            product_id=p.id, batch=p.name, generic_name=p.generic_name, spec=p.spec, manufacturer=p[11],
            year=int(p.year_index or 1), period_start=p.start, period_end=p.end, reported=reported, counted=units,
            pre_vbp_unit_price=pre, price_source=source, selected_unit_price=selected, saving=saving, rate=rate,
            estimate=(saving * rate).quantize(CENT, ROUND_HALF_UP), note=note))
    return RetentionReport(as_of=as_of, rate=rate, rows=rows, left_out=_left_out(session, reports, names, as_of))


def _left_out(session: Session, reports: dict[int, VolumeReport], names: dict[int, set[str]],
              as_of: date) -> list[LeftOut]:
    """R13 v2/R18: selected generic names bought in the baseline year but not in the batch's report."""
    from hospital_app.services.volume_reports import resolve_baseline_year

    out = []
    batch_names = dict(session.execute(select(Batch.id, Batch.name)).all())
    for batch_id, report in reports.items():
        year = resolve_baseline_year(session, as_of, report.baseline_year)
        reported = names.get(report.id, set())
        selected = select(Product.generic_name_norm).where(Product.batch_id == batch_id, Product.selected.is_(True))
        q = (select(Product.generic_name_norm, func.min(Product.generic_name), func.min(Product.spec),
                    func.sum(Purchase.quantity))
             .join(Purchase, and_(Purchase.product_id == Product.id,
                                  Purchase.purchase_date >= date(year, 1, 1), Purchase.purchase_date <= date(year, 12, 31)))
             .where(Product.generic_name_norm.in_(selected))
             .group_by(Product.generic_name_norm))
        for g, name, spec, units in session.execute(q):
            if g not in reported and int(units or 0) > 0:
                out.append(LeftOut(batch_names.get(batch_id, ""), name, spec, int(units)))
    out.sort(key=lambda x: (x.batch, x.generic_name))
    return out


def export_retention(session: Session, out_path, as_of: date, year: int | None = None) -> dict:
    """R18: the estimate as a workbook (the GUI's export; the CLI's ``retention --out``)."""
    from hospital_app.reports.retention_xlsx import write_retention

    report = estimate_retention(session, as_of, year)
    path = write_retention(out_path, report, settings.get(session, "hospital.name"))
    return {"path": str(path), "rows": len(report.rows)}
