"""Issue 18: one vocabulary (docs/GLOSSARY.md) and no rule ids, login names or placeholders in
anything a user sees — every document (PDF text via pypdf) and export of the sample data, and
every Chinese string of the GUI's source (the labels its pages show)."""

from __future__ import annotations

import ast
import getpass
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import ROOT
from tests.services.sample_docs import copy, sample_db  # noqa: F401 - fixture

RULE_ID = re.compile(r"(?<![A-Za-z0-9])R(?:[1-9]|1[0-9]|2[01])(?![0-9])")
FORBIDDEN = ("（未设置", "（请选择）", "(hospital name not set)")


def retired_terms() -> list[str]:
    """The first column of the “Retired” table of docs/GLOSSARY.md."""
    text = (ROOT / "docs" / "GLOSSARY.md").read_text(encoding="utf-8")
    section = text.split("## Retired", 1)[1]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("|")]
    return [r for r in rows[2:] if r]  # after the header and its rule


def problems(text: str) -> list[str]:
    found = [t for t in retired_terms() if t in text]
    found += [f for f in FORBIDDEN if f in text]
    found += RULE_ID.findall(text)
    login = getpass.getuser()
    if re.search(rf"(?<![A-Za-z]){re.escape(login)}(?![A-Za-z])", text):
        found.append(login)
    return found


def test_glossary_lists_the_retired_terms_of_issue_18():
    """GIVEN docs/GLOSSARY.md THEN its retired table holds the terms issue 18 names."""
    retired = retired_terms()
    for term in ("未启动", "尚未采购", "进度要求", "完成率", "空月"):
        assert term in retired


def _pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                     if c is not None)


@pytest.fixture(scope="module")
def documents_of_the_sample(sample_db, tmp_path_factory):
    """Every document and export of the sample data, plus an issue still open in August."""
    from db.session import open_database
    from hospital_app.services import documents, supply_issues
    from tests.services.sample_docs import _cli_runner, _product_id

    folder = tmp_path_factory.mktemp("glossary")
    own = folder / "own.db"
    own.write_bytes(Path(sample_db).read_bytes())
    db = open_database(str(own))
    out: dict[str, Path] = {}
    try:
        with db.session() as s:
            pid = _product_id(s, "苯磺酸氨氯地平片")
            open_issue = supply_issues.add_issue(s, pid, "late_delivery", datetime(2025, 8, 1, 10, 0),
                                                 description="配送延迟", who="王药师", as_of=date(2025, 8, 1))
            for key in ("2025", "2025Q2", "2025-06"):
                out[f"self-check {key}"] = folder / f"sc-{key}.pdf"
                documents.make_self_check(s, key, out[f"self-check {key}"], date(2026, 1, 5))
            out["complaint"] = folder / "complaint.pdf"
            documents.make_complaint(s, open_issue.id, out["complaint"], date(2025, 8, 20))
            out["escalation"] = folder / "escalation.pdf"
            documents.make_escalation(s, open_issue.id, out["escalation"], date(2025, 8, 20))
            for suffix in ("pdf", "xlsx"):
                out[f"notes {suffix}"] = folder / f"notes.{suffix}"
                documents.make_notes(s, out[f"notes {suffix}"], date(2026, 1, 5))
    finally:
        db.dispose()
    out["progress xlsx"] = folder / "progress.xlsx"
    r = _cli_runner()("--db", own, "--as-of", "2025-06-30", "export", "progress", "--out", out["progress xlsx"])
    assert r.code == 0, r
    return out


def test_no_document_or_export_uses_a_retired_term_a_rule_id_or_a_login(documents_of_the_sample):
    """GIVEN every document of the sample data (self-checks for a year, a quarter and a month, the
    complaint form, the escalation letter, the notes as PDF and xlsx, the progress workbook)
    THEN none contains a retired term, a rule id R1–R21, the login name, “（未设置” or “（请选择）”."""
    found = {}
    for name, path in documents_of_the_sample.items():
        text = _pdf_text(path) if path.suffix == ".pdf" else _xlsx_text(path)
        assert text.strip(), name
        if problems(text):
            found[name] = problems(text)
    assert found == {}


def _gui_strings() -> list[tuple[str, int, str]]:
    """Every string literal with Chinese text in ui/ (what the pages, dialogs and charts show)."""
    out = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        statements = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in statements \
                    and re.search(r"[\u4e00-\u9fff]", node.value):
                out.append((str(path.relative_to(ROOT)), node.lineno, node.value))
    return out


def test_gui_labels_use_the_glossary_and_no_rule_ids():
    """GIVEN every Chinese string of the GUI's source THEN none uses a retired term or a rule id."""
    bad = [(f, n, s) for f, n, s in _gui_strings() if problems(s)]
    assert bad == []


def test_every_pdf_embeds_every_font_it_uses(documents_of_the_sample):
    """GIVEN every PDF document of the sample data WHEN its fonts are read THEN each one carries its
    font program (no unembedded standard font such as Helvetica): it prints the same anywhere."""
    from tests.services.test_documents import embedded_fonts

    for name, path in documents_of_the_sample.items():
        if path.suffix == ".pdf":
            assert embedded_fonts(path) == {"WenQuanYiMicroHei-0"}, name
