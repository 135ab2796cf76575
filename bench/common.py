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


def with_dimension(path: Path, ref: str) -> Path:
    """Give the worksheets of a workbook saved by openpyxl's write-only mode the ``<dimension
    ref="A1:P20836"/>`` element real exports carry (every real list in tests/data/real has one;
    write-only mode writes none). Without it, openpyxl's read-only ``load_workbook`` parses the
    whole sheet once more just to look for it — a second parse that the floor and the import both
    paid, which made the import's ratio look better than on a real file (1.49× against 1.74×).
    Streamed: the element goes near the start of the part, the rest is copied in 1 MiB chunks."""
    import re
    import zipfile

    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if not (item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml")):
                zout.writestr(item, zin.read(item.filename))
                continue
            with zin.open(item) as src, zout.open(item.filename, "w", force_zip64=True) as dst:
                head = src.read(1 << 16)
                if b"<dimension" not in head:
                    m = re.search(rb"<sheetPr>.*?</sheetPr>|<sheetPr[^>]*/>", head, re.S)
                    at = m.end() if m else head.index(b">", head.index(b"<worksheet")) + 1
                    head = head[:at] + f'<dimension ref="{ref}"/>'.encode() + head[at:]
                dst.write(head)
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
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
