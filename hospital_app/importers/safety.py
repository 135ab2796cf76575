"""Untrusted files (IMPORT.md, issue 5 §5): check a file before any parser sees it.

Not a workbook, encrypted (OLE container or encrypted zip entries), zip bombs
(uncompressed sizes are read from the zip directory before anything is inflated),
files over the size limit, external links — each gets a clear ``BadInput``.
XML is parsed with defusedxml (openpyxl uses it when it is installed; we insist).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from hospital_app.errors import BadInput
from hospital_app.i18n import tr

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Uncompressed limits: a 100 000-line sheet is ~60 MB of XML.
MAX_UNCOMPRESSED_BYTES = 2 * 1024 ** 3
MAX_MEMBER_RATIO = 200  # deflate of real sheet XML stays far below this
RATIO_CHECK_MIN_BYTES = 10 * 1024 ** 2
MAX_MEMBERS = 10_000


def ensure_defusedxml() -> None:
    """openpyxl parses XML with defusedxml only when it is importable and not disabled."""
    import defusedxml  # noqa: F401 - a hard dependency (pyproject.toml)
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - someone set OPENPYXL_DEFUSEDXML=False
        raise RuntimeError("openpyxl is running without defusedxml; refusing to read untrusted files")


def _bad(file: str, zh: str, en: str, **kw) -> BadInput:
    return BadInput(tr(zh, en, **kw), file=file)


def sniff(path: Path, max_mb: int) -> str:
    """Check the file and say how to read it: 'xlsx', 'xls', 'html', 'spreadsheetml' or 'csv' — by
    its content, whatever its name says (IMPORT.md v2 "File types lie")."""
    name = path.name
    try:
        size = os.path.getsize(path)
    except OSError:
        raise _bad(name, "找不到文件：{p}", "File not found: {p}", p=str(path)) from None
    if path.is_dir():
        raise _bad(name, "这是一个文件夹，不是文件：{p}", "This is a folder, not a file: {p}", p=str(path))
    if size > max_mb * 1024 * 1024:
        raise _bad(name, "文件太大（{s:.0f} MB），上限为 {m} MB（设置项 import_max_file_mb）。",
                   "The file is too large ({s:.0f} MB); the limit is {m} MB (setting import_max_file_mb).",
                   s=size / 1024 / 1024, m=max_mb)
    if size == 0:
        raise _bad(name, "文件是空的。", "The file is empty.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise _bad(name, "无法读取文件：{e}", "Cannot read the file: {e}", e=exc.strerror or exc) from None
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK"):
        check_zip(path, max_mb)
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        check_ole(path)
        return "xls"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in _head(path, 65536):
        return "spreadsheetml"  # Excel 2003 XML (read with defusedxml)
    if (lowered.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head", b"<body", b"<style"))
            or (lowered.startswith(b"<") and b"<table" in _head(path, 65536).lower())):
        return "html"  # an HTML table export (read with the standard library's tokenizer)
    if lowered.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"mime-version")):
        raise _bad(name, "这个文件是网页/XML 格式，只是扩展名为 Excel。请用 Excel 打开后“另存为”.xlsx 再导入。",
                   "This file is HTML/XML with an Excel extension. Open it in Excel, save as .xlsx and import that.")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise _bad(name, "这不是有效的 Excel 文件（文件可能已损坏，或只是改了扩展名）。",
                   "This is not a valid Excel file (it may be damaged or just renamed).")
    if b"\x00" in head or suffix not in (".csv", ".txt", ".tsv", ""):
        raise _bad(name, "这不是 Excel 工作簿或 CSV 文本文件。", "This is neither an Excel workbook nor a CSV text file.")
    return "csv"


def _head(path: Path, n: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def check_zip(path: Path, max_mb: int) -> None:
    """xlsx = zip: refuse damaged, encrypted, bomb-like or externally linked files."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _bad(name, "这不是有效的 Excel 文件（压缩结构已损坏）。",
                   "This is not a valid Excel file (its zip structure is damaged).") from None
    if len(infos) > MAX_MEMBERS:
        raise _bad(name, "文件结构异常（包含 {n} 个部件），拒绝导入。",
                   "Abnormal file structure ({n} parts); refused.", n=len(infos))
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and not any(n.endswith("/workbook.xml") for n in names):
        raise _bad(name, "这是一个压缩文件，但不是 Excel 工作簿（.xlsx）。",
                   "This is a zip file but not an Excel workbook (.xlsx).")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _bad(name, "文件已加密，请在 Excel 中取消密码后再导入。",
                       "The file is encrypted; remove the password in Excel and import again.")
        total += info.file_size
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise _bad(name, "文件解压后异常巨大（疑似“压缩炸弹”），拒绝导入。",
                       "The file expands to an abnormal size (a suspected zip bomb); refused.")
    if total > min(MAX_UNCOMPRESSED_BYTES, max_mb * 1024 * 1024 * 20):
        raise _bad(name, "文件解压后超过 {s} MB，拒绝导入。", "The file expands to more than {s} MB; refused.",
                   s=total // 1024 // 1024)
    if any(n.startswith("xl/externalLinks/") for n in names):
        raise _bad(name, "工作簿含有指向其他文件的外部链接。请在 Excel 中“编辑链接→断开链接”（或复制后“粘贴为数值”）后另存再导入。",
                   "The workbook links to other files. Break the links in Excel (or paste as values), "
                   "save and import again.")


def check_ole(path: Path) -> None:
    """An OLE container is either an old .xls or an encrypted (password-protected) .xlsx."""
    name = path.name
    try:
        with open(path, "rb") as fh:
            data = fh.read(4 * 1024 * 1024)
    except OSError:  # pragma: no cover - checked by sniff already
        raise _bad(name, "无法读取文件。", "Cannot read the file.") from None
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise _bad(name, "文件已加密（设置了打开密码），请在 Excel 中取消密码后再导入。",
                   "The file is encrypted (it has an open password); remove the password in Excel and import again.")
