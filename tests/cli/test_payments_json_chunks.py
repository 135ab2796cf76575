"""`payments --json` writes its rows a chunk at a time (issue 21): the text is the same as one dump."""

from __future__ import annotations

import contextlib
import io
from datetime import date

import pytest

from hospital_app.cli.commands.payments import _out_json_list
from hospital_app.cli.context import dumps


@pytest.mark.parametrize("n", [0, 1, 3, 4, 7])
def test_chunked_json_is_the_same_text_as_one_dump(n):
    """GIVEN n payment rows (dates, Chinese names, nulls) and chunks of 3 rows
    WHEN they are written chunk by chunk
    THEN stdout holds exactly the one-piece JSON array and a newline (R5 rows, CLI.md)."""
    def rows():  # every payments row has its due date (R5)
        return [{"order_no": f"PO-{i}", "company": "国药控股", "accepted_on": date(2025, 1, 31), "amount": "12.50",
                 "due": date(2025, 2, 28), "paid_on": date(2025, 2, 20) if i % 3 == 0 else None,
                 "overdue": i % 2 == 0} for i in range(n)]

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _out_json_list(rows(), chunk=3)
    assert buf.getvalue() == dumps(rows()) + "\n"
