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


def with_dimension(path: Path) -> Path:
    """Give every worksheet of a workbook saved by openpyxl's write-only mode the ``<dimension>``
    element real exports carry (every real list in tests/data/real has one; write-only mode
    writes none). Without it, openpyxl's read-only ``load_workbook`` parses the whole sheet once
    more just to look for it — a second parse that the floor and the import both paid, which made
    the import's ratio look better than on a real file (1.49× here against 1.74× with the element)."""
    import re
    import zipfile

    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                text = data.decode("utf-8")
                if "<dimension" not in text:
                    rows = text.count("<row ")
                    cells = re.search(r"<row [^>]*>(.*?)</row>", text[text.rfind("<row "):], re.S)
                    last = re.findall(r'<c r="([A-Z]+)\d+"', cells.group(1)) if cells else []
                    ref = f"A1:{last[-1] if last else 'A'}{max(rows, 1)}"
                    m = re.search(r"<sheetPr>.*?</sheetPr>|<sheetPr[^>]*/>", text, re.S)
                    at = m.end() if m else text.index(">", text.index("<worksheet")) + 1
                    data = (text[:at] + f'<dimension ref="{ref}"/>' + text[at:]).encode("utf-8")
            zout.writestr(item, data)
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
