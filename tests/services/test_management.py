"""Management (R9–R11, R17): exemptions, substitutes, marks, suspension, batch policies — all audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db.models import AuditLog
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.services import management as mg
from hospital_app.services.progress import compute_progress
from tests.services import monitoring_data as md


def _actions(session):
    return [a for (a,) in session.execute(select(AuditLog.action).order_by(AuditLog.id))]


def test_r11_exemption_add_list_remove_audited(session):
    """GIVEN a product WHEN exempted (reason from the R11 list, document ref) THEN status exempt;
    removed → assessed again; both changes in the audit log."""
    _, p = md.worked_example(session)
    view = mg.add_exemption(session, p.id, "guideline_change", "国卫办医函〔2025〕12号", who="药师甲")
    assert compute_progress(session, date(2025, 3, 31)).rows[0].status == "exempt"
    assert [v.id for v in mg.list_exemptions(session, p.id)] == [view.id]
    mg.remove_exemption(session, view.id)
    assert compute_progress(session, date(2025, 3, 31)).rows[0].status == "not_started"
    assert _actions(session) == ["exemption.add", "exemption.remove"]


def test_r11_exemption_rejects_unknown_reason_and_missing_document(session):
    _, p = md.worked_example(session)
    with pytest.raises(BadInput):
        mg.add_exemption(session, p.id, "other", "文号")
    with pytest.raises(BadInput):
        mg.add_exemption(session, p.id, "public_health_event", " ")
    with pytest.raises(NotFound):
        mg.add_exemption(session, 999, "public_health_event", "文号")
    assert _actions(session) == []


def test_r10_substitute_mapping(session):
    """GIVEN a selected generic WHEN mapping a substitute THEN listed; a duplicate is a conflict."""
    md.worked_example(session)
    m = mg.add_substitute(session, "阿托伐他汀钙片", "匹伐他汀钙片")
    assert [(v.selected_generic, v.substitute_generic) for v in mg.list_substitutes(session)] == [
        ("阿托伐他汀钙片", "匹伐他汀钙片")]
    with pytest.raises(Conflict):
        mg.add_substitute(session, "阿托伐他汀钙片", "匹伐他汀钙片")
    with pytest.raises(NotFound):
        mg.add_substitute(session, "不存在的药", "匹伐他汀钙片")
    mg.remove_substitute(session, m.id)
    assert mg.list_substitutes(session) == []
    assert _actions(session) == ["substitute.add", "substitute.remove"]


def test_r11_marks_and_r17_suspension_show_in_progress(session):
    """GIVEN marks shortage + key_monitoring and a suspension WHEN progress THEN the flags show; lifting works."""
    _, p = md.worked_example(session)
    mg.set_mark(session, p.id, "shortage")
    mg.set_mark(session, p.id, "key_monitoring")
    mg.suspend(session, p.id, date(2025, 3, 1), "疑似质量问题", ["manufacturer", "drug_authority"])
    flags = compute_progress(session, date(2025, 3, 31)).rows[0].flags
    assert flags[:3] == ["suspended", "shortage", "key_monitoring"]
    mg.unsuspend(session, p.id)
    with pytest.raises(Conflict):
        mg.unsuspend(session, p.id)
    with pytest.raises(BadInput):
        mg.suspend(session, p.id, date(2025, 3, 1), "x", ["nobody"])
    with pytest.raises(BadInput):
        mg.set_mark(session, p.id, "cheap")
    assert _actions(session) == ["product.mark", "product.mark", "product.suspend", "product.unsuspend"]


def test_r9_batch_policy_override(session):
    """GIVEN a notice stating 25 % WHEN set on the batch THEN effective for that batch; unset → 30 %."""
    b, _ = md.worked_example(session)
    assert mg.set_batch_policy(session, b.name, "r9_share_threshold", "0.25") == {"r9_share_threshold": "0.25"}
    assert str(mg.batch_policies(session, b.name)["r9_share_threshold"]) == "0.25"
    with pytest.raises(BadInput):
        mg.set_batch_policy(session, b.name, "r9_share_threshold", "1.5")
    with pytest.raises(BadInput):
        mg.set_batch_policy(session, b.name, "hospital_name", "x")
    mg.unset_batch_policy(session, b.name, "r9_share_threshold")
    assert str(mg.batch_policies(session, b.name)["r9_share_threshold"]) == "0.30"
    assert _actions(session) == ["batch.set_policy", "batch.unset_policy"]


def test_r17_suspension_records_recipients_typed_in(session):
    """GIVEN a product WHEN suspended as reported to the manufacturer plus two recipients in the user's words
    (one repeated, one blank) THEN the codes come first, then the typed names once each, as written; an unknown
    code is still refused (R17)."""
    _, p = md.worked_example(session)
    got = mg.suspend(session, p.id, date(2025, 3, 1), "不良反应聚集", ["manufacturer"],
                     reported_other=[" 市药品不良反应监测中心 ", "省药监局", "省药监局", " "])
    assert got["reported_to"] == ["manufacturer", "市药品不良反应监测中心", "省药监局"]
    assert p.suspension_reported_to == ["manufacturer", "市药品不良反应监测中心", "省药监局"]
    with pytest.raises(BadInput):
        mg.suspend(session, p.id, date(2025, 3, 1), "x", ["省药监局"])
