"""R21 departments: who uses a generic name, who buys non-selected, who is behind the lag.

``department_view(session, as_of)`` gives, for every progress row (a selected product in its
current agreement period, ``services.progress``), per department of the hospital:
- its selected and non-selected base units of the row's generic name in the window
  (agreement period start, or ``since`` when later, to ``as_of``; returns subtracted),
- its non-selected share (R9 classes: backup-supplier and "cheaper, equal quality" products
  are left out as in R9/R11),
- its share of the generic name's use and its part of the row's shortfall (R8) — the
  shortfall × that share, in whole units adding up to the shortfall (``domain.departments``),
- ``top_departments``: the departments behind an R9 finding (most non-selected units) or an
  R8 lag (largest part of the shortfall), at most ``TOP_N``.
- optionally (policy ``r21_department_allocation``, off by default) the agreed volume split
  by the departments' shares of the previous year's use, each with its own completion
  against the schedule (``allocation``).

Aggregation is SQL: one ``GROUP BY department, product`` per distinct window start over the
usage index (product, date, department, quantity); Python walks only the aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from db.models import Department, DepartmentUsage, Product
from hospital_app import settings
from hospital_app.domain import monitoring
from hospital_app.domain.departments import DepartmentFigure, apportion, department_figures
from hospital_app.domain.status import BEHIND, NOT_STARTED, SEVERELY_BEHIND
from hospital_app.domain.targets import add_months
from hospital_app.errors import NotFound
from hospital_app.i18n import tr
from hospital_app.services.progress import ProgressRow, compute_progress, ratio4

TOP_N = 3
LAG_STATES = (BEHIND, SEVERELY_BEHIND, NOT_STARTED)


def _r4(value: Fraction | None) -> float | None:
    """``progress.ratio4`` (half up, 4 decimals) in integer arithmetic: the JSON of 1 000 rows'
    departments stays cheap."""
    if value is None:
        return None
    q, r = divmod(value.numerator * 10_000, value.denominator)
    return (q + (1 if 2 * r >= value.denominator else 0)) / 10_000


def _figure_dict(f: DepartmentFigure) -> dict:
    return {"department": f.department, "selected": f.selected, "nonselected": f.nonselected,
            "nonselected_share": _r4(f.nonselected_share), "use_share": _r4(f.use_share),
            "shortfall_part": f.shortfall_part}


@dataclass
class AllocationLine:
    """R21 policy: one department's part of the agreed volume and its completion."""

    department: str
    last_year_share: Fraction
    allocated: int
    used: int  # the department's use of this product in the period to as_of
    completion: Fraction | None
    schedule: Fraction
    behind: bool

    def as_dict(self) -> dict:
        return {"department": self.department, "last_year_share": ratio4(self.last_year_share),
                "allocated": self.allocated, "used": self.used, "completion": ratio4(self.completion),
                "schedule": ratio4(self.schedule), "behind": self.behind}


@dataclass
class ProductDepartments:
    """One progress row and its departments (R21)."""

    product_id: int
    generic_name: str
    spec: str | None
    manufacturer: str | None
    unit: str | None
    period_start: date
    period_end: date
    window_start: date
    status: str
    shortfall: int
    nonselected_share: Fraction
    share_over: bool
    departments: list[DepartmentFigure] = field(default_factory=list)
    allocation: list[AllocationLine] | None = None

    @property
    def lagging(self) -> bool:
        return self.status in LAG_STATES

    @property
    def problem(self) -> bool:
        """An R8 lag or an R9 finding: the rows the departments page and the notice list."""
        return self.lagging or self.share_over

    def top_departments(self, n: int = TOP_N) -> list[DepartmentFigure]:
        """R21: the departments behind the row's problem — those with non-selected units when
        the row has an R9 finding, those with a part of the shortfall when it lags (R8); ranked
        by non-selected units first when the share is over, else by part of the shortfall."""
        if not self.problem:
            return []
        behind = [f for f in self.departments
                  if (self.share_over and f.nonselected > 0) or (self.lagging and f.shortfall_part > 0)]
        if not behind and self.lagging:
            # A merged consumable (R11) lags as a group with no shortfall of its own: its users.
            behind = [f for f in self.departments if f.used > 0]
        if self.share_over:
            behind.sort(key=lambda f: (-f.nonselected, -f.shortfall_part, f.department))
        else:
            behind.sort(key=lambda f: (-f.shortfall_part, -f.nonselected, f.department))
        return behind[:n]

    def as_dict(self) -> dict:
        return {
            "product_id": self.product_id, "generic_name": self.generic_name, "spec": self.spec,
            "manufacturer": self.manufacturer, "unit": self.unit,
            "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "window_start": self.window_start.isoformat(), "status": self.status, "shortfall": self.shortfall,
            "nonselected_share": ratio4(self.nonselected_share), "share_over": self.share_over,
            "departments": [_figure_dict(f) for f in self.departments],
            "top_departments": [_figure_dict(f) for f in self.top_departments()],
            "allocation": None if self.allocation is None else [a.as_dict() for a in self.allocation],
        }


@dataclass
class DepartmentsReport:
    as_of: date
    products: list[ProductDepartments]

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "products": [p.as_dict() for p in self.products]}


# ----------------------------------------------------------------------------- SQL


def _usage_by_department_product(session: Session, generics: set[str], start: date, end: date):
    """(department id, product id) → net base units, dated start..end, of products of ``generics``."""
    stmt = (select(DepartmentUsage.department_id, DepartmentUsage.product_id, func.sum(DepartmentUsage.quantity))
            .select_from(Product)
            .join(DepartmentUsage, and_(DepartmentUsage.product_id == Product.id,
                                        DepartmentUsage.usage_date >= start, DepartmentUsage.usage_date <= end))
            .where(Product.generic_name_norm.in_(sorted(generics)))
            .group_by(DepartmentUsage.department_id, DepartmentUsage.product_id))
    return session.connection().execute(stmt).all()


def _product_classes(session: Session, generics: set[str]) -> dict[int, tuple[str, str]]:
    """product id → (generic key, R9 class) for every product of ``generics``."""
    rows = session.connection().execute(
        select(Product.id, Product.generic_name_norm, Product.selected, Product.supply_role,
               Product.cheaper_equal_quality).where(Product.generic_name_norm.in_(sorted(generics)))).all()
    return {pid: (g, monitoring.share_class(selected=bool(sel), supply_role=role,
                                            cheaper_equal_quality=bool(cheaper)))
            for pid, g, sel, role, cheaper in rows}


def department_names(session: Session) -> dict[int, str]:
    return dict(session.connection().execute(select(Department.id, Department.name)).all())


def _by_generic(rows, classes, names) -> dict[str, dict[str, list[int]]]:
    """generic → department name → [selected, non-selected] units."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for dept_id, pid, qty in rows:
        generic, cls = classes.get(pid, (None, monitoring.EXCLUDED))
        if cls == monitoring.EXCLUDED:
            continue
        out[generic][names.get(dept_id, str(dept_id))][0 if cls == monitoring.SELECTED else 1] += int(qty or 0)
    return out


# ----------------------------------------------------------------------------- view


def _rows(session: Session, as_of: date, product_id: int | None) -> list[ProgressRow]:
    rows = compute_progress(session, as_of).rows
    if product_id is not None:
        rows = [r for r in rows if r.product_id == product_id]
        if not rows:
            raise NotFound(tr("产品 {id} 不是处于当前协议期的中选产品。",
                              "Product {id} is not a selected product in a current agreement period.",
                              id=product_id), column="--product")
    return rows


def department_view(session: Session, as_of: date, *, product_id: int | None = None,
                    since: date | None = None, rows: list[ProgressRow] | None = None) -> DepartmentsReport:
    """R21 per progress row (see module docstring). ``since`` narrows the usage window
    (a report period); ``rows`` reuses progress rows already computed as of ``as_of``."""
    if rows is None:
        rows = _rows(session, as_of, product_id)
    if not rows:
        return DepartmentsReport(as_of, [])
    names = department_names(session)
    windows: dict[date, set[str]] = defaultdict(set)
    for r in rows:
        windows[max(r.period_start, since) if since else r.period_start].add(r.generic_name_norm)
    classes = _product_classes(session, set().union(*windows.values()))
    usage = {start: _by_generic(_usage_by_department_product(session, generics, start, as_of), classes, names)
             for start, generics in windows.items()}
    allocate = bool(settings.get(session, "r21_department_allocation"))
    out = []
    for r in rows:
        start = max(r.period_start, since) if since else r.period_start
        per_dept = {d: (v[0], v[1]) for d, v in usage[start].get(r.generic_name_norm, {}).items()}
        item = ProductDepartments(
            product_id=r.product_id, generic_name=r.generic_name, spec=r.spec, manufacturer=r.manufacturer,
            unit=r.unit, period_start=r.period_start, period_end=r.period_end, window_start=start,
            status=r.status, shortfall=r.shortfall, nonselected_share=r.nonselected_share,
            share_over="share_over" in r.flags, departments=department_figures(per_dept, r.shortfall))
        if allocate:
            item.allocation = _allocation(session, r, as_of, names, classes)
        out.append(item)
    return DepartmentsReport(as_of, out)


def top_departments_by_product(session: Session, rows: list[ProgressRow], as_of: date) -> dict[int, list[dict]]:
    """The hook for ``progress --json``: product id → its ``top_departments`` (R21). Only rows
    with a problem (R8 lag, R9 finding) have any, so only their generic names are aggregated."""
    rows = [r for r in rows if r.status in LAG_STATES or "share_over" in r.flags]
    if not rows:
        return {}
    report = department_view(session, as_of, rows=rows)
    return {p.product_id: [_figure_dict(f) for f in p.top_departments()] for p in report.products}


# ----------------------------------------------------------------------------- allocation (policy)


def _allocation(session: Session, r: ProgressRow, as_of: date, names: dict[int, str],
                classes: dict[int, tuple[str, str]]) -> list[AllocationLine]:
    """R21 policy: the agreed volume split by the departments' shares of the generic name's
    use (selected + non-selected) in the 12 months before the period start; each department's
    completion = its use of this product in the period to ``as_of`` / its part; behind when
    below the row's schedule S(d)."""
    last_start = add_months(r.period_start, -12)
    last_end = min(as_of, r.period_start - timedelta(days=1))
    prev = _by_generic(_usage_by_department_product(session, {r.generic_name_norm}, last_start, last_end),
                       classes, names).get(r.generic_name_norm, {})
    depts = sorted(prev)
    weights = [max(0, prev[d][0] + prev[d][1]) for d in depts]
    whole = sum(weights)
    parts = apportion(r.agreed_volume, weights)
    own = defaultdict(int)
    for dept_id, pid, qty in _usage_by_department_product(session, {r.generic_name_norm}, r.period_start, as_of):
        if pid == r.product_id:
            own[names.get(dept_id, str(dept_id))] += int(qty or 0)
    lines = []
    for d, w, part in zip(depts, weights, parts):
        if w <= 0:
            continue
        completion = Fraction(max(0, own[d]), part) if part else None
        lines.append(AllocationLine(d, Fraction(w, whole), part, own[d], completion, r.schedule,
                                    behind=completion is not None and completion < r.schedule))
    lines.sort(key=lambda a: (-a.allocated, a.department))
    return lines


# ----------------------------------------------------------------------------- per department


@dataclass
class DepartmentSummary:
    """One department across the rows of a view (R21): its totals and its problems."""

    department: str
    selected: int = 0
    nonselected: int = 0
    shortfall_part: int = 0  # summed over the lagging rows
    lagging_products: int = 0  # lagging rows it has a part of the shortfall in
    share_products: int = 0  # R9-finding rows it bought non-selected in

    @property
    def nonselected_share(self) -> Fraction | None:
        counted = max(0, self.selected) + max(0, self.nonselected)
        return Fraction(max(0, self.nonselected), counted) if counted else None

    def as_dict(self) -> dict:
        return {"department": self.department, "selected": self.selected, "nonselected": self.nonselected,
                "nonselected_share": ratio4(self.nonselected_share), "shortfall_part": self.shortfall_part,
                "lagging_products": self.lagging_products, "share_products": self.share_products}


def summarize(report: DepartmentsReport) -> list[DepartmentSummary]:
    """R21: per department, its units over every generic name of the view (each generic name and
    window counted once, even when two selected products share it) and its part in the problems.
    Sorted by part of the shortfall, then non-selected units."""
    out: dict[str, DepartmentSummary] = {}
    counted: set[tuple[str, date]] = set()
    for p in report.products:
        first = (p.generic_name, p.window_start) not in counted
        counted.add((p.generic_name, p.window_start))
        for f in p.departments:
            s = out.setdefault(f.department, DepartmentSummary(f.department))
            if first:
                s.selected += f.selected
                s.nonselected += f.nonselected
            if p.lagging and f.shortfall_part > 0:
                s.shortfall_part += f.shortfall_part
                s.lagging_products += 1
            if p.share_over and f.nonselected > 0:
                s.share_products += 1
    return sorted(out.values(), key=lambda s: (-s.shortfall_part, -s.nonselected, s.department))


@dataclass
class DepartmentDetail:
    """One department's lagging products and non-selected use (the GUI detail, the notice)."""

    department: str
    as_of: date
    since: date | None
    summary: DepartmentSummary
    lagging: list[tuple[ProductDepartments, DepartmentFigure]]  # rows behind where it has a part
    nonselected: list[tuple[ProductDepartments, DepartmentFigure]]  # rows where it used non-selected

    def as_dict(self) -> dict:
        def line(p, f):
            return {"product_id": p.product_id, "generic_name": p.generic_name, "spec": p.spec,
                    "status": p.status, "shortfall": p.shortfall, "share_over": p.share_over,
                    "hospital_nonselected_share": ratio4(p.nonselected_share), **_figure_dict(f)}

        return {"department": self.department, "as_of": self.as_of.isoformat(),
                "since": self.since.isoformat() if self.since else None, "summary": self.summary.as_dict(),
                "lagging": [line(p, f) for p, f in self.lagging],
                "nonselected": [line(p, f) for p, f in self.nonselected]}


def department_detail(session: Session, name: str, as_of: date, *, since: date | None = None,
                      report: DepartmentsReport | None = None) -> DepartmentDetail:
    """R21: the department called ``name`` (or an alias of it): its lagging products (rows
    behind where it has a part of the shortfall, largest first) and its non-selected use
    (every row where it used non-selected units, most first)."""
    from hospital_app.services.department_names import find_department

    _id, dept = find_department(session, name)
    if report is None:
        report = department_view(session, as_of, since=since)
    summary = next((s for s in summarize(report) if s.department == dept), DepartmentSummary(dept))
    lagging, nonselected = [], []
    for p in report.products:
        f = next((f for f in p.departments if f.department == dept), None)
        if f is None:
            continue
        if p.lagging and f.shortfall_part > 0:
            lagging.append((p, f))
        if f.nonselected > 0:
            nonselected.append((p, f))
    lagging.sort(key=lambda pf: (-pf[1].shortfall_part, pf[0].generic_name))
    nonselected.sort(key=lambda pf: (-pf[1].nonselected, pf[0].generic_name))
    return DepartmentDetail(dept, as_of, since, summary, lagging, nonselected)
