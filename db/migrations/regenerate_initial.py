"""Development helper: (re)write revision 0001 from the models.

Only allowed while no database has left the building (before the first release).
After that every change is a new revision: ``alembic revision --autogenerate``.
Usage: python -m db.migrations.regenerate_initial
"""

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from db.session import alembic_config

VERSIONS = Path(__file__).resolve().parent / "versions"


def main() -> None:
    for f in VERSIONS.glob("0001_*.py"):
        f.unlink()
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        cfg = alembic_config(conn)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for f in VERSIONS.glob("0001_*.py"):
        f.rename(VERSIONS / "0001_initial.py")


if __name__ == "__main__":
    main()
