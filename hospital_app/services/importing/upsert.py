"""Writing a chunk of keyed rows (IMPORT.md: re-importing changes nothing): the one upsert the
purchase, order and department-usage writers share."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select, update

from hospital_app.services.importing.run import Run


def flush_by_key(run: Run, model, pending: list[dict], compare: tuple[str, ...], run_id: int | None, *,
                 keep: Callable[[str, object], bool] | None = None) -> None:
    """Insert the rows of ``pending`` whose ``dedup_key`` is new (with ``import_run_id``), update
    the known ones where a ``compare`` column differs, and count both into ``run.result``.

    ``keep(column, new_value)`` says whether a differing column is written: a later order
    export never erases a known time with a blank cell; a usage line keeps the department a
    merge gave it. ``pending`` is emptied."""
    if not pending:
        return
    cols = [getattr(model, c) for c in compare]
    existing = {row[0]: row for row in run.s.execute(
        select(model.dedup_key, model.id, *cols).where(model.dedup_key.in_([p["dedup_key"] for p in pending])))}
    inserts = []
    for p in pending:
        old = existing.get(p["dedup_key"])
        if old is None:
            p["import_run_id"] = run_id
            inserts.append(p)
            continue
        changed = {c: p[c] for i, c in enumerate(compare)
                   if old[2 + i] != p[c] and (keep is None or keep(c, p[c]))}
        if changed:
            run.s.execute(update(model).where(model.id == old[1]).values(**changed))
            run.result.updated += 1
        else:
            run.result.unchanged += 1
    if inserts:
        run.s.connection().execute(model.__table__.insert(), inserts)
        run.result.inserted += len(inserts)
    pending.clear()
