"""Message catalogue of the core.

User-facing text in the core is written as a (Chinese, English) pair at the place
that raises or prints it: ``tr("找不到产品 {id}", "No product {id}", id=3)``. The
pair is the catalogue entry; the process-wide language picks one. Qt code uses
Qt's own ``tr()`` and .ts files instead.
"""

from __future__ import annotations

import locale
import os

_LANG = "zh"


def detect_language(explicit: str | None = None) -> str:
    """zh by default; en when asked for (``--lang en``) or when the locale is English."""
    if explicit:
        return "en" if explicit.lower().startswith("en") else "zh"
    for var in ("HOSPITAL_APP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover - odd platform locales
        loc = ""
    return "en" if loc.lower().startswith("en") else "zh"


def set_language(lang: str) -> None:
    global _LANG
    _LANG = "en" if lang.lower().startswith("en") else "zh"


def language() -> str:
    return _LANG


def tr(zh: str, en: str, /, **kwargs: object) -> str:
    text = en if _LANG == "en" else zh
    return text.format(**kwargs) if kwargs else text
