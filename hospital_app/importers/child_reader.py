"""A big worksheet read in a second process while the import works on its rows (issue 21).

openpyxl streams a sheet too big for python-calamine (a year of department usage: a million lines,
300 MB of XML) at ~50 µs a line, and the import's own work on a line (checks, matching, writing)
takes about as long again. Both are Python, so one process does them one after the other. Here a
child process parses the sheet with openpyxl and sends its rows in batches through a pipe while
the parent imports the batch before: on two cores the import takes about as long as the slower
of the two instead of their sum (a million lines: 117 s → see bench/README.md).

- Only the openpyxl path uses it, and only for a sheet of at least ``MIN_BYTES`` of XML, where the
  child's start (a new interpreter importing openpyxl, ~0.3 s) is small beside the reading. The
  environment variable ``HOSPITAL_APP_READER_PROCESS_MB`` overrides the bound (``0``: every
  openpyxl read; ``off``: never, e.g. where a policy forbids starting processes).
- The child runs the very same row loop as the in-process reader (``reader.sheet_rows``), so the
  rows are the same by construction; the parent reads the first rows itself (the header search
  stops there) and starts the child only when the caller reads on.
- A sheet the child cannot parse comes back as its row number and the exception's type: the
  parent builds the user's message (in the user's language, with the damaged part's line and
  column) exactly as when it reads in-process. Nothing of the child's reaches the user directly.
- The pipe holds one batch at a time: memory stays flat, and a child whose reader is closed early
  (the import stopped at a bad row) is terminated.
- When no process can be started (the operating system refuses), the parent reads the sheet
  itself, only slower, and says so in the log.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path
from typing import Callable, Iterator

from hospital_app.importers.reader_base import Row

log = logging.getLogger(__name__)

MIN_BYTES = 32 * 1024 * 1024  # ~100 000 department lines; below it the child's start does not pay
BATCH = 2000  # rows per message: ~150 KB pickled
ENV = "HOSPITAL_APP_READER_PROCESS_MB"


def wanted(largest_sheet: int) -> bool:
    """Whether a workbook whose largest worksheet holds ``largest_sheet`` bytes of XML is read in a
    child process (see the module docstring for the environment override)."""
    setting = os.environ.get(ENV, "").strip().lower()
    if setting == "off":
        return False
    try:
        bound = int(float(setting) * 1024 * 1024) if setting else MIN_BYTES
    except ValueError:
        log.warning("%s=%r is not a number of MB or 'off'; using %d MB", ENV, setting, MIN_BYTES // 2 ** 20)
        bound = MIN_BYTES
    return largest_sheet >= bound


def _child(path: str, sheet: str, formulas: bool, after: int, conn) -> None:
    """The child's work: every row of ``sheet`` after row ``after``, in batches; then None. On a
    failure: ("error", row number, exception type name)."""
    import openpyxl

    from hospital_app.importers import safety
    from hospital_app.importers.reader import sheet_rows

    row_no = 0
    try:
        safety.ensure_defusedxml()
        with open(path, "rb") as fh:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=False, keep_links=False)
            ws = wb[sheet]
            ws.reset_dimensions()
            batch: list = []
            for row in sheet_rows(ws, formulas):
                row_no = row[0]
                if row_no <= after:
                    continue
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.send(batch)
                    batch = []
            conn.send(batch)
            conn.send(None)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which words the message
        try:
            conn.send(("error", row_no + 1, type(exc).__name__))
        except (OSError, EOFError):  # the parent stopped reading: nothing to tell
            pass
    finally:
        conn.close()


class _ChildFailed(Exception):
    """The child's exception, by name only (the parent words the message)."""


def rows(path: Path, sheet: str, formulas: bool, after: int,
         damage: Callable[[BaseException, int], BaseException]) -> Iterator[Row] | None:
    """The rows of ``sheet`` after row ``after``, read by a child process; None when no process can
    be started. ``damage(exc, row)`` makes the error to raise when the child fails at ``row``."""
    ctx = multiprocessing.get_context("spawn")  # the same on Linux and Windows; no fork of a Qt process
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(str(path), sheet, formulas, after, sender), daemon=True,
                        name="xlsx-reader")
    try:
        child.start()
    except OSError:
        log.warning("could not start a reader process for %s; reading it here", path.name, exc_info=True)
        receiver.close()
        sender.close()
        return None
    sender.close()  # the child holds its end: EOF when it exits
    return _receive(receiver, child, damage)


def _receive(receiver, child, damage) -> Iterator[Row]:
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:  # the child died without a word (killed, out of memory)
                child.join()
                raise damage(_ChildFailed(f"reader process ended with {child.exitcode}"), None) from None
            if message is None:
                return
            if isinstance(message, tuple):
                _, row, name = message
                raise damage(type(name, (_ChildFailed,), {})(), row) from None
            yield from message
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join(5)
