"""Where the app keeps its files (platformdirs: per-user data and log directories)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "hospital-app"
APP_AUTHOR = "hospital-vbp"


def data_dir() -> Path:
    path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database() -> str:
    """CLI.md: --db, else $HOSPITAL_APP_DB, else hospital.db in the user's data dir."""
    env = os.environ.get("HOSPITAL_APP_DB")
    if env:
        return env
    return str(data_dir() / "hospital.db")


#: File systems on which SQLite's locking is unreliable: a database there gets corrupted when
#: two workstations write to it. Shared use goes through PostgreSQL instead.
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ncpfs", "fuse.sshfs", "sshfs",
              "fuse.rclone", "davfs", "fuse.davfs2", "glusterfs", "ceph", "lustre"}


def network_location(path: Path, mounts: str | None = None) -> str | None:
    """The network share ``path`` lies on ("\\\\server\\share", "nfs"), or None when it is local.

    Windows: a UNC path or a mapped drive whose type is remote. Linux/macOS: the file system
    type of the longest mount point containing the path (``/proc/mounts``).
    """
    text = str(path)
    unc = text.startswith("\\\\") or (os.name == "nt" and text.startswith("//"))
    if unc and not text.startswith(("\\\\?\\", "\\\\.\\")):
        return "\\\\" + text.replace("/", "\\").split("\\")[2]
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0]
        if drive and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4:  # DRIVE_REMOTE
            return drive
        return None
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.abspath(text)
    best, best_fs = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, best_fs = point, fields[2]
    return best_fs if best_fs in NETWORK_FS else None


def resource_path(*parts: str) -> Path:
    """A file shipped in the ``resources`` package (fonts, icons, translations)."""
    import resources

    return Path(resources.__file__).resolve().parent.joinpath(*parts)
