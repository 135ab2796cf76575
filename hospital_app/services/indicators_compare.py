"""Compare the bureau's filled execution report with our R20 indicators (``indicators compare``).

For each batch row of the bureau's file and each count indicator: the bureau's count,
ours as of d, and the products that make the difference — when we count more, our
products in the category nearest its boundary first; when we count fewer, the products
nearest to entering it (e.g. bought only a little, just above the schedule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from hospital_app.reports.bureau_xlsx import read_bureau_report
from hospital_app.services.indicators import COUNTS, BatchIndicators, ProductRef, compute_indicators

#: for "we count fewer": where the candidates come from (the categories next to it).
_NEIGHBOURS = {
    "zero": ("below_schedule", "normal", "over_purchase"),
    "below_schedule": ("normal", "zero"),
    "over_purchase": ("normal",),
    "normal": ("below_schedule", "over_purchase"),
    "nonselected_bought": ("nonselected_total",),
    "substitute_bought": ("substitute_total",),
}
MAX_PRODUCTS = 20


@dataclass
class Difference:
    key: str
    bureau: int | None
    ours: int
    products: list[ProductRef] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"indicator": self.key, "bureau": self.bureau, "ours": self.ours,
                "difference": None if self.bureau is None else self.ours - self.bureau,
                "products": [p.as_dict() for p in self.products]}


@dataclass
class BatchComparison:
    batch: str
    row: int  # the row in the bureau's file
    known: bool  # the batch exists here
    differences: list[Difference]

    def as_dict(self) -> dict:
        return {"batch": self.batch, "row": self.row, "known": self.known,
                "differences": [d.as_dict() for d in self.differences]}


def _candidates(ours: BatchIndicators, key: str, more: bool, limit: int = MAX_PRODUCTS) -> list[ProductRef]:
    if more:
        pool = list(ours.products.get(key, []))
    else:
        inside = {p.product_id for p in ours.products.get(key, [])}
        pool = [p for k in _NEIGHBOURS.get(key, ()) for p in ours.products.get(k, []) if p.product_id not in inside]
        if key == "zero":  # the fewest units bought are the likeliest the bureau has not seen
            pool.sort(key=lambda p: (p.units if p.units is not None else 0, p.product_id))
            return pool[:limit]
    pool.sort(key=lambda p: (p.margin is None, abs(p.margin) if p.margin is not None else 0, p.product_id))
    return pool[:limit]


def compare_with_bureau(session: Session, path: str | Path, as_of: date) -> list[BatchComparison]:
    """R20: per batch of the bureau's file, every indicator where its count differs from ours."""
    bureau_rows = read_bureau_report(path)
    report = compute_indicators(session, as_of)
    from hospital_app.domain.normalize import clean_text

    ours = {clean_text(b.batch): b for b in report.batches}  # the file's names are read through clean_text
    out = []
    for row in bureau_rows:
        mine = ours.get(clean_text(row.batch))
        if mine is None:
            out.append(BatchComparison(row.batch, row.row, False, []))
            continue
        diffs = []
        for key, _zh in COUNTS:
            theirs, count = row.counts.get(key), mine.counts[key]
            if theirs is None or theirs == count:
                continue
            diffs.append(Difference(key, theirs, count, _candidates(mine, key, count > theirs, min(MAX_PRODUCTS, max(5, 3 * abs(count - theirs))))))
        out.append(BatchComparison(row.batch, row.row, True, diffs))
    return out
