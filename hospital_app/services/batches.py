"""Batches (R6 v2): list, kind (drug/consumable), extension of the cycle (顺延); every change audited.

An extension gives every selected product of the batch an extension period
(``agreement_period.is_extension``) from the day after its last period to the new end,
with the agreed volume given in a file or pro-rated from the last period
(``domain.periods.prorated_volume``: V × extension weight / last period's weight, R7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Batch, Product
from hospital_app import settings
from hospital_app.domain.periods import prorated_volume
from hospital_app.domain.targets import add_years
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.importers.values import parse_int, text
from hospital_app.services import audit

KINDS = ("drug", "consumable")


def kind_label(kind: str) -> str:
    return {"drug": tr("药品", "drug"), "consumable": tr("耗材", "consumable")}.get(kind, kind)


@dataclass(frozen=True)
class BatchView:
    """A batch as ``batch list`` shows it (R6)."""

    name: str
    kind: str
    level: str | None
    start: date | None
    cycle_end: date | None
    extended_to: date | None
    products: int  # selected products

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _cycle_end(b: Batch) -> date | None:
    """R6: the cycle end given as a date, else as years from the execution start."""
    if b.cycle_end is not None:
        return b.cycle_end
    if b.execution_start is not None and b.cycle_years:
        return add_years(b.execution_start, b.cycle_years) - timedelta(days=1)
    return None


def _batch(session: Session, name: str) -> Batch:
    b = session.scalar(select(Batch).where(Batch.name == (name or "").strip()))
    if b is None:
        raise NotFound(tr("找不到批次：{b}", "No such batch: {b}", b=name))
    return b


def list_batches(session: Session) -> list[BatchView]:
    """R6: every batch with its kind, execution start, cycle end and extension (by start, name)."""
    counts = dict(session.execute(select(Product.batch_id, func.count()).where(Product.selected.is_(True))
                                  .group_by(Product.batch_id)).all())
    batches = session.scalars(select(Batch)).all()
    views = [BatchView(b.name, b.kind or "drug", b.level, b.execution_start, _cycle_end(b), b.extended_to,
                       counts.get(b.id, 0)) for b in batches]
    return sorted(views, key=lambda v: (v.start or date.max, v.name))


def set_batch_kind(session: Session, name: str, kind: str, who: str | None = None) -> BatchView:
    """R6: set a batch's kind (drug or consumable), which decides R11 merging, R15 and R16."""
    if kind not in KINDS:
        raise BadInput(tr("批次类别应为 drug（药品）或 consumable（耗材）：{k}",
                          "The batch kind must be drug or consumable: {k}", k=kind))
    b = _batch(session, name)
    before = {"kind": b.kind}
    if b.kind != kind:
        b.kind = kind
        session.flush()
        audit.record(session, who, "batch.set_kind", "batch", b.id, before, {"kind": kind})
    return next(v for v in list_batches(session) if v.name == b.name)


@dataclass(frozen=True)
class ExtensionPeriod:
    product_id: int
    generic_name: str
    spec: str | None
    start: date
    end: date
    agreed_volume: int
    source: str  # "file" | "prorated"
    last_volume: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ExtensionResult:
    batch: str
    previous_end: date | None
    extended_to: date
    periods: list[ExtensionPeriod] = field(default_factory=list)
    without_periods: list[int] = field(default_factory=list)  # selected products with no period to extend

    def as_dict(self) -> dict:
        return {"batch": self.batch, "previous_end": self.previous_end, "extended_to": self.extended_to,
                "periods": [p.as_dict() for p in self.periods], "without_periods": list(self.without_periods)}


_ID_HEADERS = ("产品id", "产品ID", "product_id", "产品编号", "id")
_VOLUME_HEADERS = ("约定采购量", "协议采购量", "顺延约定量", "agreed_volume", "volume")


def read_volumes(session: Session, path: str | Path) -> dict[int, int]:
    """R6: the extension volumes file: a product id column (产品ID / product_id) and an agreed
    volume column (约定采购量 / agreed_volume), in base units. xlsx, xls or csv."""
    from hospital_app.importers.reader import open_source

    path = Path(path)
    if not path.is_file():
        raise BadInput(tr("找不到文件：{f}", "File not found: {f}", f=str(path)), file=path.name)
    source = open_source(path, int(settings.get(session, "import_max_file_mb")))
    try:
        sheet = next((s.name for s in source.sheets if not s.hidden and not s.note), source.sheets[0].name)
        rows = source.rows(sheet)
        header_row, id_col, vol_col = None, None, None
        out: dict[int, int] = {}
        for row_no, values, _ in rows:
            cells = [(text(v) or "").strip() for v in values]
            if header_row is None:
                lowered = [c.lower() for c in cells]
                id_col = next((i for i, c in enumerate(lowered) if c in {h.lower() for h in _ID_HEADERS}), None)
                vol_col = next((i for i, c in enumerate(lowered) if c in {h.lower() for h in _VOLUME_HEADERS}),
                               None)
                if id_col is not None and vol_col is not None:
                    header_row = row_no
                elif row_no >= 10:
                    break
                continue
            if all(not c for c in cells):
                continue
            where = {"file": path.name, "sheet": sheet, "row": row_no}
            try:
                pid = parse_int(values[id_col] if id_col < len(values) else None)
            except ValueError:
                pid = None
            if pid is None:
                raise BadInput(tr("{f} 第 {r} 行：产品ID 应为整数", "{f} row {r}: the product id must be a whole number",
                                  f=path.name, r=row_no), column=_ID_HEADERS[0], **where)
            try:
                volume = parse_int(values[vol_col] if vol_col < len(values) else None)
            except ValueError:
                volume = None
            if volume is None or volume < 0:
                raise BadInput(tr("{f} 第 {r} 行：约定采购量应为不小于 0 的整数（基本单位）",
                                  "{f} row {r}: the agreed volume must be a whole number ≥ 0 (base units)",
                                  f=path.name, r=row_no), column=_VOLUME_HEADERS[0], **where)
            if pid in out:
                raise BadInput(tr("{f} 第 {r} 行：产品 {p} 重复", "{f} row {r}: product {p} is listed twice",
                                  f=path.name, r=row_no, p=pid), column=_ID_HEADERS[0], **where)
            out[pid] = volume
        if header_row is None:
            raise BadInput(tr("{f}：找不到“产品ID”和“约定采购量”列", "{f}: no 'product_id' and 'agreed_volume' columns",
                              f=path.name), file=path.name, sheet=sheet)
        return out
    finally:
        source.close()


def extend_batch(session: Session, name: str, to: date, volumes: dict[int, int] | None = None,
                 who: str | None = None) -> ExtensionResult:
    """R6 v2: extend a batch's cycle (顺延) to ``to``.

    Each selected product of the batch gets an extension period from the day after its
    last period to ``to`` with the volume in ``volumes`` (product id → base units) or, by
    default, pro-rated from its last period. ``to`` must be after the current end; a
    product in ``volumes`` must be a selected product of this batch.
    """
    who = who or audit.current_user()
    b = _batch(session, name)
    current = b.extended_to or _cycle_end(b)
    if current is not None and to <= current:
        raise BadInput(tr("顺延日期 {t} 应晚于批次当前的结束日期 {c}", "The new end {t} must be after the batch's "
                          "current end {c}", t=to, c=current), column="--to")
    products = session.scalars(select(Product).where(Product.batch_id == b.id, Product.selected.is_(True))
                               .order_by(Product.id)).all()
    volumes = dict(volumes or {})
    strangers = sorted(set(volumes) - {p.id for p in products})
    if strangers:
        raise BadInput(tr("约定量文件中的产品不属于批次 {b} 的中选产品：{ids}",
                          "Products in the volumes file are not selected products of batch {b}: {ids}",
                          b=b.name, ids=", ".join(map(str, strangers))))
    made, without = [], []
    for p in products:
        last = session.scalar(select(AgreementPeriod).where(AgreementPeriod.product_id == p.id)
                              .order_by(AgreementPeriod.end.desc()).limit(1))
        if last is None or last.end >= to:
            if last is None:
                without.append(p.id)
            continue
        start = last.end + timedelta(days=1)
        if p.id in volumes:
            volume, source = volumes[p.id], "file"
        else:
            volume = prorated_volume(int(last.agreed_volume), last.start, last.end, start, to)
            source = "prorated"
        period = AgreementPeriod(product_id=p.id, year_index=(last.year_index or 1) + 1, start=start, end=to,
                                 agreed_volume=volume, is_extension=True)
        session.add(period)
        session.flush()
        audit.record(session, who, "period.extend", "agreement_period", period.id, None,
                     {"product_id": p.id, "start": start, "end": to, "agreed_volume": volume, "source": source})
        made.append(ExtensionPeriod(p.id, p.generic_name, p.spec, start, to, volume, source,
                                    int(last.agreed_volume)))
    if not made and not without:
        raise Conflict(tr("批次 {b} 没有可顺延的协议期", "Batch {b} has no agreement period to extend", b=b.name))
    before = {"extended_to": b.extended_to}
    b.extended_to = to
    session.flush()
    audit.record(session, who, "batch.extend", "batch", b.id, before, {"extended_to": to})
    return ExtensionResult(b.name, current, to, made, without)
