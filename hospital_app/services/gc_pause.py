"""Pausing Python's cyclic garbage collector around a large read (issues 12, 21).

The progress engine and the dashboard's job make ~10⁵ short-lived rows, tuples and dicts at
hospital scale. Reference counting frees them; the cyclic collector's passes over them find
no cycles and, in the desktop app, also walk every long-lived object of Qt, SQLAlchemy and the
models: ~0.15 s of the dashboard's 0.8 s job. ``paused()`` turns the collector off for the
block and back on after it, so what was allocated is scanned once, later, if it survives.

Safe with several threads: only the block that found the collector on turns it back on, and
a block starts by turning it off, so once every block has ended the collector is on again
(a block that ends while another runs may turn it on early: slower, never wrong).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
