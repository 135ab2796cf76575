"""The supplier sheet PDF (R4 v2): the scorecard and its drill-down, rendered for the meeting."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Company
from hospital_app.errors import BadInput, NotFound
from hospital_app.i18n import tr
from hospital_app.services.documents import record_document
from hospital_app.services.suppliers import scorecard
from hospital_app.services.suppliers_detail import supplier_issues, supplier_orders


def _company(session: Session, company: str | int) -> Company:
    text = str(company).strip()
    found = session.scalar(select(Company).where(Company.name == text))
    if found is None and text.isdigit():
        found = session.get(Company, int(text))
    if found is None:
        raise NotFound(tr("找不到企业：{c}", "No such company: {c}", c=text))
    return found


def make_supplier_card(session: Session, company: str | int, role: str | None, out_path: str | Path, as_of: date,
                       quarter: str | None = None, year: int | None = None, who: str | None = None,
                       generated_at: datetime | None = None) -> dict:
    """R4: one page per supplier, period ``quarter``/``year`` (default the quarter of d)."""
    from hospital_app.reports.supplier_card import SupplierCardData, render_supplier_card
    from hospital_app.services.settings_service import require_identity

    c = _company(session, company)
    role = role or ("manufacturer" if c.is_manufacturer or not c.is_distributor else "distributor")
    if role not in ("manufacturer", "distributor"):
        raise BadInput(tr("角色应为 manufacturer 或 distributor：{r}", "role must be manufacturer or distributor: {r}",
                          r=role))
    rows = [s for s in scorecard(session, as_of, quarter, year, role=role) if s.company_id == c.id]
    if not rows:
        raise NotFound(tr("{c} 不是{r}，也没有相关订单或问题", "{c} is no {r} and has no orders or issues",
                          c=c.name, r=tr("生产企业", "manufacturer") if role == "manufacturer" else tr("配送企业", "distributor")))
    ident = require_identity(session)
    data = SupplierCardData(rows[0], supplier_orders(session, c.id, role, as_of, quarter, year),
                            supplier_issues(session, c.id, role, as_of, quarter, year), as_of,
                            ident.name, ident.code)
    path = Path(out_path)
    pages = render_supplier_card(path, data, generated_at=generated_at or datetime.now())
    record_document(session, "supplier_card", path,
                    {"company_id": c.id, "role": role, "period": rows[0].period, "as_of": as_of.isoformat()}, who)
    return {"path": str(path), "pages": pages, "company_id": c.id}
