"""Issue 23 §8 on a real PostgreSQL server: the same file imported from two workstations
at once ends for the second in exit 4 within seconds ("being imported by …" / "already
imported by …"), never in a 70-second wait and an IntegrityError."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime

import pytest

from db.models import ImportRun
from db.session import open_database
from hospital_app.errors import Refused
from hospital_app.services.importing import claim
from hospital_app.services.importing.transaction import import_file
from tests.conftest import DATA

FILE = DATA / "selected_products_and_volumes.xlsx"


def _sha() -> str:
    return hashlib.sha256(FILE.read_bytes()).hexdigest()


def _second_import(db, outcome: dict) -> None:
    started = time.monotonic()
    try:
        with db.session() as s:
            import_file(s, "products", FILE, batch="第十批", who="药师乙")
        outcome["result"] = "imported"
    except Refused as exc:
        outcome["result"] = exc.message
    finally:
        outcome["seconds"] = time.monotonic() - started


@pytest.mark.postgres
def test_while_another_workstation_imports_the_file_the_second_is_refused_within_seconds(pg_url):
    """GIVEN workstation A importing the file (its lock held, not committed)
    WHEN workstation B imports the same file THEN Refused (exit 4) 'being imported by' in under 10 s."""
    db = open_database(pg_url)
    try:
        with db.session() as a:
            claim.claim_file(a, "products", _sha(), FILE.name)
            outcome: dict = {}
            _second_import(db, outcome)
        assert "正在由" in outcome["result"], outcome
        assert claim.WAIT_SECONDS <= outcome["seconds"] < 10
    finally:
        db.dispose()


@pytest.mark.postgres
def test_when_the_first_import_commits_meanwhile_the_second_says_already_imported(pg_url):
    """GIVEN workstation A holding the file's lock WHEN B starts the same import and A commits its
    run one second later THEN B is refused (exit 4) 'already imported by 药师甲' within seconds."""
    db = open_database(pg_url)
    try:
        outcome: dict = {}
        with db.session() as a:
            claim.claim_file(a, "products", _sha(), FILE.name)
            second = threading.Thread(target=_second_import, args=(db, outcome))
            second.start()
            time.sleep(1.0)
            a.add(ImportRun(kind="products", file_name=FILE.name, sha256=_sha(), started_at=datetime.now(),
                            finished_at=datetime.now(), who="药师甲"))
        second.join(30)
        assert "已由 药师甲" in outcome["result"], outcome
        assert outcome["seconds"] < claim.WAIT_SECONDS + 3
    finally:
        db.dispose()
