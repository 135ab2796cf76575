"""Pausing the cyclic garbage collector around large reads (issue 21, ``services.gc_pause``):
off inside, on again after — also after an error, when nested, and when blocks of two threads
overlap — and the dashboard's job runs inside such a block."""

from __future__ import annotations

import gc
import threading
from datetime import date

import pytest

from tests.gc_spy import gc_states

from hospital_app.services.gc_pause import paused


def test_the_collector_is_off_inside_and_on_after_also_after_an_error_and_nested():
    """GIVEN the collector on WHEN a block runs, raises, or holds another block THEN it is off
    inside every block and on after the outer one ends (the inner one leaves it off)."""
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off: it leaves it off
    assert gc.isenabled()
    with pytest.raises(LookupError):
        with paused():
            raise LookupError
    assert gc.isenabled()


@pytest.mark.parametrize("order", ["first out first", "last out first"])
def test_overlapping_blocks_of_two_threads_leave_the_collector_on(order):
    """GIVEN two threads whose blocks overlap (B enters while A is inside) WHEN they leave in
    either order THEN the collector is on once both have left."""
    a_in, b_in, a_go, b_go, b_out = (threading.Event() for _ in range(5))

    def a():
        with paused():
            a_in.set()
            a_go.wait(5)

    def b():
        a_in.wait(5)
        with paused():
            b_in.set()
            b_go.wait(5)
        b_out.set()

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    assert b_in.wait(5)
    assert not gc.isenabled()
    first, second = (a_go, b_go) if order == "first out first" else (b_go, a_go)
    first.set()
    if order == "last out first":
        assert b_out.wait(5)
    second.set()
    ta.join(5)
    tb.join(5)
    assert gc.isenabled()


def test_the_dashboard_job_runs_with_the_collector_paused(db, monkeypatch):
    """GIVEN a database WHEN the dashboard's job runs THEN progress is computed with the collector
    off, and it is on again when the job has returned."""
    import hospital_app.services.progress as progress
    from ui.pages.dashboard import load_dashboard

    seen = gc_states(monkeypatch, progress, "compute_progress")
    with db.session() as s:
        load_dashboard(s, date(2025, 6, 30))
    assert seen == [False]
    assert gc.isenabled()
