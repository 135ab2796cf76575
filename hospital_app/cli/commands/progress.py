"""`progress [--batch NAME] [--json|--csv]` (R7/R8/R9): every selected product, current agreement period."""

from __future__ import annotations

import unicodedata

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr

#: CSV/JSON column order (CLI.md ``progress --json`` row keys).
KEYS = ("product_id", "batch", "generic_name", "dosage_form", "spec", "manufacturer", "unit",
        "period_start", "period_end", "agreed_volume", "target_to_date", "purchased", "completion",
        "schedule", "status", "shortfall", "nonselected_share", "flags",
        "remaining", "over_purchase", "period_days_left", "lag_reason", "failed_reasons")


def display_width(text: str) -> int:
    """Terminal columns of a text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    """A plain text table aligned by display width (Chinese-friendly)."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - display_width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def pct(value) -> str:
    from hospital_app.domain.status import percent_text

    return percent_text(value, none="-")


def cmd_progress(ctx, args) -> int:
    from hospital_app.domain.status import flag_label, status_label
    from hospital_app.services.progress import compute_progress

    with ctx.db.session() as s:
        report = compute_progress(s, ctx.as_of, batch=args.batch)
        if args.json:
            ctx.out_json(_with_top_departments(s, report, ctx.as_of))
            return 0
    dicts = [r.as_dict() for r in report.rows]
    if args.csv:
        ctx.out_csv(list(KEYS), [[";".join(d[k]) if k in ("flags", "failed_reasons") else d[k] for k in KEYS]
                                 for d in dicts])
        return 0
    ctx.out(tr("执行进度（截至 {d}，当前协议期）", "Progress as of {d} (current agreement period)",
               d=ctx.as_of.isoformat()))
    if not dicts:
        ctx.out(tr("没有处于当前协议期的中选产品。", "No selected product is in a current agreement period."))
        return 0
    headers = [tr("产品ID", "ID"), tr("通用名", "Generic name"), tr("规格", "Spec"),
               tr("生产企业", "Manufacturer"), tr("协议期", "Period"), tr("约定量", "Agreed"),
               tr("应完成", "Target"), tr("已采购", "Purchased"), tr("完成进度", "Completion"),
               tr("序时进度", "Schedule"), tr("状态", "Status"), tr("缺口", "Shortfall"),
               tr("非中选占比", "Non-selected"), tr("标记", "Flags")]
    rows = [[str(d["product_id"]), d["generic_name"] or "", d["spec"] or "", d["manufacturer"] or "",
             f"{d['period_start']}~{d['period_end']}", str(d["agreed_volume"]), str(d["target_to_date"]),
             str(d["purchased"]), pct(d["completion"]), pct(d["schedule"]), status_label(d["status"]),
             str(d["shortfall"]), pct(d["nonselected_share"]),
             tr("、", ", ").join(flag_label(f) for f in d["flags"])] for d in dicts]
    for line in render_table(headers, rows, right={0, 5, 6, 7, 8, 9, 11, 12}):
        ctx.out(line)
    ctx.out(tr("共 {n} 个产品。", "{n} product(s).", n=len(rows)))
    return 0


def _with_top_departments(session, report, as_of) -> dict:
    """progress JSON + ``top_departments`` per row (R21): the departments behind its lag or
    its non-selected share (``services.departments``), [] when none."""
    from hospital_app.services.departments import top_departments_by_product

    doc = report.as_dict()
    top = top_departments_by_product(session, report.rows, as_of)
    for row in doc["rows"]:
        row["top_departments"] = top.get(row["product_id"], [])
    return doc


def register(sub, common) -> None:
    p = leaf(sub, common, "progress", "执行进度", "progress per selected product", cmd_progress, reads=True)
    p.add_argument("--batch", help=tr("只看这个批次", "only this batch"))
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
