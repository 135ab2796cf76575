"""Issue 22 §4: the packaged app's size and start time against the venv install.

    python bench/bench_bundle.py --bundle dist/hospital-app [--venv .venv] [--runs 5]

Sizes: the bundle folder and its zip against the venv's site-packages (what ``pip install .``
brought). Start: ``calendar is-workday`` (a trivial command: interpreter, imports, database
open) and ``gui --smoke`` (window shown and the dashboard's figures ready, offscreen) on the
same demo database, bundle and venv interleaved, median of N. Prints ratios; no target was
set by the issue beyond "measured", so the RESULT lines say "measured".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{proc.stderr.decode('utf-8', 'replace')[-2000:]}")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default=str(ROOT / "dist" / "hospital-app"))
    ap.add_argument("--venv", default=str(ROOT / ".venv"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    bundle, venv = Path(args.bundle), Path(args.venv)
    b_exe = bundle / "hospital-app"
    v_exe = venv / "bin" / "hospital-app"
    home = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(home / "d"), "XDG_CONFIG_HOME": str(home / "c"), "XDG_STATE_HOME": str(home / "s")}
    db = home / "demo.db"
    run([str(v_exe), "--db", str(db), "--as-of", "2025-07-15", "demo"], env)
    zips = sorted(bundle.parent.glob("hospital-app-*.zip"))
    site = next((venv / "lib").glob("python3*/site-packages"))
    b_size, v_size = size(bundle), size(site)
    print(f"bundle folder {b_size / 1e6:.0f} MB" + (f", zip {zips[-1].stat().st_size / 1e6:.0f} MB" if zips else "")
          + f"; venv site-packages {v_size / 1e6:.0f} MB ({b_size / v_size:.2f}×)")
    results = {}
    for label, tail in (("trivial command", ["calendar", "is-workday", "2025-06-09"]), ("gui --smoke", ["gui", "--smoke"])):
        times = {"bundle": [], "venv": []}
        for _ in range(args.runs):
            for name, exe in (("bundle", b_exe), ("venv", v_exe)):
                times[name].append(run([str(exe), "--db", str(db), *tail], env))
        b, v = statistics.median(times["bundle"]), statistics.median(times["venv"])
        results[label] = (b, v)
        print(f"{label}: bundle {b * 1000:.0f} ms, venv {v * 1000:.0f} ms ({b / v:.2f}×)")
    from common import result

    result("bundle size vs venv site-packages", f"{b_size / 1e6:.0f} MB / {v_size / 1e6:.0f} MB", "measured", True)
    for label, (b, v) in results.items():
        result(f"bundle {label} vs venv", f"{b * 1000:.0f} ms / {v * 1000:.0f} ms ({b / v:.2f}×)", "measured", True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
