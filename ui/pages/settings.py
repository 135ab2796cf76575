"""Settings page: hospital identity and every policy value of DOMAIN.md (with its
default and a reset), the working-day calendar editor (R1), assessment adjustments
(R10, R11), the database location with a connection test, backup / restore, and
the interface language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton, QScrollArea,
                               QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from ui.pages.base import BasePage
from ui.widgets import common
from ui.widgets.common import UndoBar

#: QSettings key of the database chosen on this page (used at the next start).
DATABASE_KEY = "database/location"
LANGUAGE_KEY = "ui/language"
IDENTITY_KEYS = ("hospital.name", "hospital.department", "hospital.responsible", "hospital.contact",
                 "hospital.code", "insurance_bureau")
HIDDEN_KEYS = ("ui_language",)  # set on the language tab


def _shown(value: Any) -> str:
    from hospital_app.i18n import tr

    if isinstance(value, bool):
        return tr("是", "yes") if value else tr("否", "no")
    if value is None or value == "":
        return tr("（空）", "(empty)")
    return str(value)


class SettingsPage(BasePage):
    page_name = "settings"
    topics = ("settings",)

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: dict[str, Any] = {}  # key → settings_service.SettingRow
        self.editors: dict[str, QWidget] = {}
        self.default_labels: dict[str, QLabel] = {}
        self.reset_buttons: dict[str, QPushButton] = {}
        self.last_check = None
        self.last_backup = None
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(self._build_policies(), self.tr("医院与策略"))
        self.tabs.addTab(self._build_calendar(), self.tr("工作日历"))
        self.tabs.addTab(self._build_adjustments(), self.tr("免考核与替代"))
        self.tabs.addTab(self._build_database(), self.tr("数据库与备份"))
        self.tabs.addTab(self._build_language(), self.tr("语言"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_tab())

    def title(self) -> str:
        return self.tr("设置")

    def refresh(self) -> None:
        from hospital_app.services import settings_service

        self.ctx.query(settings_service.list_settings, self._show_settings, parent=self)
        self._refresh_tab()

    def _refresh_tab(self) -> None:
        widget = self.tabs.currentWidget()
        if widget is self.calendar_tab:
            self.calendar.refresh()
        elif widget is self.adjustments_tab:
            self.adjustments.refresh()

    # ================================================================ policies
    def _build_policies(self) -> QWidget:
        from hospital_app import settings as registry

        tab = QWidget(self)
        self.undo_bar = UndoBar(tab)
        identity = QGroupBox(self.tr("医院信息（打印在报告和函件的页眉）"), tab)
        id_grid = QGridLayout(identity)
        policies = QGroupBox(self.tr("策略参数（按政策文件设定的默认值，可按本地文件调整）"), tab)
        pol_grid = QGridLayout(policies)
        for grid in (id_grid, pol_grid):
            for c, text in enumerate((self.tr("项目"), self.tr("值"), self.tr("默认值"), "")):
                header = QLabel(text)
                header.setStyleSheet("color:#666;")
                grid.addWidget(header, 0, c)
        for key, d in registry.REGISTRY.items():
            if key in HIDDEN_KEYS:
                continue
            grid = id_grid if key in IDENTITY_KEYS else pol_grid
            r = grid.rowCount()
            label = QLabel(d.label(), policies)
            label.setWordWrap(True)
            editor = self._editor_for(d)
            editor.setObjectName(f"setting_{key}")
            default = QLabel(_shown(d.default), policies)
            default.setStyleSheet("color:#666;")
            reset = QPushButton(self.tr("恢复默认"), policies)
            reset.setObjectName(f"reset_{key}")
            reset.clicked.connect(lambda _c=False, k=key: self.reset_setting(k))
            grid.addWidget(label, r, 0)
            grid.addWidget(editor, r, 1)
            grid.addWidget(default, r, 2)
            grid.addWidget(reset, r, 3)
            self.editors[key], self.default_labels[key], self.reset_buttons[key] = editor, default, reset
        for grid in (id_grid, pol_grid):
            grid.setColumnStretch(0, 3)
            grid.setColumnStretch(1, 2)

        self.save_button = QPushButton(self.tr("保存设置"), tab)
        self.save_button.setObjectName("saveSettings")
        self.revert_button = QPushButton(self.tr("放弃修改"), tab)
        self.revert_button.setObjectName("revertSettings")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        inner = QWidget(tab)
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(identity)
        inner_layout.addWidget(policies)
        inner_layout.addStretch(1)
        scroll = QScrollArea(tab)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.undo_bar)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save_settings)
        self.revert_button.clicked.connect(lambda: self._fill_editors())
        return tab

    def _editor_for(self, d) -> QWidget:
        if d.type is bool:
            return QCheckBox(self)
        if d.type is int:
            spin = QSpinBox(self)
            spin.setRange(0, 1_000_000)
            return spin
        edit = QLineEdit(self)
        if d.type is Decimal:
            edit.setMaximumWidth(120)
        return edit

    def _show_settings(self, rows: list) -> None:
        self.rows = {r.key: r for r in rows}
        self._fill_editors()
        lang = self.rows.get("ui_language")
        stored = QSettings().value(LANGUAGE_KEY)
        current = stored if stored in ("zh", "en") else (lang.value if lang else self.ctx.lang)
        self.language.setCurrentIndex(max(0, self.language.findData(current)))

    def _fill_editors(self) -> None:
        for key, editor in self.editors.items():
            row = self.rows.get(key)
            if row is None:
                continue
            self._set_editor(editor, row.value)
            self.reset_buttons[key].setEnabled(not row.is_default)
            font = editor.font()
            font.setBold(not row.is_default)
            editor.setFont(font)

    @staticmethod
    def _set_editor(editor: QWidget, value: Any) -> None:
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        else:
            editor.setText("" if value is None else str(value))

    @staticmethod
    def _editor_value(editor: QWidget) -> Any:
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox):
            return editor.value()
        return editor.text().strip()

    def changed_values(self) -> dict[str, Any]:
        """Values on screen that differ from what is stored (as typed)."""
        out = {}
        for key, editor in self.editors.items():
            row = self.rows.get(key)
            value = self._editor_value(editor)
            if row is None:
                continue
            if isinstance(editor, QLineEdit):
                if value != ("" if row.value is None else str(row.value)):
                    out[key] = value
            elif value != row.value:
                out[key] = value
        return out

    def save_settings(self) -> None:
        """Store every changed value at once (validated: one bad value stores nothing)."""
        from hospital_app.services import settings_service

        changes = self.changed_values()
        if not changes:
            self.ctx.events.status_message.emit(self.tr("没有需要保存的修改。"))
            return
        before = {k: self.rows[k].value for k in changes}
        self.ctx.change(lambda s: settings_service.save_settings(s, changes),
                        lambda rows: self._saved(rows, before), parent=self)

    def _saved(self, rows: list, before: dict) -> None:
        from hospital_app.services import settings_service

        self._show_settings(rows)
        self.undo_bar.offer(self.tr("已保存 %1 项设置。").replace("%1", str(len(before))),
                            lambda: self.ctx.change(lambda s: settings_service.save_settings(s, before),
                                                    self._show_settings, parent=self))

    def reset_setting(self, key: str) -> None:
        from hospital_app.services import settings_service

        previous = self.rows[key].value if key in self.rows else None

        def done(_row) -> None:
            self.refresh_settings()
            if previous is not None:
                self.undo_bar.offer(
                    self.tr("“%1”已恢复默认值。").replace("%1", self.rows[key].label if key in self.rows else key),
                    lambda: self.ctx.change(lambda s: settings_service.save_settings(s, {key: previous}),
                                            self._show_settings, parent=self))

        self.ctx.change(lambda s: settings_service.reset_setting(s, key), done, parent=self)

    def refresh_settings(self) -> None:
        from hospital_app.services import settings_service

        self.ctx.query(settings_service.list_settings, self._show_settings, parent=self)

    # ================================================================ calendar
    def _build_calendar(self) -> QWidget:
        from ui.widgets.calendar_editor import CalendarEditor

        self.calendar = CalendarEditor(self.ctx, self)
        self.calendar_tab = self.calendar
        return self.calendar

    # ============================================================= adjustments
    def _build_adjustments(self) -> QWidget:
        from ui.widgets.adjustments_editor import AdjustmentsEditor

        self.adjustments = AdjustmentsEditor(self.ctx, self)
        self.adjustments_tab = self.adjustments
        return self.adjustments

    # ================================================================ database
    def _build_database(self) -> QWidget:
        tab = QWidget(self)
        current = QGroupBox(self.tr("当前数据库"), tab)
        self.db_location = QLabel(self.ctx.db_location, current)
        self.db_location.setObjectName("currentDatabase")
        self.db_location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.db_location.setWordWrap(True)
        QVBoxLayout(current).addWidget(self.db_location)

        change = QGroupBox(self.tr("更换数据库位置（下次启动时生效）"), tab)
        self.use_sqlite = QRadioButton(self.tr("本机文件（SQLite，单机使用）"), change)
        self.use_sqlite.setObjectName("useSqlite")
        self.use_postgres = QRadioButton(self.tr("数据库服务器（PostgreSQL，多人共用）"), change)
        self.use_postgres.setObjectName("usePostgres")
        group = QButtonGroup(change)
        group.addButton(self.use_sqlite)
        group.addButton(self.use_postgres)
        self.use_sqlite.setChecked(True)
        self.sqlite_path = QLineEdit(change)
        self.sqlite_path.setObjectName("sqlitePath")
        self.sqlite_path.setPlaceholderText(self.tr("例如 D:\\集采\\hospital.db"))
        browse = QPushButton(self.tr("浏览…"), change)
        self.pg_url = QLineEdit(change)
        self.pg_url.setObjectName("postgresUrl")
        self.pg_url.setPlaceholderText(self.tr("postgresql+psycopg://用户:密码@服务器:5432/数据库"))
        self.pg_url.setEnabled(False)
        self.test_button = QPushButton(self.tr("测试连接"), change)
        self.test_button.setObjectName("testConnection")
        self.use_button = QPushButton(self.tr("下次启动时使用此数据库"), change)
        self.use_button.setObjectName("useDatabase")
        self.use_button.setEnabled(False)
        self.check_result = QLabel(change)
        self.check_result.setObjectName("connectionResult")
        self.check_result.setWordWrap(True)
        path_row = QHBoxLayout()
        path_row.addWidget(self.sqlite_path, 1)
        path_row.addWidget(browse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.use_button)
        buttons.addStretch(1)
        form = QFormLayout(change)
        form.addRow(self.use_sqlite)
        form.addRow(self.tr("文件"), path_row)
        form.addRow(self.use_postgres)
        form.addRow(self.tr("连接地址"), self.pg_url)
        form.addRow(buttons)
        form.addRow(self.check_result)

        backup = QGroupBox(self.tr("备份与恢复"), tab)
        self.backup_button = QPushButton(self.tr("立即备份…"), backup)
        self.backup_button.setObjectName("backupNow")
        self.restore_button = QPushButton(self.tr("从备份恢复…"), backup)
        self.restore_button.setObjectName("restoreBackup")
        self.backup_result = QLabel(backup)
        self.backup_result.setObjectName("backupResult")
        self.backup_result.setWordWrap(True)
        b_row = QHBoxLayout()
        b_row.addWidget(self.backup_button)
        b_row.addWidget(self.restore_button)
        b_row.addStretch(1)
        b_layout = QVBoxLayout(backup)
        b_layout.addWidget(QLabel(self.tr("“.zip”为通用备份（可在单机文件和服务器之间迁移）；其他扩展名为 SQLite "
                                          "文件副本。恢复前会保留当前数据的副本。"), backup))
        b_layout.addLayout(b_row)
        b_layout.addWidget(self.backup_result)

        layout = QVBoxLayout(tab)
        layout.addWidget(current)
        layout.addWidget(change)
        layout.addWidget(backup)
        layout.addStretch(1)

        self.use_sqlite.toggled.connect(self._kind_toggled)
        browse.clicked.connect(self._browse_sqlite)
        self.test_button.clicked.connect(self.test_connection)
        self.use_button.clicked.connect(self.use_database)
        self.sqlite_path.textChanged.connect(lambda _t: self.use_button.setEnabled(False))
        self.pg_url.textChanged.connect(lambda _t: self.use_button.setEnabled(False))
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.restore_from_file)
        stored = QSettings().value(DATABASE_KEY)
        if stored:
            from hospital_app.secrets import mask_url

            self.check_result.setText(self.tr("下次启动将使用：%1").replace("%1", mask_url(str(stored))))
        return tab

    def _kind_toggled(self, sqlite: bool) -> None:
        self.sqlite_path.setEnabled(sqlite)
        self.pg_url.setEnabled(not sqlite)
        self.use_button.setEnabled(False)

    def _browse_sqlite(self) -> None:
        path = common.choose_save_file(self, self.tr("选择数据库文件"), self.sqlite_path.text(),
                                       self.tr("数据库文件 (*.db *.sqlite)"))
        if path:
            self.sqlite_path.setText(path)

    def chosen_location(self) -> str:
        return (self.sqlite_path.text() if self.use_sqlite.isChecked() else self.pg_url.text()).strip()

    def test_connection(self) -> None:
        from hospital_app.services.settings_service import test_connection

        location = self.chosen_location()
        self.check_result.setText(self.tr("正在连接…"))
        self.ctx.run(lambda: test_connection(location), self._show_check,
                     lambda exc: self._show_check_error(exc), parent=self)

    def _show_check(self, check) -> None:
        self.last_check = check
        colour = "#1e8449" if check.ok else "#c0392b"
        self.check_result.setStyleSheet(f"color:{colour};")
        self.check_result.setText(check.message)
        self.use_button.setEnabled(check.ok)

    def _show_check_error(self, exc: BaseException) -> None:
        from ui.worker import describe_error

        self.last_check = None
        self.check_result.setStyleSheet("color:#c0392b;")
        self.check_result.setText(describe_error(exc))
        self.use_button.setEnabled(False)

    def use_database(self) -> None:
        location = self.chosen_location()
        if not location or self.last_check is None or not self.last_check.ok:
            return
        from hospital_app.secrets import make_private, mask_url, store_location

        stored, _in_keyring = store_location(location)  # the password goes to the OS keyring, never here
        settings = QSettings()
        settings.setValue(DATABASE_KEY, stored)
        settings.sync()
        make_private(settings.fileName())
        self.check_result.setText(self.tr("已保存。下次启动程序时将打开：%1").replace("%1", mask_url(stored)))

    def backup_now(self) -> None:
        from hospital_app.services import backup

        from ui.widgets.common import documents_dir

        suggested = str(documents_dir().parent / "backups" / common.document_path("备份", ".zip").name)
        path = common.choose_save_file(self, self.tr("备份到"), suggested,
                                       self.tr("通用备份 (*.zip);;SQLite 文件副本 (*.db)"))
        if not path:
            return
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ctx = self.ctx
        self.ctx.run(lambda task: backup.backup(ctx.db, path), self._backed_up,
                     progress=self.tr("正在备份…"), parent=self)

    def _backed_up(self, result) -> None:
        self.last_backup = result
        self.backup_result.setText(self.tr("已备份到 %1（%2 行）。").replace("%1", result.path)
                                   .replace("%2", str(sum(result.tables.values())) if result.tables else "—"))

    def restore_from_file(self) -> None:
        """Replace all data with a backup — destructive, so it asks first."""
        from hospital_app.services import backup

        path = common.choose_open_file(self, self.tr("选择备份文件"),
                                       self.tr("备份文件 (*.zip *.db *.sqlite);;所有文件 (*)"))
        if not path:
            return
        if not common.ask(self, self.tr("从备份恢复"),
                          self.tr("恢复将用备份“%1”替换当前数据库中的全部数据。当前数据会先保留一份副本。\n\n"
                                  "确定恢复吗？").replace("%1", path)):
            return
        location = self.ctx.db_location
        self.ctx.run(lambda task: backup.restore(location, path), self._restored,
                     progress=self.tr("正在恢复…"), parent=self)

    def _restored(self, result) -> None:
        self.backup_result.setText(self.tr("已从 %1 恢复。原数据副本：%2").replace("%1", result.source)
                                   .replace("%2", result.kept_copy or "—"))
        self.ctx.notify("all")

    # ================================================================ language
    def _build_language(self) -> QWidget:
        tab = QWidget(self)
        self.language = QComboBox(tab)
        self.language.setObjectName("languageChoice")
        self.language.addItem("中文（简体）", "zh")
        self.language.addItem("English", "en")
        self.language_note = QLabel(tab)
        self.language_note.setWordWrap(True)
        apply = QPushButton(self.tr("应用"), tab)
        apply.setObjectName("applyLanguage")
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("界面语言"), tab))
        row.addWidget(self.language)
        row.addWidget(apply)
        row.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.language_note)
        layout.addStretch(1)
        apply.clicked.connect(self.apply_language)
        return tab

    def apply_language(self) -> None:
        """Remember the language (QSettings for the next start, the ui_language setting) and
        switch the core's messages and Qt's translator now; open windows finish switching on restart."""
        from hospital_app import settings as registry

        from ui.app import install_translator

        lang = self.language.currentData()
        QSettings().setValue(LANGUAGE_KEY, lang)
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            install_translator(app, lang)
        self.ctx.lang = lang
        self.ctx.change(lambda s: registry.set_value(s, "ui_language", lang), parent=self)
        self.language_note.setText(self.tr("已保存。新语言在重新启动程序后完整生效。"))
