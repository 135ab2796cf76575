"""`settings list [--json]` · `settings set KEY VALUE` (CLI.md version 2): every policy value
and the hospital's identity (hospital.name, hospital.department, hospital.responsible,
hospital.contact) that every document prints (R19)."""

from __future__ import annotations

from decimal import Decimal

from hospital_app.cli.commands._base import leaf
from hospital_app.i18n import tr


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return tr("是", "yes") if value else tr("否", "no")
    return str(value)


def _json_value(value):
    return str(value) if isinstance(value, Decimal) else value


def cmd_list(ctx, args) -> int:
    from hospital_app.services.settings_service import list_settings

    with ctx.db.session() as s:
        rows = list_settings(s)
    if args.json:
        ctx.out_json([{"key": r.key, "label": r.label, "type": r.kind, "value": _json_value(r.value),
                       "default": _json_value(r.default), "is_default": r.is_default, "policy": r.policy}
                      for r in rows])
        return 0
    width = max(len(r.key) for r in rows)
    for r in rows:
        mark = "" if r.is_default else tr("（已修改）", " (changed)")
        ctx.out(f"{r.key.ljust(width)}  {_text(r.value)}{mark}  — {r.label}")
    return 0


def cmd_set(ctx, args) -> int:
    from hospital_app.services.settings_service import save_settings

    with ctx.db.session() as s:
        rows = save_settings(s, {args.key: args.value})
    from hospital_app import settings

    row = next(r for r in rows if r.key == settings.canonical(args.key))
    ctx.out(tr("已设置 {k}（{l}）= {v}", "Set {k} ({l}) = {v}", k=row.key, l=row.label, v=_text(row.value)))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("settings", help=tr("设置（政策参数与医院信息）", "settings (policy values, hospital identity)"))
    ssub = p.add_subparsers(dest="settings_command", metavar="SUBCOMMAND", required=True)
    lst = leaf(ssub, common, "list", "列出全部设置", "list every setting", cmd_list, reads=True)
    lst.add_argument("--json", action="store_true")
    st = leaf(ssub, common, "set", "修改一项设置", "change one setting", cmd_set)
    st.add_argument("key")
    st.add_argument("value")
