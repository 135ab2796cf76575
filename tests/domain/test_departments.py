"""R21 departments: name key, largest-remainder apportioning, per-department figures (pure)."""

from __future__ import annotations

from fractions import Fraction

from hospital_app.domain.departments import apportion, department_figures, normalize_department


def test_r21_department_names_ignore_width_and_spaces():
    """GIVEN one department written with spaces, a full-width space and full-width letters
    WHEN normalised THEN one key."""
    assert normalize_department("心血管 内科") == normalize_department("心血管内科\u3000") == "心血管内科"
    assert normalize_department("ＩＣＵ 病区") == normalize_department("icu病区") == "ICU病区"


def test_r21_apportion_largest_remainder_adds_up():
    """GIVEN 1 367 units and weights 3 600 / 1 200 / 800 WHEN apportioned THEN
    878.79 / 292.93 / 195.29 → floors 878 / 292 / 195 (1 365), the two largest remainders get
    one more: 879 / 293 / 195 = 1 367."""
    assert apportion(1367, [3600, 1200, 800]) == [879, 293, 195]
    assert apportion(10, [0, 0]) == [0, 0]
    assert apportion(0, [5, 5]) == [0, 0]
    assert apportion(3, [-5, 1]) == [0, 3]  # a negative weight (returns) counts as 0


def test_r21_figures_only_nonselected_department_and_returns():
    """GIVEN 内分泌科 using only non-selected units, 老年病科 whose returns exceed its use
    WHEN figures with shortfall 100 THEN 内分泌科 share 100 %, its whole use share and the whole
    shortfall; 老年病科 counts 0 use and no share."""
    figs = {f.department: f for f in department_figures({"内分泌科": (0, 400), "老年病科": (-50, 0)}, 100)}
    assert figs["内分泌科"].nonselected_share == 1
    assert figs["内分泌科"].use_share == 1 and figs["内分泌科"].shortfall_part == 100
    assert figs["老年病科"].use_share == 0 and figs["老年病科"].nonselected_share is None
    assert figs["老年病科"].shortfall_part == 0


def test_r21_figures_shares_hand_computed():
    """GIVEN 心血管内科 3 000 selected + 600 non-selected, 内分泌科 1 200 non-selected, 老年病科 800
    selected WHEN figures with shortfall 1 367 THEN use shares 9/14, 3/14, 1/7; non-selected shares
    1/6, 1, 0; parts 879, 293, 195; sorted by part."""
    figs = department_figures({"心血管内科": (3000, 600), "内分泌科": (0, 1200), "老年病科": (800, 0)}, 1367)
    assert [f.department for f in figs] == ["心血管内科", "内分泌科", "老年病科"]
    assert [f.use_share for f in figs] == [Fraction(9, 14), Fraction(3, 14), Fraction(1, 7)]
    assert [f.nonselected_share for f in figs] == [Fraction(1, 6), Fraction(1), Fraction(0)]
    assert [f.shortfall_part for f in figs] == [879, 293, 195]
