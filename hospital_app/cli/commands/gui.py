"""`gui`: start the desktop app (also the default with no command)."""

from __future__ import annotations

from hospital_app.i18n import tr

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
    p.add_argument("--smoke", action="store_true",
                   help=tr("打开窗口，显示首帧时输出 first-frame <毫秒>，数据就绪时输出 ready <毫秒>，然后退出",
                           "open, print 'first-frame <ms>' at the first frame and 'ready <ms>' once the "
                           "figures are shown, exit"))
    p.add_argument("--screenshot", metavar="FILE.png",
                   help=tr("打开首个页面，数据就绪后把窗口（1366×768）存为 PNG 图片，然后退出",
                           "open the first page, save the window (1366×768) as a PNG once its data is shown, and quit"))
    # The pages are those of ui/main_window.PAGES (checked when the window starts: no Qt import here).
    p.add_argument("--page", metavar="PAGE", help=tr("首先显示的页面", "the page to show first"))
