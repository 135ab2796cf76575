"""集采执行助手 — core library (no Qt here; see STYLE.md)."""

__version__ = "0.1.0"
