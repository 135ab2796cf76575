"""Users of a shared database: accounts, argon2 password hashes, roles, log-in.

Shared mode is on as soon as the database has an active user: from then on every
session must log in (``login``) and the audit log names that user. A database
without users (the single-user SQLite workstation) runs as the OS user name.
The first account must be an ``admin``; after that only admins manage users.
Passwords are never stored, logged, audited or shown — only argon2 hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AppUser
from hospital_app.errors import BadInput, Conflict, NotFound, Refused
from hospital_app.i18n import tr
from hospital_app.services import audit

ROLES = ("pharmacist", "director", "admin")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str | None
    role: str
    active: bool
    created_at: datetime

    def as_dict(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "active": self.active, "created_at": self.created_at}


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def _info(u: AppUser) -> UserInfo:
    return UserInfo(u.username, u.display_name, u.role, bool(u.active), u.created_at)


def _public(u: AppUser) -> dict:
    """What the audit log keeps of a user (never the hash)."""
    return {"username": u.username, "display_name": u.display_name, "role": u.role, "active": u.active}


def shared_mode(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(AppUser).where(AppUser.active.is_(True))))


def _get(session: Session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise NotFound(tr("没有此用户：{u}", "No such user: {u}", u=username))
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(tr("密码至少需要 {n} 个字符。", "The password needs at least {n} characters.",
                          n=MIN_PASSWORD_LENGTH))


def _require_admin(session: Session, actor: str | None) -> None:
    """Admins manage users; before the first user exists anyone may create the first admin."""
    if not shared_mode(session):
        return
    user = actor and session.scalar(select(AppUser).where(AppUser.username == actor))
    if not user or not user.active or user.role != "admin":
        raise Refused(tr("只有管理员可以管理用户，请以管理员身份登录。",
                         "Only an administrator can manage users; log in as an admin."))


def is_admin(session: Session, username: str | None) -> bool:
    user = username and session.scalar(select(AppUser).where(AppUser.username == username))
    return bool(user and user.active and user.role == "admin")


def require_admin_if_shared(session: Session, actor: str | None, zh: str, en: str) -> None:
    """Shared mode: only an active administrator may go on (issue 23 §6); single-user: anyone."""
    if shared_mode(session) and not is_admin(session, actor or audit.current_user()):
        raise Refused(tr(zh, en))


def full_backup_allowed(db) -> bool:
    """A full backup (with the user table's password hashes) is for administrators only in
    shared mode; everyone else's backup leaves the user table out (issue 23 §6)."""
    with db.read_session() as s:
        return not shared_mode(s) or is_admin(s, audit.current_user())


def add_user(session: Session, username: str, password: str, role: str,
             display_name: str | None = None, actor: str | None = None) -> UserInfo:
    username = (username or "").strip()
    if not username or len(username) > 100:
        raise BadInput(tr("用户名不能为空（最多 100 个字符）。", "The user name must be 1–100 characters."))
    if role not in ROLES:
        raise BadInput(tr("角色应为 {r} 之一：{v}", "Role must be one of {r}: {v}", r=", ".join(ROLES), v=role))
    _require_admin(session, actor)
    if not shared_mode(session) and role != "admin":
        raise Refused(tr("第一个用户必须是管理员（--role admin）。",
                         "The first user must be an administrator (--role admin)."))
    if session.scalar(select(AppUser.id).where(AppUser.username == username)) is not None:
        raise Conflict(tr("用户已存在：{u}", "User already exists: {u}", u=username))
    _check_password(password)
    user = AppUser(username=username, display_name=display_name, role=role, active=True,
                   password_hash=_hasher().hash(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", "app_user", user.id, None, _public(user))
    return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(AppUser).order_by(AppUser.username))]


def set_password(session: Session, username: str, password: str, actor: str | None = None) -> None:
    """Admins reset anyone's password; a user may change their own."""
    if actor != username:
        _require_admin(session, actor)
    user = _get(session, username)
    _check_password(password)
    user.password_hash = _hasher().hash(password)
    audit.record(session, actor, "user.passwd", "app_user", user.id, None, {"username": username})


def disable_user(session: Session, username: str, actor: str | None = None) -> None:
    _require_admin(session, actor)
    user = _get(session, username)
    if user.role == "admin" and user.active:
        admins = session.scalar(select(func.count()).select_from(AppUser)
                                .where(AppUser.role == "admin", AppUser.active.is_(True)))
        if admins <= 1:
            raise Refused(tr("不能停用最后一个管理员。", "Cannot disable the last administrator."))
    before = _public(user)
    user.active = False
    audit.record(session, actor, "user.disable", "app_user", user.id, before, _public(user))


def authenticate(session: Session, username: str | None, password: str | None) -> UserInfo:
    """Check a log-in. One message for every failure (no hint which part was wrong)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    wrong = Refused(tr("用户名或密码错误，或账户已停用。",
                       "Wrong user name or password, or the account is disabled."))
    if not username or password is None:
        raise Refused(tr("此数据库为多用户共享模式，请先登录（设置 HOSPITAL_APP_USER 和 HOSPITAL_APP_PASSWORD）。",
                         "This is a shared database; log in first (set HOSPITAL_APP_USER and "
                         "HOSPITAL_APP_PASSWORD)."))
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None or not user.active or not user.password_hash:
        _hasher().hash(password)  # same time as a real check: no user-name probing by timing
        raise wrong
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return _info(user)


def login(db, username: str | None, password: str | None) -> UserInfo | None:
    """Log this process in when the database is shared; returns the user (None: single-user).

    The audit log then names this user (audit.current_user).
    """
    with db.session() as s:
        if not shared_mode(s):
            audit.set_current_user(None)
            user = None
        else:
            user = authenticate(s, username, password)
            audit.set_current_user(user.username)
    _key_the_audit_log(db)
    return user


def _key_the_audit_log(db) -> None:
    """A log written before the keyed chain gets its key now (issue 23 §10); best effort
    (a read-only medium keeps it as it is — `check` then says so)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with db.session() as s:
            audit.ensure_keyed(s)
    except (SQLAlchemyError, OSError):
        import logging

        logging.getLogger(__name__).warning("could not key the audit log", exc_info=True)
