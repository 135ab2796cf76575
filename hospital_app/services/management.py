"""What a pharmacist changes about the assessment (R6, R9–R11, R17); every change is audited.

- exemptions from the completion assessment (R11: reason from the list + document ref);
- substitute mappings (R10);
- product marks: shortage, emergency, cheaper_equal_quality, key_monitoring (R11);
- quality suspension with date, reason and to whom it was reported (R17);
- batch policy overrides (e.g. a share threshold its execution notice states, R9);
- the reason a product lags (未完成原因, R8/R19).

Batch kind and extension (R6) are in ``services/batches.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Batch, Exemption, Product, Substitute
from hospital_app import settings
from hospital_app.domain import monitoring
from hospital_app.domain.normalize import normalize_generic
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.services import audit


def _normalize(name: str) -> str:
    """R9 generic-name normalisation, the same as import uses."""
    return normalize_generic(name)


def _product(session: Session, product_id: int) -> Product:
    p = session.get(Product, product_id)
    if p is None:
        raise NotFound(tr("找不到产品：{id}", "No such product: {id}", id=product_id))
    return p


# ------------------------------------------------------------------------ exemptions


@dataclass
class ExemptionView:
    id: int
    product_id: int
    product: str
    reason: str
    reason_label: str
    document_ref: str | None
    note: str | None
    start: date | None
    end: date | None
    created_by: str | None
    created_at: datetime | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _exemption_view(e: Exemption, p: Product) -> ExemptionView:
    return ExemptionView(e.id, e.product_id, p.generic_name, e.reason, monitoring.exemption_reason_label(e.reason),
                         e.document_ref, e.note, e.start, e.end, e.created_by, e.created_at)


def _exemption_snapshot(e: Exemption) -> dict:
    return {"product_id": e.product_id, "reason": e.reason, "document_ref": e.document_ref,
            "note": e.note, "start": e.start, "end": e.end}


def add_exemption(session: Session, product_id: int, reason: str, document_ref: str,
                  note: str | None = None, start: date | None = None, end: date | None = None,
                  who: str | None = None) -> ExemptionView:
    """R11: exempt a product from the completion assessment (reason from the list, document ref)."""
    p = _product(session, product_id)
    if not p.selected:  # only a selected product has a completion assessment to be exempt from
        raise BadInput(tr("产品 {id}（{n}）不是中选产品，没有完成进度考核，无需免考核。",
                          "Product {id} ({n}) is not a selected product; it has no completion assessment.",
                          id=p.id, n=p.generic_name))
    if reason not in monitoring.EXEMPTION_REASONS:
        raise BadInput(tr("免考核原因应为：{r}", "The reason must be one of: {r}",
                          r=", ".join(monitoring.EXEMPTION_REASONS)))
    if not (document_ref or "").strip():
        raise BadInput(tr("请填写依据文件（文号）", "A document reference is required"))
    if start and end and end < start:
        raise BadInput(tr("结束日期早于开始日期", "The end date is before the start date"))
    who = who or audit.current_user()
    e = Exemption(product_id=p.id, reason=reason, document_ref=document_ref.strip(), note=note,
                  start=start, end=end, created_by=who, created_at=datetime.now())
    session.add(e)
    session.flush()
    audit.record(session, who, "exemption.add", "exemption", e.id, None, _exemption_snapshot(e))
    return _exemption_view(e, p)


def list_exemptions(session: Session, product_id: int | None = None) -> list[ExemptionView]:
    q = select(Exemption, Product).join(Product, Product.id == Exemption.product_id).order_by(Exemption.id)
    if product_id is not None:
        q = q.where(Exemption.product_id == product_id)
    return [_exemption_view(e, p) for e, p in session.execute(q)]


def remove_exemption(session: Session, exemption_id: int, who: str | None = None) -> None:
    e = session.get(Exemption, exemption_id)
    if e is None:
        raise NotFound(tr("找不到免考核记录：{id}", "No such exemption: {id}", id=exemption_id))
    audit.record(session, who, "exemption.remove", "exemption", e.id, _exemption_snapshot(e), None)
    session.delete(e)
    session.flush()


# ----------------------------------------------------------------------- substitutes


@dataclass
class SubstituteView:
    id: int
    selected_generic: str
    substitute_generic: str
    note: str | None
    created_by: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def add_substitute(session: Session, selected_generic: str, substitute_generic: str,
                   note: str | None = None, who: str | None = None) -> SubstituteView:
    """R10: map a substitute drug to a selected generic name."""
    sel, sub = _normalize(selected_generic or ""), _normalize(substitute_generic or "")
    if not sel or not sub:
        raise BadInput(tr("请填写中选药品通用名和可替代药品通用名",
                          "Both the selected and the substitute generic names are required"))
    if sel == sub:
        raise BadInput(tr("可替代药品不能与中选药品同名", "A substitute cannot have the selected generic name"))
    known = session.scalar(select(Product.id).where(Product.generic_name_norm == sel,
                                                    Product.selected.is_(True)).limit(1))
    if known is None:
        raise NotFound(tr("没有通用名为“{g}”的中选产品", "No selected product named '{g}'", g=selected_generic))
    if session.scalar(select(Substitute.id).where(Substitute.selected_generic_norm == sel,
                                                  Substitute.substitute_generic_norm == sub)) is not None:
        raise Conflict(tr("该可替代药品对应关系已存在", "This substitute mapping already exists"))
    who = who or audit.current_user()
    m = Substitute(selected_generic_norm=sel, substitute_generic_name=substitute_generic.strip(),
                   substitute_generic_norm=sub, note=note, created_by=who, created_at=datetime.now())
    session.add(m)
    session.flush()
    audit.record(session, who, "substitute.add", "substitute", m.id, None,
                 {"selected": sel, "substitute": sub, "note": note})
    return SubstituteView(m.id, sel, m.substitute_generic_name, note, who)


def list_substitutes(session: Session) -> list[SubstituteView]:
    return [SubstituteView(m.id, m.selected_generic_norm, m.substitute_generic_name, m.note, m.created_by)
            for m in session.scalars(select(Substitute).order_by(Substitute.selected_generic_norm, Substitute.id))]


def remove_substitute(session: Session, substitute_id: int, who: str | None = None) -> None:
    m = session.get(Substitute, substitute_id)
    if m is None:
        raise NotFound(tr("找不到可替代药品对应关系：{id}", "No such substitute mapping: {id}", id=substitute_id))
    audit.record(session, who, "substitute.remove", "substitute", m.id,
                 {"selected": m.selected_generic_norm, "substitute": m.substitute_generic_norm}, None)
    session.delete(m)
    session.flush()


# ------------------------------------------------------------------ marks, suspension

_MARK_COLUMNS = {"shortage": "is_shortage", "emergency": "is_emergency",
                 "cheaper_equal_quality": "cheaper_equal_quality", "key_monitoring": "key_monitoring"}


def mark_label(mark: str) -> str:
    return {"shortage": tr("短缺药品", "shortage drug"), "emergency": tr("急抢救药品", "emergency drug"),
            "cheaper_equal_quality": tr("价低且同等质量", "cheaper with equal quality"),
            "key_monitoring": tr("重点监控", "key monitoring")}.get(mark, mark)


def product_marks(p: Product) -> dict[str, bool]:
    return {mark: bool(getattr(p, col)) for mark, col in _MARK_COLUMNS.items()}


def set_mark(session: Session, product_id: int, mark: str, on: bool = True, who: str | None = None) -> dict[str, bool]:
    """R11: set or clear a mark on a product. Returns all its marks."""
    if mark not in _MARK_COLUMNS:
        raise BadInput(tr("标记应为：{m}", "The mark must be one of: {m}", m=", ".join(_MARK_COLUMNS)))
    p = _product(session, product_id)
    before = product_marks(p)
    setattr(p, _MARK_COLUMNS[mark], bool(on))
    session.flush()
    after = product_marks(p)
    if before != after:
        audit.record(session, who, "product.mark", "product", p.id, before, after)
    return after


def _suspension(p: Product) -> dict:
    return {"suspended_on": p.suspended_on, "reason": p.suspension_reason,
            "reported_to": list(p.suspension_reported_to or [])}


def suspend(session: Session, product_id: int, on: date, reason: str, reported_to: list[str] | None = None,
            who: str | None = None, reported_other: list[str] | None = None) -> dict:
    """R17: suspend a product for a quality risk or adverse reaction.

    ``reported_to`` holds the codes of ``monitoring.REPORTED_TO`` (checked, so a CLI typo is
    refused); ``reported_other`` names further recipients in the user's words (e.g. the
    city's adverse-reaction monitoring centre), stored after the codes as written."""
    p = _product(session, product_id)
    if not (reason or "").strip():
        raise BadInput(tr("请填写暂停使用的原因", "A reason is required"))
    reported = list(dict.fromkeys(reported_to or []))
    bad = [r for r in reported if r not in monitoring.REPORTED_TO]
    if bad:
        raise BadInput(tr("报告对象应为：{r}", "Reported-to must be among: {r}", r=", ".join(monitoring.REPORTED_TO)))
    others = [x.strip() for x in reported_other or [] if x and x.strip()]
    reported = list(dict.fromkeys(reported + others))
    before = _suspension(p)
    p.suspended_on, p.suspension_reason, p.suspension_reported_to = on, reason.strip(), reported
    session.flush()
    audit.record(session, who, "product.suspend", "product", p.id, before, _suspension(p))
    return _suspension(p)


def unsuspend(session: Session, product_id: int, who: str | None = None) -> None:
    """R17: lift a suspension (the audit log keeps what it was)."""
    p = _product(session, product_id)
    if p.suspended_on is None:
        raise Conflict(tr("该产品未被暂停使用", "This product is not suspended"))
    before = _suspension(p)
    p.suspended_on, p.suspension_reason, p.suspension_reported_to = None, None, []
    session.flush()
    audit.record(session, who, "product.unsuspend", "product", p.id, before, _suspension(p))


def get_lag_reason(session: Session, product_id: int) -> str | None:
    """R8/R19: the product's recorded lag reason (未完成原因), or None."""
    return _product(session, product_id).lag_reason


def set_lag_reason(session: Session, product_id: int, text: str | None, who: str | None = None) -> str | None:
    """R8/R19: the pharmacist's reason a product lags (未完成原因); empty text clears it. Audited."""
    p = _product(session, product_id)
    value = (text or "").strip() or None
    if value is not None and len(value) > 2000:
        raise BadInput(tr("原因过长（最多 2000 字）", "The reason is too long (2000 characters at most)"))
    before = {"lag_reason": p.lag_reason}
    if p.lag_reason != value:
        p.lag_reason = value
        session.flush()
        audit.record(session, who, "product.lag_reason", "product", p.id, before, {"lag_reason": value})
    return value


# ------------------------------------------------------------------ batch policies

#: Settings a batch may override (policy values of DOMAIN.md).
BATCH_POLICY_KEYS = tuple(k for k, d in settings.REGISTRY.items() if d.policy)


def _batch(session: Session, name: str) -> Batch:
    b = session.scalar(select(Batch).where(Batch.name == name))
    if b is None:
        raise NotFound(tr("找不到批次：{b}", "No such batch: {b}", b=name))
    return b


def set_batch_policy(session: Session, batch: str, key: str, value, who: str | None = None) -> dict:
    """Override a policy value for one batch (e.g. r9_share_threshold 0.25). Returns the overrides."""
    b = _batch(session, batch)
    if key not in BATCH_POLICY_KEYS:
        raise BadInput(tr("批次可覆盖的设置项为：{k}", "A batch may override: {k}", k=", ".join(BATCH_POLICY_KEYS)))
    parsed = settings.definition(key).parse(value)
    before = dict(b.policy_overrides or {})
    after = dict(before)
    after[key] = str(parsed) if not isinstance(parsed, (bool, int)) else parsed
    b.policy_overrides = after  # a new dict, so the JSON column is seen as changed
    session.flush()
    audit.record(session, who, "batch.set_policy", "batch", b.id, {"policy_overrides": before},
                 {"policy_overrides": after})
    return after


def unset_batch_policy(session: Session, batch: str, key: str, who: str | None = None) -> dict:
    b = _batch(session, batch)
    before = dict(b.policy_overrides or {})
    if key not in before:
        raise NotFound(tr("批次 {b} 没有覆盖 {k}", "Batch {b} does not override {k}", b=batch, k=key))
    after = {k: v for k, v in before.items() if k != key}
    b.policy_overrides = after
    session.flush()
    audit.record(session, who, "batch.unset_policy", "batch", b.id, {"policy_overrides": before},
                 {"policy_overrides": after})
    return after


def batch_policies(session: Session, batch: str) -> dict:
    """Effective policy values of a batch: its overrides, else the stored settings, else the defaults."""
    b = _batch(session, batch)
    return {k: settings.get(session, k, b.policy_overrides or None) for k in BATCH_POLICY_KEYS}
