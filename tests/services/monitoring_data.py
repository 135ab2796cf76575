"""Builders for monitoring tests (R6–R17): batches, products, periods, purchases via the models."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from db.models import AgreementPeriod, Batch, Company, Product, Purchase

_seq = itertools.count(1)


def batch(session, name="十六省联盟", start=date(2024, 9, 20), kind="drug", overrides=None) -> Batch:
    b = Batch(name=name, kind=kind, execution_start=start, cycle_years=2,
              cycle_end=date(start.year + 2, start.month, start.day) if start.day < 29 else None,
              policy_overrides=overrides or {})
    session.add(b)
    session.flush()
    return b


def company(session, name) -> Company:
    c = Company(name=name, is_manufacturer=True)
    session.add(c)
    session.flush()
    return c


def product(session, b: Batch | None, generic="阿托伐他汀钙片", spec="20mg", selected=True, maker=None,
            price="0.2329", role="primary", **kw) -> Product:
    p = Product(batch_id=b.id if b else None, generic_name=generic, generic_name_norm=generic,
                dosage_form="片剂", spec=spec, spec_norm=spec, base_unit="片", selected=selected,
                category="selected" if selected else "nonselected",
                supply_role=role if selected else kw.pop("supply_role", None),
                manufacturer_id=maker.id if maker else None,
                selected_price=Decimal(price) if price else None, **kw)
    session.add(p)
    session.flush()
    return p


def period(session, p: Product, start=date(2024, 9, 20), end=date(2025, 9, 19), volume=12000,
           year_index=1) -> AgreementPeriod:
    ap = AgreementPeriod(product_id=p.id, start=start, end=end, agreed_volume=volume, year_index=year_index)
    session.add(ap)
    session.flush()
    return ap


def buy(session, p: Product, day: date, qty: int, price: str | None = None, distributor=None) -> Purchase:
    n = next(_seq)
    pu = Purchase(product_id=p.id, dedup_key=f"T{n}-{p.id}-{day}", order_no=f"T{n}", line_no=1,
                  order_time=datetime(day.year, day.month, day.day, 9, 0), purchase_date=day,
                  quantity=qty, unit_price=Decimal(price) if price else None,
                  distributor_id=distributor.id if distributor else None)
    session.add(pu)
    session.flush()
    return pu


def worked_example(session):
    """DOMAIN.md R7: V = 12 000 over 2024-09-20..2025-09-19; returns (batch, product)."""
    b = batch(session)
    maker = company(session, "齐鲁制药有限公司")
    p = product(session, b, maker=maker)
    period(session, p)
    return b, p
