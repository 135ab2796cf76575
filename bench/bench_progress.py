"""Issue 6 speed check: `progress --json` and `alerts --json` on 2 000 products × 500 000 purchases.

    python bench/bench_progress.py [--products 2000] [--purchases 500000] [--db FILE] [--runs 3]

Fills a temporary database with `hospital-app demo --products N --purchases M` (or reuses
``--db``), then times, each in its own subprocess on the same database, a trivial command
(`calendar is-workday`) and `progress --json` / `alerts --json`. Prints the best-of-N
wall times, the deltas over the trivial command (targets: +0.3 s / +0.5 s) and the peak
resident memory of each child (target: < 400 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"progress": 0.3, "alerts": 0.5}
RSS_LIMIT_MB = 400


def _run(args: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the child, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hospital_app", *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux; max over children
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
    return wall, max(peak, before) / 1024, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--purchases", type=int, default=500000)
    ap.add_argument("--db", help="reuse this database (skip demo)")
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()

    env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="bench-progress-")
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(Path(tmp) / var.lower())
    db = opts.db or str(Path(tmp) / "bench.db")
    if not opts.db:
        t0 = time.perf_counter()
        wall, _, code = _run(["--db", db, "demo", "--products", str(opts.products),
                              "--purchases", str(opts.purchases)], env)
        if code != 0:
            print("demo failed", file=sys.stderr)
            return 1
        print(f"demo: {opts.products} products, {opts.purchases} purchases in {time.perf_counter() - t0:.1f} s")
    # as-of = the demo's "today" (the demo writes purchases up to today)
    commands = {
        "trivial": ["--db", db, "calendar", "is-workday", "2025-06-09", "--json"],
        "progress": ["--db", db, "progress", "--json"],
        "alerts": ["--db", db, "alerts", "--json"],
    }
    _run(commands["trivial"], env)  # warm the OS file cache and the daily backup
    best: dict[str, float] = {}
    rss: dict[str, float] = {}
    for _ in range(opts.runs):
        for name, args in commands.items():
            # RUSAGE_CHILDREN is a running max, so measure each child in a fresh interpreter
            out = subprocess.run(
                [sys.executable, "-c",
                 "import resource,subprocess,sys,time;t=time.perf_counter();"
                 "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
                 "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)",
                 sys.executable, "-m", "hospital_app", *args], env=env, capture_output=True, text=True)
            wall, kb, code = out.stdout.split()
            if int(code) != 0:
                print(f"{name}: exit {code}", file=sys.stderr)
                return 1
            best[name] = min(best.get(name, float("inf")), float(wall))
            rss[name] = max(rss.get(name, 0.0), int(kb) / 1024)
    ok = True
    print(f"{'command':<10}{'best s':>9}{'delta s':>9}{'target':>9}{'peak RSS MB':>13}")
    for name in commands:
        delta = best[name] - best["trivial"]
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if delta <= target else "SLOW")
        ok &= target is None or delta <= target
        ok &= rss[name] < RSS_LIMIT_MB
        print(f"{name:<10}{best[name]:>9.3f}{delta if target else 0:>9.3f}"
              f"{(f'+{target}' if target else '-'):>9}{rss[name]:>13.1f}  {verdict}")
    print(f"memory limit {RSS_LIMIT_MB} MB: {'ok' if max(rss.values()) < RSS_LIMIT_MB else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
