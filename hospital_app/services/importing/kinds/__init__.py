"""One writer per import kind, registered by name.

A writer is ``writer(run, *, batch, run_id) -> None``: it reads ``run.records()``, reports problems
through ``run.fail`` / ``run.problem`` (checking a row completely before writing any of it, so
``--skip-invalid`` can leave the row out) and counts into ``run.result``. To add a kind: write its
module here, add its header fields to ``importers.headers`` (KIND_FIELDS, KIND_REQUIRED) and
``register("kind", writer)`` it below (or from the new module, imported here).
"""

from __future__ import annotations

from typing import Callable

WRITERS: dict[str, Callable[..., None]] = {}


def register(kind: str, writer: Callable[..., None]) -> None:
    WRITERS[kind] = writer


def _register_builtin() -> None:
    from hospital_app.services.importing.kinds.orders import import_orders
    from hospital_app.services.importing.kinds.products import import_products
    from hospital_app.services.importing.kinds.purchases import import_purchases
    from hospital_app.services.importing.kinds.reported_volumes import import_reported
    from hospital_app.services.importing.kinds.volumes import import_volumes

    register("products", import_products)
    register("volumes", import_volumes)
    register("purchases", import_purchases)
    register("orders", import_orders)
    register("reported-volumes", import_reported)
    from hospital_app.services.importing.kinds.departments import import_departments

    register("departments", import_departments)  # R21 (issue 19)


def writer_for(kind: str) -> Callable[..., None]:
    if not WRITERS:
        _register_builtin()
    return WRITERS[kind]
