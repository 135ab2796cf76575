"""Issue 18 first-run step (R19): the identity dialog stores the four values documents print."""

from __future__ import annotations

from hospital_app import settings


def test_identity_dialog_saves_the_four_values(qtbot, ctx):
    """GIVEN the first-run dialog WHEN no name is typed THEN 保存 is disabled; WHEN the four values
    are typed and saved THEN hospital.name/department/responsible/contact hold them."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.dialogs.identity_dialog import IdentityDialog

    dialog = IdentityDialog(ctx)
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.Save)
    assert not save.isEnabled()
    dialog.name.setText("示例市第一人民医院")
    dialog.department.setText("药学部")
    dialog.responsible.setText("李主任")
    dialog.contact.setText("王药师 0432-12345678")
    assert save.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        save.click()
    with ctx.db.session() as s:
        assert [settings.get(s, k) for k in settings.IDENTITY_KEYS] == [
            "示例市第一人民医院", "药学部", "李主任", "王药师 0432-12345678"]
