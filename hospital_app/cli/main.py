"""``hospital-app``: the command-line front end (docs/CLI.md).

A thin layer: parse, call a service, print. Errors are typed (hospital_app.errors)
and mapped to exit codes 0/1/2/3/4 with a message in the user's language; a
traceback only with ``--debug`` (and always in the log file).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date

from hospital_app import i18n
from hospital_app.errors import AppError, BadInput, map_database_error
from hospital_app.i18n import tr

PROCESS_START = time.perf_counter()
log = logging.getLogger("hospital_app")

# Command modules in help order; each has register(subparsers, common).
COMMAND_MODULES = (
    "core",         # init, demo
    "gui",          # gui
    "calendar",     # calendar due / is-workday / set / list
    "imports",      # import
    "progress",     # progress
    "alerts",       # alerts
    "manage",       # exemptions, substitutes, marks, suspension, batch overrides
    "issues",       # issues add / reply / resolve / close / escalate / list
    "orders",       # orders stats
    "suppliers",    # suppliers (R4 scorecard)
    "indicators",   # indicators, indicators compare (R20)
    "retention",    # retention (R18)
    "payments",     # payments
    "prepayment",   # prepayment (R15)
    "volumes",      # volume-check, notes
    "report",       # report self-check / complaint / escalation / notes
    "settings_cmd", # settings list / set
    "export",       # export progress
    "maintenance",  # backup / restore / check / users
    "departments",  # departments, departments list / rename / merge (R21)
)


#: argparse's own messages (Python 3.10–3.13) → Chinese; ``{0}``… are the pattern's groups.
_ARGPARSE_ZH = (
    (r"the following arguments are required: (.+)", "缺少必需的参数：{0}"),
    (r"unrecognized arguments: (.+)", "无法识别的参数：{0}"),
    (r"one of the arguments (.+) is required", "参数 {0} 必须提供其中之一"),
    (r"ambiguous option: (\S+) could match (.+)", "选项 {0} 有歧义，可能是：{1}"),
    (r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)", "参数 {0}：无效的选项 {1}（可选：{2}）"),
    (r"argument (.+?): invalid (\S+) value: (.+)", "参数 {0}：无效的值 {2}"),
    (r"argument (.+?): expected one argument", "参数 {0}：需要一个值"),
    (r"argument (.+?): expected at most one argument", "参数 {0}：最多一个值"),
    (r"argument (.+?): expected at least one argument", "参数 {0}：至少一个值"),
    (r"argument (.+?): expected (\d+) arguments?", "参数 {0}：需要 {1} 个值"),
    (r"argument (.+?): not allowed with argument (.+)", "参数 {0} 不能与 {1} 同时使用"),
    (r"argument (.+?): ignored explicit argument (.+)", "参数 {0}：不接受值 {1}"),
    (r"argument (.+?): (.+)", "参数 {0}：{1}"),  # our own ArgumentTypeError messages are Chinese already
)


def translate_usage_error(message: str) -> str:
    """An argparse error message in the user's language (argparse itself speaks English only)."""
    import re

    if i18n.language() == "en":
        return message
    for pattern, chinese in _ARGPARSE_ZH:
        match = re.fullmatch(pattern, message, flags=re.DOTALL)
        if match:
            return chinese.format(*match.groups())
    return message


class HelpFormatter(argparse.HelpFormatter):
    """``usage:`` in the user's language."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[override]
        if prefix is None:
            prefix = tr("用法：", "usage: ")
        super().add_usage(usage, actions, groups, prefix)


class ArgParser(argparse.ArgumentParser):
    """argparse with usage, help headings and usage errors in the user's language; exit code 2
    as CLI.md says."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = tr("位置参数", "positional arguments")
        self._optionals.title = tr("选项", "options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = tr("显示帮助并退出", "show this help message and exit")

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(tr("用法错误：{m}\n", "Usage error: {m}\n", m=translate_usage_error(message)))
        raise SystemExit(2)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("日期格式应为 YYYY-MM-DD：{t}", "date must be YYYY-MM-DD: {t}", t=text)) from None


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", default=default, metavar="URL_OR_PATH",
                        help=tr("数据库：SQLAlchemy URL 或 SQLite 文件路径", "database URL or SQLite file"))
    parser.add_argument("--as-of", dest="as_of", type=parse_date, default=default, metavar="YYYY-MM-DD",
                        help=tr("计算所用的“今天”", "the 'today' of every computation"))
    parser.add_argument("--lang", choices=["zh", "en"], default=default,
                        help=tr("输出语言", "output language"))
    parser.add_argument("--debug", action="store_true", default=default,
                        help=tr("出错时显示技术细节", "show technical details on errors"))


def build_parser() -> tuple[ArgParser, argparse.ArgumentParser]:
    import importlib

    parser = ArgParser(prog="hospital-app",
                       description=tr("集采执行助手", "VBP execution assistant"))
    _global_options(parser, suppress=False)
    # Global options are accepted after the command too ("hospital-app init --db X").
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgParser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"hospital_app.cli.commands.{name}")
        module.register(sub, common)
    return parser, common


def _setup_logging(debug: bool) -> str | None:
    """A rotating log file in the user's log directory; never fails the command."""
    from logging.handlers import RotatingFileHandler

    from hospital_app import paths

    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return None
    try:
        path = paths.log_dir() / "hospital-app.log"
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from hospital_app.secrets import MaskingFilter

    handler.addFilter(MaskingFilter())  # no password reaches the log (issue 23 §5)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return str(path)


def _print_error(exc: AppError) -> None:
    from hospital_app.secrets import mask_text

    listed = isinstance(exc, BadInput) and len(exc.problems) > 1
    # An import's headline repeats its first problem, which the list below prints again.
    headline = getattr(exc, "summary", None) if listed else None
    text = headline or exc.message
    file = (exc.file or next((p.file for p in exc.problems if p.file), None)) if isinstance(exc, BadInput) else None
    if not listed:  # say which file, always, and where in it when known (a damaged sheet, a long cell)
        p = exc.problems[0] if isinstance(exc, BadInput) and exc.problems else None
        where = [part for part in (
            file and file not in text and tr("文件“{v}”", "File '{v}'", v=file),
            p and p.sheet and p.sheet not in text and tr("工作表“{v}”", "sheet '{v}'", v=p.sheet),
            p and p.row and tr("第 {v} 行", "row {v}", v=p.row),
            p and p.column and tr("列“{v}”", "column '{v}'", v=p.column)) if part]
        if where:
            text = tr("，", ", ").join(where) + tr("：", ": ") + text
    sys.stderr.write(tr("错误：", "Error: ") + mask_text(text) + "\n")
    if listed:
        for p in exc.problems:
            where = ", ".join(
                part for part in (
                    p.file and tr("文件 {v}", "file {v}", v=p.file),
                    p.sheet and tr("工作表 {v}", "sheet {v}", v=p.sheet),
                    p.row and tr("第 {v} 行", "row {v}", v=p.row),
                    p.column and tr("列“{v}”", "column '{v}'", v=p.column),
                ) if part)
            sys.stderr.write(mask_text(f"  - {where}: {p.message}\n" if where else f"  - {p.message}\n"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Language first, so that even usage errors speak it.
    lang = None
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif a.startswith("--lang="):
            lang = a.split("=", 1)[1]
    i18n.set_language(i18n.detect_language(lang))

    parser, _common = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2) or --help (0)
        return int(exc.code or 0)
    debug = bool(getattr(args, "debug", False))
    log_path = _setup_logging(debug)

    from hospital_app.cli.context import Context

    ctx = Context(db_arg=getattr(args, "db", None), as_of=getattr(args, "as_of", None) or date.today(),
                  lang=i18n.language(), debug=debug, reads_only=bool(getattr(args, "reads_only", False)))
    handler = getattr(args, "handler", None)
    if handler is None:  # no command: the desktop app (CLI.md)
        from hospital_app.cli.commands.gui import run_gui

        handler = run_gui
        args.smoke, args.screenshot, args.page = False, None, None
    try:
        from hospital_app.cli.dates import check_dates

        check_dates(args)  # impossible dates exit 3, far ones are warned about (issue 23 §11/§14)
        result = handler(ctx, args)
        return int(result or 0)
    except AppError as exc:
        log.info("refused: %s", exc.message, exc_info=debug)
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(tr("已取消。\n", "Cancelled.\n"))
        return 1
    except BrokenPipeError:
        # Output piped into `head` and the reader went away: not a failure worth a message.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        mapped = map_database_error(exc)
        if mapped is not None:
            _print_error(mapped)
            return mapped.exit_code
        log.exception("unexpected failure in %s", getattr(args, "command", None))
        if debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(tr("发生意外错误：{e}\n", "Unexpected error: {e}\n", e=type(exc).__name__))
        if log_path:
            sys.stderr.write(tr("详细信息已写入日志：{p}\n", "Details are in the log: {p}\n", p=log_path))
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
