"""Issue 23 §5 (secrets), §6 (roles), §11 (exit codes), §12 (read-only media), §14 (far dates,
invisible characters, owner-only exports) — through the CLI as a pharmacist would meet them."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import zipfile

import pytest

from hospital_app import secrets
from hospital_app.domain.normalize import clean_text, normalize_generic

AS_OF = "2025-06-30"


# ------------------------------------------------------------------ §5 secrets


def test_url_password_and_query_password_are_masked_in_errors_and_the_log(cli_subprocess):
    """GIVEN a server URL with a password and a ?password= parameter that cannot connect
    WHEN a command runs (with --debug, so the log gets the traceback) THEN exit 4 and neither
    password appears on stdout, stderr or in the log file."""
    from hospital_app import paths

    url = "postgresql+psycopg://boss:url-secret-1@127.0.0.1:1/hospital?password=query-secret-2"
    result = cli_subprocess("--db", url, "--debug", "progress")
    assert result.code == 4, result
    log_file = paths.log_dir() / "hospital-app.log"
    assert log_file.exists()
    everything = result.out + result.err + log_file.read_text(encoding="utf-8")
    for secret in ("url-secret-1", "query-secret-2"):
        assert secret not in everything
    assert "boss:***@" in result.err


@pytest.mark.parametrize("text, expected", [
    ("postgresql://u:p%40ss@db:5432/h", "postgresql://u:***@db:5432/h"),
    ("postgresql://u@db/h?sslmode=require&password=abc", "postgresql://u@db/h?sslmode=require&password=***"),
    ("connect host=db password='a b' user=u", "connect host=db password=*** user=u"),
])
def test_mask_text_hides_every_form_of_password(text, expected):
    """GIVEN passwords in a URL, a query parameter and a libpq string WHEN masked THEN all are ***."""
    assert secrets.mask_text(text) == expected


def test_a_stored_location_never_holds_the_password_and_it_is_asked_at_start():
    """GIVEN a URL with a password and no OS keyring (the test machine has none)
    WHEN it is stored THEN the stored URL has no password and the keyring flag is False; at start
    the password is asked (the prompt sees only the masked URL) and joined back."""
    stored, in_keyring = secrets.store_location("postgresql+psycopg://boss:s3cret@db:5432/hospital?password=x")
    assert "s3cret" not in stored and "password" not in stored and in_keyring is False
    seen = []
    completed = secrets.complete_password(stored, lambda masked: seen.append(masked) or "typed-pw")
    assert seen == ["postgresql+psycopg://boss@db:5432/hospital"]
    assert completed == "postgresql+psycopg://boss:typed-pw@db:5432/hospital"


# ------------------------------------------------------------------ §6 roles


@pytest.fixture
def shared_db(db_path, run_cli, monkeypatch):
    """A shared database with admin 'boss' and pharmacist 'li'; returns a login function."""
    def login(user, password):
        monkeypatch.setenv("HOSPITAL_APP_USER", user)
        monkeypatch.setenv("HOSPITAL_APP_PASSWORD", password)

    def add(name, role, password):
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        assert run_cli("--db", str(db_path), "users", "add", name, "--role", role, "--password-stdin").code == 0

    add("boss", "admin", "boss-password")
    login("boss", "boss-password")
    add("li", "pharmacist", "li-password")
    return login


def test_a_pharmacist_cannot_move_the_calendar_in_shared_mode(db_path, run_cli, shared_db):
    """GIVEN a shared database WHEN the pharmacist runs `calendar set` (R1: it moves every due date)
    THEN refused (exit 4); the admin can."""
    shared_db("li", "li-password")
    refused = run_cli("--db", str(db_path), "calendar", "set", "2025-10-11", "workday")
    assert refused.code == 4 and "管理员" in refused.err, refused
    shared_db("boss", "boss-password")
    assert run_cli("--db", str(db_path), "calendar", "set", "2025-10-11", "workday").code == 0


def _archive_users(path) -> int:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))["tables"]["app_user"]["rows"]


def test_a_pharmacists_backup_leaves_out_the_password_hashes(db_path, tmp_path, run_cli, shared_db):
    """GIVEN a shared database WHEN the pharmacist backs up (archive and SQLite copy) THEN exit 0,
    no user rows and no argon2 hash in either file; the admin's archive has both users."""
    shared_db("li", "li-password")
    assert run_cli("--db", str(db_path), "backup", "--out", str(tmp_path / "li.zip")).code == 0
    assert run_cli("--db", str(db_path), "backup", "--out", str(tmp_path / "li.db")).code == 0
    assert _archive_users(tmp_path / "li.zip") == 0
    con = sqlite3.connect(str(tmp_path / "li.db"))
    assert con.execute("SELECT COUNT(*) FROM app_user").fetchone() == (0,)
    con.close()
    for name in ("li.zip", "li.db"):
        assert b"$argon2" not in (tmp_path / name).read_bytes()
    shared_db("boss", "boss-password")
    assert run_cli("--db", str(db_path), "backup", "--out", str(tmp_path / "boss.zip")).code == 0
    assert _archive_users(tmp_path / "boss.zip") == 2


# ------------------------------------------------------------------ §11 exit codes


@pytest.mark.parametrize("args", [
    ("--as-of", "9999-12-31", "progress"),
    ("--as-of", "0001-01-01", "progress"),
    ("calendar", "due", "--from", "9999-12-30", "--working-days", "3"),
    ("report", "notes", "--out", "{tmp}"),
    ("report", "notes", "--out", "/proc/notes.xlsx"),
])
def test_impossible_input_exits_3_not_1(db_path, tmp_path, run_cli, args):
    """GIVEN dates outside 1900–2999 or an output that cannot be a file WHEN run THEN exit 3, no traceback."""
    # Documents need the hospital's name first (R19); the output path is what is tested here.
    assert run_cli("--db", str(db_path), "settings", "set", "hospital.name", "测试医院").code == 0
    result = run_cli("--db", str(db_path), *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.code == 3, result
    assert "Traceback" not in result.err and "意外" not in result.err


def test_a_mysql_url_is_bad_input(run_cli):
    """GIVEN a mysql:// URL with a password WHEN any command THEN exit 3, password masked."""
    result = run_cli("--db", "mysql://root:hunter2@db/hospital", "progress")
    assert result.code == 3 and "不支持的数据库类型" in result.err and "hunter2" not in result.err


# ------------------------------------------------------------------ §12 read-only media


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody can write: a read-only bind mount when running as root (root ignores
    permission bits), else permissions 0555."""
    folder = tmp_path / "medium"
    folder.mkdir()
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["umount", str(folder)], check=False)
    folder.chmod(0o755)


def _make_read_only(folder) -> None:
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)


def test_a_database_on_read_only_media_can_be_read_and_checked(read_only_folder, run_cli):
    """GIVEN a WAL database (demo data) on a read-only medium WHEN progress and check run
    THEN both exit 0 (nothing damaged); a write is refused with exit 4."""
    path = read_only_folder / "hospital.db"
    assert run_cli("--db", str(path), "--as-of", AS_OF, "demo", "--seed", "1", "--products", "5",
                   "--months", "3").code == 0
    _make_read_only(read_only_folder)
    assert run_cli("--db", str(path), "--as-of", AS_OF, "progress", "--json").code == 0
    checked = run_cli("--db", str(path), "check")
    assert checked.code == 0, checked
    write = run_cli("--db", str(path), "issues", "add", "--product", "1", "--type", "shortage",
                    "--reported-at", "2025-06-20T09:00")
    assert write.code == 4, write


def test_a_folder_given_as_database_is_bad_input(tmp_path, run_cli):
    """GIVEN --db naming a folder WHEN progress THEN exit 3 'is a folder'."""
    result = run_cli("--db", str(tmp_path), "progress")
    assert result.code == 3 and "文件夹" in result.err, result


# ------------------------------------------------------------------ §14


def test_a_far_date_is_accepted_with_a_warning(db_path, run_cli):
    """GIVEN --as-of 2099-01-01 (in range, but far) WHEN progress THEN exit 0 and a warning on stderr."""
    result = run_cli("--db", str(db_path), "--as-of", "2099-01-01", "progress", "--json")
    assert result.code == 0 and "超过 10 年" in result.err, result


def test_zero_width_and_rtl_override_characters_are_stripped_from_names():
    """GIVEN look-alike names with a zero-width space, a joiner and an RTL override (R9 keys)
    WHEN normalised THEN they equal the plain name."""
    assert normalize_generic("阿托\u200b伐他汀\u200d钙片") == "阿托伐他汀钙片"
    assert clean_text("\u202e阿托伐他汀钙片\u202c") == "阿托伐他汀钙片"
    assert clean_text("氨氯\u2066地平\u2069片\ufeff") == "氨氯地平片"


def test_export_progress_is_owner_only(db_path, tmp_path, run_cli):
    """GIVEN demo data WHEN export progress THEN the workbook is readable by its owner only (0600)."""
    assert run_cli("--db", str(db_path), "--as-of", AS_OF, "demo", "--seed", "1", "--products", "5",
                   "--months", "3").code == 0
    out = tmp_path / "progress.xlsx"
    assert run_cli("--db", str(db_path), "--as-of", AS_OF, "export", "progress", "--out", str(out)).code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
