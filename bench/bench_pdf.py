"""Self-check PDF speed (issue 8): 2 000 products vs bare reportlab, same columns and font.

Target: rendering the self-check report for 2 000 selected products takes at most
1.5 × the time bare reportlab needs for a 2 000-row table of the same 15 columns with
the same embedded font (both measured in this run, best of 3, in this process).
Data gathering (progress, alerts … SQL) is timed and printed separately.

Usage: python bench/bench_pdf.py [--products 2000] [--purchases 60000] [--profile 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import result  # noqa: E402

AS_OF = date(2026, 6, 30)


def bare_table(path: Path, rows: list[list[str]], header: list[str], widths: list[float]) -> None:
    """The floor: one reportlab Table, header repeated, same font and size, A4 landscape."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from hospital_app.reports import document as doc

    doc.register_fonts()
    t = Table([header] + rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), doc.FONT), ("FONTSIZE", (0, 0), (-1, -1), 7),
                           ("GRID", (0, 0), (-1, -1), 0.4, "grey")]))
    SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=18 * mm, rightMargin=18 * mm).build([t])


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--purchases", type=int, default=60_000)
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="also print the N costliest calls (cProfile, cumulative) of one rendering")
    args = ap.parse_args()

    from db.session import open_database
    from hospital_app.reports.self_check import product_columns, product_row
    from hospital_app.services import documents
    from hospital_app.services.demo import DemoOptions, generate_demo
    from hospital_app.reports.self_check import render_self_check

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        db = open_database(str(tmpdir / "bench.db"))
        start = time.perf_counter()
        generate_demo(db, DemoOptions(products=args.products, purchases=args.purchases, as_of=AS_OF))
        print(f"demo data: {time.perf_counter() - start:.1f} s")
        with db.session() as s:
            start = time.perf_counter()
            data = documents.self_check_data(s, "2026Q2", AS_OF)
            gather = time.perf_counter() - start
        progress_rows = [(r, b.ended) for b in data.blocks for r in b.rows]  # every product row printed
        n = len(progress_rows)
        print(f"products in the report: {n}; data gathering: {gather:.2f} s")
        header, widths = product_columns()
        rows = [[str(c) for c in product_row(r, ended)] for r, ended in progress_rows]
        gen = datetime(2026, 7, 1, 9, 0)
        # warm up both (font parsing, imports)
        bare_table(tmpdir / "warm.pdf", rows[:50], header, widths)
        render_self_check(tmpdir / "warm2.pdf", data, generated_at=gen)
        bare = best_of(lambda: bare_table(tmpdir / "bare.pdf", rows, header, widths))
        ours = best_of(lambda: render_self_check(tmpdir / "self.pdf", data, generated_at=gen))
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(render_self_check, tmpdir / "prof.pdf", data, generated_at=gen)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
        db.dispose()
    ratio = ours / bare if bare else float("inf")
    print(f"bare reportlab table ({len(rows)} rows): {bare:.2f} s")
    print(f"self-check report (all sections):   {ours:.2f} s")
    print(f"ratio: {ratio:.2f} (target <= 1.5)")
    result("pdf self-check vs bare table", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(f"peak RSS of this process (demo data, gathering, both renderings): {rss:.0f} MB")
    result("pdf peak RSS", f"{rss:.0f} MB", "< 400 MB", rss < 400)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
