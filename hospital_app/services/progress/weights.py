"""How a batch's products add up (R8 per batch, issue 20): a batch mixes tablets, vials and
stents, so its figures are never a sum of base units. They are money at the selected price
(元 = base units × 元 per base unit); when a product of the batch has no selected price on
record, every product weighs the same (each one's units ÷ its own agreed volume), which is
the plain average of the products' percentages. The batch table, the dashboard's per-batch
completion and the self-check's burn-up all use these weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Product
from hospital_app.services.progress.model import ProgressRow

AMOUNT = "amount"  # 元 at the selected price
PRODUCTS = "products"  # every product weighs the same


@dataclass(frozen=True)
class Weights:
    kind: str  # AMOUNT or PRODUCTS
    by_product: dict[int, Fraction]

    def of(self, row: ProgressRow) -> Fraction:
        return self.by_product.get(row.product_id, Fraction(0))


def selected_prices(session: Session, product_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    return {pid: price for pid, price in session.execute(
        select(Product.id, Product.selected_price).where(Product.id.in_(ids))) if price}


def weights_for(rows: list[ProgressRow], prices: dict[int, Decimal]) -> Weights:
    """R8: money weights when every row has a selected price, else equal product weights."""
    if rows and all(prices.get(r.product_id) for r in rows):
        return Weights(AMOUNT, {r.product_id: Fraction(prices[r.product_id]) for r in rows})
    return Weights(PRODUCTS, {r.product_id: Fraction(1, r.agreed_volume) if r.agreed_volume else Fraction(0)
                              for r in rows})


@dataclass(frozen=True)
class BatchFigures:
    """A batch's figures in its weights: agreed, scheduled to date and bought (元 when
    ``kind`` is AMOUNT; a count of "products' worth" otherwise), completion and schedule."""

    kind: str
    agreed: Fraction
    target: Fraction
    purchased: Fraction
    completion: Fraction
    schedule: Fraction


def exact_sum(terms: Iterable[tuple[int, int]]) -> Fraction:
    """Σ numerator/denominator, exact: the numerators are added as integers per denominator and
    only the few distinct denominators meet as Fractions (a Fraction per term reduces a gcd each
    time; 2 000 products × 48 batches made that a tenth of a second at every start)."""
    by_denominator: dict[int, int] = {}
    for numerator, denominator in terms:
        by_denominator[denominator] = by_denominator.get(denominator, 0) + numerator
    return sum((Fraction(n, d) for d, n in by_denominator.items()), Fraction(0))


def batch_figures(rows: list[ProgressRow], weights: Weights) -> BatchFigures:
    """R7/R8 per batch: completion = Σ w·bought / Σ w·V; schedule = Σ w·S(d)·V / Σ w·V."""
    parts = []
    for r in rows:
        w, s = weights.of(r), Fraction(r.schedule)
        parts.append((w.numerator, w.denominator, s.numerator, s.denominator, r.agreed_volume, r.purchased))
    agreed = exact_sum((n * v, d) for n, d, _sn, _sd, v, _b in parts)
    target = exact_sum((n * sn * v, d * sd) for n, d, sn, sd, v, _b in parts)
    bought = exact_sum((n * b, d) for n, d, _sn, _sd, _v, b in parts)
    return BatchFigures(weights.kind, agreed, target, bought,
                        bought / agreed if agreed else Fraction(0), target / agreed if agreed else Fraction(0))
