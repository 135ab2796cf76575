"""Writing a chunk of keyed rows (IMPORT.md: re-importing changes nothing): the one upsert the
purchase, order and department-usage writers share."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select, update

from hospital_app.services.importing.run import Run


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
    cols = [getattr(model, c) for c in compare]
    existing = {row[0]: row for row in run.s.execute(
        select(model.dedup_key, model.id, *cols).where(model.dedup_key.in_([p["dedup_key"] for p in pending])))}
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
