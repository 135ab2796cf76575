"""Cell normalisers of IMPORT.md "What real files look like" (numbers, dates, spec+pack)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from hospital_app.importers import values as V
from hospital_app.importers.headers import detect_header, normalize_header


@pytest.mark.parametrize("raw, expected", [
    ("12,000", 12000), ("１２０００", 12000), ("12000 ", 12000), ("12000片", 12000),
    (12000.0, 12000), ("1.2e4", 12000), ("１２，０００盒", 12000),
])
def test_numbers_as_text(raw, expected):
    """GIVEN a number stored as text, with separators, full-width digits or a glued unit
    WHEN parsed THEN it is the number."""
    assert V.parse_int(raw) == expected


def test_glued_unit_is_returned_and_garbage_is_an_error():
    assert V.parse_number("12000片") == (Decimal(12000), "片")
    assert V.parse_number("¥3.26") == (Decimal("3.26"), "")
    with pytest.raises(V.CellError) as err:
        V.parse_number("十二")
    assert "应为数字" in err.value.message
    with pytest.raises(V.CellError):
        V.parse_int("12.5")


@pytest.mark.parametrize("raw", [
    datetime(2024, 9, 20), date(2024, 9, 20), 45555, "45555", "2024/09/20", "2024-9-20", "2024.09.20",
    "2024年9月20日", "20240920", "2024-09-20 14:30", "2024/9/20 8:05:03", "２０２４年９月２０日",
])
def test_every_date_form(raw):
    """GIVEN each date form of IMPORT.md WHEN parsed THEN 2024-09-20."""
    assert V.parse_date(raw) == date(2024, 9, 20)


def test_datetime_keeps_time_and_bad_dates_fail():
    assert V.parse_datetime("2024-09-20 14:30") == datetime(2024, 9, 20, 14, 30)
    assert V.parse_datetime(45555.5) == datetime(2024, 9, 20, 12, 0)
    for bad in ("2024-13-01", "下周", 12):
        with pytest.raises(V.CellError):
            V.parse_date(bad)


def test_datetime_with_an_offset_is_stored_as_shanghai_local_time():
    """GIVEN an ISO time with a UTC offset (an export from another system)
    WHEN it is parsed THEN it is converted to naive Asia/Shanghai time, not just stripped of its offset
    (ARCHITECTURE: times are naive local; the CLI's --at flags convert the same way)."""
    assert V.parse_datetime("2025-01-01T00:30:00+00:00") == datetime(2025, 1, 1, 8, 30)
    assert V.parse_datetime("2025-01-01T08:30:00+08:00") == datetime(2025, 1, 1, 8, 30)
    assert V.parse_datetime("2025-01-01 08:30") == datetime(2025, 1, 1, 8, 30)


def test_spec_and_pack_in_one_cell():
    """GIVEN "10mg*7片*4板" WHEN parsed THEN spec 10mg, 28 片 per pack (IMPORT.md)."""
    sp = V.parse_spec_pack("10mg*7片*4板")
    assert (sp.spec, sp.units_per_pack, sp.base_unit) == ("10mg", 28, "片")
    sp = V.parse_spec_pack("0.25g×24粒/盒")
    assert (sp.spec, sp.units_per_pack, sp.base_unit, sp.pack_unit) == ("0.25g", 24, "粒", "盒")
    assert V.parse_spec_pack("100ml:0.9g").spec == "100ml:0.9g"
    assert V.parse_spec_pack("20mg").units_per_pack is None
    assert V.parse_pack("28片/盒").units_per_pack == 28
    assert V.parse_pack(14).units_per_pack == 14


def test_header_normalisation_and_two_row_header():
    """GIVEN a bracketed unit and a two-row header WHEN detected THEN fields are mapped."""
    assert normalize_header("中选价格（元/盒）") == ("中选价格", "元/盒")
    assert normalize_header(" 通 用 名 ") == ("通用名", "")
    rows = [(1, ["某某联盟约定采购量明细", None, None, None, None]),
            (2, ["序号", "药品信息", None, None, "约定采购量（片）"]),
            (3, [None, "通用名", "规格", "生产企业", None]),
            (4, [1, "阿莫西林胶囊", "0.25g", "某药业", 100])]
    header = detect_header(rows, "volumes")
    assert header.row == 3 and header.first_row == 2
    assert header.mapping == {"generic_name": 1, "spec": 2, "manufacturer": 3, "agreed_volume": 4}
    assert header.hint_of("agreed_volume") == "片"
