"""Busy and broken (issue 11): every promise tested with a real fault, not a mock.

A second connection holding SQLite's write lock, kill -9 in the middle of a long
write, a failing migration revision, a read-only file, a file-size limit that
makes the disk "full", a corrupted file, a tampered audit row.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from db.session import head_revision, open_database

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({"XDG_DATA_HOME": str(tmp_path / "xdg-data"), "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
                "HOSPITAL_APP_LANG": "zh"})
    env.pop("HOSPITAL_APP_USER", None)
    env.pop("HOSPITAL_APP_PASSWORD", None)
    env.update(extra)
    return env


def _cli(tmp_path: Path, *args, stdin: str | None = None, timeout: float = 60, preexec=None, env=None):
    proc = subprocess.run([sys.executable, "-m", "hospital_app", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=str(ROOT),
                          env=env or _env(tmp_path), preexec_fn=preexec)
    return proc


def _log_text(tmp_path: Path) -> str:
    logs = list((tmp_path / "xdg-state").rglob("*.log*"))
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)


@pytest.mark.slow
def test_locked_database_waits_then_refuses_with_exit_4(tmp_path, db_path, db):
    """GIVEN another program holding the write lock WHEN a CLI write runs
    THEN it waits a few seconds, then exits 4 with a message — it never hangs."""
    holder = sqlite3.connect(str(db_path))
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        proc = _cli(tmp_path, "--db", db_path, "users", "add", "boss", "--role", "admin", "--password-stdin",
                    stdin="a-long-password\n", timeout=60)
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 4, proc.stderr
    assert "数据库正忙" in proc.stderr and "Traceback" not in proc.stderr
    assert 3 <= elapsed < 30


def _big_archive(path: Path, products: int, purchases: int) -> None:
    """A valid portable archive with many purchase lines, written directly (fast)."""
    from hospital_app.services import backup as bk

    def product(i):
        return {"id": i, "batch_id": None, "code": f"P{i}", "generic_name": f"药品{i}", "generic_name_norm": f"药品{i}",
                "dosage_form": None, "spec": None, "spec_norm": None, "pack_desc": None, "units_per_pack": None,
                "base_unit": "片", "pack_unit": None, "approval_number": None, "manufacturer_id": None,
                "selected": True, "category": "selected", "supply_role": None, "group_name": None,
                "selected_price": "0.1000", "is_shortage": False, "is_emergency": False,
                "cheaper_equal_quality": False, "key_monitoring": False, "suspended_on": None,
                "suspension_reason": None, "suspension_reported_to": [], "created_at": "2025-01-01T00:00:00",
                "lag_reason": None, "reference_price": None, "version": 1}

    def purchase(i):
        return {"id": i, "product_id": i % products + 1, "dedup_key": f"PO{i}#1", "order_no": f"PO{i}",
                "line_no": 1, "order_time": None, "purchase_date": "2025-01-02", "quantity": 10,
                "unit_price": "0.1000", "amount": "1.00", "distributor_id": None, "is_return": False,
                "source_file": "采购.xlsx", "source_row": i, "import_run_id": None, "pack_id": None}

    from db.models import Base

    data = {"product": [product(i) for i in range(1, products + 1)],
            "purchase": [purchase(i) for i in range(1, purchases + 1)]}
    columns = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    assert set(data["product"][0]) == columns["product"] and set(data["purchase"][0]) == columns["purchase"]
    entries = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in data.items():
            blob = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
            zf.writestr(f"tables/{name}.jsonl", blob)
            entries[name] = {"file": f"tables/{name}.jsonl", "rows": len(rows),
                             "sha256": hashlib.sha256(blob).hexdigest()}
        zf.writestr(bk.MANIFEST, json.dumps({"format": bk.ARCHIVE_FORMAT, "format_version": bk.ARCHIVE_VERSION,
                                             "schema_revision": head_revision(), "tables": entries}))


def test_kill_9_during_a_long_restore_leaves_old_or_new_data_never_a_mix(tmp_path, db_path, db):
    """GIVEN a database with one product WHEN `restore` of 120 000 purchase lines is killed with
    SIGKILL while it writes THEN the file passes check and holds either the old or the new data."""
    from db.models import Product

    with db.session() as s:
        s.add(Product(generic_name="旧数据", generic_name_norm="旧数据"))
    db.dispose()
    archive = tmp_path / "big.zip"
    _big_archive(archive, products=50, purchases=120_000)
    wal = Path(str(db_path) + "-wal")
    proc = subprocess.Popen([sys.executable, "-m", "hospital_app", "--db", str(db_path), "restore", str(archive)],
                            cwd=str(ROOT), env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:  # deep inside the load transaction
            break
        time.sleep(0.02)
    killed_mid_write = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert killed_mid_write, "the restore finished before it could be killed; make the archive bigger"

    after = _cli(tmp_path, "--db", db_path, "check")
    assert after.returncode == 0, after.stderr
    reopened = open_database(str(db_path))
    try:
        with reopened.session() as s:
            from sqlalchemy import func, select

            from db.models import Purchase

            names = s.scalars(select(Product.generic_name)).all()
            purchases = s.scalar(select(func.count()).select_from(Purchase))
    finally:
        reopened.dispose()
    # Old or new, never a mix: the restore builds the new data apart and swaps it in whole, so a
    # kill before the swap leaves the old data, one after it the complete new data.
    old, new = (["旧数据"], 0), ([f"药品{i}" for i in range(1, 51)], 120_000)
    assert (sorted(names, key=lambda n: (len(n), n)), purchases) in (old, new)


def _purchases_xlsx(path: Path, lines: int) -> None:
    """A platform purchase export (IMPORT.md header spellings) with many lines."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("采购明细")
    ws.append(["订单编号", "下单时间", "药品编码", "通用名", "剂型", "规格", "转换比", "生产企业", "配送企业",
               "采购数量", "采购单位", "采购单价", "采购金额"])
    start = dt.datetime(2024, 9, 20, 8, 0)
    for i in range(lines):
        ws.append([f"DD{i:08d}", start + dt.timedelta(minutes=i), f"XY{i % 50:07d}", f"药品{i % 50}", "片剂",
                   "20mg", 14, "齐鲁制药有限公司", "九州通医药集团吉林有限公司", 3, "盒", 3.26, 9.78])
    wb.save(path)


@pytest.mark.slow
def test_kill_9_during_an_import_leaves_it_complete_or_absent(tmp_path, db_path, db):
    """GIVEN a large purchase export WHEN `import purchases` is killed with SIGKILL while it writes
    THEN the database passes check and holds all of the file's lines or none; importing again completes."""
    db.dispose()
    lines = 15_000
    workbook = tmp_path / "采购明细.xlsx"
    _purchases_xlsx(workbook, lines)
    wal = Path(str(db_path) + "-wal")
    proc = subprocess.Popen([sys.executable, "-m", "hospital_app", "--db", str(db_path), "import", "purchases",
                             str(workbook)], cwd=str(ROOT), env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 300_000:  # the import transaction is writing
            break
        time.sleep(0.02)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    print(f"import killed while running: {running}")

    assert _cli(tmp_path, "--db", db_path, "check").returncode == 0
    con = sqlite3.connect(str(db_path))
    try:
        count = con.execute("SELECT COUNT(*) FROM purchase").fetchone()[0]
    finally:
        con.close()
    assert count in (0, lines)
    again = _cli(tmp_path, "--db", db_path, "import", "purchases", workbook, "--json", timeout=300)
    assert again.returncode == 0, again.stderr
    con = sqlite3.connect(str(db_path))
    try:
        assert con.execute("SELECT COUNT(*) FROM purchase").fetchone()[0] == lines
    finally:
        con.close()


def test_failed_migration_restores_the_backup(tmp_path, db_path, db, monkeypatch):
    """GIVEN a database at revision 0001 with data and a new revision that fails half-way
    WHEN the app opens it THEN MigrationFailed (exit 4), the file is back at its revision with its data,
    and the pre-migration backup is kept."""
    import db.session as session_module
    from db.models import Product
    from hospital_app.errors import MigrationFailed

    with db.session() as s:
        s.add(Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊"))
    db.dispose()
    head = session_module.head_revision()
    scripts = tmp_path / "migrations"
    shutil.copytree(session_module.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        "def upgrade():\n"
        '    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("DELETE FROM product")\n'
        '    raise RuntimeError("disk pulled out half-way")\n\n'
        "def downgrade():\n    pass\n", encoding="utf-8")
    monkeypatch.setattr(session_module, "MIGRATIONS_DIR", scripts)

    with pytest.raises(MigrationFailed, match="已恢复升级前的备份"):
        open_database(str(db_path))

    monkeypatch.undo()
    con = sqlite3.connect(str(db_path))
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert con.execute("SELECT generic_name FROM product").fetchall() == [("阿莫西林胶囊",)]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "half_done" not in tables
    finally:
        con.close()
    (kept,) = tmp_path.glob("hospital.pre-migration-*.db")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_read_only_database_gives_a_clear_error_exit_4(tmp_path, db_path, db):
    """GIVEN a database file that cannot be written WHEN a write command runs
    THEN exit 4 with a clear message (no traceback)."""
    db.dispose()
    immutable = os.geteuid() == 0  # root ignores file modes: make the file immutable instead
    if immutable:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i")
    else:
        os.chmod(db_path, 0o444)
    try:
        proc = _cli(tmp_path, "--db", db_path, "users", "add", "boss", "--role", "admin", "--password-stdin",
                    stdin="a-long-password\n")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db_path)], check=True)
        os.chmod(db_path, 0o600)
    assert proc.returncode == 4, proc.stderr
    assert "只读" in proc.stderr and "Traceback" not in proc.stderr


def test_full_disk_gives_a_clear_error_and_leaves_the_database_intact(tmp_path, db_path, db):
    """GIVEN a file-size limit the demo data cannot fit in (the disk is 'full')
    WHEN demo writes THEN exit 4 with a clear message, and check still passes."""
    db.dispose()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, 600_000))

    proc = _cli(tmp_path, "--db", db_path, "demo", "--products", "40", "--months", "24", preexec=limit,
                timeout=120)
    assert proc.returncode == 4, proc.stderr
    assert "磁盘已满" in proc.stderr and "Traceback" not in proc.stderr
    assert _cli(tmp_path, "--db", db_path, "check").returncode == 0


def test_database_file_is_created_readable_by_its_owner_only(tmp_path):
    """GIVEN no database WHEN `init` creates it THEN the file (and its WAL) is mode 0600."""
    path = tmp_path / "new.db"
    assert _cli(tmp_path, "--db", path, "init").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in (Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_passwords_never_appear_in_output_or_logs(tmp_path, db_path, db):
    """GIVEN a user password and a server URL with a password WHEN adding the user, logging in wrongly
    and connecting to a server that is down THEN neither password is printed or logged."""
    db.dispose()
    user_pw, url_pw, wrong_pw = "Geheim-Yaofang-2025", "Url-S3cret-Pw", "Wrong-Guess-123"
    outputs = [
        _cli(tmp_path, "--db", db_path, "users", "add", "boss", "--role", "admin", "--password-stdin",
             stdin=user_pw + "\n"),
        _cli(tmp_path, "--debug", "--db", db_path, "users", "list",
             env=_env(tmp_path, HOSPITAL_APP_USER="boss", HOSPITAL_APP_PASSWORD=wrong_pw)),
        _cli(tmp_path, "--debug", "--db", f"postgresql+psycopg://boss:{url_pw}@127.0.0.1:9/hospital", "init"),
    ]
    assert [p.returncode for p in outputs] == [0, 4, 4]
    assert "用户名或密码错误" in outputs[1].stderr
    assert "boss:***@" in outputs[2].stderr
    everything = "".join(p.stdout + p.stderr for p in outputs) + _log_text(tmp_path)
    con = sqlite3.connect(str(db_path))
    everything += json.dumps(con.execute("SELECT * FROM audit_log").fetchall(), ensure_ascii=False)
    stored_hash = con.execute("SELECT password_hash FROM app_user").fetchone()[0]
    con.close()
    assert stored_hash.startswith("$argon2")
    for secret in (user_pw, url_pw, wrong_pw, stored_hash):
        assert secret not in everything


def test_shared_mode_needs_a_login_and_admins_manage_users(db_path, run_cli, monkeypatch):
    """GIVEN a shared database (an admin exists) WHEN a pharmacist tries to add a user, or nobody logs in
    THEN refused (exit 4); the admin can, and the audit log names the admin."""
    import io

    def add(name, role, password, user=None, user_pw=None):
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        for key, value in (("HOSPITAL_APP_USER", user), ("HOSPITAL_APP_PASSWORD", user_pw)):
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        return run_cli("--db", db_path, "users", "add", name, "--role", role, "--password-stdin")

    assert add("li", "pharmacist", "first-user-pw").code == 4  # the first user must be an admin
    assert add("boss", "admin", "boss-password").code == 0
    assert run_cli("--db", db_path, "users", "list").code == 4  # shared now: no log-in, no access
    assert add("li", "pharmacist", "li-password", "boss", "boss-password").code == 0
    refused = add("wang", "admin", "wang-password", "li", "li-password")
    assert refused.code == 4 and "管理员" in refused.err
    listed = run_cli("--db", db_path, "users", "list", "--json")  # still logged in as li
    assert [(u["username"], u["role"]) for u in listed.json()] == [("boss", "admin"), ("li", "pharmacist")]
    con = sqlite3.connect(str(db_path))
    try:
        assert con.execute("SELECT who FROM audit_log WHERE action = 'user.add' ORDER BY id").fetchall() \
            == [(audit_os_user(),), ("boss",)]
    finally:
        con.close()


def audit_os_user() -> str:
    from hospital_app.services.audit import os_user

    return os_user()


def test_check_exits_3_on_a_tampered_audit_row(tmp_path, db_path, db):
    """GIVEN an audit row edited with a database tool WHEN `check` THEN exit 3 and a Chinese message."""
    from hospital_app.services import audit

    with db.session() as s:
        for i in range(3):
            audit.record(s, "王药师", "setting.set", "setting", "r9", {"v": i}, {"v": i + 1})
    db.dispose()
    con = sqlite3.connect(str(db_path))
    con.execute("UPDATE audit_log SET after = '{\"v\": 99}' WHERE id = 2")
    con.commit()
    con.close()
    proc = _cli(tmp_path, "--db", db_path, "check")
    assert proc.returncode == 3
    assert "审计日志从第 2 条起被修改或删除过" in proc.stderr


def test_check_exits_3_on_a_corrupted_file(tmp_path):
    """GIVEN a file that is not a database any more WHEN `check` THEN exit 3 with '已损坏'."""
    path = tmp_path / "hospital.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(20_000))
    proc = _cli(tmp_path, "--db", path, "check")
    assert proc.returncode == 3, proc.stderr
    assert "已损坏" in proc.stderr and "Traceback" not in proc.stderr


def test_restore_runs_without_questions_and_keeps_a_copy(tmp_path, db_path, db):
    """GIVEN a backup WHEN `restore FILE` runs from a script (no terminal) THEN it restores and keeps a copy."""
    db.dispose()
    backup_file = tmp_path / "b.zip"
    assert _cli(tmp_path, "--db", db_path, "backup", "--out", backup_file).returncode == 0
    proc = _cli(tmp_path, "--db", db_path, "restore", backup_file)
    assert proc.returncode == 0, proc.stderr
    assert "原有数据已另存为" in proc.stdout
    assert len(list(tmp_path.glob("hospital.before-restore-*.db"))) == 1


def test_unexpected_error_shows_a_short_message_and_the_log_location(tmp_path):
    """GIVEN a command that fails in an unforeseen way WHEN it runs THEN the user sees a short message
    and where the log is (no traceback); the log has the traceback."""
    code = (
        "import sys\n"
        "import hospital_app.cli.commands.maintenance as m\n"
        "def broken(ctx, args):\n"
        "    raise ZeroDivisionError('internal detail')\n"
        "m.cmd_check = broken\n"
        "from hospital_app.cli.main import main\n"
        f"sys.exit(main(['--db', {str(tmp_path / 'x.db')!r}, 'check']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=str(ROOT), env=_env(tmp_path))
    assert proc.returncode == 1
    assert "发生意外错误" in proc.stderr and "详细信息已写入日志" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) <= 3
    log_path = proc.stderr.split("详细信息已写入日志：", 1)[1].strip()
    assert Path(log_path).is_file() and "ZeroDivisionError" in Path(log_path).read_text(encoding="utf-8")
