"""GUI start (issue 11 §4): log-in on a shared database, the OS user on a single-user
workstation, and the daily backup on the worker."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from PySide6.QtCore import Qt

from ui import worker
from ui.session_start import begin, start_daily_backup

AS_OF = date(2025, 9, 15)
PASSWORD = "apotheke-2025"


@pytest.fixture
def app_ctx(db, db_path):
    from ui.app_context import AppContext

    return AppContext(str(db_path), AS_OF, "zh", db=db)


@pytest.fixture
def shared_db(db):
    """GIVEN a shared database: one active admin 张药师 (user name zhang)."""
    from hospital_app.services import users

    with db.session() as s:
        users.add_user(s, "zhang", PASSWORD, "admin", display_name="张药师")
    return db


class Outcome:
    def __init__(self) -> None:
        self.ready = 0
        self.refused: list[tuple[int, str]] = []

    def on_ready(self) -> None:
        self.ready += 1

    def on_refused(self, code: int, message: str) -> None:
        self.refused.append((code, message))


def _type_and_login(qtbot, dialog, name: str, password: str) -> None:
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, name)
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_single_user_database_opens_without_a_dialog_as_the_OS_user(app_ctx, qtbot):
    """GIVEN a database without users WHEN the app starts THEN no log-in dialog, the window is
    ready at once and the status bar names the OS user."""
    from hospital_app.services.audit import os_user
    from ui.main_window import MainWindow

    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused)
    assert outcome.ready == 1 and outcome.refused == []
    assert app_ctx.login_dialog is None and app_ctx.shared is False and app_ctx.user is None

    window = MainWindow(app_ctx)
    qtbot.addWidget(window)
    window.show_user()
    assert window._user_label.text() == f"用户：{os_user()}"


def test_shared_database_asks_for_a_log_in_then_names_user_and_role(app_ctx, shared_db, qtbot):
    """GIVEN a shared database WHEN the app starts THEN the log-in dialog comes first (not ready);
    a wrong password shows the Chinese message with the tries left; the right one logs in,
    the audit names the user, and the status bar shows “用户：张药师（管理员）”."""
    from hospital_app.services import audit
    from ui.main_window import MainWindow

    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused)
    dialog = app_ctx.login_dialog
    qtbot.addWidget(dialog)
    assert dialog is not None and dialog.isVisible() and outcome.ready == 0

    _type_and_login(qtbot, dialog, "zhang", "wrong-password")
    assert "用户名或密码错误" in dialog.message.text() and "还可以再试 2 次" in dialog.message.text()
    assert dialog.isVisible() and dialog.password.text() == "" and outcome.ready == 0

    _type_and_login(qtbot, dialog, "zhang", PASSWORD)
    assert outcome.ready == 1 and outcome.refused == [] and not dialog.isVisible()
    assert app_ctx.user.username == "zhang" and audit.current_user() == "zhang"

    window = MainWindow(app_ctx)
    qtbot.addWidget(window)
    window.show_user()
    assert window._user_label.text() == "用户：张药师（管理员）"


def test_three_wrong_passwords_refuse_the_start(app_ctx, shared_db, qtbot):
    """GIVEN a shared database WHEN the password is wrong three times THEN the dialog closes,
    the start is refused with exit code 4 and nobody is logged in."""
    from hospital_app.services import audit
    from hospital_app.services.audit import os_user

    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused)
    dialog = app_ctx.login_dialog
    qtbot.addWidget(dialog)
    for _ in range(3):
        _type_and_login(qtbot, dialog, "zhang", "nope-nope-nope")
    assert outcome.ready == 0 and [code for code, _m in outcome.refused] == [4]
    assert "次数过多" in outcome.refused[0][1]
    assert not dialog.isVisible() and audit.current_user() == os_user()


def test_empty_user_name_is_explained_and_not_counted(app_ctx, shared_db, qtbot):
    """GIVEN the log-in dialog WHEN 登录 is pressed with no user name THEN a Chinese hint, no try used."""
    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused)
    dialog = app_ctx.login_dialog
    qtbot.addWidget(dialog)
    _type_and_login(qtbot, dialog, "", PASSWORD)
    assert dialog.message.text() == "请输入用户名。" and dialog.tries == 0


def test_cancel_ends_the_app_without_an_error_code(app_ctx, shared_db, qtbot):
    """GIVEN the log-in dialog WHEN the user presses 退出 THEN the start is refused with code 0."""
    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused)
    qtbot.addWidget(app_ctx.login_dialog)
    app_ctx.login_dialog.reject()
    assert outcome.refused == [(0, "")] and outcome.ready == 0


def test_environment_credentials_log_in_without_a_dialog(app_ctx, shared_db, monkeypatch):
    """GIVEN HOSPITAL_APP_USER / HOSPITAL_APP_PASSWORD (as for the CLI) WHEN the app starts
    non-interactively (--smoke) THEN it logs in silently; without them it is refused (exit 4)."""
    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused, interactive=False)
    assert outcome.ready == 0 and outcome.refused[0][0] == 4 and "HOSPITAL_APP_USER" in outcome.refused[0][1]

    monkeypatch.setenv("HOSPITAL_APP_USER", "zhang")
    monkeypatch.setenv("HOSPITAL_APP_PASSWORD", PASSWORD)
    outcome = Outcome()
    begin(app_ctx, outcome.on_ready, outcome.on_refused, interactive=False)
    assert outcome.ready == 1 and app_ctx.user.username == "zhang"


def test_daily_backup_runs_on_the_worker_once_a_day(app_ctx, db_path):
    """GIVEN a database (backup_daily_keep = 7) WHEN the GUI starts twice on the same day
    THEN one backup file exists in backups/ next to the database."""
    start_daily_backup(app_ctx)
    start_daily_backup(app_ctx)
    files = list((db_path.parent / "backups").glob("*-daily-*.db"))
    assert len(files) == 1 and files[0].stat().st_size > 0


def test_a_failing_daily_backup_is_only_logged(app_ctx, monkeypatch, caplog):
    """GIVEN a backup that fails unexpectedly WHEN the GUI starts THEN no message box, only a log line."""
    from hospital_app.services import backup

    def broken(_db, today=None):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(backup, "daily_backup_if_due", broken)
    with caplog.at_level(logging.WARNING):
        start_daily_backup(app_ctx)
    assert worker.errors() == [] and worker.open_boxes() == []
    assert "daily backup failed" in caplog.text
