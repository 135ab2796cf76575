"""A test double that records whether the cyclic garbage collector was on when a function ran."""

from __future__ import annotations

import gc


def gc_states(monkeypatch, module, name: str) -> list[bool]:
    """Wrap ``module.name`` so that every call appends ``gc.isenabled()`` to the returned list
    and then calls the real function."""
    seen: list[bool] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen
