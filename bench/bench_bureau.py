"""`indicators`/`suppliers`/`retention`/`payments`/`alerts --json` on 2 000 products × 500 000 purchases (issues 17, 21).

    python bench/bench_bureau.py [--db FILE] [--as-of 2026-06-30] [--runs 5]

Same method as bench_progress.py: each command in its own fresh process on the same
database, interleaved with a trivial command (`calendar is-workday`); prints best-of-N wall
times and the deltas over the trivial command (target: +0.5 s each) and peak RSS.
``payments --json`` and ``alerts --json`` are issue 21's goals (500 000 orders, ~480 000 payments).
Printed beside them, the floor under ``payments --json``: its SQL alone (the service's own
queries, run on the driver's connection, rows fetched and dropped: no Python per delivery, no
JSON) — CLI.md lists every accepted delivery, so no implementation can be faster.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # the project (the payments floor runs its queries here)

from bench_progress import RSS_LIMIT_MB, measure  # noqa: E402
from common import result, scale_database  # noqa: E402

TARGETS = {"indicators": 0.5, "suppliers": 0.5, "suppliers_year": 0.5, "retention": None,
           "payments": 0.5, "alerts": 0.5}


def payments_sql_floor(db: str, as_of: str, runs: int) -> float:
    """Best wall time (s) of the SQL behind ``payments --json`` alone: ``payments._queries`` as the
    command runs them, executed on the DBAPI connection and fetched, in this process."""
    import time
    from datetime import date

    from db.session import open_database
    from hospital_app.services import payments

    database = open_database(db)
    best = float("inf")
    try:
        with database.session() as session:
            day = date.fromisoformat(as_of)
            conn = session.connection()
            raw = conn.connection.driver_connection
            reads = []
            for query in payments._queries(session, day, False, None, None):
                c = query.compile(conn, compile_kwargs={"render_postcompile": True})
                values = {}
                for key, value in c.params.items():  # the column types' own conversions (dates)
                    process = c.binds[key].type.bind_processor(conn.dialect)
                    values[key] = process(value) if process else value
                reads.append((str(c), [values[k] for k in c.positiontup] if c.positiontup else values))
            for _ in range(runs):
                start = time.perf_counter()
                for sql, params in reads:
                    cur = raw.cursor()
                    cur.execute(sql, params)
                    while cur.fetchmany(10_000):
                        pass
                    cur.close()
                best = min(best, time.perf_counter() - start)
    finally:
        database.engine.dispose()
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="reuse this database (default: the shared scale database)")
    ap.add_argument("--as-of", default="2026-06-30", help="the database's 'today' (demo --as-of)")
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-bureau-")
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(Path(tmp) / var.lower())
    db = opts.db or str(scale_database(Path(tempfile.gettempdir()) / "hospital-bench-scale.db"))
    common = ["--db", db, "--as-of", opts.as_of]
    commands = {
        "trivial": [*common, "calendar", "is-workday", "2025-06-09", "--json"],
        "progress": [*common, "progress", "--json"],
        "indicators": [*common, "indicators", "--json"],
        "suppliers": [*common, "suppliers", "--json"],
        "suppliers_year": [*common, "suppliers", "--year", opts.as_of[:4], "--json"],
        "retention": [*common, "retention", "--json"],
        "payments": [*common, "payments", "--json"],
        "alerts": [*common, "alerts", "--json"],
    }
    measure(commands["trivial"], env)
    best: dict[str, float] = {}
    rss: dict[str, float] = {}
    for _ in range(opts.runs):
        for name, args in commands.items():
            wall, mb = measure(args, env)
            best[name] = min(best.get(name, float("inf")), wall)
            rss[name] = max(rss.get(name, 0.0), mb)
    print(f"database {db}, as of {opts.as_of}, best of {opts.runs}")
    print(f"{'command':<16}{'best s':>9}{'delta s':>9}{'target':>9}{'peak RSS MB':>13}")
    for name in commands:
        delta = best[name] - best["trivial"]
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if delta <= target else "SLOW")
        print(f"{name:<16}{best[name]:>9.3f}{delta:>9.3f}{(f'+{target}' if target else '-'):>9}"
              f"{rss[name]:>13.1f}  {verdict}")
    for name, target in TARGETS.items():
        if target is not None:
            delta = best[name] - best["trivial"]
            result(f"{name} --json over trivial", f"+{delta:.2f} s", f"<= +{target} s", delta <= target)
    floor = payments_sql_floor(db, opts.as_of, min(opts.runs, 3))
    print(f"floor of payments --json: its SQL alone (no Python per delivery, no JSON): {floor:.2f} s "
          f"(every accepted delivery, CLI.md), against the goal of +0.5 s over the trivial command")
    peak = max(rss.values())
    result("bureau/payments/alerts peak RSS", f"{peak:.0f} MB", f"< {RSS_LIMIT_MB} MB", peak < RSS_LIMIT_MB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
