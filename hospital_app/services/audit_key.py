"""The audit log's secret keys, kept **outside** the database (issue 23 §10).

One 32-byte random key per key id, in ``<user config dir>/audit-keys/<id>.key``
(folder 0700, file 0600), or in ``$HOSPITAL_APP_AUDIT_KEY_DIR`` — for a shared
PostgreSQL database the administrator points every workstation at the same
protected folder, or copies the key file. Someone who can edit the database file
but not this folder cannot re-sign the audit chain or the row digests.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

KEY_DIR_ENV = "HOSPITAL_APP_AUDIT_KEY_DIR"
_ID = re.compile(r"^[0-9a-f]{32}$")


def key_dir() -> Path:
    env = os.environ.get(KEY_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    from hospital_app.paths import APP_AUTHOR, APP_NAME

    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "audit-keys"


def key_path(key_id: str) -> Path:
    return key_dir() / f"{key_id}.key"


def load(key_id: str) -> bytes | None:
    """The key, or None when it is not on this computer (or the id is malformed)."""
    if not isinstance(key_id, str) or not _ID.match(key_id):
        return None
    try:
        data = key_path(key_id).read_bytes()
    except OSError:
        return None
    return data if len(data) == 32 else None


def create() -> tuple[str, bytes]:
    """A new random key, written owner-only before it is used."""
    key_id, key = secrets.token_hex(16), secrets.token_bytes(32)
    folder = key_dir()
    old = os.umask(0o077)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        os.umask(old)
    return key_id, key
