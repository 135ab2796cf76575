"""Small hand-computable data for the bureau's indicators (R20), scorecard (R4) and retention (R18)."""

from __future__ import annotations

from datetime import date

from db.models import Substitute
from tests.services.monitoring_data import batch, buy, company, period, product

START, END = date(2025, 1, 1), date(2025, 12, 31)
AS_OF = date(2025, 6, 30)  # month end: S(d) = 6/12 = 0.5


def sel(session, b, generic, volume, bought, price="1.0", maker=None):
    p = product(session, b, generic=generic, spec="1片", price=price, maker=maker)
    period(session, p, START, END, volume)
    if bought:
        buy(session, p, date(2025, 3, 15), bought, price)
    return p


def nonsel(session, generic, bought, price="1.0", day=date(2025, 4, 1)):
    p = product(session, None, generic=generic, spec="1片", selected=False, price=None)
    if bought:
        buy(session, p, day, bought, price)
    return p


def indicator_world(session):
    """Batch A (5 selected products) and batch B (1 selected product, no non-selected ones).

    A: 甲 V1200 bought 1200 (exactly 100 %: normal) @0.1, non-selected 甲 300 @1.0
         (share by quantity 300/1500 = 20 %, by amount 300/420 = 71 %);
       乙 V1200 bought 1201 (超量); 丙 V1200 bought 0 (+ 10 on 2025-07-01, after d), non-selected 丙 never bought;
       丁 V1200 bought 599 (below 0.5) with non-selected 丁 600 (share 600/1199 > 30 % both ways);
       戊 V1400 bought 700 (C = S: normal) with non-selected 戊 300 (share exactly 30 %: not over);
       substitutes of 甲: 替代药A bought 50 in the period, another 替代药A bought only before the period.
    B: 己 V100 bought 60.
    """
    a = batch(session, "批次A", start=START)
    b = batch(session, "批次B", start=START)
    p = {}
    p["甲"] = sel(session, a, "甲", 1200, 1200, price="0.1")
    p["乙"] = sel(session, a, "乙", 1200, 1201)
    p["丙"] = sel(session, a, "丙", 1200, 0)
    buy(session, p["丙"], date(2025, 7, 1), 10, "1.0")
    p["丁"] = sel(session, a, "丁", 1200, 599)
    p["戊"] = sel(session, a, "戊", 1400, 700)
    p["己"] = sel(session, b, "己", 100, 60)
    p["n甲"] = nonsel(session, "甲", 300)
    p["n丙"] = nonsel(session, "丙", 0)
    p["n丁"] = nonsel(session, "丁", 600)
    p["n戊"] = nonsel(session, "戊", 300)
    session.add(Substitute(selected_generic_norm="甲", substitute_generic_name="替代药A",
                           substitute_generic_norm="替代药A"))
    p["s1"] = nonsel(session, "替代药A", 50)
    p["s2"] = nonsel(session, "替代药A", 70, day=date(2024, 12, 1))
    session.flush()
    return p


__all__ = ["AS_OF", "END", "START", "company", "indicator_world", "sel", "nonsel"]
