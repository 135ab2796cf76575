"""Acceptance: the CLI (CLI.md) against an independent calculation of DOMAIN.md.

A small hand-made dataset is written as xlsx files with openpyxl, imported through
the CLI exactly as a pharmacist would, and every figure the CLI prints is compared
with a calculation done here from the rule book alone (R2, R3, R4, R5, R7, R8, R9,
R13) — not with the application's own functions.
"""

from __future__ import annotations

import calendar as cal
import math
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

BATCH = "验收测试批次"
F = "甲制药有限公司"
# code, generic name, form, spec, units per pack, unit, manufacturer, price per pack, role, V, start, end
PRODUCTS = [
    ("TA001", "测试他汀片", "片剂", "10mg", 10, "片", F, 1.00, "主供", 12000, date(2024, 9, 20), date(2025, 9, 19)),
    ("TB001", "测试沙坦片", "片剂", "50mg", 10, "片", "乙制药有限公司", 2.00, "主供", 186,
     date(2025, 1, 1), date(2025, 12, 31)),
    ("TC001", "测试洛尔片", "片剂", "25mg", 10, "片", "丙制药有限公司", 3.00, "主供", 1200,
     date(2025, 1, 1), date(2025, 12, 31)),
    # A manufacturer written like a formula: it must stay text in every export (CLI.md).
    ("TD001", "测试地平片", "片剂", "5mg", 10, "片", "+1+2制药", 4.00, "主供", 100,
     date(2025, 1, 1), date(2025, 12, 31)),
    # R13 products: one agreement year 2024.
    ("TV001", "验收甲片", "片剂", "1mg", 10, "片", F, 1.00, "主供", 1000, date(2024, 1, 1), date(2024, 12, 31)),
    ("TV002", "验收乙片", "片剂", "1mg", 10, "片", F, 1.00, "主供", 1000, date(2024, 1, 1), date(2024, 12, 31)),
    ("TV003", "验收丙片", "片剂", "1mg", 10, "片", F, 1.00, "主供", 1000, date(2024, 1, 1), date(2024, 12, 31)),
    ("TV004", "验收丁片", "片剂", "1mg", 10, "片", F, 1.00, "主供", 1000, date(2024, 1, 1), date(2024, 12, 31)),
    ("TV005", "验收戊片", "片剂", "1mg", 10, "片", F, 1.00, "主供", 1000, date(2024, 1, 1), date(2024, 12, 31)),
]
PROGRESS_CODES = ("TA001", "TB001", "TC001", "TD001")
NONSEL = ("TX999", "测试他汀片", "片剂", "10mg", 10, "戊制药有限公司")  # same generic name as TA001
# order no, purchase date, product code (or NONSEL), quantity in base units (片)
PURCHASES = [
    ("P001", date(2024, 9, 10), "TA001", 1000),   # the day before the period: not counted
    ("P002", date(2024, 9, 20), "TA001", 500),    # first day of the period
    ("P003", date(2024, 12, 15), "TA001", 2000),
    ("P004", date(2025, 3, 31), "TA001", 1500),   # on the as-of day: counted (inclusive)
    ("P005", date(2025, 4, 1), "TA001", 5000),
    ("P006", date(2025, 9, 19), "TA001", 300),    # last day of the period
    ("P007", date(2025, 9, 20), "TA001", 800),    # after the period
    ("N001", date(2024, 9, 1), "TX999", 990),     # non-selected, before the period
    ("N002", date(2024, 10, 10), "TX999", 600),
    ("N003", date(2025, 5, 1), "TX999", 3000),
    ("C001", date(2025, 2, 1), "TC001", 180),     # exactly S − 10 points on 2025-03-31
    ("D001", date(2025, 2, 1), "TD001", 100),     # completed
    # R13 baselines for 2024 (2023 and 2025 lines must not count)
    ("V101", date(2024, 3, 1), "TV001", 1000), ("V102", date(2023, 12, 31), "TV001", 5000),
    ("V201", date(2024, 3, 1), "TV002", 1000), ("V202", date(2025, 1, 1), "TV002", 5000),
    ("V301", date(2024, 3, 1), "TV003", 1000),
    ("V401", date(2024, 12, 31), "TV004", 1000),
]
# R13: reported volume per code; baseline is 1000 for TV001..TV004, 0 for TV005.
REPORTED = {"TV001": 800, "TV002": 799, "TV003": 2500, "TV004": 2501, "TV005": 100}
DISTRIBUTOR = "验收配送有限公司"
# R4/R5 orders: no, placed, responded, delivered, emergency, accepted on, amount
ORDERS = [
    ("O0", datetime(2024, 1, 10, 9), datetime(2024, 1, 10, 10), datetime(2024, 1, 11, 9), False,
     date(2024, 1, 15), "100.00"),
    ("O1", datetime(2025, 1, 6, 9), datetime(2025, 1, 8, 9), datetime(2025, 1, 8, 9), False,  # exactly 48 h
     date(2025, 1, 31), "1234.50"),
    ("O2", datetime(2025, 1, 6, 9), datetime(2025, 1, 8, 9, 1), datetime(2025, 1, 9, 9), False,  # late
     date(2025, 1, 10), "10.00"),
    ("O3", datetime(2025, 2, 3, 10), datetime(2025, 2, 3, 11), datetime(2025, 2, 3, 14), True,  # 4 h exactly
     date(2025, 2, 3), "20.00"),
    ("O4", datetime(2025, 2, 3, 10), datetime(2025, 2, 3, 11), datetime(2025, 2, 3, 14, 1), True,  # late
     date(2025, 2, 4), "30.00"),
    ("O5", datetime(2025, 3, 3, 10), datetime(2025, 3, 3, 11), None, False, None, "40.00"),  # not delivered
    ("O6", datetime(2025, 4, 1, 10), datetime(2025, 4, 1, 11), datetime(2025, 4, 5, 10), False,
     date(2025, 4, 5), "50.00"),
]

PROGRESS_KEYS = ["product_id", "batch", "generic_name", "dosage_form", "spec", "manufacturer", "unit",
                 "period_start", "period_end", "agreed_volume", "target_to_date", "purchased", "completion",
                 "schedule", "status", "shortfall", "nonselected_share", "flags",
                 # version 2 (R8 v2), after the version 1 keys
                 "remaining", "over_purchase", "period_days_left", "lag_reason", "failed_reasons",
                 # issue 19 (R21): the departments behind a lag or a non-selected share
                 "top_departments"]
ISSUE_KEYS = ["id", "product_id", "type", "status", "reported_at", "reply_due", "replied_at", "promised_date",
              "resolution_due", "resolution_due_provisional", "overdue", "promise_exceeds_limit"]


# ---------------------------------------------------------------- the files a pharmacist would import
def _text(cell, value: str) -> None:
    """Write a string cell (openpyxl would otherwise store '=…' as a formula)."""
    cell.value = value
    cell.data_type = "s"


def write_files(folder: Path) -> dict[str, Path]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "约定采购量"
    ws.append(["采购批次", "药品编码", "通用名", "剂型", "规格", "转换比", "最小制剂单位", "生产企业",
               "中选价格（元/盒）", "供应类型", "约定采购量（最小制剂单位）", "执行开始日期", "执行结束日期"])
    for p in PRODUCTS:
        ws.append([BATCH, *p[:6], None, *p[7:]])
        _text(ws.cell(row=ws.max_row, column=8), p[6])
    paths = {"products": folder / "products.xlsx"}
    wb.save(paths["products"])

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "采购明细"
    ws.append(["订单编号", "采购日期", "药品编码", "通用名", "剂型", "规格", "转换比", "生产企业", "配送企业",
               "采购数量", "采购单位", "采购单价"])
    for order_no, day, code, qty in PURCHASES:
        p = NONSEL if code == NONSEL[0] else next(p for p in PRODUCTS if p[0] == code)
        ws.append([order_no, day, *p[:5], None, DISTRIBUTOR, qty, "片", 0.1])
        _text(ws.cell(row=ws.max_row, column=8), p[5] if code == NONSEL[0] else p[6])
    paths["purchases"] = folder / "purchases.xlsx"
    wb.save(paths["purchases"])

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(["订单编号", "下单时间", "药品编码", "通用名", "剂型", "规格", "转换比", "生产企业", "配送企业",
               "采购数量", "采购单位", "采购单价", "采购金额", "响应时间", "配送时间", "验收日期", "是否急救"])
    p = PRODUCTS[0]
    for no, placed, responded, delivered, emergency, accepted, amount in ORDERS:
        ws.append([no, placed, *p[:5], p[6], DISTRIBUTOR, 1, "盒", float(amount), float(amount),
                   responded, delivered, accepted, "是" if emergency else "否"])
    paths["orders"] = folder / "orders.xlsx"
    wb.save(paths["orders"])

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "报量"
    ws.append(["药品编码", "通用名", "剂型", "规格", "生产企业", "报量（最小制剂单位）"])
    for code, qty in REPORTED.items():
        p = next(p for p in PRODUCTS if p[0] == code)
        ws.append([code, p[1], p[2], p[3], p[6], qty])
    paths["reported-volumes"] = folder / "reported.xlsx"
    wb.save(paths["reported-volumes"])
    return paths


# ---------------------------------------------------------------- the independent calculation
def month_weights(start: date, end: date, upto: date | None = None) -> list[Fraction]:
    """R7: w_m = days of m inside [s, e] (and up to d) / days in m."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        dim = cal.monthrange(y, m)[1]
        lo, hi = max(date(y, m, 1), start), min(date(y, m, dim), end)
        if upto is not None:
            hi = min(hi, upto)
        out.append(Fraction(max(0, (hi - lo).days + 1), dim))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_targets(volume: int, start: date, end: date) -> list[int]:
    """R7: T_m = V × w_m / Σw, largest remainder, ties to the earlier month."""
    w = month_weights(start, end)
    exact = [volume * x / sum(w) for x in w]
    floors = [int(x) for x in exact]
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:volume - sum(floors)]:
        floors[i] += 1
    return floors


def expected_row(code: str, as_of: date) -> dict:
    """R7/R8/R9 for one product at ``as_of`` from the rule book, with CLI.md's rounding."""
    p = next(p for p in PRODUCTS if p[0] == code)
    volume, start, end = p[9], p[10], p[11]
    s = sum(month_weights(start, end, as_of)) / sum(month_weights(start, end))
    target = int((Decimal(s.numerator) * volume / Decimal(s.denominator)).quantize(Decimal(1), ROUND_HALF_UP))
    in_window = [(c, q) for _, d, c, q in PURCHASES if start <= d <= min(end, as_of)]
    bought = sum(q for c, q in in_window if c == code)
    non = sum(q for c, q in in_window if c == NONSEL[0] and NONSEL[1] == p[1])
    c = Fraction(bought, volume)
    if c >= 1:
        status = "completed"
    elif bought == 0 and s > 0:
        status = "not_started"
    elif c >= s:
        status = "on_track"
    elif c < s - Fraction(1, 10):
        status = "severely_behind"
    else:
        status = "behind"
    share = Fraction(non, bought + non) if bought + non else Fraction(0)
    # R8 v2: one shortfall everywhere, the whole units still needed to reach the schedule.
    shortfall = max(0, math.ceil(s * volume - bought))
    return {"generic_name": p[1], "spec": p[3], "manufacturer": p[6], "unit": p[5],
            "period_start": start.isoformat(), "period_end": end.isoformat(), "agreed_volume": volume,
            "target_to_date": target, "purchased": bought, "completion": round(float(c), 4),
            "schedule": round(float(s), 4), "status": status, "shortfall": int(shortfall),
            "remaining": max(0, volume - bought), "over_purchase": max(0, bought - volume),
            "nonselected_share": round(float(share), 4)}


def test_independent_calculator_reproduces_the_domain_example():
    """GIVEN DOMAIN.md R7's example WHEN computed here THEN 367, 1 000 × 11, 633 and S = 53.06 %
    (the oracle of this file is itself checked against the rule book)."""
    assert monthly_targets(12000, date(2024, 9, 20), date(2025, 9, 19)) == [367] + [1000] * 11 + [633]
    assert expected_row("TA001", date(2025, 3, 31))["schedule"] == 0.5306
    assert expected_row("TA001", date(2025, 3, 31))["target_to_date"] == 6367


# ---------------------------------------------------------------- running the CLI
def invoke(*args) -> tuple[int, str, str]:
    """Run the CLI in-process and return (exit code, stdout, stderr)."""
    from hospital_app.cli.main import main

    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", write_through=True)
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    out.flush()
    err.flush()
    return code, out_b.getvalue().decode("utf-8-sig"), err_b.getvalue().decode("utf-8")


def jcli(db: Path, as_of: str, *args):
    import json

    code, out, err = invoke("--db", db, "--as-of", as_of, *args, "--json")
    assert code == 0, (args, err)
    assert "Traceback" not in err
    return json.loads(out)


@pytest.fixture(scope="module")
def vbp(tmp_path_factory) -> Path:
    """The hand-made dataset imported through the CLI into one database (read-only for tests)."""
    home = tmp_path_factory.mktemp("acc-home")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            mp.setenv(var, str(home / var))
        mp.delenv("HOSPITAL_APP_DB", raising=False)
        # The audit key lives outside the database (issue 23); the module's copies share one key folder.
        mp.setenv("HOSPITAL_APP_AUDIT_KEY_DIR", str(home / "audit-keys"))
        folder = tmp_path_factory.mktemp("acc")
        files = write_files(folder)
        db = folder / "acc.db"
        # R19: documents name the hospital (never a placeholder); set once like a new user does.
        assert invoke("--db", db, "settings", "set", "hospital.name", "验收测试医院")[0] == 0
        for kind in ("products", "purchases", "orders", "reported-volumes"):
            code, out, err = invoke("--db", db, "import", kind, files[kind], "--json")
            assert code == 0, (kind, out, err)
        yield db


@pytest.fixture
def own_db(vbp, tmp_path) -> Path:
    """A private copy of the dataset for tests that write."""
    target = tmp_path / "own.db"
    shutil.copyfile(vbp, target)
    return target


def product_ids(db: Path) -> dict[str, int]:
    rows = jcli(db, "2025-03-31", "progress")["rows"]
    by_name = {r["generic_name"]: r["product_id"] for r in rows}
    return {p[0]: by_name[p[1]] for p in PRODUCTS if p[0] in PROGRESS_CODES}


# ---------------------------------------------------------------- R7 / R8 / R9
AS_OF_DATES = ["2024-09-20", "2025-03-31", "2025-06-30", "2025-09-19", "2025-12-31"]


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_r7_r8_r9_progress_matches_the_independent_calculation(vbp, as_of):
    """GIVEN V = 12 000 over 2024-09-20..2025-09-19 with purchases on and outside the period edges,
    a non-selected product of the same generic name, a product exactly 10 points behind, one not
    started and one completed
    WHEN `progress --json` at several as-of dates
    THEN every product whose agreement period contains the date is listed with the figures of R7
    (S(d), target half up), R8 v2 (completion, status, shortfall ⌈S·V − bought⌉, remaining,
    over-purchase) and R9 (non-selected share); a product whose only period has ended is listed
    with its final assessment (flag ``ended``); one whose period has not begun is not listed."""
    d = date.fromisoformat(as_of)
    doc = jcli(vbp, as_of, "progress")
    assert doc["as_of"] == as_of
    rows = {r["generic_name"]: r for r in doc["rows"]}
    for code in PROGRESS_CODES:
        p = next(p for p in PRODUCTS if p[0] == code)
        if d < p[10]:
            assert p[1] not in rows, (code, as_of)  # not begun: nothing to assess yet
            continue
        if d > p[11]:
            assert "ended" in rows[p[1]]["flags"], (code, as_of)  # R8 v2: the final assessment stays
            continue
        exp = expected_row(code, d)
        got = {k: rows[p[1]][k] for k in exp}
        assert got == exp, (code, as_of)


def test_r7_target_to_date_rounds_half_up(vbp):
    """GIVEN V = 186 over calendar 2025 WHEN as of 2025-03-31 (S = 1/4, S·V = 46.5)
    THEN target_to_date is 47 (half up, not banker's 46) and the shortfall 47 (R7, CLI.md)."""
    row = next(r for r in jcli(vbp, "2025-03-31", "progress")["rows"] if r["generic_name"] == "测试沙坦片")
    assert (row["target_to_date"], row["shortfall"], row["status"]) == (47, 47, "not_started")


def test_r8_exactly_ten_points_behind_is_behind_not_severely(vbp):
    """GIVEN completion 0.15 and S = 0.25 (exactly −10 points) THEN `behind`; 3 months later `severely_behind`."""
    def status(as_of):
        return next(r["status"] for r in jcli(vbp, as_of, "progress")["rows"] if r["generic_name"] == "测试洛尔片")

    assert status("2025-03-31") == "behind"
    assert status("2025-06-30") == "severely_behind"


def test_progress_json_keys_order_and_types(vbp):
    """GIVEN the dataset WHEN `progress --json` THEN CLI.md's keys in order, ints for units,
    4-place fractions for ratios, YYYY-MM-DD dates."""
    doc = jcli(vbp, "2025-03-31", "progress")
    assert list(doc) == ["as_of", "rows"]
    for row in doc["rows"]:
        assert list(row) == PROGRESS_KEYS
        for key in ("product_id", "agreed_volume", "target_to_date", "purchased", "shortfall"):
            assert type(row[key]) is int, key
        for key in ("completion", "schedule", "nonselected_share"):
            assert isinstance(row[key], float | int) and round(row[key], 4) == row[key], key
        date.fromisoformat(row["period_start"])
        date.fromisoformat(row["period_end"])
        assert isinstance(row["flags"], list)


def test_progress_batch_filter_and_global_options_after_the_command(vbp):
    """WHEN `progress --batch NAME --json --db X --as-of D` THEN the same rows; an unknown batch is exit 3."""
    import json

    code, out, err = invoke("progress", "--batch", BATCH, "--json", "--db", vbp, "--as-of", "2025-03-31")
    assert code == 0, err
    # The four running products and the five R13 products whose 2024 period ended (R8 v2).
    rows = json.loads(out)["rows"]
    assert len(rows) == 9
    assert sorted(r["generic_name"] for r in rows if "ended" in r["flags"]) == sorted(
        p[1] for p in PRODUCTS if p[0].startswith("TV"))
    code, _, err = invoke("--db", vbp, "progress", "--batch", "没有这个批次")
    assert code == 3 and "批次" in err


def test_progress_csv_bom_and_formula_text_neutralised(vbp, capfdbinary):
    """GIVEN a manufacturer named '+1+2制药' WHEN `progress --csv` THEN UTF-8 BOM and the cell is "'+1+2制药"."""
    import csv

    from hospital_app.cli.main import main

    assert main(["--db", str(vbp), "--as-of", "2025-03-31", "progress", "--csv"]) == 0
    raw = capfdbinary.readouterr().out
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert rows[0][:3] == ["product_id", "batch", "generic_name"]
    assert any("'+1+2制药" in r for r in rows[1:])
    assert not any("+1+2制药" in r for r in rows[1:])


def test_export_progress_keeps_formula_looking_text_as_text(vbp, tmp_path):
    """WHEN `export progress --out FILE.xlsx` THEN '+1+2制药' is a text cell, never a formula (CLI.md),
    and the flags are words (扎堆采购, R12), not codes."""
    out = tmp_path / "进度.xlsx"
    code, _, err = invoke("--db", vbp, "--as-of", "2025-03-31", "export", "progress", "--out", out)
    assert code == 0, err
    rows = list(openpyxl.load_workbook(out).active.iter_rows())
    cells = [c for row in rows for c in row if c.value == "+1+2制药"]
    assert cells and all(c.data_type == "s" for c in cells)
    header = [c.value for c in rows[2]]
    completed = next(r for r in rows if r[header.index("通用名")].value == "测试地平片")
    assert completed[header.index("提示")].value == "扎堆采购"


# ---------------------------------------------------------------- R2 / R3
@pytest.mark.parametrize("event,n,due", [
    ("2025-06-09 10:00", 2, "2025-06-11"), ("2025-06-13 17:30", 2, "2025-06-17"),
    ("2025-09-30T16:00", 2, "2025-10-10"), ("2025-09-27 09:00", 2, "2025-09-29"),
    ("2025-10-09T11:00", 5, "2025-10-15"),
    ("2026-02-13 10:00", 1, "2026-02-14"),   # Sat 02-14 is a make-up working day
    ("2026-02-13 10:00", 2, "2026-02-24"),   # 02-15..02-23 off
])
def test_r2_calendar_due_domain_examples(vbp, event, n, due):
    """GIVEN DOMAIN.md R2's table WHEN `calendar due --json` THEN the due date, not provisional."""
    assert jcli(vbp, "2025-06-30", "calendar", "due", "--from", event, "--working-days", str(n)) == {
        "due": due, "provisional": False, "missing_years": []}


def test_r3_issue_add_reply_dues_and_overdue(own_db):
    """GIVEN an issue reported Tue 2025-09-30 16:00
    THEN reply due 2025-10-10 (R2, N=2), resolution due R2(10-10, 5) = 2025-10-16 provisional
    (Sat 10-11 works); not overdue on 10-10, reply overdue on 10-11.
    WHEN the supplier replies Thu 10-09 11:00 promising 10-16 THEN the limit R2(reply, 5) = 10-15
    is exceeded (flagged); without a promise the resolution is due 10-15."""
    pid = product_ids(own_db)["TA001"]
    add = ("issues", "add", "--product", pid, "--type", "shortage", "--reported-at", "2025-09-30 16:00")
    first = jcli(own_db, "2025-10-10", *add)
    listed = jcli(own_db, "2025-10-10", "issues", "list")
    assert list(first) == ISSUE_KEYS and [first] == listed
    assert (first["status"], first["reply_due"], first["resolution_due"], first["resolution_due_provisional"],
            first["overdue"], first["replied_at"]) == ("open", "2025-10-10", "2025-10-16", True, [], None)
    assert jcli(own_db, "2025-10-11", "issues", "list", "--overdue")[0]["overdue"] == ["reply"]

    replied = jcli(own_db, "2025-10-20", "issues", "reply", first["id"], "--at", "2025-10-09 11:00",
                   "--promise", "2025-10-16")
    assert (replied["status"], replied["replied_at"], replied["promised_date"], replied["resolution_due"],
            replied["resolution_due_provisional"], replied["promise_exceeds_limit"], replied["overdue"]) == (
        "replied", "2025-10-09T11:00:00", "2025-10-16", "2025-10-16", False, True, ["resolution"])

    second = jcli(own_db, "2025-10-14", *add)
    no_promise = jcli(own_db, "2025-10-14", "issues", "reply", second["id"], "--at", "2025-10-09T11:00")
    assert (no_promise["resolution_due"], no_promise["promise_exceeds_limit"], no_promise["overdue"]) == (
        "2025-10-15", False, [])
    resolved = jcli(own_db, "2025-10-16", "issues", "resolve", second["id"], "--at", "2025-10-16 09:00")
    assert resolved["status"] == "resolved"
    assert [i["id"] for i in jcli(own_db, "2025-10-16", "issues", "list", "--open")] == [first["id"]]


def test_r3_exit_codes(own_db):
    """Unknown product → 3, bad type → 3, bad datetime → 2, replying twice → 4; nothing raised."""
    pid = product_ids(own_db)["TA001"]
    base = ("--db", own_db, "--as-of", "2025-10-10", "issues")
    assert invoke(*base, "add", "--product", 99999, "--type", "shortage", "--reported-at", "2025-09-30 16:00")[0] == 3
    assert invoke(*base, "add", "--product", pid, "--type", "nonsense", "--reported-at", "2025-09-30 16:00")[0] == 3
    assert invoke(*base, "add", "--product", pid, "--type", "shortage", "--reported-at", "30/09/2025")[0] == 2
    code, out, _ = invoke(*base, "add", "--product", pid, "--type", "quality", "--reported-at", "2025-09-30 16:00")
    assert code == 0 and "2025-10-10" in out  # Chinese human output names the reply due date
    issue_id = jcli(own_db, "2025-10-10", "issues", "list")[0]["id"]
    assert invoke(*base, "reply", issue_id, "--at", "2025-10-09 11:00")[0] == 0
    code, _, err = invoke(*base, "reply", issue_id, "--at", "2025-10-09 11:00")
    assert code == 4 and err.startswith("错误")
    code, _, err = invoke("--lang", "en", *base, "reply", 4242, "--at", "2025-10-09 11:00")
    assert code == 3 and err.startswith("Error")


# ---------------------------------------------------------------- R4 / R5
def test_r4_orders_stats_per_company_and_quarter(vbp):
    """GIVEN 2025Q1: O1 answered and delivered at exactly 48 h (in time), O2 late on both, emergency O3
    delivered at exactly 4 h (in time), emergency O4 at 4 h 01 (late), O5 not delivered
    THEN placed 5, responded in time 4 (0.8), delivered 4, in time 2 (0.5) → warning;
    2025Q2 below 90 % again → serious (R4)."""
    q1 = jcli(vbp, "2025-06-30", "orders", "stats", "--quarter", "2025Q1")
    assert q1 == [{"company": DISTRIBUTOR, "quarter": "2025Q1", "placed": 5, "responded_in_time": 4,
                   "response_rate": 0.8, "delivered": 4, "delivered_in_time": 2, "timeliness": 0.5,
                   "level": "warning"}]
    q2 = jcli(vbp, "2025-06-30", "orders", "stats", "--quarter", "2025Q2")
    assert [(r["placed"], r["timeliness"], r["level"]) for r in q2] == [(1, 0.0, "serious")]
    assert invoke("--db", vbp, "orders", "stats", "--quarter", "2025Q5")[0] == 3


def test_r5_payments_due_end_of_next_month(vbp):
    """GIVEN deliveries accepted 2025-01-31 and 2024-01-15 (DOMAIN.md R5's examples)
    THEN due 2025-02-28 and 2024-02-29, amounts as decimal strings, overdue only after the due date."""
    rows = {r["order_no"]: r for r in jcli(vbp, "2025-02-28", "payments")}
    assert list(rows["O1"]) == ["order_no", "company", "accepted_on", "amount", "due", "paid_on", "overdue",
                                "paid_amount", "paid_late"]  # version 2 adds the last two
    assert rows["O1"] == {"order_no": "O1", "company": DISTRIBUTOR, "accepted_on": "2025-01-31",
                          "amount": "1234.50", "due": "2025-02-28", "paid_on": None, "overdue": False,
                          "paid_amount": "0.00", "paid_late": False}
    assert (rows["O0"]["due"], rows["O0"]["overdue"]) == ("2024-02-29", True)
    assert "O5" not in rows  # never accepted: nothing to pay yet
    later = {r["order_no"]: r["overdue"] for r in jcli(vbp, "2025-03-01", "payments", "--open")}
    assert later["O1"] is True


# ---------------------------------------------------------------- R13
def test_r13_volume_check_thresholds_are_strict(vbp):
    """GIVEN 2024 baselines of 1000 (2023/2025 purchases excluded) and a product without history
    THEN exactly −20 % and +150 % need no note, −20.1 % and +150.1 % do, 0 → 100 is no_history."""
    rows = {r["generic_name"]: r for r in jcli(vbp, "2025-03-31", "volume-check", "--baseline-year", "2024")}
    got = {name: (r["baseline"], r["reported"], r["change"], r["needs_explanation"], r["reason"])
           for name, r in rows.items() if name.startswith("验收")}
    assert got == {
        "验收甲片": (1000, 800, -0.2, False, None),
        "验收乙片": (1000, 799, -0.201, True, "decrease_over_20"),
        "验收丙片": (1000, 2500, 1.5, False, None),
        "验收丁片": (1000, 2501, 1.501, True, "increase_over_150"),
        "验收戊片": (0, 100, None, True, "no_history"),
    }
    assert list(rows["验收甲片"]) == ["generic_name", "spec", "baseline", "reported", "change",
                                   "needs_explanation", "reason", "baseline_covered", "data_to"]
    assert rows["验收甲片"]["baseline_covered"] is True  # purchases on record span all of 2024 (R13 v2)
    # The default baseline year is the calendar year before --as-of.
    assert jcli(vbp, "2025-03-31", "volume-check") == jcli(vbp, "2025-03-31", "volume-check",
                                                           "--baseline-year", "2024")


# ---------------------------------------------------------------- the rest of the contract
def test_alerts_json_shape(vbp):
    """WHEN `alerts --json` THEN a list of objects with CLI.md's keys; R8 and R9 findings for TA001 at 2025-06-30."""
    alerts = jcli(vbp, "2025-06-30", "alerts")
    for a in alerts:
        assert list(a)[:5] == ["rule", "severity", "product_id", "message", "since"]
        assert a["since"] is None or date.fromisoformat(a["since"])
    assert {"R4", "R5", "R8"} <= {a["rule"] for a in alerts}


def test_usage_errors_exit_2_and_no_traceback(vbp):
    """Unknown command/flag/choice → exit 2, message in Chinese, no traceback."""
    for argv in (["nonsense"], ["progress", "--json", "--csv"], ["calendar", "set", "2025-01-01", "maybe"],
                 ["import", "nokind", "x.xlsx"], ["--as-of", "2025-02-30", "progress"]):
        code, _, err = invoke("--db", vbp, *argv)
        assert code == 2, argv
        assert "用法错误" in err and "Traceback" not in err


@pytest.mark.slow
def test_reports_and_backup_round_trip(own_db, tmp_path):
    """report self-check/complaint/escalation/notes and backup → restore → check all succeed."""
    pid = product_ids(own_db)["TA001"]
    issue = jcli(own_db, "2025-10-20", "issues", "add", "--product", pid, "--type", "shortage",
                 "--reported-at", "2025-09-30 16:00")
    base = ("--db", own_db, "--as-of", "2025-10-20")
    for argv, out in ((("report", "self-check", "--period", "2025Q3"), "sc.pdf"),
                      (("report", "complaint", issue["id"]), "c.pdf"),
                      (("report", "escalation", issue["id"]), "e.pdf"),
                      (("report", "notes"), "n.pdf"), (("report", "notes"), "n.xlsx")):
        code, _, err = invoke(*base, *argv, "--out", tmp_path / out)
        assert code == 0, (argv, err)
        head = (tmp_path / out).read_bytes()[:4]
        assert head == (b"%PDF" if out.endswith(".pdf") else b"PK\x03\x04")
    assert invoke(*base, "backup", "--out", tmp_path / "b.zip")[0] == 0
    assert invoke(*base, "restore", tmp_path / "b.zip")[0] == 0
    assert jcli(own_db, "2025-10-20", "check")["ok"] is True


# ---------------------------------------------------------------- defects found in the review (regressions)
def test_edge_inputs_are_exit_3_never_an_unexpected_failure(vbp):
    """GIVEN out-of-range but well-formed input WHEN run THEN exit 3 with a message (was exit 1:
    OverflowError / ValueError): a deadline past 9999-12-31, N above 1000 working days (R2),
    `calendar list --year 99999`, quarter 0000Q1; 9999Q4 is a valid, empty quarter (R4)."""
    cases = [("calendar", "due", "--from", "9999-12-31T10:00", "--working-days", "1"),
             ("calendar", "due", "--from", "2025-01-01T10:00", "--working-days", "1001"),
             ("calendar", "list", "--year", "99999"),
             ("orders", "stats", "--quarter", "0000Q1")]
    for argv in cases:
        code, _, err = invoke("--db", vbp, *argv)
        assert code == 3 and err.startswith("错误") and "意外" not in err, argv
    assert jcli(vbp, "2025-06-30", "orders", "stats", "--quarter", "9999Q4") == []


def test_calendar_list_defaults_to_the_year_of_as_of(vbp):
    """GIVEN no --year WHEN `calendar list --json --as-of 2026-03-01` THEN the 2026 days (R1):
    02-14 and 02-28 are make-up working days."""
    doc = jcli(vbp, "2026-03-01", "calendar", "list")
    assert doc["year"] == 2026
    assert {"2026-02-14", "2026-02-28"} <= {d["date"] for d in doc["days"] if d["workday"]}


def test_r11_exemption_only_for_a_selected_product(own_db):
    """GIVEN the non-selected product created by the purchase import WHEN exempted THEN exit 3 and
    nothing written; a selected product can be exempted (R11)."""
    shown = (jcli(own_db, "2025-03-31", "product", "show", str(i)) for i in range(1, 20))
    non_selected = next(p["product_id"] for p in shown if p["manufacturer"] == NONSEL[5])
    base = ("--db", own_db, "exemption", "add", "--reason", "key_monitoring", "--document", "X〔2025〕1号")
    code, _, err = invoke(*base, "--product", non_selected)
    assert code == 3 and "不是中选产品" in err
    assert jcli(own_db, "2025-03-31", "exemption", "list") == []
    assert invoke(*base, "--product", product_ids(own_db)["TC001"])[0] == 0
    status = {r["generic_name"]: r["status"] for r in jcli(own_db, "2025-03-31", "progress")["rows"]}
    assert status["测试洛尔片"] == "exempt"


def test_r3_escalation_of_a_resolved_issue_is_refused_with_a_clear_message(own_db, tmp_path):
    """GIVEN a resolved issue WHEN `report escalation` THEN exit 4 naming its state (no “已已解决”)."""
    pid = product_ids(own_db)["TA001"]
    issue = jcli(own_db, "2025-10-20", "issues", "add", "--product", pid, "--type", "quality",
                 "--reported-at", "2025-09-30 16:00")
    jcli(own_db, "2025-10-20", "issues", "resolve", issue["id"], "--at", "2025-10-02 10:00")
    code, _, err = invoke("--db", own_db, "--as-of", "2025-10-20", "report", "escalation", issue["id"],
                          "--out", tmp_path / "e.pdf")
    assert code == 4 and "“已解决”" in err and "已已" not in err
    assert not (tmp_path / "e.pdf").exists()


# ---------------------------------------------------------------- import defects found by this review (fixed)
def test_import_keeps_a_text_cell_that_starts_with_equals(tmp_path):
    """GIVEN a products file whose manufacturer is the *text* '=1+2制药' (not a formula)
    WHEN imported THEN it is accepted as text (CLI.md: imported text never becomes a formula)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["药品编码", "通用名", "规格", "转换比", "最小制剂单位", "生产企业", "中选价格（元/盒）",
               "约定采购量", "执行开始日期", "执行结束日期"])
    ws.append(["Z1", "公式测试片", "1mg", 10, "片", None, 1.0, 100, date(2025, 1, 1), date(2025, 12, 31)])
    _text(ws.cell(row=2, column=6), "=1+2制药")
    wb.save(tmp_path / "p.xlsx")
    code, _, err = invoke("--db", tmp_path / "x.db", "import", "products", tmp_path / "p.xlsx", "--batch", BATCH)
    assert code == 0, err
    import sqlite3

    con = sqlite3.connect(tmp_path / "x.db")
    try:
        stored = con.execute("SELECT c.name FROM product p JOIN company c ON c.id = p.manufacturer_id"
                             " WHERE p.code = 'Z1'").fetchall()
    finally:
        con.close()
    assert stored == [("=1+2制药",)]


def test_import_refuses_a_purchase_unit_it_cannot_resolve(own_db, tmp_path):
    """GIVEN TA001 (base unit 片, 10 per pack) WHEN a purchase line says 3 瓶 without a pack size
    THEN exit 3 and nothing written (DOMAIN.md: an unresolved unit is an import error, never a guess)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单编号", "采购日期", "药品编码", "通用名", "剂型", "规格", "生产企业", "采购数量", "采购单位"])
    ws.append(["U1", date(2025, 6, 1), "TA001", "测试他汀片", "片剂", "10mg", F, 3, "瓶"])
    wb.save(tmp_path / "u.xlsx")
    import sqlite3

    def purchases() -> int:
        con = sqlite3.connect(own_db)
        try:
            return con.execute("SELECT COUNT(*) FROM purchase").fetchone()[0]
        finally:
            con.close()

    before = purchases()
    code, _, err = invoke("--db", own_db, "import", "purchases", tmp_path / "u.xlsx")
    assert code == 3
    assert "瓶" in err
    assert purchases() == before


def test_r8_not_started_after_the_third_month_is_not_in_hospital(vbp):
    """GIVEN TB001 (period from 2025-01-01, batch executing since 2024-09-20) never bought
    WHEN progress at 2025-06-30 THEN status not_started with the not_in_hospital flag (R8, source 004 (二))."""
    row = next(r for r in jcli(vbp, "2025-06-30", "progress")["rows"] if r["generic_name"] == "测试沙坦片")
    assert row["status"] == "not_started" and "not_in_hospital" in row["flags"]
