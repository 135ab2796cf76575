"""Writing a chunk of keyed rows (IMPORT.md: re-importing changes nothing): the one upsert the
purchase, order and department-usage writers share."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.sql_hints import indexed_by, unique_index
from hospital_app.services.importing.run import Run


def existing_rows(session: Session, model, compare: tuple[str, ...], keys: list[str]):
    """SELECT dedup_key, id and the ``compare`` columns of the rows whose ``dedup_key`` is among
    ``keys`` — through the key's unique index on SQLite whatever the statistics say
    (``sql_hints.unique_index``)."""
    table = model.__table__
    index = unique_index(session, table, "dedup_key")
    t = indexed_by(table, index) if index else table
    return select(t.c.dedup_key, t.c.id, *(t.c[c] for c in compare)).where(t.c.dedup_key.in_(keys))


def flush_by_key(run: Run, model, pending: list[dict], compare: tuple[str, ...], run_id: int | None, *,
                 keep: Callable[[str, object], bool] | None = None,
                 before_update: Callable[[list[int]], None] | None = None) -> None:
    """Insert the rows of ``pending`` whose ``dedup_key`` is new (with ``import_run_id``), update
    the known ones where a ``compare`` column differs, and count both into ``run.result``.

    ``keep(column, new_value)`` says whether a differing column is written: a later order
    export never erases a known time with a blank cell; a usage line keeps the department a
    merge gave it. ``before_update(ids)`` is told the rows about to be updated (the purchase
    table's audit digest keeps their text before). ``pending`` is emptied."""
    if not pending:
        return
    existing = {row[0]: row for row in run.s.execute(
        existing_rows(run.s, model, compare, [p["dedup_key"] for p in pending]))}
    inserts, updates = [], []
    for p in pending:
        old = existing.get(p["dedup_key"])
        if old is None:
            p["import_run_id"] = run_id
            inserts.append(p)
            continue
        changed = {c: p[c] for i, c in enumerate(compare)
                   if old[2 + i] != p[c] and (keep is None or keep(c, p[c]))}
        if changed:
            updates.append((old[1], changed))
        else:
            run.result.unchanged += 1
    if updates and before_update is not None:
        before_update([row_id for row_id, _ in updates])
    for row_id, changed in updates:
        run.s.execute(update(model).where(model.id == row_id).values(**changed))
        run.result.updated += 1
    if inserts:
        run.s.connection().execute(model.__table__.insert(), inserts)
        run.result.inserted += len(inserts)
    pending.clear()
