"""R21 (issue 19): a 12-month HIS department export of 1 000 000 lines.

    python bench/bench_departments.py [--rows 1000000] [--keep DIR] [--runs 3]

1. Makes a demo database (``demo --as-of 2026-06-30``) and generates a HIS-style
   科室发药 workbook (title row, header, 8 columns: date, department, code, name, spec,
   quantity, unit, type; 40 departments, every selected and non-selected product, 12 months
   up to the as-of date, 2 % returns) into DIR (default: a new folder under /tmp).
2. Times openpyxl's read-only iteration of every cell and ``import departments`` of the same
   file into the database (target: ≤ 2 × the iteration). The import reads this sheet with a
   child process (``importers.child_reader``); its peak memory is added to the import's.
3. Times, each in a fresh process, interleaved, best of N: a trivial command
   (``calendar is-workday``), ``departments --json`` and ``progress --json`` (which carries
   ``top_departments``) on the database now holding 1 000 000 usage lines (target: ≤ +0.5 s over
   the trivial command).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_import import time_openpyxl  # noqa: E402
from bench_progress import measure  # noqa: E402
from common import PY, ROOT, cli, result, as_exported  # noqa: E402

AS_OF = date(2026, 6, 30)
IMPORT_TARGET = 2.0
VIEW_TARGET = 0.5
DEPARTMENTS = ["心血管内科", "内分泌科", "呼吸与危重症医学科", "普外科", "消化内科", "神经内科", "老年医学科", "肾内科",
               "骨科", "儿科", "急诊医学科", "重症医学科", "感染性疾病科", "精神心理科", "疼痛科", "风湿免疫科",
               "胸外科", "泌尿外科", "妇科", "产科", "眼科", "耳鼻咽喉头颈外科", "口腔科", "皮肤科", "肿瘤内科",
               "血液内科", "康复医学科", "中医科", "全科医学科", "器官移植科", "神经外科", "心胸外科", "乳腺外科",
               "肝胆外科", "甲状腺外科", "介入科", "麻醉科", "新生儿科", "体检中心", "门诊药房"]
HEADER = ["发药日期", "科室名称", "药品编码", "药品名称", "规格", "发药数量", "单位", "业务类型"]


def generate(path: Path, db_file: Path, rows: int) -> None:
    from openpyxl import Workbook

    con = sqlite3.connect(db_file)
    products = con.execute("SELECT code, generic_name, spec, base_unit, pack_unit FROM product "
                           "WHERE code IS NOT NULL AND base_unit IS NOT NULL ORDER BY id").fetchall()
    con.close()
    rng = random.Random(19)
    start = AS_OF - timedelta(days=364)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("科室发药")
    ws.append(["示例市第一人民医院 HIS 科室发药明细（2025-07-01 至 2026-06-30）"])
    ws.append(HEADER)
    for i in range(rows):
        code, generic, spec, base_unit, pack_unit = products[rng.randrange(len(products))]
        dept = DEPARTMENTS[int(rng.paretovariate(1.2)) % len(DEPARTMENTS)]
        day = start + timedelta(days=i * 365 // rows)
        by_pack = pack_unit and rng.random() < 0.3
        qty = rng.randint(1, 5) if by_pack else rng.randint(1, 60)
        back = rng.random() < 0.02
        ws.append([day, dept, code, generic, spec, -qty if back else qty, pack_unit if by_pack else base_unit,
                   "退药" if back else "发药"])
    wb.save(path)
    as_exported(path, f"A1:H{rows + 2}")  # title, header, lines


def time_import(path: Path, db_file: Path) -> tuple[float, dict, int]:
    from db.session import open_database
    from hospital_app.services.importing import import_file

    db = open_database(str(db_file))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with db.session() as s:
        res = import_file(s, "departments", path, who="bench")
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # The sheet's reader process (importers.child_reader) runs beside the import: count its peak
    # too (both are alive at once). Known when it exceeds every earlier child of this process.
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reader = children_after * 1024 if children_after > children_before else 0
    if reader:
        print(f"reader process peak RSS {reader / 1e6:.0f} MB (counted in the import's peak)", flush=True)
    elif children_before:
        print(f"reader process peak RSS: not above {children_before * 1024 / 1e6:.0f} MB (an earlier child's; "
              f"counted as that)", flush=True)
        reader = children_before * 1024
    peak += reader
    from db.session import optimize

    optimize(db)  # as the CLI does after a bulk import
    db.dispose()
    return elapsed, res.as_dict(), peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="folder for the workbook and the database (reused when present)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_departments_"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = str(work / var.lower())
    base_db = work / "demo.db"
    if not base_db.exists():
        subprocess.run(cli("--db", base_db, "--as-of", AS_OF.isoformat(), "demo"), check=True, cwd=ROOT,
                       capture_output=True, env=env)
    xlsx = work / f"his_departments_{args.rows}.xlsx"
    if not xlsx.exists():
        t = time.perf_counter()
        generate(xlsx, base_db, args.rows)
        print(f"generated {xlsx} ({xlsx.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.0f} s", flush=True)
    db_file = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)
    db_file.write_bytes(base_db.read_bytes())

    base = time_openpyxl(xlsx)
    print(f"openpyxl read-only iteration: {base:.1f} s", flush=True)
    ours, counts, peak = time_import(xlsx, db_file)
    ratio = ours / base
    print(f"import departments:           {ours:.1f} s  (inserted {counts['inserted']}, errors "
          f"{len(counts['errors'])}, peak RSS {peak / 1e6:.0f} MB)  ratio {ratio:.2f}", flush=True)
    ok_import = ratio <= IMPORT_TARGET and not counts["errors"]

    common = ["--db", str(db_file), "--as-of", AS_OF.isoformat()]
    jobs = {"trivial": [*common, "calendar", "is-workday", AS_OF.isoformat()],
            "departments": [*common, "departments", "--json"],
            "progress": [*common, "progress", "--json"]}
    best = {k: float("inf") for k in jobs}
    rss = {k: 0.0 for k in jobs}
    for _ in range(args.runs):
        for k, a in jobs.items():
            wall, mb = measure(a, env)
            best[k], rss[k] = min(best[k], wall), max(rss[k], mb)
    print("  ".join(f"{k} {best[k]:.2f} s ({rss[k]:.0f} MB)" for k in jobs))
    result("import 1M department lines vs openpyxl", f"{ratio:.2f}× ({ours:.0f} s / {base:.0f} s)",
           f"≤ {IMPORT_TARGET}×", ok_import)
    result("import peak RSS", f"{peak / 1e6:.0f} MB", "< 400 MB", peak / 1e6 < 400)
    ok_view = True
    for k in ("departments", "progress"):
        delta = best[k] - best["trivial"]
        ok_view &= delta <= VIEW_TARGET
        result(f"{k} --json over trivial (1M usage lines)", f"{delta:+.2f} s", f"≤ +{VIEW_TARGET} s",
               delta <= VIEW_TARGET)
    return 0 if ok_import and ok_view else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
