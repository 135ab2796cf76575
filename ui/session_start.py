"""What happens once when the desktop app opens its database (issue 11 §4).

1. Shared mode (``users.shared_mode``: the database has users): the user logs in —
   silently with ``HOSPITAL_APP_USER`` / ``HOSPITAL_APP_PASSWORD`` when both are set
   (as the CLI does), otherwise through :class:`ui.dialogs.login_dialog.LoginDialog`
   (three tries). Only then is the main window shown — or, when it was already shown
   because the database needed no log-in last time, unlocked (ui/app.py). Without users
   (the single-user SQLite workstation) there is no dialog and the app runs as the OS user.
2. The rotating daily backup (``backup.daily_backup_if_due``) on the worker, after
   the first page's queries; a failure is only logged.

Everything touching the database runs on the worker, so the UI never blocks.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

from PySide6.QtWidgets import QWidget

from ui.app_context import AppContext

log = logging.getLogger(__name__)

#: Exit code when the log-in failed (CLI.md: refused → 4).
LOGIN_REFUSED = 4


def begin(ctx: AppContext, on_ready: Callable[[], None], on_refused: Callable[[int, str], None], *,
          interactive: bool = True, parent: QWidget | None = None,
          on_shared: Callable[[], None] | None = None) -> None:
    """Check shared mode on the worker; log in if needed; then call ``on_ready()``.

    ``on_refused(code, message)``: the user cancelled (code 0) or the log-in failed
    (code 4); ``interactive`` False (``--smoke``, ``--screenshot``) never opens a dialog.
    ``on_shared()``: called once the check found a shared database, before the log-in
    (the main window, already shown, locks until then).
    """
    from hospital_app.cli.session_start import PASSWORD_ENV, USER_ENV
    from hospital_app.i18n import tr

    env_user = os.environ.get(USER_ENV) or ""
    env_password = os.environ.get(PASSWORD_ENV)

    def logged_in(user) -> None:
        ctx.user = user
        on_ready()

    def ask(message: str = "") -> None:
        if not interactive:
            on_refused(LOGIN_REFUSED, message or tr(
                "此数据库为多用户共享模式，请先登录（设置 HOSPITAL_APP_USER 和 HOSPITAL_APP_PASSWORD）。",
                "This is a shared database; log in first (set HOSPITAL_APP_USER and HOSPITAL_APP_PASSWORD)."))
            return
        from ui.dialogs.login_dialog import MAX_TRIES, LoginDialog

        dialog = LoginDialog(ctx, parent, username=env_user)
        if message:
            dialog.message.setText(message)
            dialog.message.show()
        ctx.login_dialog = dialog

        def rejected() -> None:
            if dialog.tries >= MAX_TRIES:
                on_refused(LOGIN_REFUSED, tr("登录失败次数过多。", "Too many failed log-in attempts."))
            else:
                on_refused(0, "")

        dialog.accepted.connect(lambda: logged_in(dialog.user))
        dialog.rejected.connect(rejected)
        dialog.open()

    def checked(shared: bool) -> None:
        ctx.shared = bool(shared)
        if not shared:
            ctx.user = None
            on_ready()
            return
        if on_shared is not None:
            on_shared()
        if env_user and env_password is not None:
            ctx.run(lambda: _users().login(ctx.db, env_user, env_password), logged_in,
                    lambda exc: ask(_describe(exc)), parent=parent)
        else:
            ask()

    def check_failed(exc: BaseException) -> None:
        # The database could not be opened: show the window anyway (the pages say why and the
        # settings page can choose another database).
        log.warning("could not check for shared mode: %r", exc)
        on_ready()

    # SQLAlchemy is imported on the worker, not here (start-up time).
    ctx.query(lambda s: _users().shared_mode(s), checked, check_failed, parent=parent)


def _users():
    from hospital_app.services import users

    return users


def _describe(exc: BaseException) -> str:
    from ui.worker import describe_error

    return describe_error(exc)


def start_daily_backup(ctx: AppContext) -> None:
    """The rotating daily backup on the worker (never blocks; failures only logged)."""
    def done(path) -> None:
        if path is not None:
            log.info("daily backup written: %s", path)

    def job():
        from hospital_app.services import backup

        return backup.daily_backup_if_due(ctx.db)

    ctx.run(job, done,
            lambda exc: log.warning("daily backup failed: %r", exc))


ROLE_LABELS = {"pharmacist": ("药师", "Pharmacist"), "director": ("主任", "Director"),
               "admin": ("管理员", "Administrator")}


def user_text(user) -> str:
    """“用户：张三（药师）” in shared mode; the OS user name on a single-user workstation."""
    from hospital_app.i18n import tr
    from hospital_app.services.audit import os_user

    if user is None:
        return tr("用户：{u}", "User: {u}", u=os_user())
    role = tr(*ROLE_LABELS.get(user.role, (user.role, user.role)))
    return tr("用户：{u}（{r}）", "User: {u} ({r})", u=user.display_name or user.username, r=role)
