"""Issue 15 item 8: a dry run of an ~18 000-row provincial list within 2 × the time openpyxl's
read-only mode needs just to iterate the same file.

    python bench/bench_import_list.py [--rows 18000] [--keep DIR]

Derives the list from the real Guizhou rows (tests/data/real/guizhou_selected_drugs.xlsx):
each copy of its 2 885 rows gets its own manufacturer suffix (a blank 中选企业 gets one per row), so the
file holds ~18 000 distinct packs of ~15 000 products, pack cells as published. Times (1) openpyxl
read-only iteration of every cell and (2) ``import products --dry-run --skip-invalid`` into a fresh
SQLite database (the repeated 30粒/盒 pack of row 1233 is skipped once per copy), prints both and
the ratio. Exit 1 when the ratio is above the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TARGET = 2.0
ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, rows: int) -> None:
    import openpyxl

    src = openpyxl.load_workbook(ROOT / "tests" / "data" / "real" / "guizhou_selected_drugs.xlsx", read_only=True)
    data = list(src.active.iter_rows(values_only=True))
    head, body = data[0], data[1:]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(list(head))
    n = 0
    copy = 0
    while n < rows:
        for i, (name, form, spec, pack, maker, price) in enumerate(body):
            if n >= rows:
                break
            ws.append([name, form, spec, pack, f"{maker or f'某制药有限公司{i}号'}{copy or ''}", price])
            n += 1
        copy += 1
    wb.save(path)
    from common import as_exported

    as_exported(path, f"A1:F{rows + 1}")  # header, rows


def time_openpyxl(path: Path) -> float:
    import openpyxl

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True)
    n = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        n += len(row)
    wb.close()
    return time.perf_counter() - start


def time_dry_run(path: Path, db_file: Path) -> tuple[float, dict]:
    from db.session import open_database
    from hospital_app.services.importing import import_file

    db = open_database(str(db_file))  # migration is not part of the import time
    start = time.perf_counter()
    with db.session() as s:
        result = import_file(s, "products", path, batch="贵州（基准）", dry_run=True, skip_invalid=True, who="bench")
    elapsed = time.perf_counter() - start
    db.dispose()
    return elapsed, result.as_dict()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=18_000)
    ap.add_argument("--keep", help="directory to keep the generated workbook and database in")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_import_list_"))
    work.mkdir(parents=True, exist_ok=True)
    xlsx = work / f"list_{args.rows}.xlsx"
    if not xlsx.exists():
        generate(xlsx, args.rows)
    db_file = work / "bench.db"
    # Best of three for both (a shared machine's load only ever adds time).
    base = min(time_openpyxl(xlsx) for _ in range(3))
    runs = []
    for _ in range(3):
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
        runs.append(time_dry_run(xlsx, db_file))
    ours, doc = min(runs, key=lambda r: r[0])
    ratio = ours / base
    print(f"openpyxl read-only iteration: {base:.2f} s ({args.rows} rows)")
    print(f"import products --dry-run:    {ours:.2f} s  (would insert {doc['inserted']}, update {doc['updated']}, "
          f"skipped {len(doc['skipped'])}, errors {doc['error_count']})")
    print(f"ratio: {ratio:.2f} (target ≤ {TARGET})")
    from common import result

    ok = ratio <= TARGET and not doc["error_count"]
    result("dry run of an 18 000-row list vs openpyxl", f"{ratio:.2f}×", f"≤ {TARGET}×", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
