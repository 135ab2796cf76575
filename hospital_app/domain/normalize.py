"""Text normalisation shared by import, matching and R9.

Pure functions, no I/O. ``normalize_generic`` is the grouping key of R9 (generic name
trimmed, full-width to half-width, salt forms kept as written); ``normalize_spec`` is
the comparison key for specs ("0.25 G" == "0.25g", "10毫克" == "10mg").
"""

from __future__ import annotations

import re

# Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E; U+3000 is the ideographic space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# Punctuation that is not in the full-width block but means the same thing.
_FULLWIDTH.update({
    ord("×"): ord("*"), ord("╳"): ord("*"), ord("✕"): ord("*"),
    ord("【"): ord("["), ord("】"): ord("]"), ord("〔"): ord("["), ord("〕"): ord("]"),
    ord("、"): ord(","), ord("—"): ord("-"), ord("–"): ord("-"),
    ord("\u00a0"): ord(" "), ord("\u200b"): None, ord("\ufeff"): None,
})

# Invisible characters that make look-alike names (issue 23 §14): zero-width characters,
# bidirectional overrides/isolates/marks, soft hyphen, and C0/C1 control characters
# (tab/newline become spaces). Removed from every name and key.
_INVISIBLE = dict.fromkeys([0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                            *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF])
_INVISIBLE.update(dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)]))
_FULLWIDTH.update(_INVISIBLE)
_FULLWIDTH.update({0x09: 0x20, 0x0A: 0x20, 0x0D: 0x20})

_SPACE = re.compile(r"\s+")


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits, brackets and spaces → half-width; × → *; invisible and
    control characters (zero-width, right-to-left overrides …) removed."""
    return text.translate(_FULLWIDTH)


def clean_text(value: object) -> str:
    """A cell as trimmed half-width text with single spaces ('' for None)."""
    if value is None:
        return ""
    text = to_halfwidth(str(value))
    return _SPACE.sub(" ", text).strip()


# A trailing bracket holding a spec ("阿托伐他汀钙片(10mg)") is not part of the generic name.
_TRAILING_SPEC = re.compile(r"\((?=[^()]*\d)[^()]*\)$")


def normalize_generic(name: str | None) -> str:
    """R9: generic-name key — trimmed, full-width → half-width, no spaces, salt kept.

    "阿托伐他汀钙片（10mg） " → "阿托伐他汀钙片"; "苯磺酸 氨氯地平片" → "苯磺酸氨氯地平片".
    A trailing bracketed spec is dropped; a bracket without digits (a salt or an
    alias, "氨氯地平(苯磺酸盐)") is kept.
    """
    if not name:
        return ""
    text = _SPACE.sub("", to_halfwidth(str(name)))
    return _TRAILING_SPEC.sub("", text)


_UNIT_WORDS = (
    ("毫克", "mg"), ("微克", "μg"), ("ug", "μg"), ("µg", "μg"), ("mcg", "μg"),
    ("毫升", "ml"), ("千克", "kg"), ("克", "g"), ("升", "l"),
    ("国际单位", "iu"), ("万单位", "万u"),
)
_TRAILING_ZEROS = re.compile(r"(\d+)\.(\d*?)0+(?!\d)")
_DOT_END = re.compile(r"(\d+)\.(?!\d)")
_TIMES_X = re.compile(r"(?<=[0-9a-z\u4e00-\u9fff])x(?=\d)")


def normalize_spec(spec: str | None) -> str:
    """Spec comparison key: half-width, lower case, no spaces, unit words → symbols.

    "0.25 G" → "0.25g"; "10.0毫克" → "10mg"; "10mg×7片" → "10mg*7片".
    """
    if not spec:
        return ""
    text = _SPACE.sub("", to_halfwidth(str(spec))).lower()
    for word, symbol in _UNIT_WORDS:
        text = text.replace(word, symbol)
    text = _TIMES_X.sub("*", text)
    text = _TRAILING_ZEROS.sub(lambda m: f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1), text)
    return _DOT_END.sub(r"\1", text)


def normalize_key(text: str | None) -> str:
    """Loose key for names of companies and forms: half-width, no spaces, lower case."""
    if not text:
        return ""
    return _SPACE.sub("", to_halfwidth(str(text))).lower()
