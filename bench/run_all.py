"""Run every bench script and print a summary table (issue 12).

Usage: python bench/run_all.py [name ...]    e.g. python bench/run_all.py demo progress
Each script prints its own details and RESULT lines; this collects them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_demo.py", "bench_import.py", "bench_import.py --monthly", "bench_import_list.py",
           "bench_progress.py", "bench_bureau.py", "bench_pdf.py", "bench_gui.py", "bench_dashboard.py"]
#: Run only when named (``run_all.py departments``): ~11 minutes for a 1 000 000-line workbook.
LONG = ["bench_departments.py"]


def main(argv: list[str]) -> int:
    wanted = [s for s in SCRIPTS if not argv or any(a in s for a in argv)]
    wanted += [s for s in LONG if argv and any(a in s for a in argv)]
    rows, failed = [], []
    for script in wanted:
        name, *flags = script.split()
        path = HERE / name
        if not path.exists():
            rows.append((script, "-", "-", "missing"))
            continue
        print(f"== {script}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(path), *flags], capture_output=True, text=True, cwd=HERE)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            failed.append(script)
            sys.stdout.write(proc.stderr[-3000:])
        found = [line.split("\t")[1:] for line in proc.stdout.splitlines() if line.startswith("RESULT\t")]
        rows.extend(tuple(r) for r in found if len(r) == 4)
        if not found:  # a script that does not report through common.result() yet
            rows.append((script, "-", "-", "no RESULT line" if proc.returncode == 0 else "failed"))
        print(f"   ({time.perf_counter() - start:.0f} s)\n", flush=True)
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'job':<{width}}  {'measured':>16}  {'target':>20}  ok")
    for job, measured, target, ok in rows:
        print(f"{job:<{width}}  {measured:>16}  {target:>20}  {ok}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
