"""The PySide6 desktop app. Talks to hospital_app.services through ui.worker; never SQL."""

from __future__ import annotations

import sys


def _guard_none_refcount() -> bool:
    """Work around shiboken6 6.12 on Python < 3.12: every call of a ``void`` Qt method
    returns ``None`` without taking a reference, so after a few thousand calls the
    interpreter aborts with "deallocating None". Where the probe shows the leak we give
    ``None`` a huge reference count — what Python 3.12 does for every interpreter (PEP 683
    immortal objects). Returns True when the guard was applied."""
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    if sys.getrefcount(None) >= before:
        return False
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
    return True


NONE_GUARD_APPLIED = _guard_none_refcount()
