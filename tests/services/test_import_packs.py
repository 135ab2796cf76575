"""IMPORT.md v2 pack grammar (issue 15 item 1): the strength is the spec, the counts multiply,
the innermost count unit is the base unit; consumable sizes are one spec.

The 215 cells of ``tests/data/pack_cells.tsv`` are the distinct shapes of the real Guizhou list's
包装 column, each labelled by hand (units per pack, pack unit, base unit)."""

from __future__ import annotations

import openpyxl
import pytest

from hospital_app.importers import values as V
from hospital_app.importers.packs import parse_pack_cell
from tests.conftest import DATA, REAL


def _labelled() -> list[tuple[str, int, str, str]]:
    rows = []
    for line in (DATA / "pack_cells.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cell, upp, pack, base = line.split("\t")
        rows.append((cell, int(upp), pack, base))
    return rows


LABELLED = _labelled()


def test_the_table_holds_at_least_200_distinct_real_cells():
    """GIVEN the hand-labelled table THEN it holds ≥ 200 distinct cells, all found in the real list."""
    cells = {c for c, *_ in LABELLED}
    ws = openpyxl.load_workbook(REAL / "guizhou_selected_drugs.xlsx", read_only=True).active
    real = {r[3] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(cells) == len(LABELLED) >= 200 and cells <= real


@pytest.mark.parametrize("cell,upp,pack_unit,base_unit", LABELLED)
def test_real_pack_cell(cell, upp, pack_unit, base_unit):
    """GIVEN a real 包装 cell WHEN read as a pack THEN units per pack, pack unit and base unit are
    the hand-written ones; the strength never counts (issue 15: 5mg×10片/盒 is 10 片, not 50 mg)."""
    got = V.parse_pack(cell)
    assert (got.units_per_pack, got.pack_unit, got.base_unit) == (upp, pack_unit, base_unit)
    assert got.pack_desc == cell


IMPORT_MD = [  # every pack cell quoted in IMPORT.md v2: cell, spec, units per pack, base unit, pack unit
    ("5mg×10片/盒", "5mg", 10, "片", "盒"),
    ("0.25g*24粒/盒", "0.25g", 24, "粒", "盒"),
    ("10mg*7片*4板", "10mg", 28, "片", None),
    ("20mg*14片/盒", "20mg", 14, "片", "盒"),
    ("1920ml×1袋/袋", "1920ml", 1, "袋", "袋"),
    ("3ml:300单位(笔芯)*1支/盒", "3ml:300单位(笔芯)", 1, "支", "盒"),
    ("100ml:0.9g*1瓶/瓶", "100ml:0.9g", 1, "瓶", "瓶"),
    ("0.9%(250ml)*1袋/袋", "0.9%(250ml)", 1, "袋", "袋"),
    ("150mg/12.5mg*7片/盒", "150mg/12.5mg", 7, "片", "盒"),
    ("5ml∶500mg*6支/盒", "5ml:500mg", 6, "支", "盒"),
    ("10丸/盒*10丸/盒", None, 10, "丸", "盒"),
    ("10片/板×2板/盒", None, 20, "片", "盒"),
]


@pytest.mark.parametrize("cell,spec,upp,base,pack", IMPORT_MD)
def test_import_md_cells(cell, spec, upp, base, pack):
    """GIVEN each pack cell IMPORT.md v2 quotes WHEN parsed THEN the strength is the spec and the
    counts give units per pack; "10丸/盒*10丸/盒" (repeated) is 10, not 100."""
    got = parse_pack_cell(cell)
    assert (got.spec, got.units_per_pack, got.base_unit, got.pack_unit) == (spec, upp, base, pack)


@pytest.mark.parametrize("cell", ["4.0*40mm", "Φ4.0×40mm", "3.0×18mm", "2.5mm*20mm", "10*20"])
def test_consumable_sizes_are_one_spec(cell):
    """GIVEN a consumable size (diameter × length) WHEN read as a spec THEN it is one spec with no
    count and no base unit (issue 15: not spec "4.0" × pack "40mm")."""
    got = V.parse_spec_pack(cell)
    assert got.units_per_pack is None and got.base_unit is None
    assert got.spec.replace("*", "×") == cell.replace("*", "×")


def test_hainan_consumable_specs_never_become_packs():
    """GIVEN the 50 规格 cells of Hainan's consumable list WHEN read as specs THEN none yields a
    count (they are sizes and model numbers)."""
    ws = openpyxl.load_workbook(REAL / "hainan_consumables_50.xlsx", read_only=True).active
    cells = [r[4] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(cells) == 50
    assert [c for c in cells if V.parse_spec_pack(c).units_per_pack] == []


@pytest.mark.parametrize("cell", ["5mg", "每盒若干", "0.5g×2.5片/盒"])
def test_unreadable_pack_cell_quotes_it_and_says_what_was_expected(cell):
    """GIVEN a 包装 cell without a whole count WHEN read as a pack THEN the error quotes the cell and
    gives the expected form (not "包装数量应为正整数")."""
    if cell == "每盒若干":  # no digit: a description of the packaging, not an error
        assert V.parse_pack(cell).units_per_pack is None
        return
    with pytest.raises(V.CellError) as err:
        V.parse_pack(cell)
    assert f"“{cell}”" in err.value.message and "5mg×10片/盒" in err.value.message
