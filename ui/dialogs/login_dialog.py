"""Log-in for a shared database (issue 11 §4): user name, password, three tries.

Shown before the main window when ``users.shared_mode`` is true. The check itself
(``users.login``, argon2) runs on the worker; the dialog only collects the input and
shows the core's message. Passwords are never logged or kept after the attempt.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from ui.app_context import AppContext

MAX_TRIES = 3


class LoginDialog(QDialog):
    """Ask for user name and password; ``accepted`` once ``users.login`` succeeded
    (``self.user`` is then the UserInfo), ``rejected`` on 取消 or after three failures."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, username: str = "") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = None
        self.tries = 0
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("登录 — 集采执行助手"))
        self.setMinimumWidth(380)

        intro = QLabel(self.tr("此数据库由多人共用，请登录。"), self)
        intro.setWordWrap(True)
        self.username = QLineEdit(username, self)
        self.username.setObjectName("loginUser")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(self)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#c0392b;")
        self.message.hide()
        form = QFormLayout()
        form.addRow(self.tr("用户名"), self.username)
        form.addRow(self.tr("密码"), self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("登录"))
        self.ok_button.setObjectName("loginButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("退出"))
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def try_login(self) -> None:
        """Check the credentials on the worker (OK button, Enter)."""
        from hospital_app.services import users

        name, password = self.username.text().strip(), self.password.text()
        if not name:
            self._say(self.tr("请输入用户名。"))
            self.username.setFocus()
            return
        if not password:
            self._say(self.tr("请输入密码。"))
            self.password.setFocus()
            return
        self.ok_button.setEnabled(False)
        db_of = self.ctx
        self.ctx.run(lambda: users.login(db_of.db, name, password), self._logged_in, self._failed,
                     parent=self)

    def _logged_in(self, user) -> None:
        self.user = user
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from ui.worker import describe_error

        self.tries += 1
        self.password.clear()
        left = MAX_TRIES - self.tries
        if left <= 0:
            self._say(self.tr("登录失败次数过多，程序将退出。"))
            self.reject()
            return
        self.ok_button.setEnabled(True)
        self._say(describe_error(exc) + "\n" + self.tr("还可以再试 %1 次。").replace("%1", str(left)))
        self.password.setFocus()
