"""Secrets never shown (issue 23 §5): database URLs without passwords, passwords kept in
the OS keyring (or asked at start), private config files.

- :func:`mask_url` / :func:`mask_text` hide a URL's password *and* a
  ``?password=`` (or ``sslpassword=``, ``passfile=`` …) query parameter, in any text;
  :class:`MaskingFilter` applies it to every log record.
- :func:`split_password` / :func:`join_password` keep a URL's password out of the
  stored URL: it goes to the OS keyring (``keyring``) under the masked URL; when no
  keyring is usable, nothing is stored and the password is asked at start.
- :func:`make_private` makes a config file readable by its owner only (0600).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

MASK = "***"
KEYRING_SERVICE = "hospital-app"
_SECRET_PARAMS = {"password", "pass", "passwd", "pwd", "sslpassword", "sslkey_password", "secret", "token"}
# user:password@ in any URL-looking text
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")
# password=value in a query string or a libpq connection string
_PARAM = re.compile(r"(?P<key>\b(?:" + "|".join(sorted(_SECRET_PARAMS)) + r"))=(?P<value>'[^']*'|[^&\s;,)\"']*)",
                    re.IGNORECASE)


def mask_text(text: str) -> str:
    """Hide every password in ``text`` (URLs, query parameters, key=value pairs)."""
    if not text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PARAM.sub(lambda m: f"{m['key']}={MASK}", text)


def mask_url(url: str) -> str:
    """A database URL for people: its password and secret query parameters masked."""
    return mask_text(str(url))


def split_password(url: str) -> tuple[str, str | None]:
    """``(url without any password, the password or None)`` — the first part may be stored."""
    from sqlalchemy.engine import make_url

    if "://" not in url:
        return url, None
    u = make_url(url)
    password = u.password
    query = dict(u.query)
    for key in list(query):
        if key.lower() in _SECRET_PARAMS:
            value = query.pop(key)
            password = password or (value if isinstance(value, str) else value[0])
    u = u.set(query=query)._replace(password=None)  # set(password=None) would keep it
    return u.render_as_string(hide_password=False), password


def join_password(url: str, password: str | None) -> str:
    from sqlalchemy.engine import make_url

    if not password or "://" not in url:
        return url
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def needs_password(url: str) -> bool:
    """A server URL with a user but no password (to be completed from the keyring or a prompt)."""
    from sqlalchemy.engine import make_url

    if "://" not in url or url.startswith("sqlite"):
        return False
    u = make_url(url)
    return bool(u.username) and not u.password and not any(k.lower() in _SECRET_PARAMS for k in u.query)


def keyring_get(url: str) -> str | None:
    """The password stored for ``url`` in the OS keyring; None if none or no keyring."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, url)
    except Exception:  # noqa: BLE001 - no usable keyring backend: the password is asked
        logging.getLogger(__name__).info("no usable OS keyring", exc_info=True)
        return None


def keyring_set(url: str, password: str) -> bool:
    """Store the password in the OS keyring; False when there is none (then it is asked at start)."""
    try:
        import keyring
        from keyring.backends import fail

        if isinstance(keyring.get_keyring(), fail.Keyring):
            return False
        keyring.set_password(KEYRING_SERVICE, url, password)
        return True
    except Exception:  # noqa: BLE001 - see keyring_get
        logging.getLogger(__name__).info("could not store the password in the OS keyring", exc_info=True)
        return False


def make_private(path: str | os.PathLike) -> None:
    """Owner-only permissions for a file holding settings (0600); best effort."""
    try:
        Path(path).chmod(0o600)
    except OSError:
        logging.getLogger(__name__).warning("could not make %s private", path)


class MaskingFilter(logging.Filter):
    """Masks passwords in every record of a handler (message and arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        masked = mask_text(message)
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        record.msg, record.args = masked, None
        return True



def store_location(location: str) -> tuple[str, bool]:
    """What may be written to a config file for ``location``: the URL without its password
    (which goes to the OS keyring). Returns (location to store, password kept in keyring)."""
    stored, password = split_password(location)
    if not password:
        return stored, False
    return stored, keyring_set(stored, password)


def complete_password(location: str, ask=None) -> str:
    """A server URL with a user but no password gets it from the OS keyring, else from
    ``ask(masked_url)`` (a prompt at start; None = no prompt). Anything else is returned as is."""
    if not needs_password(location):
        return location
    password = keyring_get(location)
    if password is None and ask is not None:
        password = ask(mask_url(location))
    return join_password(location, password) if password else location
