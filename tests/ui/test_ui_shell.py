"""The main window shell and the background worker (issue 9, parts 1, 2 and 7)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QMimeData, QPoint, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from ui import worker
from ui.main_window import PAGE_NAMES


def test_every_page_opens_from_the_side_bar(main_window, qtbot):
    """GIVEN the main window WHEN each side-bar entry is clicked
    THEN the stack shows that page, built from its own module, with its title in the window title."""
    main_window.show()
    qtbot.waitExposed(main_window)
    for row, name in enumerate(PAGE_NAMES):
        main_window.nav.setCurrentRow(row)
        page = main_window.current_page()
        assert page is not None and page.page_name == name
        assert page.title() in main_window.windowTitle()
    assert main_window.nav.count() == 8  # + 科室 (R21, issue 19)


def test_pages_are_built_only_when_first_shown(main_window):
    """GIVEN a new main window THEN only the pages that were shown exist (fast start-up)."""
    assert main_window._pages == {}
    main_window.show_page("purchases")
    assert set(main_window._pages) == {"purchases"}


def test_status_bar_shows_database_and_as_of_date(main_window, demo_path):
    """GIVEN the window on a database WHEN it opens THEN the status bar names the file and the as-of date."""
    assert str(demo_path) in main_window._db_label.text()
    assert "2025-09-15" in main_window._as_of_label.text()


def test_window_geometry_is_remembered(main_window, qtbot, filled_db, demo_path):
    """GIVEN a resized window WHEN it closes THEN a new window opens with the same size (QSettings bytes)."""
    from ui.app import create_main_window

    main_window.show()
    main_window.resize(700, 500)
    main_window.close()
    assert QSettings().value("main_window/geometry") is not None
    again = create_main_window(str(demo_path), main_window.ctx.as_of, "zh", db=filled_db)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def test_dropping_a_spreadsheet_opens_the_import_wizard(main_window, qtbot, monkeypatch, tmp_path):
    """GIVEN the main window WHEN an .xlsx file is dropped on it THEN the import wizard opens on that file;
    a dropped .txt file is refused."""
    opened = []
    monkeypatch.setattr(main_window, "open_import_wizard", lambda path=None: opened.append(path))
    for name, accepted in (("notes.txt", False), ("采购.xlsx", True)):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(tmp_path / name))])
        event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        main_window.dropEvent(event)
        assert bool(opened) is accepted
    assert opened == [str(tmp_path / "采购.xlsx")]


def test_worker_error_becomes_a_readable_chinese_message(qtbot, caplog):
    """GIVEN a job that raises a core BadInput WHEN it runs THEN the user sees its Chinese message
    in a message box, the traceback is logged, and on_done is not called."""
    from hospital_app.errors import BadInput

    done = []

    def job():
        raise BadInput("第 3 行：数量不是数字")

    with caplog.at_level("ERROR"):
        worker.run_in_background(job, done.append)
    boxes = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QMessageBox) and w.objectName() == "workerErrorBox"]
    assert boxes and boxes[-1].text() == "第 3 行：数量不是数字"
    assert done == []
    assert "Traceback" in caplog.text
    for box in boxes:
        box.done(0)


def test_unexpected_worker_error_does_not_show_a_traceback_to_the_user():
    """GIVEN a job failing with a programming error WHEN described THEN the message is Chinese and
    names no traceback, only the log."""
    text = worker.describe_error(ZeroDivisionError("division by zero"))
    assert "日志" in text and "Traceback" not in text


def test_worker_error_goes_to_a_custom_handler():
    """GIVEN on_error WHEN the job fails THEN on_error gets the exception (no message box)."""
    got = []
    worker.run_in_background(lambda: 1 / 0, lambda r: got.append(("done", r)), got.append)
    assert len(got) == 1 and isinstance(got[0], ZeroDivisionError)


def test_cancelled_job_calls_neither_callback():
    """GIVEN a progress job WHEN the user cancels THEN Task.report raises Cancelled and nothing is reported."""
    got = []

    def job(task):
        task.cancel()
        task.report(1, 10)
        return "finished"

    worker.run_in_background(job, got.append, got.append, progress="…")
    assert got == [] and worker.errors() == []


def test_background_thread_delivers_result_on_the_ui_thread(qtbot, monkeypatch):
    """GIVEN the real (asynchronous) worker WHEN a job runs THEN it runs off the UI thread and its
    result arrives on the UI thread."""
    import threading

    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    seen = {}

    def job():
        seen["job"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(value):
        seen["done"] = (value, threading.current_thread() is threading.main_thread())

    worker.run_in_background(job, done)
    qtbot.waitUntil(lambda: "done" in seen, timeout=5000)
    assert seen == {"job": False, "done": (42, True)}
    assert worker.pending() == 0


def test_progress_dialog_appears_only_for_slow_jobs(qtbot, monkeypatch):
    """GIVEN the asynchronous worker and a job longer than the delay WHEN it runs THEN a cancellable
    progress dialog appears; pressing cancel stops the job."""
    import time

    from PySide6.QtWidgets import QProgressDialog

    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "PROGRESS_DELAY_MS", 50)
    state = {}

    def job(task):
        for i in range(200):
            time.sleep(0.01)
            task.report(i, 200)
        return "done"

    worker.run_in_background(job, lambda r: state.setdefault("result", r), progress="正在处理…")

    def dialog():
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QProgressDialog) and w.objectName() == "workerProgress" and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=3000)
    from PySide6.QtWidgets import QPushButton

    qtbot.mouseClick(dialog().findChild(QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    assert "result" not in state


@pytest.mark.skipif(sys.platform == "win32", reason="subprocess with offscreen platform")
def test_gui_smoke_flag_prints_ready(cli_subprocess, db_path):
    """GIVEN a new database WHEN `gui --smoke` runs THEN it prints `ready <ms>` and exits 0 (CLI.md)."""
    result = cli_subprocess("--db", str(db_path), "gui", "--smoke", env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.code == 0, result
    word, ms = result.out.split()
    assert word == "ready" and int(ms) > 0


def test_gui_screenshot_flag_writes_a_png_of_the_page(cli_subprocess, demo_path, tmp_path):
    """GIVEN a demo database WHEN `gui --screenshot F --page purchases` runs THEN F is a PNG of the window."""
    out = tmp_path / "purchases.png"
    result = cli_subprocess("--db", str(demo_path), "--as-of", "2025-09-15", "gui", "--screenshot", str(out),
                            "--page", "purchases", env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.code == 0, result
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
