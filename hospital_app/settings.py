"""Every setting of the app in one typed registry (Picard's option registry).

The **policy** values of DOMAIN.md are here with their defaults; a value stored in the
``setting`` table wins over the default, and a batch's ``policy_overrides`` win over
both for that batch (e.g. a share threshold its execution notice states).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from hospital_app.errors import BadInput
from hospital_app.i18n import tr


@dataclass(frozen=True)
class SettingDef:
    key: str
    type: type
    default: Any
    zh: str
    en: str
    rule: str | None = None  # the DOMAIN.md rule it belongs to
    policy: bool = False  # a policy value of DOMAIN.md (marked **policy** there)
    validate: Callable[[Any], bool] | None = None

    def label(self) -> str:
        return tr(self.zh, self.en)

    def parse(self, raw: Any) -> Any:
        """Turn a stored or typed value into this setting's type; BadInput if it won't go."""
        try:
            if raw is None:
                value = None
            elif self.type is bool:
                if isinstance(raw, str):
                    value = raw.strip().lower() in {"1", "true", "yes", "on", "是"}
                else:
                    value = bool(raw)
            elif self.type is Decimal:
                value = Decimal(str(raw))
            else:
                value = self.type(raw)
        except (ValueError, ArithmeticError, TypeError):
            raise BadInput(tr("设置 {k} 的值无效：{v}", "Invalid value for setting {k}: {v}",
                              k=self.key, v=raw)) from None
        if value is not None and self.validate and not self.validate(value):
            raise BadInput(tr("设置 {k} 的值超出范围：{v}", "Value out of range for setting {k}: {v}",
                              k=self.key, v=raw))
        return value


def _ratio(v: Decimal) -> bool:
    return Decimal(0) <= v <= Decimal(1)


def _positive(v) -> bool:
    return v > 0


_DEFS = [
    # Hospital identity (R19: every document names the hospital, the department, the person
    # responsible and a contact — never an operating-system login).
    SettingDef("hospital.name", str, "", "医院名称", "Hospital name"),
    SettingDef("hospital.department", str, "", "负责科室", "Responsible department"),
    SettingDef("hospital.responsible", str, "", "负责人", "Person responsible"),
    SettingDef("hospital.contact", str, "", "联系人及电话", "Contact person and phone"),
    SettingDef("hospital.code", str, "", "医院编码", "Hospital code"),
    SettingDef("hospital.region", str, "", "所在地区（医保执行报表“地区”列）", "Region (the bureau report's region column)"),
    SettingDef("insurance_bureau", str, "医疗保障局", "医保部门名称", "Medical insurance bureau"),
    # R4 orders
    SettingDef("r4_response_hours", int, 48, "订单响应时限（小时）", "Order response limit (hours)",
               "R4", False, _positive),
    SettingDef("r4_delivery_hours_ordinary", int, 48, "普通订单配送时限（小时）",
               "Delivery window, ordinary orders (hours)", "R4", True, _positive),
    SettingDef("r4_delivery_hours_emergency", int, 4, "急救订单配送时限（小时）",
               "Delivery window, emergency orders (hours)", "R4", True, _positive),
    SettingDef("r4_response_rate_warning", Decimal, Decimal("0.95"), "订单响应率预警线",
               "Order response rate warning below", "R4", False, _ratio),
    SettingDef("r4_timeliness_warning", Decimal, Decimal("0.90"), "配送及时率预警线",
               "Delivery timeliness warning below", "R4", False, _ratio),
    # R6 renewal alignment (Shanxi), off by default
    SettingDef("r6_renewal_alignment", bool, False, "续签对齐（上半年启动→7月1日，下半年→次年1月1日）",
               "Renewal alignment (Jan–Jun start → 07-01, Jul–Dec → 01-01)", "R6", True),
    # R8 status
    SettingDef("r8_severe_gap", Decimal, Decimal("0.10"), "严重滞后：完成进度低于序时进度的百分点",
               "Severely behind: completion below schedule by (fraction)", "R8", True, _ratio),
    SettingDef("r8_agreement_end_days", int, 60, "协议期结束提醒：结束前天数",
               "Agreement-end alert: days before the period ends", "R8", True, lambda v: 0 <= v <= 366),
    # R9 non-selected share
    SettingDef("r9_share_threshold", Decimal, Decimal("0.30"), "非中选产品采购占比上限",
               "Non-selected share limit", "R9", True, _ratio),
    # R11 exclusions: non-selected purchases linked to an issue reported to the bureau
    SettingDef("r11_bureau_confirmation_required", bool, True, "报医保部门的供应问题需经核实才排除非中选采购",
               "Excluding non-selected purchases needs the bureau's confirmation", "R11", True),
    # R12 clustering
    SettingDef("r12_cluster_factor", Decimal, Decimal("2"), "扎堆采购倍数 k（月采购量 > k × 月目标）",
               "Clustered buying factor k (month > k × target)", "R12", True, _positive),
    # R13 volume reports
    SettingDef("r13_baseline_year", int, 0, "报量基线年份（0 = 上一自然年）",
               "Volume report baseline year (0 = last calendar year)", "R13", True,
               lambda v: v == 0 or 2000 <= v <= 2100),
    SettingDef("r13_unreported_units", int, 1000, "未报量仍采购：非中选/可替代采购量阈值（最小单位）",
               "Not reported but bought: non-selected/substitute units above", "R13", True, _positive),
    SettingDef("r13_unreported_amount", Decimal, Decimal("10000"), "未报量仍采购：非中选/可替代采购金额阈值（元）",
               "Not reported but bought: non-selected/substitute amount above (yuan)", "R13", True, _positive),
    # R15 prepayment
    SettingDef("r15_prepay_rate_drug", Decimal, Decimal("0.50"), "药品医保预付比例",
               "Insurance prepayment rate, drugs", "R15", True, _ratio),
    SettingDef("r15_prepay_rate_consumable", Decimal, Decimal("0.30"), "耗材医保预付比例",
               "Insurance prepayment rate, consumables", "R15", True, _ratio),
    # R16 distributors
    SettingDef("r16_max_distributors_drug", int, 5, "每个中选药品配送企业上限",
               "Max distributors per selected drug", "R16", False, _positive),
    SettingDef("r16_max_distributors_consumable", int, 10, "每个中选耗材配送企业上限",
               "Max distributors per selected consumable", "R16", False, _positive),
    # R18 surplus retention estimate
    SettingDef("r18_retention_rate", Decimal, Decimal("0.50"), "结余留用比例（估算）",
               "Surplus retention rate (estimate)", "R18", True, _ratio),
    # R21 departments: allocation of agreed volumes to departments, off by default
    SettingDef("r21_department_allocation", bool, False, "按上一年度科室用量占比分解约定采购量到科室",
               "Split agreed volumes to departments by last year's shares", "R21", True),
    # Import safety
    SettingDef("import_max_file_mb", int, 200, "导入文件大小上限（MB）", "Import file size limit (MB)",
               None, False, _positive),
    # Backups
    SettingDef("backup_daily_keep", int, 7, "每日自动备份保留份数（0 = 关闭）",
               "Daily automatic backups to keep (0 = off)", None, False, lambda v: v >= 0),
    SettingDef("ui_language", str, "zh", "界面语言", "UI language", None, False,
               lambda v: v in {"zh", "en"}),
]

REGISTRY: dict[str, SettingDef] = {d.key: d for d in _DEFS}

# The identity keys before CLI.md version 2: still accepted by ``get``/``set_value``, and a
# value stored under the old key is read when the new one was never set.
LEGACY_KEYS = {"hospital_name": "hospital.name", "hospital_code": "hospital.code",
               "hospital_contact": "hospital.contact", "hospital_region": "hospital.region"}
IDENTITY_KEYS = ("hospital.name", "hospital.department", "hospital.responsible", "hospital.contact")


def canonical(key: str) -> str:
    """The registry key of ``key`` (an old identity key → its CLI.md version 2 name)."""
    return LEGACY_KEYS.get(key, key)


_STORED_KEYS = "settings.stored_keys"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_stored_keys(session: Session, *_args) -> None:
    session.info.pop(_STORED_KEYS, None)


@event.listens_for(Session, "after_flush")
def _note_new_settings(session: Session, _context) -> None:
    known = session.info.get(_STORED_KEYS)
    if known is not None:
        from db.models import Setting

        known.update((o.key, o) for o in session.new if isinstance(o, Setting))


def _stored(session: Session, key: str):
    """The stored ``Setting`` row of a registry key, or of its legacy key.

    The keys stored are read once per transaction (``session.info``): most settings keep their
    default and have no row, and ``session.get`` asks the database again for every such read
    (80 reads per dashboard load, issue 21). A setting added in the transaction is flushed
    first and noted by the ``after_flush`` listener."""
    from db.models import Setting

    known = session.info.get(_STORED_KEYS)
    if known is None:
        # key → row: held here, as the identity map holds its rows weakly; the gets below are free
        known = session.info[_STORED_KEYS] = {r.key: r for r in session.scalars(select(Setting))}
    if key not in known and any(isinstance(o, Setting) for o in session.new):
        session.flush()  # a Setting added but not yet written: write it, the listener notes its key
    row = _live(session, session.get(Setting, key)) if key in known else None
    if row is None:
        old = next((o for o, new in LEGACY_KEYS.items() if new == key), None)
        if old is not None and old in known:
            row = _live(session, session.get(Setting, old))
    return row


def _live(session: Session, row):
    """The row unless it is deleted in this transaction (``reset``), flushed or not."""
    if row is None or row in session.deleted or inspect(row).was_deleted:
        return None
    return row


def definition(key: str) -> SettingDef:
    try:
        return REGISTRY[canonical(key)]
    except KeyError:
        raise BadInput(tr("未知的设置项：{k}", "Unknown setting: {k}", k=key)) from None


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return json.dumps(str(value))
    return json.dumps(value, ensure_ascii=False)


def get(session: Session, key: str, batch_overrides: dict | None = None) -> Any:
    """The effective value: batch override, else stored value, else default."""
    d = definition(key)
    if batch_overrides and key in batch_overrides:
        return d.parse(batch_overrides[key])
    row = _stored(session, d.key)
    if row is None:
        return d.default
    return d.parse(json.loads(row.value))


def get_all(session: Session) -> dict[str, Any]:
    from db.models import Setting

    stored = {r.key: r.value for r in session.scalars(select(Setting))}
    for old, new in LEGACY_KEYS.items():
        if old in stored and new not in stored:
            stored[new] = stored[old]
    out = {}
    for key, d in REGISTRY.items():
        out[key] = d.parse(json.loads(stored[key])) if key in stored else d.default
    return out


def set_value(session: Session, key: str, raw: Any, who: str | None = None) -> Any:
    """Store a value (validated). Returns the parsed value. Caller commits."""
    from datetime import datetime

    from db.models import Setting
    from hospital_app.services import audit

    d = definition(key)
    key = d.key
    value = d.parse(raw)
    row = session.get(Setting, key)
    legacy = _stored(session, key) if row is None else None
    before = json.loads((row or legacy).value) if (row or legacy) is not None else None
    if legacy is not None:  # the value moves to its new key
        session.delete(legacy)
    if row is None:
        row = Setting(key=key, value=_encode(value), updated_by=who)
        session.add(row)
    else:
        row.value = _encode(value)
        row.updated_by = who
        row.updated_at = datetime.now()
    audit.record(session, who, "setting.set", "setting", key, {"value": before},
                 {"value": json.loads(_encode(value))})
    return value


def reset(session: Session, key: str, who: str | None = None) -> Any:
    """Back to the default of DOMAIN.md."""
    from hospital_app.services import audit

    d = definition(key)
    row = _stored(session, d.key)
    if row is not None:
        audit.record(session, who, "setting.reset", "setting", key, {"value": json.loads(row.value)}, None)
        session.delete(row)
    return d.default
