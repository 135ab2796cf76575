"""Commands that only read run without the cyclic garbage collector after start-up (issue 21,
``Context.reads_only``); every other command keeps it, and it is back on when a command ends."""

from __future__ import annotations

import gc

import pytest

from tests.gc_spy import gc_states

from hospital_app.cli.main import build_parser
from hospital_app.errors import BadInput

READS = [["progress", "--json"], ["alerts", "--json"], ["payments", "--json"],
         ["calendar", "is-workday", "2025-06-09"], ["indicators", "--json"], ["suppliers"],
         ["orders", "stats"], ["issues", "list"], ["volume-check"], ["departments"]]
WRITES = [["payments", "record", "PO-1", "--paid-on", "2025-06-01"], ["import", "purchases", "x.xlsx"],
          ["issues", "add", "--product", "1", "--type", "shortage", "--reported-at", "2025-06-20T09:00"],
          ["report", "self-check", "--period", "2025Q2", "--out", "x.pdf"], ["demo"], ["backup", "--out", "b.db"],
          ["indicators", "compare", "bureau.xlsx"]]


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_read_commands_are_marked_as_reading(argv):
    """GIVEN a command that only reads and prints WHEN parsed THEN it is marked ``reads_only``."""
    assert build_parser()[0].parse_args(argv).reads_only is True


@pytest.mark.parametrize("argv", WRITES, ids=" ".join)
def test_writing_commands_and_documents_are_not_marked(argv):
    """GIVEN a command that writes (a payment, an import, a supply issue, a document, a backup) or
    reads a workbook WHEN parsed THEN it is not marked, also when its parent command is
    (``payments record`` under ``payments``, ``indicators compare`` under ``indicators``)."""
    assert build_parser()[0].parse_args(argv).reads_only is False


def test_a_read_command_runs_without_the_collector_and_restores_it(db_path, db, run_cli, monkeypatch):
    """GIVEN ``progress --json`` WHEN it runs THEN its work runs with the collector off (after
    start-up) and the collector is on again once the command has returned."""
    import hospital_app.services.progress as progress

    seen = gc_states(monkeypatch, progress, "compute_progress")
    assert gc.isenabled()
    result = run_cli("--db", db_path, "--as-of", "2025-06-30", "progress", "--json")
    assert result.code == 0, result
    assert seen == [False]
    assert gc.isenabled()


def test_a_writing_command_keeps_the_collector_also_when_refused(db_path, db, run_cli, monkeypatch):
    """GIVEN ``payments record`` (refused here by its service) WHEN it runs THEN its work runs
    with the collector on, and it is on after the refusal."""
    import hospital_app.services.payments as payments

    seen = []

    def refuse(*args, **kwargs):
        seen.append(gc.isenabled())
        raise BadInput("refused")

    monkeypatch.setattr(payments, "record_payment", refuse)
    result = run_cli("--db", db_path, "--as-of", "2025-06-30", "payments", "record", "PO-1", "--paid-on",
                     "2025-06-01")
    assert result.code == 3, result
    assert seen == [True]
    assert gc.isenabled()


def test_a_failing_read_command_restores_the_collector(db_path, db, run_cli, monkeypatch):
    """GIVEN ``alerts`` failing inside its service WHEN it runs THEN the failure is reported (exit
    1, no traceback) and the collector is on again afterwards."""
    import hospital_app.services.alerts as alerts

    seen = []

    def broken(*args, **kwargs):
        seen.append(gc.isenabled())
        raise RuntimeError("broken")

    monkeypatch.setattr(alerts, "collect_alerts", broken)
    result = run_cli("--db", db_path, "--as-of", "2025-06-30", "alerts", "--json")
    assert result.code == 1 and "Traceback" not in result.err, result
    assert seen == [False]
    assert gc.isenabled()
