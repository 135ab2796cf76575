"""R13: check reported volumes (报量) against the baseline and keep their explanatory notes.

- ``check_volumes`` — every line of every volume report with baseline, change and verdict.
- ``draft_notes`` / ``list_notes`` / ``get_note`` / ``set_note`` / ``sign_note`` /
  ``reopen_note`` — the note each line beyond the thresholds needs: drafted from the
  data, edited (reasons + free text), signed off (locked) and, if need be, reopened.
  Every change is audited.
- ``export_notes`` — the notes of the lines that need one, as PDF or xlsx.

Groups (R13 v2): lines of one report with the same generic name and spec (all
manufacturers) form one group, checked once against one baseline: one row per group, its
note kept on the group's first line. Coverage (R13 v2): when the purchase data (up to as-of)
do not cover the whole baseline year, the row says ``baseline_covered = False``, and the note
says "采购数据只覆盖 …" instead of reading a gap as "no purchases".

Baseline (R13): purchases of the line's generic name and spec in the baseline
calendar year, selected and non-selected products alike, net of returns, in base
units. Specs count as the same under ``domain.volume_check.spec_key`` ("0.25g" =
"250mg"). The purchase sums are SQL ``GROUP BY`` per (generic name, spec) — only
the handful of grouped rows are merged under the spec key in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from db.models import Batch, ExplanatoryNote, Product, Purchase, VolumeReport, VolumeReportLine
from db.sql_hints import min_and_max
from db.types import AMOUNT
from hospital_app import settings
from hospital_app.domain import volume_check as vc
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.services import audit, purchase_totals

_IN_CHUNK = 500  # generic names per IN (...) list

NOTE_NONE, NOTE_DRAFT, NOTE_SIGNED = "none", "draft", "signed"


# ------------------------------------------------------------------------ data types


@dataclass(frozen=True)
class VolumeCheckRow:
    """R13 verdict for one volume-report line (plain data for CLI, GUI and reports)."""

    line_id: int
    report_id: int
    report_name: str
    product_code: str | None
    generic_name: str
    generic_name_norm: str
    dosage_form: str | None
    spec: str | None
    spec_key: str
    manufacturer: str | None
    baseline_year: int
    baseline: int
    reported: int
    change: Fraction | None
    needs_explanation: bool
    reason: str | None
    baseline_covered: bool = True  # R13 v2: the purchase data cover the whole baseline year
    data_from: date | None = None  # first purchase date on record (up to as-of)
    data_to: date | None = None  # last purchase date on record (up to as-of)
    line_ids: tuple[int, ...] = ()  # R13 v2: the group's lines (all manufacturers)
    manufacturers: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The keys of CLI.md ``volume-check --json`` (version 2: ``baseline_covered``, ``data_to``)."""
        return {
            "generic_name": self.generic_name,
            "spec": self.spec or "",
            "baseline": self.baseline,
            "reported": self.reported,
            "change": vc.round_ratio(self.change),
            "needs_explanation": self.needs_explanation,
            "reason": self.reason,
            "baseline_covered": self.baseline_covered,
            "data_to": self.data_to.isoformat() if self.data_to else None,
        }


@dataclass(frozen=True)
class MonthFigure:
    month: str  # "2024-03"
    quantity: int


@dataclass(frozen=True)
class NoteView:
    """A line's explanatory note with the data it is drafted from (R13).

    ``status`` is ``none`` when no note has been stored yet (``draft_text`` is then
    what ``draft_notes`` would store).
    """

    row: VolumeCheckRow
    status: str
    reasons: list[str]
    free_text: str
    draft_text: str
    months: list[MonthFigure] = field(default_factory=list)
    trend: str = vc.STABLE
    note_id: int | None = None
    version: int | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None

    @property
    def line_id(self) -> int:
        return self.row.line_id

    def reason_labels(self) -> list[str]:
        return [vc.reason_label(k) for k in self.reasons if k in vc.REASONS]

    def as_dict(self) -> dict:
        return {
            "line_id": self.row.line_id,
            "note_id": self.note_id,
            "report": self.row.report_name,
            "product_code": self.row.product_code,
            **self.row.as_dict(),
            "baseline_year": self.row.baseline_year,
            "status": self.status,
            "reasons": list(self.reasons),
            "free_text": self.free_text,
            "draft_text": self.draft_text,
            "months": [{"month": m.month, "quantity": m.quantity} for m in self.months],
            "trend": self.trend,
            "signed_by": self.signed_by,
            "signed_at": self.signed_at,
            "version": self.version,
        }


# ------------------------------------------------------------------------- baseline


def resolve_baseline_year(session: Session, as_of: date, baseline_year: int | None = None,
                          batch_overrides: dict | None = None) -> int:
    """R13 (policy): explicit year, else the setting ``r13_baseline_year``; 0 = last year."""
    if baseline_year is not None:
        if not 1900 <= baseline_year <= 2100:
            raise BadInput(tr("基线年份无效：{y}", "Invalid baseline year: {y}", y=baseline_year))
        return baseline_year
    configured = settings.get(session, "r13_baseline_year", batch_overrides)
    return configured or as_of.year - 1


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield list(items[i:i + _IN_CHUNK])


def _purchase_sums(session: Session, generics: Iterable[str], start: date, end: date,
                   by_month: bool = False) -> dict[tuple, int]:
    """Net purchases (base units) between ``start`` and ``end`` inclusive (``purchase_totals``).

    Keyed by (generic_name_norm, spec_key) — plus (year, month) when ``by_month``.
    All products count, selected and non-selected alike (R13).
    """
    out: dict[tuple, int] = defaultdict(int)
    names = sorted(set(generics))
    if not names:
        return out
    for chunk in _chunks(names):
        where = Product.generic_name_norm.in_(chunk)
        keys = {pid: (generic, vc.spec_key(spec_norm or spec)) for pid, generic, spec_norm, spec in session.execute(
            select(Product.id, Product.generic_name_norm, Product.spec_norm, Product.spec).where(where))}
        if by_month:
            for pid, months in purchase_totals.quantities_per_month(session, start, end, where).items():
                for (year, month), quantity in months.items():
                    out[(*keys[pid], year, month)] += quantity
        else:
            for pid, sums in purchase_totals.per_product(session, start, end, where).items():
                out[keys[pid]] += sums.quantity
    return out


def _line_key(line: VolumeReportLine) -> tuple[str, str]:
    return line.generic_name_norm, vc.spec_key(line.spec_norm or line.spec)


def _load_lines(session: Session, line_ids: Sequence[int] | None = None):
    stmt = (select(VolumeReportLine, VolumeReport, Batch)
            .join(VolumeReport, VolumeReportLine.report_id == VolumeReport.id)
            .outerjoin(Batch, VolumeReport.batch_id == Batch.id)
            .order_by(VolumeReport.id, VolumeReportLine.id))
    if line_ids is not None:
        stmt = stmt.where(VolumeReportLine.id.in_(list(line_ids)))
    return session.execute(stmt).all()


def data_span(session: Session, as_of: date) -> tuple[date | None, date | None]:
    """R13 v2: the first and last purchase dates on record up to as-of (what the data cover)."""
    first, last = session.execute(min_and_max(Purchase.purchase_date, Purchase.purchase_date <= as_of)).one()
    return first, last


def _check_rows(session: Session, as_of: date, baseline_year: int | None,
                line_ids: Sequence[int] | None = None) -> list[VolumeCheckRow]:
    """R13 v2: one row per group (report, generic name, spec key); with ``line_ids``, only the
    groups holding those lines."""
    if baseline_year is not None:
        resolve_baseline_year(session, as_of, baseline_year)  # BadInput before any work
    report_ids = None
    if line_ids is not None:
        report_ids = set(session.scalars(select(VolumeReportLine.report_id)
                                         .where(VolumeReportLine.id.in_(list(line_ids)))))
    loaded = [x for x in _load_lines(session) if report_ids is None or x[1].id in report_ids]
    groups: dict[tuple, list] = {}
    year_of: dict[int, int] = {}
    by_year: dict[int, set[str]] = defaultdict(set)
    for line, report, batch in loaded:
        year = resolve_baseline_year(session, as_of, baseline_year,
                                     batch.policy_overrides if batch is not None else None)
        year_of[report.id] = year
        by_year[year].add(line.generic_name_norm)
        groups.setdefault((report.id, *_line_key(line)), []).append((line, report))
    sums: dict[int, dict[tuple, int]] = {
        year: _purchase_sums(session, generics, date(year, 1, 1), min(date(year, 12, 31), as_of))
        for year, generics in by_year.items()
    }
    data_from, data_to = data_span(session, as_of)
    rows = []
    for (report_id, generic, key), members in groups.items():
        line, report = members[0]
        if line_ids is not None and not any(m.id in line_ids for m, _ in members):
            continue
        year = year_of[report_id]
        verdict = vc.check(sums[year].get((generic, key), 0), sum(int(m.reported_quantity) for m, _ in members))
        makers = tuple(dict.fromkeys(m.manufacturer for m, _ in members if m.manufacturer))
        rows.append(VolumeCheckRow(
            line_id=line.id, report_id=report.id, report_name=report.name,
            product_code=line.product_code, generic_name=line.generic_name,
            generic_name_norm=line.generic_name_norm, dosage_form=line.dosage_form,
            spec=line.spec, spec_key=key, manufacturer="、".join(makers) or None,
            baseline_year=year, baseline=verdict.baseline, reported=verdict.reported,
            change=verdict.change, needs_explanation=verdict.needs_explanation,
            reason=verdict.reason,
            baseline_covered=vc.covers(data_from, data_to, date(year, 1, 1), date(year, 12, 31)),
            data_from=data_from, data_to=data_to, line_ids=tuple(m.id for m, _ in members),
            manufacturers=makers))
    return rows


@dataclass(frozen=True)
class Unreported:
    """R13 v2: a generic name missing from a volume report (``kind``: ``vc.BOUGHT_NOT_REPORTED``,
    a finding, or ``vc.SELECTED_NOT_REPORTED``, a warning before the report is submitted)."""

    report_id: int
    report_name: str
    kind: str
    generic_name: str
    generic_name_norm: str
    baseline_year: int
    units: int  # non-selected + substitute units (bought_not_reported) or selected units
    amount: Decimal


def unreported(session: Session, as_of: date, baseline_year: int | None = None) -> list[Unreported]:
    """R13 v2, per volume report (its batch's selected generic names, or every batch's when the
    report names none), purchases of the baseline year up to as-of:

    - a selected generic name absent from the report whose non-selected or substitute purchases
      exceed ``r13_unreported_units`` (1 000) base units or ``r13_unreported_amount`` (10 000 元):
      bought but not reported (a finding);
    - before the report is submitted (``submitted_on`` empty or after as-of), every selected
      generic name bought in the baseline year but missing from the report (a warning: no
      surplus retention for it).
    """
    from db.models import Substitute

    reports = list(session.execute(select(VolumeReport, Batch).outerjoin(Batch, VolumeReport.batch_id == Batch.id)
                                   .order_by(VolumeReport.id)).all())
    if not reports:
        return []
    in_report: dict[int, set[str]] = defaultdict(set)
    for rid, g in session.execute(select(VolumeReportLine.report_id, VolumeReportLine.generic_name_norm)):
        in_report[rid].add(g)
    selected: dict[int | None, dict[str, str]] = defaultdict(dict)  # batch → norm → name as written
    for bid, norm, name in session.execute(select(Product.batch_id, Product.generic_name_norm, Product.generic_name)
                                           .where(Product.selected.is_(True))):
        selected[bid].setdefault(norm, name)
        selected[None].setdefault(norm, name)
    subs: dict[str, set[str]] = defaultdict(set)
    for sel, sub in session.execute(select(Substitute.selected_generic_norm, Substitute.substitute_generic_norm)):
        subs[sel].add(sub)
    unit_limit = settings.get(session, "r13_unreported_units")
    amount_limit = settings.get(session, "r13_unreported_amount")
    out: list[Unreported] = []
    per_year: dict[int, tuple[dict, dict]] = {}
    for report, batch in reports:
        year = report.baseline_year or resolve_baseline_year(
            session, as_of, baseline_year, batch.policy_overrides if batch is not None else None)
        if year not in per_year:  # (generic, selected?) → (units, amount) of the year: one GROUP BY
            counted = and_(Product.supply_role.is_distinct_from("backup"), Product.cheaper_equal_quality.is_not(True))
            sums = purchase_totals.per_product(session, date(year, 1, 1), min(date(year, 12, 31), as_of), counted)
            raw: dict[tuple[str, bool], list] = {}  # (generic, selected) → [units, amount (scaled) or None]
            for pid, g, sel in session.execute(select(Product.id, Product.generic_name_norm, Product.selected)
                                               .where(counted)):
                if pid in sums:
                    entry = raw.setdefault((g, bool(sel)), [0, None])
                    entry[0] += sums[pid].quantity
                    if sums[pid].amount is not None:
                        entry[1] = (entry[1] or 0) + sums[pid].amount
            bought = {k: (units, Decimal(0) if amount is None else AMOUNT.from_sql_sum(amount))
                      for k, (units, amount) in raw.items()}
            per_year[year] = bought, {}
        bought = per_year[year][0]
        names = selected[report.batch_id if report.batch_id in selected else None]
        pending = report.submitted_on is None or report.submitted_on > as_of
        for norm, name in sorted(names.items()):
            if norm in in_report[report.id]:
                continue
            units, amount = bought.get((norm, False), (0, Decimal(0)))
            for sub in subs.get(norm, ()):
                su, sa = bought.get((sub, False), (0, Decimal(0)))
                units, amount = units + su, amount + sa
            if vc.bought_not_reported(units, amount, unit_limit, amount_limit):
                out.append(Unreported(report.id, report.name, vc.BOUGHT_NOT_REPORTED, name, norm, year,
                                      units, amount))
            sel_units, sel_amount = bought.get((norm, True), (0, Decimal(0)))
            if pending and sel_units > 0:
                out.append(Unreported(report.id, report.name, vc.SELECTED_NOT_REPORTED, name, norm, year,
                                      sel_units, sel_amount))
    return out


def check_volumes(session: Session, as_of: date, baseline_year: int | None = None) -> list[VolumeCheckRow]:
    """R13: every line of every volume report against its baseline, in report/line order."""
    return _check_rows(session, as_of, baseline_year)


# ------------------------------------------------------------------------ the notes


def _monthly(session: Session, rows: Sequence[VolumeCheckRow], as_of: date) -> dict[int, list[MonthFigure]]:
    """R13: the last 12 complete months of purchases per line (one GROUP BY for all)."""
    months = vc.last_12_months(as_of)
    y0, m0 = months[0]
    end = as_of.replace(day=1) - timedelta(days=1)  # last day of the previous month
    sums = _purchase_sums(session, (r.generic_name_norm for r in rows),
                          date(y0, m0, 1), end, by_month=True)
    return {
        r.line_id: [MonthFigure(f"{y:04d}-{m:02d}", sums.get((r.generic_name_norm, r.spec_key, y, m), 0))
                    for y, m in months]
        for r in rows
    }


def _product_text(row: VolumeCheckRow) -> str:
    parts = [row.generic_name]
    detail = [p for p in (row.dosage_form, row.spec and tr("规格 {s}", "spec {s}", s=row.spec),
                          row.manufacturer) if p]
    if detail:
        parts.append(tr("（{d}）", " ({d})", d=tr("，", ", ").join(detail)))
    return "".join(parts)


def compose_text(row: VolumeCheckRow, months: Sequence[MonthFigure], reasons: Sequence[str],
                 free_text: str) -> str:
    """R13: the note drafted from the data — product, baseline, reported volume, change,
    threshold, the last 12 months and their trend, the chosen reasons and free text."""
    lines = [tr("关于{p}报量情况的说明", "Explanatory note on the volume reported for {p}",
                p=_product_text(row))]
    if not row.baseline_covered:
        lines.append(tr("说明：{y} 年度{c}，基线可能不完整。", "Note: for {y}, {c}; the baseline may be incomplete.",
                        y=row.baseline_year, c=vc.coverage_text(row.data_from, row.data_to)))
    if row.reason == vc.NO_HISTORY:
        lines.append(tr(
            "在“{r}”中，本院申报{p}采购量 {rep}（最小使用单位，下同）。{y} 年度本院无该通用名、"
            "该规格药品的采购记录（基线为 {b}），属于无历史采购量的情形，现说明如下。",
            "In '{r}' the hospital reports {rep} base units of {p}. There were no purchases of "
            "this generic name and spec in {y} (baseline {b}): no purchase history.",
            r=row.report_name, p=_product_text(row), rep=row.reported, y=row.baseline_year,
            b=row.baseline))
    else:
        lines.append(tr(
            "在“{r}”中，本院申报{p}采购量 {rep}（最小使用单位，下同）；{y} 年度实际采购量"
            "（含中选与非中选产品）为 {b}，变化幅度 {c}，{t}，现说明如下。",
            "In '{r}' the hospital reports {rep} base units of {p}; actual purchases in {y} "
            "(selected and non-selected) were {b}, a change of {c}: {t}.",
            r=row.report_name, p=_product_text(row), rep=row.reported, y=row.baseline_year,
            b=row.baseline, c=vc.format_percent(row.change), t=vc.threshold_label(row.reason)))
    window_covered = bool(months) and vc.covers(
        row.data_from, row.data_to, date(int(months[0].month[:4]), int(months[0].month[5:]), 1),
        date(int(months[-1].month[:4]), int(months[-1].month[5:]), 1))
    if months and not window_covered:
        # R13 v2: a gap in the data is not "no purchases", and no trend is read from it.
        lines.append(tr("近 12 个月（{a} 至 {z}）{c}，其间采购 {s}；不据此判断趋势。",
                        "Last 12 months ({a} to {z}): {c}; {s} purchased in that time; no trend is read "
                        "from incomplete data.",
                        a=months[0].month, z=months[-1].month, c=vc.coverage_text(row.data_from, row.data_to),
                        s=sum(m.quantity for m in months)))
    elif months and not any(m.quantity for m in months):
        lines.append(tr("近 12 个月（{a} 至 {z}）无采购记录。",
                        "No purchases in the last 12 months ({a} to {z}).",
                        a=months[0].month, z=months[-1].month))
    elif months:
        values = [m.quantity for m in months]
        high = max(months, key=lambda m: m.quantity)
        low = min(months, key=lambda m: m.quantity)
        avg = Fraction(sum(values), len(values))
        lines.append(tr(
            "近 12 个月（{a} 至 {z}）累计采购 {s}，月均 {avg}，最高 {hi}（{him}），最低 {lo}（{lom}），"
            "总体呈{tr}趋势。",
            "Over the last 12 months ({a} to {z}) purchases totalled {s}, {avg} a month on average, "
            "highest {hi} ({him}), lowest {lo} ({lom}); the trend is {tr}.",
            a=months[0].month, z=months[-1].month, s=sum(values), avg=round(avg),
            hi=high.quantity, him=high.month, lo=low.quantity, lom=low.month,
            tr=vc.trend_label(vc.trend(values))))
    if reasons:
        lines.append(tr("原因：{r}。", "Reasons: {r}.",
                        r=tr("、", ", ").join(vc.reason_label(k) for k in reasons)))
    # No reason chosen yet: no reasons line at all (a placeholder such as "（请选择）" must never print, R13 v2).
    if free_text.strip():
        lines.append(free_text.strip())
    return "\n".join(lines)


def _view(row: VolumeCheckRow, note: ExplanatoryNote | None, months: list[MonthFigure]) -> NoteView:
    trend = vc.trend([m.quantity for m in months])
    if note is None:
        return NoteView(row=row, status=NOTE_NONE, reasons=[], free_text="",
                        draft_text=compose_text(row, months, [], ""), months=months, trend=trend)
    return NoteView(row=row, status=note.status, reasons=list(note.reasons or []),
                    free_text=note.free_text or "", draft_text=note.draft_text or "",
                    months=months, trend=trend, note_id=note.id, version=note.version,
                    signed_by=note.signed_by, signed_at=note.signed_at)


def _notes_by_line(session: Session, line_ids: Iterable[int]) -> dict[int, ExplanatoryNote]:
    ids = list(line_ids)
    if not ids:
        return {}
    notes = session.scalars(select(ExplanatoryNote).where(ExplanatoryNote.line_id.in_(ids)))
    return {n.line_id: n for n in notes}


def _snapshot(note: ExplanatoryNote) -> dict:
    return {"line_id": note.line_id, "status": note.status, "reasons": list(note.reasons or []),
            "free_text": note.free_text, "draft_text": note.draft_text,
            "signed_by": note.signed_by, "signed_at": note.signed_at}


def _one_row(session: Session, line_id: int, as_of: date, baseline_year: int | None) -> VolumeCheckRow:
    rows = _check_rows(session, as_of, baseline_year, [line_id])
    if not rows:
        raise NotFound(tr("找不到报量明细 {id}", "No volume-report line {id}", id=line_id))
    return rows[0]


def _views(session: Session, rows: list[VolumeCheckRow], as_of: date) -> list[NoteView]:
    months = _monthly(session, rows, as_of)
    notes = _notes_by_line(session, (r.line_id for r in rows))
    return [_view(r, notes.get(r.line_id), months[r.line_id]) for r in rows]


def draft_notes(session: Session, as_of: date, baseline_year: int | None = None,
                who: str | None = None) -> list[NoteView]:
    """R13: store a drafted note for every line that needs one; redraft unsigned ones.

    A draft keeps its chosen reasons and free text; only the data part is rebuilt.
    Signed notes are locked and left as they are. Returns the notes of every line
    that needs one.
    """
    rows = [r for r in check_volumes(session, as_of, baseline_year) if r.needs_explanation]
    months = _monthly(session, rows, as_of)
    notes = _notes_by_line(session, (r.line_id for r in rows))
    for row in rows:
        note = notes.get(row.line_id)
        if note is not None and note.status == NOTE_SIGNED:
            continue
        if note is None:
            text = compose_text(row, months[row.line_id], [], "")
            note = ExplanatoryNote(line_id=row.line_id, reasons=[], free_text="",
                                   draft_text=text, status=NOTE_DRAFT)
            session.add(note)
            session.flush()
            audit.record(session, who, "note.draft", "explanatory_note", note.id, None, _snapshot(note))
            notes[row.line_id] = note
            continue
        text = compose_text(row, months[row.line_id], note.reasons or [], note.free_text or "")
        if text != note.draft_text:
            before = _snapshot(note)
            note.draft_text = text
            session.flush()
            audit.record(session, who, "note.redraft", "explanatory_note", note.id, before, _snapshot(note))
    return [_view(r, notes.get(r.line_id), months[r.line_id]) for r in rows]


def list_notes(session: Session, as_of: date, baseline_year: int | None = None) -> list[NoteView]:
    """R13: the note (or ``none`` yet) of every line that needs an explanation."""
    rows = [r for r in check_volumes(session, as_of, baseline_year) if r.needs_explanation]
    return _views(session, rows, as_of)


def get_note(session: Session, line_id: int, as_of: date | None = None,
             baseline_year: int | None = None) -> NoteView:
    """R13: one line's note with its 12 monthly figures and trend."""
    row = _one_row(session, line_id, as_of or date.today(), baseline_year)
    return _views(session, [row], as_of or date.today())[0]


def _parse_reasons(reasons: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for raw in reasons:
        key = raw.strip()
        if not key:
            continue
        if key not in vc.REASONS:
            raise BadInput(tr("未知的原因：{k}（可选：{all}）", "Unknown reason: {k} (choose from: {all})",
                              k=key, all=", ".join(vc.REASONS)), column="reasons")
        if key not in keys:
            keys.append(key)
    return keys


def _locked(note: ExplanatoryNote) -> Conflict:
    return Conflict(tr("报量明细 {id} 的说明已由 {w} 签字锁定，如需修改请先撤销签字（notes reopen）。",
                       "The note of line {id} was signed by {w} and is locked; reopen it first.",
                       id=note.line_id, w=note.signed_by or "—"))


def set_note(session: Session, line_id: int, reasons: Iterable[str] | None = None,
             free_text: str | None = None, who: str | None = None, *, as_of: date | None = None,
             baseline_year: int | None = None, version: int | None = None) -> NoteView:
    """R13: choose the reasons and write the free text of a line's note (draft only).

    ``None`` keeps what is stored. ``version`` (the one the editor loaded) guards against
    a concurrent edit. The draft text is rebuilt from the data and the new choices.
    """
    as_of = as_of or date.today()
    row = _one_row(session, line_id, as_of, baseline_year)
    keys = None if reasons is None else _parse_reasons(reasons)
    note = _notes_by_line(session, [line_id]).get(line_id)
    if note is None and not row.needs_explanation:
        raise BadInput(tr("报量明细 {id} 在阈值范围内，无需说明。",
                          "Line {id} is within the thresholds and needs no note.", id=line_id))
    if note is not None and note.status == NOTE_SIGNED:
        raise _locked(note)
    if note is not None and version is not None and note.version != version:
        raise Conflict(tr("该说明已被其他人修改，请重新加载后再试。",
                          "This note was changed by someone else; reload and try again."))
    before = None if note is None else _snapshot(note)
    if note is None:
        note = ExplanatoryNote(line_id=line_id, reasons=[], free_text="", status=NOTE_DRAFT)
        session.add(note)
    if keys is not None:
        note.reasons = keys
    if free_text is not None:
        note.free_text = free_text
    months = _monthly(session, [row], as_of)[line_id]
    note.draft_text = compose_text(row, months, note.reasons or [], note.free_text or "")
    session.flush()
    audit.record(session, who, "note.set", "explanatory_note", note.id, before, _snapshot(note))
    return _view(row, note, months)


def sign_note(session: Session, line_id: int, who: str | None = None, *,
              as_of: date | None = None, at: datetime | None = None) -> NoteView:
    """R13: the pharmacist signs the note off (who, when); it is locked from then on."""
    as_of = as_of or date.today()
    row = _one_row(session, line_id, as_of, None)
    note = _notes_by_line(session, [line_id]).get(line_id)
    if note is not None and note.status == NOTE_SIGNED:
        raise _locked(note)
    if note is None or not note.reasons:
        raise BadInput(tr("请先为报量明细 {id} 选择至少一个原因（notes set --reasons）。",
                          "Choose at least one reason for line {id} first (notes set --reasons).",
                          id=line_id), column="reasons")
    if "other" in note.reasons and not (note.free_text or "").strip():
        raise BadInput(tr("选择“其他”原因时请填写补充说明（notes set --text）。",
                          "The reason 'other' needs a text (notes set --text)."), column="text")
    before = _snapshot(note)
    note.status = NOTE_SIGNED
    note.signed_by = who or audit.current_user()
    note.signed_at = at or datetime.now().replace(microsecond=0)
    session.flush()
    audit.record(session, note.signed_by, "note.sign", "explanatory_note", note.id, before, _snapshot(note))
    return _view(row, note, _monthly(session, [row], as_of)[line_id])


def reopen_note(session: Session, line_id: int, who: str | None = None, *,
                as_of: date | None = None) -> NoteView:
    """R13: unlock a signed note for editing (audited; the signature is withdrawn)."""
    as_of = as_of or date.today()
    row = _one_row(session, line_id, as_of, None)
    note = _notes_by_line(session, [line_id]).get(line_id)
    if note is None or note.status != NOTE_SIGNED:
        raise Conflict(tr("报量明细 {id} 的说明未签字，无需撤销。",
                          "The note of line {id} is not signed; nothing to reopen.", id=line_id))
    before = _snapshot(note)
    note.status = NOTE_DRAFT
    note.signed_by = None
    note.signed_at = None
    session.flush()
    audit.record(session, who, "note.reopen", "explanatory_note", note.id, before, _snapshot(note))
    return _view(row, note, _monthly(session, [row], as_of)[line_id])


# ---------------------------------------------------------------------------- export


def export_notes(session: Session, out_path: str | Path, as_of: date,
                 baseline_year: int | None = None) -> Path:
    """R13: write the notes of the lines that need one — PDF (``.pdf``) or xlsx (``.xlsx``).

    Lines within the thresholds do not appear. A line without a stored note is
    exported with its data-drafted text and marked unsigned.
    """
    from hospital_app.services.documents import make_notes  # one maker for CLI, GUI (issue 18)

    return make_notes(session, out_path, as_of, baseline_year)


__all__ = [
    "VolumeCheckRow", "MonthFigure", "NoteView", "Unreported", "check_volumes", "resolve_baseline_year",
    "unreported", "data_span",
    "compose_text", "draft_notes", "list_notes", "get_note", "set_note", "sign_note",
    "reopen_note", "export_notes", "NOTE_NONE", "NOTE_DRAFT", "NOTE_SIGNED",
]
