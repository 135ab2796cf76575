"""What happens once when a CLI command opens the database (after migration).

1. Shared mode (the database has users): log in from the environment —
   ``HOSPITAL_APP_USER`` and ``HOSPITAL_APP_PASSWORD``; when only the user is set and
   stdin is a terminal, the password is asked for (never echoed). Refused (exit 4)
   otherwise. The audit log then names that user; without users it names the OS user.
2. The rotating daily backup (setting ``backup_daily_keep``), at most once a day.
"""

from __future__ import annotations

import getpass
import os
import sys

USER_ENV = "HOSPITAL_APP_USER"
PASSWORD_ENV = "HOSPITAL_APP_PASSWORD"


def credentials_from_environment() -> tuple[str | None, str | None]:
    username = os.environ.get(USER_ENV) or None
    password = os.environ.get(PASSWORD_ENV)
    if username and password is None and sys.stdin is not None and sys.stdin.isatty():
        from hospital_app.i18n import tr

        password = getpass.getpass(tr("用户 {u} 的密码：", "Password for {u}: ", u=username))
    return username, password


def start(db) -> None:
    from hospital_app.services import backup, users

    users.login(db, *credentials_from_environment())
    backup.daily_backup_if_due(db)
