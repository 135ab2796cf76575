"""Cold start to an interactive window (issue 12): the window is usable before the database is
open; a shared database found afterwards locks it until the log-in; ``ready`` is counted from
the real process start."""

from __future__ import annotations

import sys
import time

import pytest

from ui.session_start import begin

PASSWORD = "apotheke-2025"


@pytest.fixture
def shared_db(filled_db):
    """GIVEN the demo database made shared: one active admin 张药师 (user name zhang)."""
    from hospital_app.services import users

    with filled_db.session() as s:
        users.add_user(s, "zhang", PASSWORD, "admin", display_name="张药师")
    return filled_db


def test_first_page_shows_its_loading_state_without_asking_for_data(main_window, qtbot):
    """GIVEN the main window at start-up WHEN the first page is shown with load=False THEN the
    side bar is usable and the dashboard says 正在加载… with no figures (nothing queried yet)."""
    page = main_window.show_page("dashboard", load=False)
    main_window.show()
    assert main_window.nav.isEnabled() and main_window.nav.currentRow() == 0
    assert page.notice.text() == "正在加载…" and page.data is None
    assert all(label.text() == "–" for label in page.status_numbers.values())

    page.ensure_fresh()  # what the app does once the window is on screen
    assert page.data is not None and page.notice.text() == ""


def test_shared_database_found_after_the_window_locks_it_until_the_log_in(main_window, shared_db, qtbot):
    """GIVEN the window already shown (the database needed no log-in last time) WHEN the check on
    the worker finds a shared database THEN navigation and pages are hidden behind “请先登录”
    before the log-in dialog opens; after the log-in the window unlocks and the page reloads."""
    ctx = main_window.ctx
    page = main_window.show_page("dashboard")
    main_window.show()
    assert page.data is not None
    page.data = None  # so that the reload after the log-in can be seen
    seen_at_lock: list[bool] = []

    def on_shared() -> None:
        main_window.set_locked(True)
        seen_at_lock.append(ctx.login_dialog is None)  # locked before the dialog exists

    begin(ctx, lambda: main_window.set_locked(False), lambda code, msg: None, on_shared=on_shared)
    dialog = ctx.login_dialog
    qtbot.addWidget(dialog)
    assert seen_at_lock == [True]
    assert main_window.locked and not main_window.nav.isEnabled() and not main_window.stack.isVisible()
    lock_note = main_window.findChild(type(page.notice), "lockNote")
    assert lock_note.isVisible() and "登录" in lock_note.text()

    dialog.username.setText("zhang")
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    assert ctx.user.username == "zhang"
    assert not main_window.locked and main_window.nav.isEnabled() and main_window.stack.isVisible()
    assert not lock_note.isVisible() and page.data is not None  # reloaded after the log-in


def test_process_start_time_is_the_real_start_before_any_python_module():
    """GIVEN this process WHEN its start time is read THEN it lies before the CLI module's import
    (the interpreter's own start-up counts) and in the recent past."""
    from hospital_app.cli.main import PROCESS_START
    from ui.app import process_start_time

    started = process_start_time()
    cli_imported = time.time() - (time.perf_counter() - PROCESS_START)
    assert time.time() - 3600 < started <= time.time()
    if sys.platform.startswith("linux"):
        assert started <= cli_imported + 0.011  # one clock tick of rounding


@pytest.mark.skipif(sys.platform == "win32", reason="subprocess with offscreen platform")
def test_smoke_on_a_database_that_became_shared(cli_subprocess, demo_path, shared_db):
    """GIVEN a demo database that became shared while the app remembered it as single-user
    WHEN `gui --smoke` runs with HOSPITAL_APP_USER/PASSWORD THEN the window shows at once
    (`ready <ms>`, and the wall-clock `ready-at` stamp the bench asks for), the log-in happens silently and it exits 0;
    a second run without the credentials (a log-in is now remembered) is refused with exit
    code 4 before any window (no `ready`)."""
    env = {"QT_QPA_PLATFORM": "offscreen", "HOSPITAL_APP_USER": "zhang", "HOSPITAL_APP_PASSWORD": PASSWORD,
           "HOSPITAL_APP_READY_STAMP": "1"}
    first = cli_subprocess("--db", str(demo_path), "--as-of", "2025-09-15", "gui", "--smoke", env=env)
    assert first.code == 0, first
    (frame_word, frame_ms), (word, ms) = (line.split() for line in first.out.splitlines())
    assert frame_word == "first-frame" and word == "ready" and 0 < int(frame_ms) <= int(ms) < 60_000
    stamp = [float(line.split()[1]) for line in first.err.splitlines() if line.startswith("ready-at ")]
    assert len(stamp) == 1 and abs(time.time() - stamp[0]) < 120
    frame = [float(line.split()[1]) for line in first.err.splitlines() if line.startswith("first-frame-at ")]
    assert len(frame) == 1 and frame[0] <= stamp[0]

    second = cli_subprocess("--db", str(demo_path), "--as-of", "2025-09-15", "gui", "--smoke",
                            env={"QT_QPA_PLATFORM": "offscreen"})
    assert second.code == 4, second
    assert "HOSPITAL_APP_USER" in second.err and "ready" not in second.out
