"""Usage errors in the user's language (issue 20): argparse's own English is translated, exit code 2."""

from __future__ import annotations

import re


def test_missing_arguments_in_chinese(run_cli, db_path):
    """GIVEN `issues add` without its required options WHEN run in Chinese THEN stderr says 用法： and
    缺少必需的参数 naming the options, with no English sentence, and the exit code is 2."""
    r = run_cli("--db", str(db_path), "issues", "add")
    assert r.code == 2
    assert r.err.startswith("用法：")
    assert "用法错误：缺少必需的参数：" in r.err
    assert "the following arguments are required" not in r.err and "usage:" not in r.err


def test_unknown_option_and_bad_choice_in_chinese(run_cli, db_path):
    """GIVEN an unknown option, and a choice outside the list WHEN run THEN 无法识别的参数 / 无效的选项 (exit 2)."""
    r = run_cli("--db", str(db_path), "progress", "--bogus")
    assert r.code == 2 and "用法错误：无法识别的参数：--bogus" in r.err
    r = run_cli("--db", str(db_path), "--lang", "zh", "progress", "--lang", "fr")
    assert r.code == 2 and re.search(r"参数 --lang：无效的选项 'fr'（可选：'zh', 'en'）", r.err)


def test_help_headings_in_chinese_and_english(run_cli):
    """GIVEN --help WHEN Chinese THEN 用法： / 选项 / 显示帮助并退出; WHEN --lang en THEN argparse's English."""
    r = run_cli("demo", "--help")
    assert r.code == 0 and r.out.startswith("用法：") and "显示帮助并退出" in r.out and "options" not in r.out
    r = run_cli("--lang", "en", "demo", "--help")
    assert r.code == 0 and r.out.startswith("usage: ") and "show this help message and exit" in r.out
