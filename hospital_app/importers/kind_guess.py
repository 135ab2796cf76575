"""Which import kind a spreadsheet holds, guessed from its header row (drag and drop, issue 20).

A guess only picks the wizard's first choice; the user can change it. The header row is
found as the importer finds it (``headers.detect_header``); the kind follows from the
fields that only one kind has (IMPORT.md): 报量 → reported volumes; a purchase quantity with
a date → purchases (a platform export holds order times too); response, delivery or
acceptance times with an order number → orders; a selected price
→ the selected-products catalogue; an agreed volume with its period → agreed volumes.
"""

from __future__ import annotations

from pathlib import Path

from hospital_app.importers.headers import auto_map, detect_header


def guess_kind(header: list[object]) -> str | None:
    """The import kind of a header row (cell values), or None when nothing fits."""
    mapping, _score = auto_map([v if isinstance(v, str) else "" for v in header], None)
    fields = set(mapping)
    if "reported_volume" in fields:
        return "reported-volumes"
    if "quantity" in fields and fields & {"purchase_date", "order_time"}:
        return "purchases"  # a platform export also holds the order times: purchases come first
    if fields & {"response_time", "delivery_time", "acceptance_date"} and "order_number" in fields:
        return "orders"
    if "selected_price" in fields and fields & {"generic_name", "product_code", "spec", "approval_number"}:
        return "products"
    if "agreed_volume" in fields and fields & {"generic_name", "product_code"}:
        return "volumes"
    return None


def guess_file_kind(path: str | Path, max_mb: int = 200) -> str | None:
    """The kind of the first sheet whose header row gives a guess (None: no guess)."""
    from hospital_app.importers.reader import open_source
    from hospital_app.importers.table import _head_rows

    source = open_source(Path(path), max_mb)
    try:
        for info in source.sheets:
            header = detect_header(_head_rows(source, info.name), None)
            if header is not None:
                kind = guess_kind(list(header.columns))
                if kind is not None:
                    return kind
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return None
