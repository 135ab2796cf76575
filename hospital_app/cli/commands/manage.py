"""Management commands (exemptions, substitutes, marks, suspension, batch overrides)."""

from __future__ import annotations


def register(sub, common) -> None:
    """Filled by the monitoring issue."""
