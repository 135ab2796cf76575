"""Workstation paths (issue 22 §3): network shares refused for SQLite, Chinese paths with spaces work."""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital_app.paths import network_location

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
//fileserver/pharmacy /mnt/药剂科\\040共享 cifs rw,vers=3.0 0 0
nas:/export /srv/nfs nfs4 rw 0 0
/dev/sdb1 /srv/nfs/local ext4 rw 0 0
"""


@pytest.mark.parametrize("path, expected", [
    ("/home/user/hospital.db", None),
    ("/tmp/x.db", None),
    ("/mnt/药剂科 共享/hospital.db", "cifs"),
    ("/srv/nfs/hospital.db", "nfs4"),
    ("/srv/nfs/local/hospital.db", None),  # the longest mount point wins
    ("\\\\fileserver\\pharmacy\\hospital.db", "\\\\fileserver"),
])
def test_network_location_reads_the_mount_table(path, expected):
    """GIVEN a mount table with a CIFS share (its space escaped as \\040) and an NFS export
    WHEN a database path is checked THEN only paths on the shares are network locations."""
    assert network_location(Path(path) if not path.startswith("\\\\") else path, mounts=MOUNTS) == expected


def test_sqlite_on_a_network_share_is_refused_with_a_pointer_to_postgresql(tmp_path, monkeypatch, run_cli):
    """GIVEN the database folder on a (simulated) network share WHEN any command opens it
    THEN exit 4, the message names the share and PostgreSQL, and no file is created."""
    import hospital_app.paths as paths

    monkeypatch.setattr(paths, "network_location", lambda p, mounts=None: "cifs")
    target = tmp_path / "hospital.db"
    result = run_cli("--db", target, "init")
    assert result.code == 4
    assert "网络共享" in result.err and "PostgreSQL" in result.err
    assert not target.exists()


def test_a_database_in_a_folder_with_chinese_characters_and_spaces(tmp_path, run_cli):
    """GIVEN a folder named like a Windows user's documents folder with Chinese and spaces
    WHEN the database is created there and a report is written next to it THEN both work."""
    folder = tmp_path / "我的 文档" / "集采 数据"
    folder.mkdir(parents=True)
    db = folder / "医院 数据库.db"
    assert run_cli("--db", db, "init").code == 0
    assert run_cli("--db", db, "--as-of", "2025-06-30", "demo").code == 0
    assert run_cli("--db", db, "settings", "set", "hospital.name", "某某市人民医院").code == 0
    out = folder / "自查 报告.pdf"
    result = run_cli("--db", db, "--as-of", "2025-07-01", "report", "self-check", "--period", "2025Q2",
                     "--out", out)
    assert result.code == 0, result
    assert out.read_bytes()[:5] == b"%PDF-"
