"""`gui`: start the desktop app (also the default with no command)."""

from __future__ import annotations

from hospital_app.cli.commands._base import leaf


def run_gui(ctx, args) -> int:
    # Imported here: the core never imports Qt at module level (STYLE.md layering).
    import os

    from ui.app import run

    # Without --db or $HOSPITAL_APP_DB the GUI may use the location chosen in its settings.
    return run(db_location=ctx.db_arg or os.environ.get("HOSPITAL_APP_DB"), as_of=ctx.as_of, lang=ctx.lang,
               smoke=getattr(args, "smoke", False), screenshot=getattr(args, "screenshot", None),
               page=getattr(args, "page", None))


def register(sub, common) -> None:
    p = leaf(sub, common, "gui", "启动桌面程序", "start the desktop app", run_gui)
    p.add_argument("--smoke", action="store_true", help="open, wait until idle, print 'ready <ms>', exit")
    p.add_argument("--screenshot", metavar="FILE.png")
    p.add_argument("--page", choices=["dashboard", "products", "purchases", "issues", "volumes", "departments",
                                      "reports", "settings"])
