"""First-run step (R19): the hospital's identity every document prints — name, department,
person responsible, contact. Shown when ``hospital.name`` is unset; the same four values are
on the settings page. Saved through ``settings_service.save_identity``."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ui.app_context import AppContext


class IdentityDialog(QDialog):
    """Asks for the hospital's identity; 保存 is enabled once a name is typed."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("identityDialog")
        self.setWindowTitle(self.tr("医院信息"))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("自查自纠报告、供应问题反馈表等文书都会印上以下信息。请先填写医院名称，其余各项也请尽量填写。"), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.department = QLineEdit(self)
        self.responsible = QLineEdit(self)
        self.contact = QLineEdit(self)
        form.addRow(self.tr("医院名称"), self.name)
        form.addRow(self.tr("负责科室"), self.department)
        form.addRow(self.tr("负责人"), self.responsible)
        form.addRow(self.tr("联系人及电话"), self.contact)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.Save).setEnabled(bool(self.name.text().strip()))

    def save(self) -> None:
        from hospital_app.services.settings_service import save_identity

        values = (self.name.text(), self.department.text(), self.responsible.text(), self.contact.text())
        self.ctx.change(lambda s: save_identity(s, *values), lambda _result: self.accept(),
                        topics=("settings",), parent=self)


def ask_identity_if_missing(ctx: AppContext, parent: QWidget) -> None:
    """Open the dialog (window-modal, not blocking) when the hospital's name is not set yet."""
    from hospital_app.services.settings_service import hospital_identity

    def done(identity) -> None:
        if not identity.name:
            IdentityDialog(ctx, parent).open()

    ctx.query(hospital_identity, done, parent=parent)
