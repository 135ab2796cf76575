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


def resource_path(*parts: str) -> Path:
    """A file shipped in the ``resources`` package (fonts, icons, translations)."""
    import resources

    return Path(resources.__file__).resolve().parent.joinpath(*parts)
