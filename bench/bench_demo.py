"""`demo --products 2000 --purchases 500000` must finish in under 60 s (issue 12)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import cli, result, timed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.db"
        seconds, rss = timed(cli("--db", db, "demo", "--products", 2000, "--purchases", 500_000), repeat=1)
    print(f"demo 2 000 products × 500 000 purchases: {seconds:.1f} s, peak RSS {rss:.0f} MB")
    result("demo 2000×500k", f"{seconds:.1f} s", "< 60 s", seconds < 60)
    result("demo peak RSS", f"{rss:.0f} MB", "< 400 MB", rss < 400)


if __name__ == "__main__":
    main()
