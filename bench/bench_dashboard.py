"""The dashboard's job at hospital scale (issue 21), in this process: ``ui.pages.dashboard.load_dashboard``.

    python bench/bench_dashboard.py [--db FILE] [--runs 3]

The job the GUI runs on its worker before the dashboard shows its figures ("data ready"): progress,
the batch summary, the first 200 unpaid deliveries and their count, every alert (reusing the progress
report), open supply issues, the to-do list and the indicators. Each run is a fresh session on
the already opened database (the imports and the migration check are paid once, as in the app);
best of ``--runs``. Also printed: each piece timed on its own, one after the other in one more
session (the job itself reads the R3/R4/R5 aggregates, the unpaid deliveries and the open issues
beside the progress pass, on a second connection: ``services.beside``). Target (issue 21):
within +0.5 s of a trivial command, i.e. the job itself <= 0.5 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import result, scale_database  # noqa: E402

AS_OF = date(2026, 6, 30)
TARGET_S = 0.5


def pieces(session) -> list[tuple[str, float]]:
    """Each service of the job timed alone, in the job's order, reusing what the job reuses."""
    from hospital_app.services import progress
    from hospital_app.services.alerts import collect_alerts
    from hospital_app.services.indicators import compute_indicators
    from hospital_app.services.payments import count_open, first_open
    from ui.pages.dashboard import PAYMENTS_SHOWN
    from hospital_app.services.supply_issues import list_issues
    from hospital_app.services.todo import todo_list

    out, held = [], {}

    def timed(label, job):
        start = time.perf_counter()
        held[label] = job()
        out.append((label, time.perf_counter() - start))

    timed("progress", lambda: progress.compute_progress(session, AS_OF))
    timed("batch summary", lambda: progress.batch_summary(session, AS_OF, held["progress"]))
    timed("unpaid shown", lambda: first_open(session, AS_OF, PAYMENTS_SHOWN))
    timed("alerts", lambda: collect_alerts(session, AS_OF, report=held["progress"]))
    timed("unpaid count", lambda: count_open(session, AS_OF, alerts=held["alerts"]))
    timed("issues", lambda: list_issues(session, AS_OF, open_only=True))
    timed("to-do", lambda: todo_list(session, AS_OF, alerts=held["alerts"], issues=held["issues"]))
    timed("indicators", lambda: compute_indicators(session, AS_OF, report=held["progress"],
                                                   batches_summary=held["batch summary"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a database at scale (default: the shared scale database)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    db_path = Path(args.db) if args.db else scale_database(Path(tempfile.gettempdir()) / "hospital-bench-scale.db")
    from db.session import open_database
    from ui.pages.dashboard import load_dashboard

    db = open_database(str(db_path))
    try:
        times = []
        for _ in range(args.runs):
            with db.session() as s:
                start = time.perf_counter()
                data = load_dashboard(s, AS_OF)
                times.append(time.perf_counter() - start)
        with db.session() as s:
            parts = pieces(s)
    finally:
        db.dispose()
    best = min(times)
    print(f"load_dashboard: {', '.join(f'{t:.2f}' for t in times)} s → best {best:.2f} s "
          f"({len(data.alerts)} alerts, {data.open_payments} unpaid deliveries, {len(data.payments)} listed)")
    print("  pieces: " + ", ".join(f"{label} {t:.2f}" for label, t in parts))
    result("dashboard job (in-process)", f"{best:.2f} s", f"<= {TARGET_S:g} s", best <= TARGET_S)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
