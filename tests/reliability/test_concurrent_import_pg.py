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


@pytest.mark.postgres
def test_two_workstations_importing_different_months_leave_a_digest_check_accepts(pg_url, tmp_path):
    """Issue 21 (the import adds its lines to the digest recorded last): GIVEN a product list and
    workstation A's June import done but not committed (the audit chain's lock held) WHEN B imports
    July meanwhile (B's lines written while A's are not visible to it; B waits for the lock) and A
    commits a second later THEN B's import finishes on top of A's digest: every June and July line is
    in the table and check finds no purchase changed outside the app."""
    from sqlalchemy import func, select

    from db.models import Purchase
    from hospital_app.services import audit
    from tests.services.import_helpers import xlsx
    from tests.services.test_import_realities import PRODUCT_HEADER, PRODUCT_ROW

    header = ["订单编号", "采购日期", "药品编码", "采购数量", "采购单位"]
    june = xlsx(tmp_path / "june.xlsx", {"采购明细": [header, *[[f"J{i}", "2025-06-02", "XY001", i, "片"]
                                                            for i in range(1, 6)]]})
    july = xlsx(tmp_path / "july.xlsx", {"采购明细": [header, *[[f"K{i}", "2025-07-02", "XY001", i, "片"]
                                                            for i in range(1, 4)]]})
    db = open_database(pg_url)
    try:
        with db.session() as s:
            import_file(s, "products", xlsx(tmp_path / "p.xlsx", {"中选": [PRODUCT_HEADER, PRODUCT_ROW]}))
        outcome: dict = {}

        def second() -> None:
            with db.session() as b:
                outcome["inserted"] = import_file(b, "purchases", july, who="药师乙").inserted

        with db.session() as a:
            assert import_file(a, "purchases", june, who="药师甲").inserted == 5
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(1.0)
        thread.join(30)
        assert outcome == {"inserted": 3}
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Purchase)) == 8
            assert [r for r in audit.changed_rows(s) if r[0] == "purchase"] == []
    finally:
        db.dispose()
