"""Data for the document tests, built through the models (DOMAIN.md worked examples).

- R7: V = 12 000 粒, period 2024-09-20..2025-09-19; 5 000 purchased by 2025-03-31
  → target 6 367, completion 41.67 %, schedule 53.06 %, shortfall 1 367.
- R2/R3: an issue reported Tue 2025-09-30 16:00 → reply due Fri 2025-10-10 (National Day).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from db.models import (AgreementPeriod, Batch, Company, Exemption, Product, Purchase, SupplyIssue,
                       SupplyIssueEvent)
from hospital_app import settings

HOSPITAL = "青山市第一人民医院"
CODE = "H33010001"
CONTACT = "药学部 王药师 0571-88886666"
BUREAU = "青山市医疗保障局"


def build(session) -> dict:
    settings.set_value(session, "hospital_name", HOSPITAL, "tester")
    settings.set_value(session, "hospital_code", CODE, "tester")
    settings.set_value(session, "hospital_contact", CONTACT, "tester")
    settings.set_value(session, "insurance_bureau", BUREAU, "tester")
    batch = Batch(name="第十批国家集采", kind="drug", level="national", execution_start=date(2024, 9, 20))
    maker = Company(name="华东制药有限公司", is_manufacturer=True)
    other_maker = Company(name="江南药业股份有限公司", is_manufacturer=True)
    dist = Company(name="国药控股青山有限公司", is_distributor=True)
    session.add_all([batch, maker, other_maker, dist])
    session.flush()
    amox = Product(batch=batch, code="XY001", generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊",
                   dosage_form="胶囊剂", spec="0.25g", base_unit="粒", manufacturer_id=maker.id, selected=True,
                   category="selected", selected_price=Decimal("0.1200"))
    met = Product(batch=batch, code="XY002", generic_name="二甲双胍片", generic_name_norm="二甲双胍片",
                  dosage_form="片剂", spec="0.5g", base_unit="片", manufacturer_id=other_maker.id, selected=True,
                  category="selected", selected_price=Decimal("0.0300"))
    session.add_all([amox, met])
    session.flush()
    session.add(AgreementPeriod(product_id=amox.id, year_index=1, start=date(2024, 9, 20),
                                end=date(2025, 9, 19), agreed_volume=12000))
    session.add(AgreementPeriod(product_id=met.id, year_index=1, start=date(2024, 9, 20),
                                end=date(2025, 9, 19), agreed_volume=24000))
    for i, (d, q) in enumerate([(date(2024, 10, 15), 1500), (date(2024, 12, 10), 1500),
                                (date(2025, 2, 10), 2000)]):
        session.add(Purchase(product_id=amox.id, dedup_key=f"a{i}", purchase_date=d, quantity=q))
    for i, m in enumerate(range(10, 13)):
        session.add(Purchase(product_id=met.id, dedup_key=f"m{i}", purchase_date=date(2024, m, 5), quantity=4000))
    for i, m in enumerate(range(1, 4)):
        session.add(Purchase(product_id=met.id, dedup_key=f"n{i}", purchase_date=date(2025, m, 5), quantity=3000))
    session.add(Exemption(product_id=met.id, reason="public_health_event", document_ref="青医保〔2025〕12号",
                          note="流感季临床需求下降", start=date(2025, 1, 1)))
    issue = SupplyIssue(product_id=amox.id, company_id=maker.id, distributor_id=dist.id, type="shortage",
                        description="连续三次订单未配送，临床库存告急。", status="open",
                        reported_at=datetime(2025, 9, 30, 16, 0), reported_by="王药师")
    resolved = SupplyIssue(product_id=met.id, company_id=other_maker.id, type="late_delivery",
                           description="配送延迟", status="resolved", reported_at=datetime(2025, 3, 3, 9, 0),
                           replied_at=datetime(2025, 3, 4, 9, 0), resolved_at=datetime(2025, 3, 6, 9, 0))
    session.add_all([issue, resolved])
    session.flush()
    session.add(SupplyIssueEvent(issue_id=issue.id, at=datetime(2025, 9, 30, 16, 0), who="王药师",
                                 action="filed", to_status="open", detail="电话及平台同步反馈"))
    session.flush()
    return {"amox": amox.id, "met": met.id, "issue": issue.id, "resolved_issue": resolved.id}
