"""Issue 5 §7 / issue 21: importing purchase lines takes at most 1.5 × the time openpyxl's
read-only mode needs just to iterate the same file.

    python bench/bench_import.py [--rows 100000] [--keep DIR]    # a large file into an empty database
    python bench/bench_import.py --monthly                       # a month into the scale database

The first form generates a platform-style purchases workbook (title rows, header, 16
columns, 2 000 products) and imports it into a fresh SQLite database. ``--monthly`` is the
import a pharmacist really does every month: one month of purchase lines (about 1/24 of the
scale demo's 500 000) of the hospital's own products, imported into a copy of the scale
database (2 000 products, 500 000 purchases, 500 000 orders), every line matched against
existing products. Both print openpyxl's time, ours and the ratio. Exit 1 when the ratio is
above the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import resource
from datetime import datetime, timedelta
from pathlib import Path

TARGET = 1.5
HEADER = ["订单编号", "下单时间", "药品编码", "通用名", "剂型", "规格", "转换比", "生产企业", "配送企业",
          "采购数量", "采购单位", "采购单价", "采购金额", "响应时间", "配送时间", "验收日期"]
GENERICS = ["阿托伐他汀钙片", "瑞舒伐他汀钙片", "苯磺酸氨氯地平片", "盐酸二甲双胍片", "恩替卡韦分散片",
            "硫酸氢氯吡格雷片", "奥美拉唑肠溶胶囊", "头孢呋辛酯片", "阿莫西林胶囊", "缬沙坦胶囊"]
MAKERS = ["齐鲁制药有限公司", "浙江京新药业股份有限公司", "石药集团欧意药业有限公司", "江西青峰药业有限公司"]
DISTRIBUTORS = ["九州通医药集团吉林有限公司", "国药控股吉林有限公司", "华润吉林医药有限公司"]


def generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("采购明细")
    ws.append(["省药械集中采购平台 采购明细导出"])
    ws.append(["导出时间：2025-09-01 08:00"])
    ws.append([])
    ws.append(HEADER)
    t0 = datetime(2023, 9, 1, 8, 0)
    for i in range(rows):
        p = i % 2000
        t = t0 + timedelta(minutes=7 * i)
        qty = 1 + i % 50
        price = 3.26 + (p % 17)
        ws.append([f"DD{i:09d}", t, f"XY{p:07d}", GENERICS[p % len(GENERICS)], "片剂", f"{10 + p % 7 * 10}mg",
                   14 + p % 3 * 14, MAKERS[p % len(MAKERS)] + (f"{p}" if p >= 40 else ""),
                   DISTRIBUTORS[i % 3], qty, "盒", price, round(price * qty, 2),
                   t + timedelta(hours=2), t + timedelta(days=1), (t + timedelta(days=2)).date()])
    wb.save(path)
    from common import as_exported

    as_exported(path, f"A1:P{rows + 4}")  # title, export time, blank, header, lines


def generate_month(path: Path, db_file: Path, rows: int) -> None:
    """One month (2026-07) of lines for the products already in ``db_file`` (by code and name)."""
    import sqlite3

    from openpyxl import Workbook

    con = sqlite3.connect(db_file)
    products = con.execute(
        "SELECT p.code, p.generic_name, p.dosage_form, p.spec, p.units_per_pack, c.name, p.pack_unit"
        " FROM product p LEFT JOIN company c ON c.id = p.manufacturer_id"
        " WHERE p.code IS NOT NULL AND p.units_per_pack IS NOT NULL ORDER BY p.id").fetchall()
    con.close()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("采购明细")
    ws.append(["省药械集中采购平台 采购明细导出"])
    ws.append([])
    ws.append(HEADER)
    t0 = datetime(2026, 7, 1, 8, 0)
    for i in range(rows):
        code, name, form, spec, upp, maker, pack_unit = products[i % len(products)]
        t = t0 + timedelta(minutes=(i * 43200) // rows)
        qty = 1 + i % 20
        price = 3.26 + i % 17
        ws.append([f"JUL{i:09d}", t, code, name, form, spec, upp, maker, DISTRIBUTORS[i % 3], qty,
                   pack_unit or "盒", price,
                   round(price * qty, 2), t + timedelta(hours=2), t + timedelta(days=1),
                   (t + timedelta(days=2)).date()])
    wb.save(path)
    from common import as_exported

    as_exported(path, f"A1:P{rows + 3}")  # title, blank, header, lines


def time_openpyxl(path: Path) -> float:
    import openpyxl

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True)
    n = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        n += len(row)
    wb.close()
    return time.perf_counter() - start


def time_import(path: Path, db_file: Path) -> tuple[float, dict, int]:
    from db.session import open_database
    from hospital_app.services.importing import import_file

    db = open_database(str(db_file))  # migration is not part of the import time
    start = time.perf_counter()
    with db.session() as s:
        result = import_file(s, "purchases", path, who="bench")
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    db.dispose()
    return elapsed, result.as_dict(), peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--monthly", action="store_true", help="a month into a copy of the scale database")
    ap.add_argument("--keep", help="directory to keep the generated workbook and database in")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_import_"))
    work.mkdir(parents=True, exist_ok=True)
    db_file = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)
    from common import result, scale_database

    if args.monthly:
        import shutil

        rows = args.rows or 500_000 // 24
        scale = scale_database(Path(tempfile.gettempdir()) / "hospital-bench-scale.db")
        shutil.copyfile(scale, db_file)
        xlsx = work / f"purchases_month_{rows}.xlsx"
        generate_month(xlsx, db_file, rows)
        label = f"monthly import ({rows} lines into 500k) vs openpyxl"
    else:
        rows = args.rows or 100_000
        xlsx = work / f"purchases_{rows}.xlsx"
        if not xlsx.exists():
            generate(xlsx, rows)
        label = "import 100k lines vs openpyxl" if rows == 100_000 else f"import {rows} lines vs openpyxl"
    print(f"workbook {xlsx} ({xlsx.stat().st_size / 1e6:.1f} MB)")
    base = time_openpyxl(xlsx)
    ours, counts, peak = time_import(xlsx, db_file)
    ratio = ours / base
    print(f"openpyxl read-only iteration: {base:.2f} s")
    print(f"import purchases:             {ours:.2f} s  (inserted {counts['inserted']}, "
          f"errors {len(counts['errors'])}, peak RSS {peak / 1e6:.0f} MB)")
    print(f"ratio: {ratio:.2f} (target ≤ {TARGET})")
    ok = ratio <= TARGET and not counts["errors"]
    result(label, f"{ratio:.2f}×", f"≤ {TARGET}×", ok)
    result("import peak RSS" + (" (monthly)" if args.monthly else ""), f"{peak / 1e6:.0f} MB", "< 400 MB",
           peak / 1e6 < 400)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
