"""Bounds on what an imported file may hold (issue 23 §4, §9) — the same on SQLite and PostgreSQL.

Documented limits:

- ``MAX_CELL_CHARS`` (10 000): no cell, shared string, inline string or formula may hold
  more characters; a longer one is refused (BadInput naming file, sheet, row, column).
- ``MAX_SHARED_STRING_CHARS`` (50 million) and ``MAX_SHARED_STRINGS`` (5 million): the
  whole shared-string table of an xlsx (what openpyxl keeps in memory) is bounded.
- NUL and the other control characters (C0 except tab/newline/carriage return, DEL,
  C1) are stripped from every text cell; PostgreSQL refuses NUL in text, SQLite would
  have kept it. Tab, newline and carriage return stay (the reader's callers normalise
  spaces). Column lengths are then enforced for every write by ``db.text_limits``.

``scan_xlsx`` reads the shared strings and every worksheet part **streaming** with
expat in 1 MiB chunks, counting characters per element and stopping at the first one
over the limit — it never holds a whole part (a 600 MiB string in a 3.7 MB file is
refused after reading ~10 000 characters of it). DTDs and entity declarations are
refused (no entity expansion).

Most parts are cleared without expat (``_plainly_within``, issue 21: the expat pass cost a
monthly import about a second): a text of n characters takes at least n bytes, so a part in
which no run of bytes between two "<" is longer than ``MAX_CELL_CHARS``, with no "<!" (DOCTYPE,
ENTITY, CDATA, comments) and — for the shared strings — small enough that neither total can be
reached, holds nothing the expat scan would refuse. Any other part gets the expat scan.

The same pass notes whether any worksheet holds a formula (an ``f`` element, with or without a
namespace prefix) or a cell typed as an error or an ISO date, and the largest worksheet's size
(``XlsxFacts``): ``reader.open_source`` picks its reader from them (issue 21).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

from hospital_app.errors import BadInput
from hospital_app.i18n import tr

MAX_CELL_CHARS = 10_000
MAX_SHARED_STRING_CHARS = 50_000_000
MAX_SHARED_STRINGS = 5_000_000
CHUNK = 1 << 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TEXT_ELEMENTS = {"t", "v", "f"}
# What the scan notes on the way (``XlsxFacts``): the start of a formula element, "<f" or "<x:f"
# followed by a space, "/" or ">" (SpreadsheetML's <f>, <f t="shared" .../>, under any prefix), and
# a cell typed as an error or an ISO date (t="e", t="d").
_FORMULA = re.compile(rb"<(?:[^\s<>/:]+:)?f[\s/>]")
_TYPED = re.compile(rb"""\st\s*=\s*["'][ed]["']""")
_TYPED_VALUES = (b'"e"', b"'e'", b'"d"', b"'d'")


@dataclass(frozen=True)
class XlsxFacts:
    """What ``scan_xlsx`` saw of a workbook's worksheets besides the limits it enforces."""

    formulas: bool = True  # some worksheet may hold a formula element
    typed_cells: bool = True  # some cell may be an error (#N/A …) or an ISO 8601 date
    largest_sheet: int = 0  # the largest worksheet part, uncompressed bytes


class _TooLong(Exception):
    def __init__(self, what: str, ref: str | None) -> None:
        super().__init__(what)
        self.what, self.ref = what, ref


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _scan_part(zf: zipfile.ZipFile, member: str, shared: bool) -> tuple[bool, bool]:
    """Stream one XML part; raise _TooLong at the first text over a limit. Returns whether the
    part holds a formula element, and a cell typed as an error or an ISO date."""
    parser = expat.ParserCreate()
    state = {"in_text": False, "count": 0, "ref": None, "strings": 0, "total": 0, "formulas": False,
             "typed": False}

    def start(name, attrs):
        local = _local(name)
        if local == "c":
            state["ref"] = attrs.get("r")
            if attrs.get("t") in ("e", "d"):
                state["typed"] = True
        elif local == "si":
            state["strings"] += 1
            if state["strings"] > MAX_SHARED_STRINGS:
                raise _TooLong("strings", None)
        if local in _TEXT_ELEMENTS:
            state["in_text"], state["count"] = True, 0
            if local == "f":
                state["formulas"] = True

    def end(name):
        if _local(name) in _TEXT_ELEMENTS:
            state["in_text"] = False

    def data(text):
        if not state["in_text"]:
            return
        state["count"] += len(text)
        state["total"] += len(text)
        if state["count"] > MAX_CELL_CHARS:
            raise _TooLong("cell", state["ref"])
        if shared and state["total"] > MAX_SHARED_STRING_CHARS:
            raise _TooLong("total", None)

    def refuse(*_args):
        raise _TooLong("dtd", None)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = data
    parser.buffer_text = False
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    with zf.open(member) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return state["formulas"], state["typed"]


def _plainly_within(zf: zipfile.ZipFile, member: str, shared: bool) -> tuple[bool, bool, bool]:
    """(plain, formulas, typed): plain is True when the part's bytes alone show it within the
    limits (see the module docstring) — False means "scan it with expat", not "refuse"; formulas
    and typed: the part (a worksheet) may hold a formula element / a cell typed "e" or "d".

    Those two are exact for a plain part: each chunk is searched together with the previous
    chunk's bytes from its last "<", so a tag cut by a chunk's end is seen whole (in a plain part
    that tail is at most ``MAX_CELL_CHARS`` bytes).

    The same bytes go through expat without handlers (in C, ~0.1 s for a monthly file): a part
    that is not well-formed XML — truncated by a crashed exporter, a tag mismatched — raises
    ``expat.ExpatError`` here, whichever reader comes next (python-calamine would read such a
    part up to the damage without a word). No "<!" means no DTD, so no entity to expand."""
    longest = carry = total = 0
    last = tail = b""
    formulas = typed = False
    parser = expat.ParserCreate()
    with zf.open(member) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            total += len(chunk)
            if b"<!" in chunk or (last == b"<" and chunk[:1] == b"!"):
                return False, True, True
            parser.Parse(chunk, False)
            if not shared and not (formulas and typed):
                seen = tail + chunk
                formulas = formulas or bool((b"<f" in seen or b":f" in seen) and _FORMULA.search(seen))
                typed = typed or bool(any(v in seen for v in _TYPED_VALUES) and _TYPED.search(seen))
                at = chunk.rfind(b"<")
                tail = chunk[at:] if at >= 0 else seen
            pieces = chunk.split(b"<")
            if len(pieces) == 1:  # no "<" in the whole chunk: the run goes on
                carry += len(chunk)
            else:
                longest = max(longest, carry + len(pieces[0]), max(map(len, pieces[1:-1]), default=0))
                carry = len(pieces[-1])
            if max(longest, carry) > MAX_CELL_CHARS:
                return False, True, True
            last = chunk[-1:]
    parser.Parse(b"", True)
    # "<si/>" is the shortest shared string: 5 bytes each.
    plain = not shared or (total <= MAX_SHARED_STRING_CHARS and total <= 5 * MAX_SHARED_STRINGS)
    return plain, formulas, typed


_ATTRIBUTE = re.compile(r"""([\w:]+)\s*=\s*(["'])(.*?)\2""", re.S)
_RELS_MAX = 1 << 22  # a relationships part is a few hundred bytes; a larger one is not read


def _attributes(element: str) -> dict[str, str]:
    """An XML start tag's attributes by local name, in any order and either quote."""
    return {k.rsplit(":", 1)[-1]: v for k, _, v in _ATTRIBUTE.findall(element)}


def _relationships(zf: zipfile.ZipFile, rels: str) -> list[dict[str, str]]:
    """The relationships of one .rels part, each with ``part``: its target resolved against the
    folder of the part the relationships belong to (absolute targets from the package root)."""
    folder = rels.rsplit("_rels/", 1)[0].rstrip("/")
    out = []
    for element in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", zf.read(rels).decode("utf-8", "replace")):
        attrs = _attributes(element)
        target = attrs.get("Target", "")
        attrs["part"] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out.append(attrs)
    return out


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """worksheet part → sheet name, for messages (best effort; small parts only)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        parts = {r.get("Id"): r["part"] for r in _relationships(zf, "xl/_rels/workbook.xml.rels")}
    except KeyError:
        return {}
    names = {}
    for element in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = _attributes(element)
        if attrs.get("id") in parts and "name" in attrs:
            names[parts[attrs["id"]]] = attrs["name"]
    return names


def _worksheet_parts(zf: zipfile.ZipFile, members: list[str]) -> tuple[list[str], bool]:
    """Every worksheet part: those under xl/worksheets/ and every target of a worksheet
    relationship in any .rels part (openpyxl follows the workbook's relationships, which a
    generator may point elsewhere). The flag is False when a relationships part was too large
    to read (some may be missing)."""
    present = set(members)
    found = {m for m in members if m.startswith("xl/worksheets/") and m.endswith(".xml")}
    complete = True
    for rels in (m for m in members if m.endswith(".rels") and "_rels/" in m):
        if zf.getinfo(rels).file_size > _RELS_MAX:
            complete = False
            continue
        found.update(r["part"] for r in _relationships(zf, rels)
                     if r.get("Type", "").endswith("/worksheet") and r.get("TargetMode") != "External"
                     and r["part"] in present)
    return sorted(found), complete


def scan_xlsx(path: Path, exact: bool = False) -> XlsxFacts:
    """Refuse an xlsx holding a text over the limits (see the module docstring). ``exact``: every
    part through expat, which also names a part whose XML is damaged (line and column).

    Returns what it saw of the worksheets (``XlsxFacts``)."""
    name = path.name
    with zipfile.ZipFile(path) as zf:
        members = [i.filename for i in zf.infolist()]
        parts = [m for m in members if m.lower().endswith("sharedstrings.xml")]
        try:
            sheets, complete = _worksheet_parts(zf, members)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise BadInput(tr("文件内容已损坏（{e}）。", "The file content is damaged ({e}).", e=exc),
                           file=name) from None
        formulas = typed = not complete
        largest = max((zf.getinfo(m).file_size for m in sheets), default=0)
        for member in parts + sheets:
            try:
                shared = member in parts
                plain, has_formula, has_typed = (False, True, True) if exact else _plainly_within(
                    zf, member, shared=shared)
                if not plain:
                    has_formula, has_typed = _scan_part(zf, member, shared=shared)
                if not shared:
                    formulas, typed = formulas or has_formula, typed or has_typed
            except _TooLong as exc:
                sheet = None if member in parts else _sheet_names(zf).get(member, member)
                raise _refusal(name, sheet, exc) from None
            except expat.ExpatError as exc:
                sheet = None if member in parts else _sheet_names(zf).get(member)
                raise BadInput(tr("文件内容已损坏（{p}：{e}）。", "The file content is damaged ({p}: {e}).",
                                  p=member, e=exc), file=name, sheet=sheet) from None
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                # A damaged member (bad CRC, truncated deflate stream, unknown compression).
                raise BadInput(tr("文件内容已损坏（{p}：{e}）。", "The file content is damaged ({p}: {e}).",
                                  p=member, e=exc), file=name) from None
    return XlsxFacts(formulas=formulas, typed_cells=typed, largest_sheet=largest)


def _refusal(file: str, sheet: str | None, exc: _TooLong) -> BadInput:
    if exc.what == "dtd":
        return BadInput(tr("文件包含不允许的 XML 声明（DTD/实体），拒绝导入。",
                           "The file contains XML declarations that are not allowed (DTD/entities); refused."),
                        file=file, sheet=sheet)
    if exc.what in ("total", "strings"):
        return BadInput(tr("文件中的文字总量超过上限（{n} 个字符 / {m} 个字符串），拒绝导入。",
                           "The file holds more text than allowed ({n} characters / {m} strings); refused.",
                           n=f"{MAX_SHARED_STRING_CHARS:,}", m=f"{MAX_SHARED_STRINGS:,}"), file=file)
    cell = exc.ref or ""
    column = re.sub(r"\d+", "", cell) or None
    row = int(re.sub(r"\D+", "", cell)) if re.search(r"\d", cell) else None
    return BadInput(tr("单元格{c}的内容超过 {n} 个字符，拒绝导入。", "Cell {c} holds more than {n} characters; refused.",
                       c=f" {cell} " if cell else "", n=f"{MAX_CELL_CHARS:,}"),
                    file=file, sheet=sheet, row=row, column=column)


def clean_text(value: str) -> str:
    """Strip NUL and other control characters (tab, newline, carriage return stay)."""
    return _CONTROL.sub("", value) if _CONTROL.search(value) else value


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def bounded_rows(rows: Iterator, file: str, sheet: str) -> Iterator:
    """Rows with control characters stripped; a text over MAX_CELL_CHARS is refused."""
    for row_no, values, formulas in rows:
        for i, value in enumerate(values):
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise BadInput(tr("单元格内容超过 {n} 个字符，拒绝导入。", "A cell holds more than {n} characters; "
                                      "refused.", n=f"{MAX_CELL_CHARS:,}"),
                                   file=file, sheet=sheet, row=row_no, column=_column_letter(i))
                values[i] = clean_text(value)
        yield row_no, values, formulas


class Bounded:
    """A reader (xlsx/xls/csv source) whose rows pass through :func:`bounded_rows`."""

    def __init__(self, source) -> None:
        self._source = source

    def __getattr__(self, name):
        return getattr(self._source, name)

    def rows(self, sheet: str) -> Iterator:
        return bounded_rows(self._source.rows(sheet), self._source.file, sheet)
