"""Build the one-folder bundle of 集采执行助手 and check it (issue 22).

    python packaging/build.py            # build dist/hospital-app/ and a .zip of it
    python packaging/build.py --check    # … then run the bundle alone in a clean environment

Needs the project's dependencies and PyInstaller in the running interpreter
(``pip install ".[postgres]" pyinstaller``). The same script builds on Windows and Linux; the
bundle is for the platform it is built on. The check runs the bundle with an empty
environment (no venv or Python on PATH, a throw-away home folder): ``init``, ``demo``, a
self-check PDF whose fonts must be embedded, and ``gui --smoke`` offscreen.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "hospital_app.spec"


def version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build(dist: Path, work: Path) -> Path:
    import PyInstaller.__main__

    PyInstaller.__main__.run([str(SPEC), "--noconfirm", "--clean", "--log-level", "WARN",
                              "--distpath", str(dist), "--workpath", str(work)])
    return dist / "hospital-app"


def archive(folder: Path) -> Path:
    name = f"hospital-app-{version()}-{platform.system().lower()}-{platform.machine().lower()}.zip"
    target = folder.parent / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, Path("hospital-app") / path.relative_to(folder))
    return target


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _clean_env(home: Path) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache")}
    if os.name == "nt":  # pragma: no cover - Windows needs its system folders
        env = {k: os.environ[k] for k in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP") if k in os.environ}
        env.update({"USERPROFILE": str(home), "APPDATA": str(home / "AppData" / "Roaming"),
                    "LOCALAPPDATA": str(home / "AppData" / "Local"), "QT_QPA_PLATFORM": "offscreen"})
    return env


def check(folder: Path) -> None:
    """Run the bundle alone: init, demo, a dry-run import of a published provincial list (the
    xlsx readers, python-calamine's compiled module included), a dry-run import read by the
    child reader process, a self-check PDF with embedded fonts, gui --smoke."""
    exe = folder / ("hospital-app.exe" if os.name == "nt" else "hospital-app")
    home = Path(tempfile.mkdtemp(prefix="hospital-app-bundle-"))
    db = home / "数据 目录" / "hospital.db"
    db.parent.mkdir()
    pdf = home / "自查自纠 2025Q2.pdf"
    env = _clean_env(home)

    def run(*args: str, **extra_env: str) -> None:
        start = time.perf_counter()
        proc = subprocess.run([str(exe), *args], env={**env, **extra_env}, cwd=home, capture_output=True,
                              timeout=600, stdin=subprocess.DEVNULL)
        took = time.perf_counter() - start
        out = proc.stdout.decode("utf-8", "replace").strip().splitlines()
        print(f"bundle: {' '.join(args[2:])} → exit {proc.returncode} in {took:.1f} s"
              f"{(': ' + out[-1]) if out else ''}", flush=True)
        if proc.returncode != 0:
            raise SystemExit(f"bundle check failed: {args}\n{proc.stderr.decode('utf-8', 'replace')[-3000:]}")

    run("--db", str(db), "init")
    run("--db", str(db), "--as-of", "2025-07-15", "demo")
    run("--db", str(db), "import", "products", str(ROOT / "tests" / "data" / "real" / "hainan_consumables_50.xlsx"),
        "--batch", "海南", "--dry-run")
    # ISO-date cells send a workbook to openpyxl, and the setting sends every openpyxl read past its
    # first rows to the child reader: the bundle must start itself as that child (freeze_support).
    run("--db", str(db), "import", "purchases", str(_purchases_with_iso_dates(home / "采购 600.xlsx", db)),
        "--dry-run", HOSPITAL_APP_READER_PROCESS_MB="0")
    run("--db", str(db), "settings", "set", "hospital.name", "演示市人民医院")
    run("--db", str(db), "--as-of", "2025-07-15", "report", "self-check", "--period", "2025Q2", "--out", str(pdf))
    run("--db", str(db), "gui", "--smoke")
    if not pdf.read_bytes().startswith(b"%PDF-"):
        raise SystemExit("bundle check failed: the self-check is not a PDF")
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        rows = fonts.splitlines()[2:]
        if not rows or any(line.split()[-5] != "yes" for line in rows):
            raise SystemExit(f"bundle check failed: fonts not embedded\n{fonts}")
        print("bundle: self-check PDF fonts embedded:", ", ".join(r.split()[0] for r in rows))
    shutil.rmtree(home, ignore_errors=True)


def _purchases_with_iso_dates(path: Path, db: Path) -> Path:
    """600 purchase lines of the demo's first selected product, the dates written as ISO-date cells
    (``t="d"``), which python-calamine does not read: openpyxl does."""
    import sqlite3
    from datetime import date

    from openpyxl import Workbook

    with sqlite3.connect(db) as con:
        name, form, spec, maker, unit = con.execute(
            "SELECT p.generic_name, p.dosage_form, p.spec, c.name, p.base_unit FROM product p "
            "JOIN company c ON c.id = p.manufacturer_id WHERE p.selected ORDER BY p.id LIMIT 1").fetchone()
    wb = Workbook()
    wb.iso_dates = True
    ws = wb.active
    ws.title = "采购明细"
    ws.append(["采购日期", "通用名", "剂型", "规格", "生产企业", "采购数量", "单位", "采购金额（元）"])
    for i in range(600):
        ws.append([date(2025, 6, 1 + i % 28), name, form, spec, maker, 10 + i, unit, 12.5 * (i + 1)])
    wb.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build the one-folder bundle")
    ap.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default: dist/)")
    ap.add_argument("--check", action="store_true", help="run the built bundle in a clean environment")
    ap.add_argument("--no-build", action="store_true", help="only check an existing bundle")
    args = ap.parse_args(argv)
    dist = Path(args.dist).resolve()
    folder = dist / "hospital-app"
    if not args.no_build:
        start = time.perf_counter()
        work = Path(tempfile.mkdtemp(prefix="hospital-app-build-"))
        folder = build(dist, work)
        shutil.rmtree(work, ignore_errors=True)
        zipped = archive(folder)
        print(f"bundle: {folder} ({folder_size(folder) / 1e6:.0f} MB, zip {zipped.stat().st_size / 1e6:.0f} MB) "
              f"built in {time.perf_counter() - start:.0f} s", flush=True)
    if args.check:
        check(folder)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
