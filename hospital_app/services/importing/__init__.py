"""Import use case (IMPORT.md, CLI.md ``import``): files → products, volumes, purchases,
orders, reported volumes.

Rules (IMPORT.md "Rules of import"):
- one run = one transaction: every row is checked, any problem → ``ImportFailed``
  (a ``BadInput``, exit 3) listing all problems with sheet, Excel row, column header
  and a Chinese message, and the session is rolled back — nothing is written;
- ``dry_run`` does exactly the same work and rolls back: its counts are the real ones;
- idempotent keys: purchases and orders by order number + line, else a hash of all
  their fields, so the same file twice inserts nothing and an overlapping export adds
  only its new rows;
- every successful run is recorded as an ``ImportRun`` (file, sha256, counts, who).

The caller hands in a session without pending changes; on error or dry run this
package rolls it back, on success the caller commits (``with db.session() as s``).

Layout: ``results`` (ImportResult, ImportFailed, Preview, constants), ``mappings`` (saved
mappings, preview), ``matching`` (ProductIndex, Companies), ``run`` (Run: problems, identity,
units, idempotent keys), ``kinds/`` (one writer per kind), ``transaction`` (import_file).
"""

from __future__ import annotations

from hospital_app.importers.headers import KIND_FIELDS
from hospital_app.services.importing.mappings import (
    delete_mapping,
    list_mappings,
    preview,
    resolve_mapping,
    save_mapping,
)
from hospital_app.services.importing.results import KINDS, ImportFailed, ImportResult, Preview
from hospital_app.services.importing.transaction import import_file

__all__ = ["ImportResult", "ImportFailed", "Preview", "import_file", "preview", "list_mappings",
           "save_mapping", "delete_mapping", "resolve_mapping", "KINDS", "KIND_FIELDS"]
