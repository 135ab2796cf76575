"""Issue 23 §10, issue 21: the purchase table's audit digest in its summed form — an import adds
what it changed to the digest recorded last instead of reading every line again, and ``check``
still compares the whole table with it. On SQLite and PostgreSQL (raw values differ by driver)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from db import models as m
from db.models import ImportRun, Purchase
from hospital_app.services import audit, purchase_digest
from hospital_app.services.importing import import_file
from tests.services.import_helpers import xlsx
from tests.services.test_import_realities import PRODUCT_HEADER, PRODUCT_ROW

PRODUCTS = [PRODUCT_HEADER, PRODUCT_ROW]
HEADER = ["订单编号", "采购日期", "药品编码", "采购数量", "采购单位", "采购金额"]


@pytest.fixture
def session(any_db_session):
    return any_db_session


def _buy(session, tmp_path, name, *lines):
    return import_file(session, "purchases", xlsx(tmp_path / name, {"采购明细": [HEADER, *lines]}))


def _key(session) -> bytes:
    key, _epochs = audit._signing_key(session)
    return key


def _recorded(session) -> str:
    return audit._last_table_digest(session).row_digest


def _changed(session) -> list:
    return [row for row in audit.changed_rows(session) if row[0] == "purchase"]


def test_each_import_records_the_whole_tables_summed_digest_from_its_own_changes(session, tmp_path, monkeypatch):
    """GIVEN an empty database WHEN a product list is imported, then 3 purchase lines, then the same
    lines again with A2's quantity changed and a line A4 added, then another product list THEN after
    each import the recorded digest is the summed form and equals the digest of the whole table read
    afresh, while no import read the whole table (the first ones start from the empty table's
    digest, the later ones from the one recorded before); the third run's own digest covers its one
    inserted line (A4); check finds nothing changed."""
    real, whole_reads = purchase_digest.summed, []
    monkeypatch.setattr(purchase_digest, "summed", lambda *a: whole_reads.append(a) or real(*a))

    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"中选": PRODUCTS}))
    first = _buy(session, tmp_path, "a.xlsx", ["A1", "2025-06-01", "XY001", 10, "片", "2.33"],
                 ["A2", "2025-06-02", "XY001", 1, "盒", "3.26"], ["A3", "2025-06-03", "XY001", 5, "片", None])
    assert first.inserted == 3
    key = _key(session)
    assert whole_reads == [] and purchase_digest.is_summed(_recorded(session))
    assert _recorded(session) == real(session, key)

    second = _buy(session, tmp_path, "b.xlsx", ["A1", "2025-06-01", "XY001", 10, "片", "2.33"],
                  ["A2", "2025-06-02", "XY001", 2, "盒", "6.52"], ["A3", "2025-06-03", "XY001", 5, "片", None],
                  ["A4", "2025-06-04", "XY001", 7, "片", "1.63"])
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 2)
    import_file(session, "products", xlsx(tmp_path / "p2.xlsx", {"中选": PRODUCTS}))
    assert whole_reads == []

    assert _recorded(session) == real(session, key)
    a4 = session.scalar(select(Purchase.id).where(Purchase.order_no == "A4"))
    assert session.get(ImportRun, second.run_id).content_digest == _ordered_of(session, key, [a4])
    assert _changed(session) == []


def test_an_edit_outside_the_app_stays_found_after_the_next_import(session, tmp_path):
    """GIVEN imported purchases WHEN a quantity is changed with SQL and another month is imported
    afterwards THEN check still names the purchase lines (the import adds its own lines to the digest
    it recorded before, so it never takes the edited table for the app's)."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"中选": PRODUCTS}))
    _buy(session, tmp_path, "a.xlsx", ["A1", "2025-06-01", "XY001", 10, "片", None])
    session.execute(update(Purchase).where(Purchase.order_no == "A1").values(quantity=11))
    assert len(_changed(session)) == 1
    _buy(session, tmp_path, "b.xlsx", ["B1", "2025-07-01", "XY001", 3, "片", None])
    assert len(_changed(session)) == 1


def test_an_ordered_digest_of_an_earlier_version_is_checked_and_then_replaced(session, tmp_path):
    """GIVEN a database whose last table digest is the ordered form an earlier version recorded
    WHEN check runs THEN it compares the table with that form (nothing changed: no finding; a
    changed quantity: found); WHEN the next import runs THEN it records the summed form of the
    whole table (read once) and check is clean again."""
    import_file(session, "products", xlsx(tmp_path / "p.xlsx", {"中选": PRODUCTS}))
    _buy(session, tmp_path, "a.xlsx", ["A1", "2025-06-01", "XY001", 10, "片", None])
    key = _key(session)
    last = audit._last_table_digest(session)
    last.row_digest = purchase_digest.ordered(session, key)[0]  # as an earlier version wrote it
    session.flush()
    assert not purchase_digest.is_summed(last.row_digest) and _changed(session) == []
    session.execute(update(Purchase).where(Purchase.order_no == "A1").values(quantity=12))
    assert len(_changed(session)) == 1
    session.execute(update(Purchase).where(Purchase.order_no == "A1").values(quantity=10))
    _buy(session, tmp_path, "b.xlsx", ["B1", "2025-07-01", "XY001", 3, "片", None])
    assert purchase_digest.is_summed(_recorded(session))
    assert _recorded(session) == purchase_digest.summed(session, key) and _changed(session) == []


def test_summed_digest_is_the_sum_of_each_rows_keyed_share(session):
    """GIVEN three purchase lines (4-place price, negative amount, a time with microseconds, a return)
    WHEN the table's summed digest is taken THEN it is "m:" and the sum modulo 2^248 of BLAKE2b-248,
    keyed, of each row's text (values as ``_text`` writes them, joined by "|"), in 62 hex digits —
    the same whatever the rows' order."""
    product = m.Product(generic_name="甲片", generic_name_norm="甲片", base_unit="片", selected=True,
                        category="selected")
    session.add(product)
    session.flush()
    lines = [
        m.Purchase(product_id=product.id, dedup_key="a", purchase_date=date(2025, 1, 5), quantity=100,
                   unit_price=Decimal("0.5980"), amount=Decimal("59.80"), order_time=datetime(2025, 1, 5, 8, 30, 0, 123)),
        m.Purchase(product_id=product.id, dedup_key="b", purchase_date=date(2025, 1, 6), quantity=-10,
                   unit_price=Decimal("0.5980"), amount=Decimal("-5.98"), is_return=True),
        m.Purchase(product_id=product.id, dedup_key="c", purchase_date=date(2025, 2, 1), quantity=7)]
    session.add_all(lines)
    session.flush()
    key = b"k" * 32
    total = 0
    for r in reversed(lines):
        values = [getattr(r, c.name) for c in Purchase.__table__.columns]
        line = ("|".join(audit._text(v) for v in values) + "\n").encode("utf-8")
        total += int.from_bytes(hashlib.blake2b(line, key=key, digest_size=31).digest(), "big")
    assert purchase_digest.summed(session, key) == f"m:{total % (1 << 248):062x}"


def _ordered_of(session, key: bytes, ids: list[int]) -> str:
    """The ordered digest of exactly these rows (the run's own digest)."""
    import hmac

    mac = hmac.new(key, b"purchase", hashlib.sha256)
    texts = [purchase_digest._column_text(c) for c in Purchase.__table__.columns]
    names = ", ".join(f'"{c.name}"' for c in Purchase.__table__.columns)
    for i in sorted(ids):
        row = session.execute(text(f'SELECT {names} FROM purchase WHERE id = :i'), {"i": i}).one()
        mac.update(("|".join(f(v) for f, v in zip(texts, row)) + "\n").encode("utf-8"))
    return mac.hexdigest()
