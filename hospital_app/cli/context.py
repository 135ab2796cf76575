"""What every CLI command gets: the database, the as-of date, output helpers."""

from __future__ import annotations

import csv
import gc
import io
import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hospital_app import paths


def json_default(value: Any):
    """CLI.md: dates as YYYY-MM-DD, datetimes ISO 8601, money as decimal strings."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, default=json_default, indent=None)


def csv_safe(value: Any) -> Any:
    """CLI.md: a text cell never becomes a formula in CSV ('=', '+', '-', '@' → prefixed)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _with_password(location: str) -> str:
    """A server URL without its password: from the OS keyring, else asked at a terminal (issue 23 §5)."""
    from hospital_app.secrets import complete_password

    def ask(masked: str) -> str | None:
        if sys.stdin is None or not sys.stdin.isatty():
            return None
        import getpass

        from hospital_app.i18n import tr

        return getpass.getpass(tr("{u} 的数据库密码：", "Database password for {u}: ", u=masked))

    return complete_password(location, ask)


@dataclass
class Context:
    db_arg: str | None
    as_of: date
    lang: str
    debug: bool = False
    #: the command only reads the database and prints (``leaf(…, reads=True)``): see ``db``
    reads_only: bool = False
    _db: Any = field(default=None, repr=False)
    _gc_frozen: bool = field(default=False, repr=False)
    _gc_paused: Any = field(default=None, repr=False)  # services.gc_pause.paused(), entered

    @property
    def db_location(self) -> str:
        return self.db_arg or paths.default_database()

    @property
    def db(self):
        """The opened (created/migrated) Database; opened on first use."""
        if self._db is None:
            from db.session import open_database

            from hospital_app.cli.session_start import start

            db = open_database(_with_password(self.db_location))
            try:
                start(db)  # shared-mode log-in, daily backup (issue 11)
            except BaseException:
                db.dispose()
                raise
            self._db = db
            # Start-up is over (SQLAlchemy, Alembic, the models): those objects live until exit.
            # Keep them out of the garbage collector's full scans, which otherwise cost a large
            # command ~0.1–0.2 s on 500 000 purchases (issue 12). Undone in close().
            gc.freeze()
            self._gc_frozen = True
            if self.reads_only:
                # A command that reads and prints makes ~10⁵ rows, dicts and tuples and exits: the
                # collector's passes over them find no cycles to free (what little there is goes
                # with the process) and cost `progress`/`alerts` 20–35 ms at hospital scale
                # (issue 21). Imports, documents and every write keep it (long runs, cycles).
                from hospital_app.services.gc_pause import paused

                self._gc_paused = paused()
                self._gc_paused.__enter__()
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
        if self._gc_paused is not None:
            self._gc_paused.__exit__(None, None, None)  # the collector is on again
            self._gc_paused = None
        if self._gc_frozen:
            gc.unfreeze()
            self._gc_frozen = False

    # ---- output
    @staticmethod
    def out(text: str = "") -> None:
        sys.stdout.write(text + "\n")

    @staticmethod
    def out_json(document: Any) -> None:
        sys.stdout.write(dumps(document) + "\n")

    @staticmethod
    def out_csv(header: list[str], rows: list[list[Any]]) -> None:
        """UTF-8 with BOM so Excel opens it; formula-looking text is neutralised."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])
        sys.stdout.buffer.write(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
        sys.stdout.flush()
