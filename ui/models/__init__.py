"""Qt item models (lazy, fed by services through the worker)."""
