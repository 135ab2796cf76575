"""Text that fits every backend (issue 23 §9).

PostgreSQL refuses a string longer than its ``VARCHAR(n)`` column and any NUL
character; SQLite stores both silently, so data imported on a workstation could
not move to the shared server. Every INSERT/UPDATE going through an engine made by
``db.session.make_engine`` is checked before it runs, on both backends alike: a
value longer than its column or holding a NUL is bad input (exit 3) naming the
table and column, and nothing is written.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Insert, Update

from hospital_app.errors import BadInput
from hospital_app.i18n import tr


@lru_cache(maxsize=1)
def _columns() -> dict[str, dict[str, int | None]]:
    """table → {column key: max length or None} for every text column of the models."""
    from db.models import Base

    return {t.name: {c.key: c.type.length for c in t.columns if isinstance(c.type, String)}
            for t in Base.metadata.tables.values()}


def _check_row(table: str, columns: dict, row: dict) -> None:
    for key, value in row.items():
        if not isinstance(value, str):
            continue
        name = getattr(key, "key", key)
        if name not in columns:
            continue
        limit = columns[name]
        if "\x00" in value:
            raise BadInput(tr("{t}.{c} 的文字含有 NUL 控制字符，未保存。",
                              "{t}.{c}: the text holds a NUL control character; nothing was saved.",
                              t=table, c=name), column=name)
        if limit is not None and len(value) > limit:
            raise BadInput(tr("{t}.{c} 的文字过长（{n} 个字符，上限 {m}），未保存。",
                              "{t}.{c}: the text is too long ({n} characters, at most {m}); nothing was saved.",
                              t=table, c=name, n=len(value), m=limit), column=name)


def _before_execute(conn, clause, multiparams, params, execution_options):
    if not isinstance(clause, (Insert, Update)):
        return
    table = getattr(clause.table, "name", None)
    columns = _columns().get(table)
    if not columns:
        return
    for group in (multiparams, [params]):
        for item in group or ():
            for row in (item if isinstance(item, (list, tuple)) else [item]):
                if isinstance(row, dict):
                    _check_row(table, columns, row)
    values = getattr(clause, "_values", None)
    if values:
        _check_row(table, columns, {getattr(k, "key", k): getattr(v, "value", v) for k, v in values.items()})


def install(engine: Engine) -> None:
    event.listen(engine, "before_execute", _before_execute)
