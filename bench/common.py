"""Helpers for the bench scripts: timing subprocesses and their peak memory.

Benchmarks print ratios against a floor measured in the same run (absolute times on a
shared machine are noise). Each script ends with ``RESULT`` lines that run_all.py
collects: ``RESULT<TAB>job<TAB>measured<TAB>target<TAB>ok``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def cli(*args: str, env: dict | None = None) -> list[str]:
    return [PY, "-m", "hospital_app", *map(str, args)]


def timed(cmd: list[str], *, repeat: int = 3, env: dict | None = None) -> tuple[float, float]:
    """Median wall time (s) of ``cmd`` over ``repeat`` runs and the peak RSS (MB) of any run."""
    times, peak = [], 0.0
    full_env = dict(os.environ, **(env or {}))
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=full_env, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = max(peak, after / 1024, before / 1024)
    return statistics.median(times), peak


_INLINE = None  # compiled on first use (bench scripts import this module for other helpers too)


def as_exported(path: Path, ref: str) -> Path:
    """Make a workbook saved by openpyxl's write-only mode look like a real export, streaming
    (1 MiB chunks; a million-line workbook never sits in memory):

    - the worksheets get the ``<dimension ref="A1:P20836"/>`` element real exports carry. Without
      it, openpyxl's read-only ``load_workbook`` parses the whole sheet once more just to look for
      it — a second parse that the floor and the import both paid (1.49× against 1.74×);
    - texts move to a shared-strings table, each distinct text once. Write-only mode writes every
      text as an inline string, which openpyxl reads through a slow rich-text object per cell;
      every real export in tests/data/real uses shared strings (``t="s"``).

    Both made the floor (openpyxl reading the same file) slower than on a real file, so the
    import's ratio looked better than it is."""
    import re
    import zipfile

    global _INLINE
    if _INLINE is None:
        _INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is>'
                             rb'<t((?: xml:space="preserve")?)>(.*?)</t></is></c>', re.S)
    strings: dict[bytes, int] = {}
    spaces: dict[int, bytes] = {}

    def shared(match) -> bytes:
        ref_, style, space, text = match.groups()
        index = strings.setdefault(text, len(strings))
        if space:
            spaces[index] = space
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (ref_, style, index)

    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            name = item.filename
            if name == "[Content_Types].xml":
                zout.writestr(item, zin.read(name).replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')))
                continue
            if name == "xl/_rels/workbook.xml.rels":
                zout.writestr(item, zin.read(name).replace(b"</Relationships>", (
                    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')))
                continue
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                zout.writestr(item, zin.read(name))
                continue
            with zin.open(item) as src, zout.open(name, "w", force_zip64=True) as dst:
                head = src.read(1 << 16)
                if b"<dimension" not in head:
                    m = re.search(rb"<sheetPr>.*?</sheetPr>|<sheetPr[^>]*/>", head, re.S)
                    at = m.end() if m else head.index(b">", head.index(b"<worksheet")) + 1
                    head = head[:at] + f'<dimension ref="{ref}"/>'.encode() + head[at:]
                rest = head
                while True:
                    chunk = src.read(1 << 20)
                    rest += chunk
                    cut = len(rest) if not chunk else rest.rfind(b"</row>") + len(b"</row>")
                    if cut < len(b"</row>") and chunk:
                        continue  # no whole row yet
                    dst.write(_INLINE.sub(shared, rest[:cut]))
                    rest = rest[cut:]
                    if not chunk:
                        break
        with zout.open("xl/sharedStrings.xml", "w", force_zip64=True) as sst:
            sst.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                      b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(strings), len(strings)))
            for text, index in strings.items():
                sst.write(b"<si><t%s>%s</t></si>" % (spaces.get(index, b""), text))
            sst.write(b"</sst>")
    tmp.replace(path)
    return path


def result(job: str, measured: str, target: str, ok: bool) -> None:
    print(f"RESULT\t{job}\t{measured}\t{target}\t{'yes' if ok else 'NO'}", flush=True)


def scale_database(path: Path, products: int = 2000, purchases: int = 500_000) -> Path:
    """A demo database at hospital scale, made once and reused (delete it to rebuild)."""
    if not path.exists():
        subprocess.run(cli("--db", path, "--as-of", "2026-06-30", "demo", "--products", products,
                           "--purchases", purchases), check=True, cwd=ROOT, capture_output=True)
    return path
