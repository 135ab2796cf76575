"""``check``: SQLite integrity and foreign keys, the app's invariants, the keyed audit
chain and the digests of audited and imported rows (issue 11, issue 23 §2/§10/§12)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Product, Purchase
from db.session import Database, current_revision, sqlite_path, sqlite_read_only_uri
from hospital_app.i18n import tr


@dataclass
class CheckProblem:
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class CheckReport:
    location: str
    backend: str
    checks: list[str] = field(default_factory=list)
    problems: list[CheckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, message: str) -> None:
        self.problems.append(CheckProblem(code, message))

    def as_dict(self) -> dict:
        return {"database": self.location, "backend": self.backend, "ok": self.ok,
                "checks": self.checks, "problems": [p.as_dict() for p in self.problems]}


def _sqlite_checks(path: Path, report: CheckReport) -> bool:
    """PRAGMA integrity_check and foreign_key_check. False if the file cannot be read at all."""
    report.checks += ["integrity", "foreign_keys"]
    if not path.exists():
        report.add("missing", tr("数据库文件不存在：{p}", "The database file does not exist: {p}", p=path))
        return False
    try:
        con = sqlite3.connect(sqlite_read_only_uri(path), uri=True, timeout=10)  # read-only media too
        try:
            integrity = [r[0] for r in con.execute("PRAGMA integrity_check(20)")]
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        report.add("corrupt", tr("数据库文件已损坏，无法读取（{e}）。请用最近的备份恢复（restore）。",
                                 "The database file is damaged and cannot be read ({e}). Restore the latest "
                                 "backup (restore).", e=exc))
        return False
    if integrity != ["ok"]:
        report.add("corrupt", tr("数据库文件已损坏（完整性检查失败：{d}）。请用最近的备份恢复（restore）。",
                                 "The database file is damaged (integrity check failed: {d}). Restore the "
                                 "latest backup (restore).", d="; ".join(integrity[:3])))
        return False
    if fk:
        tables = sorted({r[0] for r in fk})
        report.add("foreign_keys", tr("有 {n} 条记录引用了不存在的数据（表：{t}）。",
                                      "{n} rows refer to missing data (tables: {t}).",
                                      n=len(fk), t=", ".join(tables)))
    return True


def _ids(session: Session, query) -> list:
    return list(session.scalars(query.limit(10)))


def _invariants(session: Session, report: CheckReport) -> None:
    """The app's own rules about stored data (R6/R7 periods, purchases)."""
    report.checks += ["invariants", "audit_chain"]
    bad = _ids(session, select(AgreementPeriod.id).where(AgreementPeriod.end < AgreementPeriod.start))
    if bad:
        report.add("period_dates", tr("协议期结束日早于开始日（R6），协议期编号：{ids}",
                                      "Agreement periods end before they start (R6), ids: {ids}", ids=bad))
    bad = _ids(session, select(AgreementPeriod.id).where(AgreementPeriod.agreed_volume < 0))
    if bad:
        report.add("agreed_volume", tr("协议量为负数（R7），协议期编号：{ids}",
                                       "Negative agreed volume (R7), period ids: {ids}", ids=bad))
    bad = _ids(session, select(Purchase.id).outerjoin(Product, Purchase.product_id == Product.id)
               .where(Product.id.is_(None)))
    if bad:
        report.add("purchase_product", tr("采购记录引用了不存在的产品，采购编号：{ids}",
                                          "Purchases refer to missing products, ids: {ids}", ids=bad))
    bad = _ids(session, select(Purchase.id).where(Purchase.quantity < 0, Purchase.is_return.is_(False)))
    if bad:
        report.add("negative_purchase", tr("非退货的采购数量为负数，采购编号：{ids}",
                                           "Negative quantity on a purchase that is not a return, ids: {ids}",
                                           ids=bad))
    _audit(session, report)


def _audit(session: Session, report: CheckReport) -> None:
    """The keyed audit chain and the digests of audited and imported rows (issue 23 §10)."""
    from hospital_app.services import audit

    report.checks.append("row_digests")
    for code, detail, row_id in audit.verify(session):
        if code == "chain":
            report.add("audit_chain", tr("审计日志从第 {id} 条起被修改或删除过（哈希链断裂）。",
                                         "The audit log was altered or rows were deleted from entry {id} on "
                                         "(hash chain broken).", id=row_id))
        elif code == "key_missing":
            report.add("audit_key_missing", tr(
                "本机没有审计密钥 {k}（自第 {id} 条起的审计记录无法核验）。请从建库的电脑复制密钥文件到 {d}。",
                "The audit key {k} is not on this computer (entries from {id} on cannot be verified). Copy the "
                "key file from the computer that created the database into {d}.",
                k=detail, id=row_id, d=audit.audit_key.key_dir()))
        elif code == "unkeyed":
            report.add("audit_unkeyed", tr("审计日志没有密钥保护（可能在程序之外被改写过）。",
                                           "The audit log is not protected by a key (it may have been rewritten "
                                           "outside the app)."))
    for entity, entity_id, audit_id in audit.changed_rows(session):
        if entity == "purchase":
            report.add("purchases_changed", tr(
                "采购记录在最近一次导入（审计第 {a} 条）之后被程序以外的方式修改过（数量、金额等）。",
                "Purchase lines were changed outside the app after the last import (audit entry {a}): "
                "quantities, amounts or other fields.", a=audit_id))
        else:
            report.add("row_changed", tr("{e} 第 {i} 条记录在程序以外被修改过（与审计第 {a} 条记录的内容不符）。",
                                         "{e} {i} was changed outside the app (it differs from audit entry {a}).",
                                         e=entity, i=entity_id, a=audit_id))


def check(db: Database) -> CheckReport:
    """Integrity and foreign keys (SQLite), app invariants, audit chain. Never raises on damage."""
    report = CheckReport(db.location, db.backend)
    path = sqlite_path(db.url)
    if path is not None and not _sqlite_checks(path, report):
        return report
    try:
        revision = current_revision(db.engine)
        report.checks.append("schema_revision")
        if revision is None:
            report.add("not_app_database", tr("这不是本程序的数据库（没有结构版本）。",
                                              "This is not a database of this app (no schema revision)."))
            return report
        with db.read_session() as session:
            _invariants(session, report)
    except DatabaseError as exc:
        report.add("unreadable", tr("读取数据库时出错：{e}", "Error while reading the database: {e}",
                                    e=getattr(exc, "orig", exc)))
    return report

