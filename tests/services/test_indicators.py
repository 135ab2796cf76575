"""R20: the bureau's execution indicators per batch, from the progress service, as of d."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hospital_app.services.indicators import compute_indicators
from tests.services.bureau_data import AS_OF, indicator_world


@pytest.fixture
def world(session):
    return indicator_world(session)


def _batch(report, name):
    [b] = [b for b in report.batches if b.batch == name]
    return b


def _ids(b, key):
    return sorted(p.product_id for p in b.products[key])


def test_r20_status_counts_and_boundaries(session, world):
    """GIVEN batch A on 2025-06-30 (S = 50 %): 甲 at exactly 100 %, 乙 at 100 % + 1 unit, 丙 bought only
    after d, 丁 at 599/1200, 戊 at exactly the schedule WHEN computing R20 THEN 签约 5, 零采购 1 (丙),
    超量 1 (乙, not 甲), 低于序时进度 1 (丁), 正常 2 (甲, 戊), shares 20 % / 20 % / 20 % / 40 %."""
    b = _batch(compute_indicators(session, AS_OF), "批次A")
    assert b.schedule == Fraction(1, 2)
    assert b.counts["total"] == 5
    assert _ids(b, "zero") == [world["丙"].id]
    assert _ids(b, "over_purchase") == [world["乙"].id]
    assert _ids(b, "below_schedule") == [world["丁"].id]
    assert _ids(b, "normal") == sorted([world["甲"].id, world["戊"].id])
    assert [b.share(k) for k in ("zero", "below_schedule", "over_purchase", "normal")] == [
        Fraction(1, 5), Fraction(1, 5), Fraction(1, 5), Fraction(2, 5)]


def test_r20_nonselected_share_by_quantity_and_amount(session, world):
    """GIVEN 甲 (quantity share 20 %, amount share 300/420 = 71 %), 丁 (600/1199 both ways) and 戊 (exactly
    30 % both ways) WHEN computing R20 THEN 非中选超量 = {丁}, 非中选超额 = {甲, 丁} (exactly 30 % is not
    over), and 低于序时进度且非中选超量 = {丁}."""
    b = _batch(compute_indicators(session, AS_OF), "批次A")
    assert _ids(b, "nonselected_over_quantity") == [world["丁"].id]
    assert _ids(b, "nonselected_over_amount") == sorted([world["甲"].id, world["丁"].id])
    assert _ids(b, "below_and_nonselected_over") == [world["丁"].id]


def test_r20_nonselected_and_substitute_products(session, world):
    """GIVEN non-selected 甲, 丙 (never bought), 丁, 戊 and two substitutes of 甲 (one bought in the period,
    one only in 2024) WHEN computing R20 THEN 对应非中选 4, 采购非中选 3, 对应可替代 2, 采购可替代 1."""
    b = _batch(compute_indicators(session, AS_OF), "批次A")
    assert (b.counts["nonselected_total"], b.counts["nonselected_bought"]) == (4, 3)
    assert _ids(b, "nonselected_bought") == sorted(world[k].id for k in ("n甲", "n丁", "n戊"))
    assert (b.counts["substitute_total"], b.counts["substitute_bought"]) == (2, 1)
    assert _ids(b, "substitute_bought") == [world["s1"].id]


def test_r20_batch_without_nonselected_products(session, world):
    """GIVEN batch B with one selected product at 60/100 and no non-selected or substitute products WHEN
    computing R20 THEN every non-selected and substitute indicator is 0 and the product is normal (60 % ≥ 50 %)."""
    b = _batch(compute_indicators(session, AS_OF), "批次B")
    assert b.counts["total"] == 1 and b.counts["normal"] == 1
    for key in ("nonselected_total", "nonselected_bought", "nonselected_over_quantity", "nonselected_over_amount",
                "substitute_total", "substitute_bought", "below_and_nonselected_over"):
        assert b.counts[key] == 0, key


def test_r20_as_dict_keys_and_batch_filter(session, world):
    """GIVEN the two batches WHEN asking for batch B only THEN one batch row with counts and shares as fractions."""
    report = compute_indicators(session, AS_OF, batch="批次B")
    assert [b.batch for b in report.batches] == ["批次B"]
    d = report.as_dict()["batches"][0]
    assert d["total"] == 1 and d["normal_share"] == 1.0 and d["zero_share"] == 0.0 and d["schedule"] == 0.5
