"""What the settings page shows and changes: settings rows, the calendar year view,
a database connection test.

Thin use cases over ``hospital_app.settings`` (the typed registry) and
``services.calendar`` (R1) that return plain data for the desktop app; the caller
owns the transaction (``with db.session() as s``), as everywhere in services.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hospital_app import settings
from hospital_app.errors import BadInput, Refused
from hospital_app.i18n import tr
from hospital_app.reports.model import Identity


@dataclass(frozen=True)
class SettingRow:
    """One setting as the settings page shows it."""

    key: str
    label: str
    kind: str  # str | int | decimal | bool
    value: Any
    default: Any
    is_default: bool
    rule: str | None
    policy: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _kind(d: settings.SettingDef) -> str:
    return {str: "str", int: "int", bool: "bool", Decimal: "decimal"}.get(d.type, "str")


def list_settings(session: Session) -> list[SettingRow]:
    """Every registered setting with its effective value and its default (registry order)."""
    values = settings.get_all(session)
    return [SettingRow(key, d.label(), _kind(d), values[key], d.default, values[key] == d.default,
                       d.rule, d.policy)
            for key, d in settings.REGISTRY.items()]


def save_settings(session: Session, changes: dict[str, Any], who: str | None = None) -> list[SettingRow]:
    """Store several values at once (all validated first: one bad value writes nothing)."""
    parsed = {settings.canonical(key): settings.definition(key).parse(raw) for key, raw in changes.items()}
    current = settings.get_all(session)
    for key, value in parsed.items():
        if current[key] != value:
            settings.set_value(session, key, value, who)
    session.flush()
    return list_settings(session)


def reset_setting(session: Session, key: str, who: str | None = None) -> SettingRow:
    """Back to the default of DOMAIN.md; returns the row as it is now."""
    settings.reset(session, key, who)
    session.flush()
    return next(r for r in list_settings(session) if r.key == settings.canonical(key))


# ------------------------------------------------------------------ hospital identity


def hospital_identity(session: Session) -> Identity:
    """R19: the hospital, department, person responsible and contact every document prints."""
    values = settings.get_all(session)
    return Identity(name=(values["hospital.name"] or "").strip(),
                    department=(values["hospital.department"] or "").strip(),
                    responsible=(values["hospital.responsible"] or "").strip(),
                    contact=(values["hospital.contact"] or "").strip(),
                    code=(values["hospital.code"] or "").strip(),
                    bureau=(values["insurance_bureau"] or "").strip())


def require_identity(session: Session) -> Identity:
    """The identity, or Refused (exit 4) when the hospital's name is not set: a document is
    never printed with a placeholder for the hospital (R19)."""
    ident = hospital_identity(session)
    if not ident.name:
        raise Refused(tr("尚未设置医院名称，不能生成文书。请先设置：命令行 settings set hospital.name \"医院全称\""
                         "（并设置 hospital.department、hospital.responsible、hospital.contact），"
                         "或在桌面程序“设置”页填写“医院信息”。",
                         "The hospital's name is not set, so no document can be made. Set it first: "
                         "settings set hospital.name \"Full name\" (and hospital.department, hospital.responsible, "
                         "hospital.contact) on the command line, or under Hospital identity on the Settings page."))
    return ident


def save_identity(session: Session, name: str, department: str, responsible: str, contact: str,
                  who: str | None = None) -> Identity:
    """The first-run step (and the settings page): store the four identity values at once."""
    save_settings(session, {"hospital.name": name.strip(), "hospital.department": department.strip(),
                            "hospital.responsible": responsible.strip(), "hospital.contact": contact.strip()},
                  who)
    return require_identity(session)


# ------------------------------------------------------------------ calendar year view


@dataclass(frozen=True)
class CalendarCell:
    """One day of the calendar editor's year view (R1).

    ``kind``: ``workday`` / ``weekend`` (plain Monday–Friday rule), ``holiday`` (official
    statutory holiday), ``makeup`` (official make-up working day), ``user_workday`` /
    ``user_holiday`` (a user correction, which wins).
    """

    day: date
    workday: bool
    kind: str
    name: str | None
    note: str | None
    who: str | None
    provisional: bool


def calendar_year(session: Session, year: int) -> dict:
    """R1: every day of ``year`` for the year view, and whether the year is provisional."""
    from hospital_app.services import calendar as cal_service

    if not 1900 <= year <= 2200:
        raise BadInput(tr("年份超出范围：{y}", "Year out of range: {y}", y=year))
    listing = cal_service.list_year(session, year)
    cal = cal_service.load_calendar(session)
    special = {d["date"]: d for d in listing["days"]}
    cells: list[CalendarCell] = []
    day = date(year, 1, 1)
    while day.year == year:
        info = special.get(day)
        workday = cal.is_workday(day)
        if info is None:
            kind, name, note, who = ("workday" if workday else "weekend"), None, None, None
        elif info["source"] == "user":
            kind = "user_workday" if workday else "user_holiday"
            name, note, who = info["name"], info["note"], info["who"]
        else:
            kind, name, note, who = ("makeup" if workday else "holiday"), info["name"], None, None
        cells.append(CalendarCell(day, workday, kind, name, note, who, cal.is_provisional(day)))
        day += timedelta(days=1)
    return {"year": year, "provisional": listing["provisional"],
            "missing_years": listing["missing_years"], "cells": cells}


# ---------------------------------------------------------------- database location


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    location: str
    backend: str | None
    revision: str | None
    head: str | None
    message: str


def test_connection(url_or_path: str) -> ConnectionCheck:
    """Can the app use this database? Connects without creating or migrating anything."""
    from sqlalchemy import inspect, text

    from db.session import current_revision, head_revision, make_engine, sqlite_path, to_url
    from sqlalchemy.engine import make_url

    raw = (url_or_path or "").strip()
    if not raw:
        raise BadInput(tr("请填写数据库文件路径或连接地址。", "Enter a database file path or URL."))
    try:
        url = to_url(raw)
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception as exc:  # noqa: BLE001 - a malformed URL is the user's input
        return ConnectionCheck(False, raw, None, None, None,
                               tr("地址格式无效：{e}", "Malformed address: {e}", e=exc))
    path = sqlite_path(url)
    head = head_revision()
    if path is not None and not path.exists():
        ok = path.parent.is_dir()
        msg = (tr("文件尚不存在，首次使用时将新建数据库。", "The file does not exist yet; a new database "
                  "will be created on first use.") if ok else
               tr("数据库所在目录不存在：{p}", "The database folder does not exist: {p}", p=path.parent))
        return ConnectionCheck(ok, str(path), "sqlite", None, head, msg)
    try:
        engine = make_engine(url)
    except Exception as exc:  # noqa: BLE001 - e.g. the driver for this URL is not installed
        return ConnectionCheck(False, shown, None, None, head,
                               tr("无法使用此地址：{e}", "Cannot use this address: {e}", e=exc))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
        backend = engine.dialect.name
        foreign = revision is None and bool(set(inspect(engine).get_table_names()) - {"alembic_version"})
    except Exception as exc:  # noqa: BLE001 - report any connection failure as text
        orig = getattr(exc, "orig", None) or exc
        return ConnectionCheck(False, shown, None, None, head,
                               tr("连接失败：{e}", "Connection failed: {e}", e=orig))
    finally:
        engine.dispose()
    if foreign:
        return ConnectionCheck(False, str(path) if path else shown, backend, None, head,
                               tr("此数据库不是本程序的数据库（没有版本信息）。",
                                  "This is not a database of this app (no schema revision)."))
    if revision == head:
        msg = tr("连接成功，数据库为最新版本。", "Connected; the database is up to date.")
    elif revision is None:
        msg = tr("连接成功；这是一个空数据库，首次使用时将建立表结构。",
                 "Connected; the database is empty and will be set up on first use.")
    else:
        msg = tr("连接成功；数据库版本 {r} 将在首次使用时升级（先自动备份）。",
                 "Connected; schema {r} will be upgraded on first use (after a backup).", r=revision)
    return ConnectionCheck(True, str(path) if path else shown, backend, revision, head, msg)
