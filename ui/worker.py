"""One background worker for everything that touches the database or files.

Anki's pattern: a *single* background DB thread, so the UI thread never blocks and
database work never runs concurrently with itself. Picard's trick for tests: set
``SYNCHRONOUS = True`` (tests/ui/conftest.py does) and every job runs inline, so GUI
tests are deterministic.

Usage::

    run_in_background(lambda: service(...), on_done=self._show)

    def work(task):                       # with progress=..., fn gets a Task
        for i, row in enumerate(rows):
            task.report(i, len(rows))     # raises Cancelled once the user pressed 取消
        return summary
    run_in_background(work, on_done=..., progress=self.tr("正在导入…"), parent=self)

A progress dialog with a cancel button appears only when a ``progress`` job lasts more
than ``PROGRESS_DELAY_MS``. An exception in ``fn`` goes to ``on_error`` (default:
:func:`show_error`, a readable Chinese message box) and the traceback to the log.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

log = logging.getLogger(__name__)

#: Run jobs inline on the calling thread (tests). Picard does the same with its thread pool.
SYNCHRONOUS = False
#: A progress dialog appears only for jobs that last longer than this.
PROGRESS_DELAY_MS = 500


class Cancelled(Exception):
    """Raised inside a job (by :meth:`Task.report`) after the user pressed cancel."""


class Task:
    """Handed to a job started with ``progress=``: report progress, notice cancellation."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._signals: _JobSignals | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int | None = 0, text: str = "") -> None:
        """Progress from the worker thread (thread-safe); raises Cancelled when asked to stop.
        ``total`` None or 0: unknown (a busy indicator)."""
        if self._signals is not None:
            self._signals.progressed.emit(int(done), int(total or 0), text)
        self.check()

    # Services take a plain callback ``progress(done, total)``; this is one.
    def __call__(self, done: int, total: int | None = 0, text: str = "") -> None:
        self.report(done, total, text)


class _JobSignals(QObject):
    """Lives in the UI thread; the worker emits, Qt queues the call back to the UI thread."""

    finished = Signal(object)
    failed = Signal(object, str)
    progressed = Signal(int, int, str)


class _Runnable(QRunnable):
    def __init__(self, call: Callable[[], Any], signals: _JobSignals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._call, self._signals = call, signals

    def run(self) -> None:  # worker thread
        try:
            result = self._call()
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the UI thread
            self._signals.failed.emit(exc, traceback.format_exc())
        else:
            self._signals.finished.emit(result)


_pool: QThreadPool | None = None
_pending: set[_JobSignals] = set()
_errors: list[BaseException] = []
_open_boxes: set[QMessageBox] = set()  # a parentless box must outlive this call (Python owns it)


def _thread_pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)  # one DB worker: jobs run in order, never concurrently
        _pool.setExpiryTimeout(-1)  # keep the thread (and its pooled connection) alive
    return _pool


def pending() -> int:
    """How many jobs have not delivered their result yet."""
    return len(_pending)


def errors() -> list[BaseException]:
    """Errors that reached the default handler (for --smoke's exit code and tests)."""
    return _errors


def wait_idle(timeout_ms: int = 30_000) -> bool:
    """Process events until every job delivered its result (support flags, tests)."""
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    app = QApplication.instance()
    while _pending and time.monotonic() < deadline:
        if app is not None:
            app.processEvents()
        _thread_pool().waitForDone(20)
    if app is not None:
        app.processEvents()
    return not _pending


def describe_error(exc: BaseException) -> str:
    """A message a pharmacist can read (already in the user's language for core errors)."""
    from hospital_app.errors import AppError
    from hospital_app.i18n import tr

    from hospital_app.secrets import mask_text

    if isinstance(exc, AppError):
        return mask_text(exc.message)
    from hospital_app.errors import map_database_error

    mapped = map_database_error(exc)  # database conflicts/locks: the same wording as the CLI
    if mapped is not None:
        return mask_text(mapped.message)
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return tr("无法访问文件：{f}", "Cannot access the file: {f}", f=getattr(exc, "filename", exc))
    if isinstance(exc, MemoryError):
        return tr("内存不足，无法完成操作。", "Not enough memory to finish.")
    # The exception's class name is English: only the log (and the English message) shows it.
    return tr("发生意外错误，详细信息已写入日志。",
              "Unexpected error ({e}); details were written to the log.", e=type(exc).__name__)


def show_error(exc: BaseException, parent: QWidget | None = None) -> QMessageBox:
    """Default error handler: a non-blocking message box with the readable message."""
    from hospital_app.i18n import tr

    _errors.append(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, tr("操作未完成", "Not done"), describe_error(exc),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("workerErrorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box


def show_conflict(exc: BaseException, parent: QWidget | None = None,
                  on_reload: Callable[[], None] | None = None) -> QMessageBox:
    """A lost update (``hospital_app.errors.is_conflict``): nothing was saved; offer 重新加载.

    The box says the record changed under the user and, below, what the service said
    (e.g. “当前状态为‘已答复’，不能再登记答复”). 重新加载 calls ``on_reload`` (the page
    reloads from the database); the user's change is never forced through.
    """
    from hospital_app.errors import AppError
    from hospital_app.i18n import tr

    _errors.append(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, tr("记录已被修改", "Record changed"),
                      tr("该记录已被其他人修改，请重新加载。",
                         "This record was changed by someone else; please reload."),
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("conflictBox")
    if isinstance(exc, AppError) and exc.message:
        box.setInformativeText(tr("您的修改没有保存。", "Your change was not saved.") + "\n" + exc.message)
    else:
        box.setInformativeText(tr("您的修改没有保存。", "Your change was not saved."))
    reload_button = box.addButton(tr("重新加载", "Reload"), QMessageBox.ButtonRole.AcceptRole)
    reload_button.setObjectName("conflictReload")
    box.addButton(tr("关闭", "Close"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(reload_button)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_boxes.add(box)

    def finished(_result: int) -> None:
        _open_boxes.discard(box)
        if box.clickedButton() is reload_button and on_reload is not None:
            on_reload()

    box.finished.connect(finished)
    box.open()
    return box


def open_boxes() -> list[QMessageBox]:
    """The error and conflict boxes still open (tests look here)."""
    return list(_open_boxes)


def run_in_background(fn: Callable[..., Any],
                      on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[BaseException], None] | None = None,
                      *, progress: str | None = None, parent: QWidget | None = None) -> Task:
    """Run ``fn`` on the single DB worker; deliver its result to ``on_done`` in the UI thread.

    With ``progress`` (a label), ``fn`` is called as ``fn(task)`` and a cancellable progress
    dialog appears after ``PROGRESS_DELAY_MS``; without it ``fn()`` takes no argument.
    A job stopped by the user (``Cancelled``) calls neither callback.
    """
    task = Task()
    call = (lambda: fn(task)) if progress is not None else fn

    def failed(exc: BaseException, tb: str) -> None:
        if isinstance(exc, Cancelled):
            log.info("job cancelled by the user")
            return
        log.error("background job failed:\n%s", tb)
        (on_error or (lambda e: show_error(e, parent)))(exc)

    def done(result: Any) -> None:
        if on_done is not None:
            on_done(result)

    if SYNCHRONOUS:
        try:
            result = call()
        except BaseException as exc:  # noqa: BLE001
            failed(exc, traceback.format_exc())
        else:
            done(result)
        return task

    signals = _JobSignals()
    task._signals = signals
    _pending.add(signals)
    dialog: list[QProgressDialog] = []
    timer: QTimer | None = None

    if progress is not None:
        def show_dialog() -> None:
            if signals not in _pending:
                return
            dlg = QProgressDialog(progress, _cancel_text(), 0, 0, parent)
            dlg.setObjectName("workerProgress")
            dlg.setWindowModality(Qt.WindowModality.WindowModal)
            dlg.setMinimumDuration(0)
            dlg.canceled.connect(task.cancel)
            dlg.show()
            dialog.append(dlg)

        def on_progress(done_: int, total: int, text: str) -> None:
            if dialog:
                dlg = dialog[0]
                if total > 0:
                    dlg.setMaximum(total)
                    dlg.setValue(min(done_, total))
                if text:
                    dlg.setLabelText(text)

        signals.progressed.connect(on_progress)
        timer = QTimer(signals)
        timer.setSingleShot(True)
        timer.timeout.connect(show_dialog)
        timer.start(PROGRESS_DELAY_MS)

    def finish() -> None:
        _pending.discard(signals)
        if timer is not None:
            timer.stop()
        for dlg in dialog:
            dlg.canceled.disconnect(task.cancel)
            dlg.close()
            dlg.deleteLater()
        signals.deleteLater()

    def on_finished(result: Any) -> None:
        finish()
        done(result)

    def on_failed(exc: BaseException, tb: str) -> None:
        finish()
        failed(exc, tb)

    signals.finished.connect(on_finished)
    signals.failed.connect(on_failed)
    _thread_pool().start(_Runnable(call, signals))
    return task


def _cancel_text() -> str:
    from hospital_app.i18n import tr

    return tr("取消", "Cancel")
