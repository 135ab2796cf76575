"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from datetime import date, datetime

from hospital_app.i18n import tr


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("日期应为 YYYY-MM-DD：{t}", "date must be YYYY-MM-DD: {t}", t=text)) from None


def datetime_arg(text: str) -> datetime:
    """CLI.md: YYYY-MM-DDTHH:MM or YYYY-MM-DD HH:MM, local time (seconds allowed)."""
    t = text.strip().replace(" ", "T", 1)
    try:
        value = datetime.fromisoformat(t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("时间应为 YYYY-MM-DDTHH:MM：{t}", "time must be YYYY-MM-DDTHH:MM: {t}", t=text)) from None
    if value.tzinfo is not None:  # stored as naive local time (Asia/Shanghai)
        from hospital_app.importers.values import local_naive

        value = local_naive(value)
    return value


def leaf(sub, common, name: str, help_zh: str, help_en: str, handler, *,
         reads: bool = False) -> argparse.ArgumentParser:
    """A command parser that also accepts the global options after the command. ``reads``: the
    command only reads the database and prints or writes a small file (``Context.reads_only``);
    a subcommand (``payments record``) has its own."""
    p = sub.add_parser(name, parents=[common], help=tr(help_zh, help_en))
    p.set_defaults(handler=handler, reads_only=reads)
    return p


def require_xlsx(path) -> None:
    """An ``--out`` that must be a workbook: anything else is bad input (exit 3)."""
    from hospital_app.errors import BadInput

    if not str(path).lower().endswith(".xlsx"):
        raise BadInput(tr("输出文件应以 .xlsx 结尾：{p}", "The output file must end in .xlsx: {p}", p=path))


@contextmanager
def writing(path):
    """Writing ``path``: an OS refusal (full disk, no folder, no permission) is bad input, exit 3."""
    from hospital_app.errors import BadInput

    try:
        yield
    except OSError as exc:
        raise BadInput(tr("无法写入文件 {p}：{e}", "Cannot write {p}: {e}", p=path, e=exc.strerror or exc)) from None
