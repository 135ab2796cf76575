"""R9 generic-name key and spec key (hospital_app.domain.normalize)."""

from hospital_app.domain.normalize import clean_text, normalize_generic, normalize_spec, to_halfwidth


def test_r9_generic_name_trimmed_halfwidth_salt_kept():
    """GIVEN names as platforms write them WHEN normalised (R9) THEN spaces and full-width
    forms no longer split a generic name, and the salt form stays part of it."""
    assert normalize_generic(" 阿托伐他汀钙片 ") == "阿托伐他汀钙片"
    assert normalize_generic("苯磺酸　氨氯地平片") == "苯磺酸氨氯地平片"
    assert normalize_generic("阿托伐他汀钙片（10mg）") == "阿托伐他汀钙片"  # a bracketed spec is not the name
    assert normalize_generic("氨氯地平（苯磺酸盐）") == "氨氯地平(苯磺酸盐)"  # salt kept as written
    assert normalize_generic("阿托伐他汀钙片") != normalize_generic("阿托伐他汀片")
    assert normalize_generic(None) == ""


def test_spec_key_units_and_zeros():
    """GIVEN one spec written several ways WHEN normalised THEN the keys are equal."""
    assert normalize_spec("0.25 G") == normalize_spec("0.25g") == "0.25g"
    assert normalize_spec("10.0毫克") == "10mg"
    assert normalize_spec("10mg×7片") == normalize_spec("10MGx7片") == "10mg*7片"
    assert normalize_spec("100ml:0.9g") == "100ml:0.9g"
    assert normalize_spec("1.50g") == "1.5g"
    assert normalize_spec("20mg") != normalize_spec("10mg")


def test_halfwidth_and_clean_text():
    assert to_halfwidth("１２，０００（盒）") == "12,000(盒)"
    assert clean_text("  阿莫西林\u3000 胶囊 ") == "阿莫西林 胶囊"
    assert clean_text(None) == ""
