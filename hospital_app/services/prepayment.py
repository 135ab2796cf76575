"""R15 prepayment per batch and agreement year (``prepayment --json``; GUI and self-check).

Per batch and agreement year (``AgreementPeriod.year_index``) of its selected products, as of d:
agreed amount = Σ V × selected price; rate = policy ``r15_prepay_rate_drug`` /
``r15_prepay_rate_consumable`` by the batch's kind, overridable per batch; purchased amount =
the selected products' purchases in their period up to d, valued at the selected price (the
price V is valued at, so the ratio is the batch's purchasing progress in money); offset and
outstanding by ``domain.prepayment``. Years not begun by d are not listed. One ``GROUP BY``.

``batch_prepayment`` is the batch editor's view: one batch's years plus its rate setting (the
per-batch override is written by ``management.set_batch_policy`` under ``rate_key``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Batch, Product, Purchase
from hospital_app import settings
from hospital_app.domain import prepayment as r15
from hospital_app.errors import NotFound
from hospital_app.i18n import tr


@dataclass
class PrepaymentRow:
    batch: str
    kind: str
    year: int  # agreement year (1, 2, …)
    period_start: date
    period_end: date
    agreed_amount: Decimal
    rate: Decimal
    prepayment: Decimal
    purchased_amount: Decimal
    offset: Decimal
    outstanding: Decimal
    recover_by: date | None  # cycle end + 2 months

    def as_dict(self) -> dict:
        """CLI.md keys first (amounts and the rate as decimal strings), then the details."""
        return {"batch": self.batch, "year": self.year, "agreed_amount": str(self.agreed_amount),
                "rate": str(self.rate), "prepayment": str(self.prepayment), "offset": str(self.offset),
                "outstanding": str(self.outstanding), "kind": self.kind,
                "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
                "purchased_amount": str(self.purchased_amount),
                "recover_by": self.recover_by.isoformat() if self.recover_by else None}


def rate_key(kind: str | None) -> str:
    """R15: the policy setting holding a batch's prepayment rate (drugs 50 %, consumables 30 %)."""
    return "r15_prepay_rate_consumable" if kind == "consumable" else "r15_prepay_rate_drug"


@dataclass
class BatchPrepayment:
    """R15 for one batch as of d: its agreement years begun by d and its prepayment rate setting."""

    batch: str
    kind: str
    rate_key: str  # the policy key ``batch set-policy`` overrides for this batch
    rate: Decimal  # effective: the batch's override, else the stored setting, else the default
    default_rate: Decimal  # what applies without the batch's override
    overridden: bool
    rows: list[PrepaymentRow]


def batch_prepayment(session: Session, batch: str, as_of: date) -> BatchPrepayment:
    """R15 for the batch named ``batch`` as of ``as_of`` (NotFound if there is none)."""
    b = session.scalar(select(Batch).where(Batch.name == batch))
    if b is None:
        raise NotFound(tr("找不到批次：{b}", "No such batch: {b}", b=batch))
    key = rate_key(b.kind)
    overrides = b.policy_overrides or {}
    return BatchPrepayment(b.name, b.kind, key, settings.get(session, key, overrides or None),
                           settings.get(session, key), key in overrides, prepayments(session, as_of, batch_id=b.id))


def prepayments(session: Session, as_of: date, batch_id: int | None = None) -> list[PrepaymentRow]:
    """R15 for every batch (or the batch ``batch_id``) and agreement year begun by ``as_of``."""
    session.flush()
    bought = func.coalesce(func.sum(Purchase.quantity), 0)
    q = (select(AgreementPeriod.product_id, AgreementPeriod.year_index, AgreementPeriod.start, AgreementPeriod.end,
                AgreementPeriod.agreed_volume, Product.selected_price, Product.batch_id, bought)
         .join(Product, Product.id == AgreementPeriod.product_id)
         .outerjoin(Purchase, and_(Purchase.product_id == AgreementPeriod.product_id,
                                   Purchase.purchase_date >= AgreementPeriod.start,
                                   Purchase.purchase_date <= AgreementPeriod.end,
                                   Purchase.purchase_date <= as_of))
         .where(Product.selected.is_(True), Product.batch_id.is_not(None), AgreementPeriod.start <= as_of)
         .group_by(AgreementPeriod.id, AgreementPeriod.product_id, AgreementPeriod.year_index,
                   AgreementPeriod.start, AgreementPeriod.end, AgreementPeriod.agreed_volume,
                   Product.selected_price, Product.batch_id))
    if batch_id is not None:
        q = q.where(Product.batch_id == batch_id)
    years: dict[tuple[int, int], dict] = defaultdict(lambda: {"agreed": Decimal(0), "bought": Decimal(0),
                                                             "start": None, "end": None})
    for _pid, year, start, end, volume, price, batch_id, qty in session.execute(q).all():
        y = years[(batch_id, int(year or 1))]
        price = price or Decimal(0)
        y["agreed"] += int(volume or 0) * price
        y["bought"] += int(qty or 0) * price
        y["start"] = start if y["start"] is None else min(y["start"], start)
        y["end"] = end if y["end"] is None else max(y["end"], end)
    batches = {b.id: b for b in session.scalars(select(Batch).where(Batch.id.in_({k[0] for k in years})))}
    out = []
    for (batch_id, year), y in years.items():
        b = batches[batch_id]
        rate = settings.get(session, rate_key(b.kind), b.policy_overrides or None)
        f = r15.prepayment(y["agreed"], rate, y["bought"])
        out.append(PrepaymentRow(b.name, b.kind, year, y["start"], y["end"], f.agreed_amount, f.rate,
                                 f.prepayment, f.purchased_amount, f.offset, f.outstanding,
                                 r15.recover_by(b.extended_to or b.cycle_end)))
    return sorted(out, key=lambda r: (r.batch, r.year))
