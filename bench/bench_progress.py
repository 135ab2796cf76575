"""`progress --json` and `alerts --json` on 2 000 products × 500 000 purchases (issue 12).

    python bench/bench_progress.py [--db FILE] [--as-of 2026-06-30] [--runs 5]

Times, each in its own fresh process on the same database, a trivial command
(`calendar is-workday`) and `progress --json` / `alerts --json`, interleaved so that all
three see the same machine load. Prints the best-of-N wall times, the deltas over the
trivial command (targets: +0.3 s / +0.5 s) and the peak resident memory of each child
(target: < 400 MB).

The database is the shared scale database (``bench/common.scale_database``, made once with
``demo --products 2000 --purchases 500000`` as of 2026-06-30) unless ``--db`` is given;
``--as-of`` must be that database's "today" (the demo writes purchases up to it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import PY, ROOT, result, scale_database  # noqa: E402

TARGETS = {"progress": 0.3, "alerts": 0.5}
RSS_LIMIT_MB = 400

# A fresh parent per child: RUSAGE_CHILDREN is a running maximum over all children.
PROBE = ("import resource,subprocess,sys,time;t=time.perf_counter();"
         "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
         "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")


def measure(args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of ``hospital-app ARGS`` in a fresh process."""
    out = subprocess.run([PY, "-c", PROBE, PY, "-m", "hospital_app", *args], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    wall, kb, code = out.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"hospital-app {' '.join(args)}: exit {code}")
    return float(wall), int(kb) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="reuse this database (default: the shared scale database)")
    ap.add_argument("--as-of", default="2026-06-30", help="the database's 'today' (demo --as-of)")
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-progress-")
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(Path(tmp) / var.lower())  # no settings, logs or backups of this machine
    db = opts.db or str(scale_database(Path(tempfile.gettempdir()) / "hospital-bench-scale.db"))
    common = ["--db", db, "--as-of", opts.as_of]
    commands = {
        "trivial": [*common, "calendar", "is-workday", "2025-06-09", "--json"],
        "progress": [*common, "progress", "--json"],
        "alerts": [*common, "alerts", "--json"],
    }
    measure(commands["trivial"], env)  # warm the OS file cache and take the day's backup
    best: dict[str, float] = {}
    rss: dict[str, float] = {}
    for _ in range(opts.runs):
        for name, args in commands.items():
            wall, mb = measure(args, env)
            best[name] = min(best.get(name, float("inf")), wall)
            rss[name] = max(rss.get(name, 0.0), mb)
    print(f"database {db}, as of {opts.as_of}, best of {opts.runs}")
    print(f"{'command':<10}{'best s':>9}{'delta s':>9}{'target':>9}{'peak RSS MB':>13}")
    for name in commands:
        delta = best[name] - best["trivial"]
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if delta <= target else "SLOW")
        print(f"{name:<10}{best[name]:>9.3f}{delta if target else 0:>9.3f}"
              f"{(f'+{target}' if target else '-'):>9}{rss[name]:>13.1f}  {verdict}")
    for name, target in TARGETS.items():
        delta = best[name] - best["trivial"]
        result(f"{name} --json over trivial", f"+{delta:.2f} s", f"<= +{target} s", delta <= target)
    peak = max(rss.values())
    result("progress/alerts peak RSS", f"{peak:.0f} MB", f"< {RSS_LIMIT_MB} MB", peak < RSS_LIMIT_MB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
