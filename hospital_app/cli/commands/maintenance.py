"""`backup`, `restore`, `check`, `users add|list|passwd|disable` (issue 11).

Exit codes (CLI.md): ``check`` exits 0 when everything is fine and **3** when it
finds damage or broken rules (the stored data is bad input; it writes nothing);
4 when it is refused (locked database, no permission). ``restore FILE`` works
without questions when stdin is not a terminal (scripts); at a terminal it asks
for confirmation unless ``--yes``. It always keeps a copy of what it replaces.

Shared mode (the database has users): log in with the environment variables
``HOSPITAL_APP_USER`` / ``HOSPITAL_APP_PASSWORD`` (see cli/session_start.py).
New passwords come from a hidden prompt or ``--password-stdin`` — never from a
command-line argument (other users could read it in the process list).
"""

from __future__ import annotations

import getpass
import sys

from hospital_app.cli.commands._base import leaf
from hospital_app.errors import BadInput
from hospital_app.i18n import tr


# ------------------------------------------------------------------ backup / restore / check


def cmd_backup(ctx, args) -> int:
    from hospital_app.services.backup import backup

    result = backup(ctx.db, args.out)
    if args.json:
        ctx.out_json(result.as_dict())
    else:
        ctx.out(tr("备份已写入：{p}", "Backup written to {p}", p=result.path))
        if result.without_users:
            ctx.out(tr("（不含用户账户：只有管理员可以做完整备份。）",
                       "(Without the user accounts: only an administrator can take a full backup.)"))
    return 0


def _require_admin_if_shared(ctx) -> None:
    from hospital_app.services import users

    with ctx.db.read_session() as s:
        users.require_admin_if_shared(s, None, "只有管理员可以恢复共享数据库。",
                                      "Only an administrator can restore a shared database.")


def _confirmed(ctx, args) -> bool:
    if args.yes or sys.stdin is None or not sys.stdin.isatty():
        return True
    answer = input(tr("将用备份替换 {loc} 的全部数据（当前数据会另存一份）。继续吗？[y/N] ",
                      "This replaces all data of {loc} with the backup (the current data is kept as a "
                      "copy). Continue? [y/N] ", loc=ctx.db.location))
    return answer.strip().lower() in {"y", "yes", "是"}


def cmd_restore(ctx, args) -> int:
    from hospital_app.services.backup import restore

    _require_admin_if_shared(ctx)
    if not _confirmed(ctx, args):
        ctx.out(tr("已取消，未做任何更改。", "Cancelled; nothing was changed."))
        return 1
    ctx.close()  # restore opens the target itself
    result = restore(ctx.db_location, args.file)
    if args.json:
        ctx.out_json(result.as_dict())
        return 0
    ctx.out(tr("已从 {s} 恢复到 {t}（{n} 行）。", "Restored {t} from {s} ({n} rows).",
               s=result.source, t=result.target, n=sum(result.tables.values())))
    if result.kept_copy:
        ctx.out(tr("原有数据已另存为：{p}", "The previous data was kept as: {p}", p=result.kept_copy))
    return 0


def check_label(name: str) -> str:
    """A check's name for people (``check --json`` keeps the codes): the Chinese output listed
    "integrity, foreign_keys, schema_revision …"."""
    return {"integrity": tr("文件完整性", "file integrity"), "foreign_keys": tr("数据引用", "references"),
            "schema_revision": tr("结构版本", "schema revision"), "invariants": tr("数据一致性", "consistency"),
            "audit_chain": tr("审计日志链", "audit log chain"),
            "row_digests": tr("数据防篡改校验", "tamper check")}.get(name, name)


def cmd_check(ctx, args) -> int:
    from db.session import open_database
    from hospital_app.services.backup import check

    # Not migrated and no log-in: check must also work on a damaged or old file.
    db = open_database(ctx.db_location, migrate=False)
    try:
        report = check(db)
    finally:
        db.dispose()
    if args.json:
        ctx.out_json(report.as_dict())
    elif report.ok:
        ctx.out(tr("检查通过：{loc}（{c}）", "Check passed: {loc} ({c})", loc=report.location,
                   c=tr("、", ", ").join(check_label(c) for c in report.checks)))
    if not report.ok:
        sys.stderr.write(tr("数据库检查发现 {n} 个问题：{loc}\n", "The check found {n} problem(s): {loc}\n",
                            n=len(report.problems), loc=report.location))
        for p in report.problems:
            sys.stderr.write(f"  - {p.message}\n")
        return 3
    return 0


# ------------------------------------------------------------------ users


def _new_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise BadInput(tr("标准输入中没有密码。", "No password on standard input."))
        return password
    if sys.stdin is None or not sys.stdin.isatty():
        raise BadInput(tr("请在终端中输入密码，或使用 --password-stdin。",
                          "Type the password at a terminal, or use --password-stdin."))
    first = getpass.getpass(tr("新密码：", "New password: "))
    second = getpass.getpass(tr("再次输入新密码：", "Repeat the new password: "))
    if first != second:
        raise BadInput(tr("两次输入的密码不一致。", "The two passwords differ."))
    return first


def cmd_users_add(ctx, args) -> int:
    from hospital_app.services import audit, users

    db = ctx.db
    password = _new_password(args)
    with db.session() as s:
        info = users.add_user(s, args.username, password, args.role, args.display_name, actor=audit.current_user())
    if args.json:
        ctx.out_json(info.as_dict())
    else:
        ctx.out(tr("已添加用户 {u}（{r}）。", "User {u} ({r}) added.", u=info.username, r=info.role))
    return 0


def cmd_users_list(ctx, args) -> int:
    from hospital_app.services import users

    with ctx.db.read_session() as s:
        rows = users.list_users(s)
    if args.json:
        ctx.out_json([u.as_dict() for u in rows])
        return 0
    if not rows:
        ctx.out(tr("没有用户（单用户模式，使用操作系统用户名）。",
                   "No users (single-user mode: the OS user name is used)."))
    for u in rows:
        state = tr("启用", "active") if u.active else tr("已停用", "disabled")
        ctx.out(f"{u.username}\t{u.role}\t{state}\t{u.display_name or ''}")
    return 0


def cmd_users_passwd(ctx, args) -> int:
    from hospital_app.services import audit, users

    db = ctx.db
    password = _new_password(args)
    with db.session() as s:
        users.set_password(s, args.username, password, actor=audit.current_user())
    ctx.out(tr("已更改用户 {u} 的密码。", "Password of {u} changed.", u=args.username))
    return 0


def cmd_users_disable(ctx, args) -> int:
    from hospital_app.services import audit, users

    with ctx.db.session() as s:
        users.disable_user(s, args.username, actor=audit.current_user())
    ctx.out(tr("已停用用户 {u}。", "User {u} disabled.", u=args.username))
    return 0


def register(sub, common) -> None:
    b = leaf(sub, common, "backup", "备份数据库（.zip 为可移植归档）", "back up the database (.zip: portable archive)",
             cmd_backup)
    b.add_argument("--out", required=True, metavar="FILE")
    b.add_argument("--json", action="store_true")
    r = leaf(sub, common, "restore", "从备份恢复（保留原数据副本）", "restore from a backup (keeps a copy)",
             cmd_restore)
    r.add_argument("file", metavar="FILE")
    r.add_argument("--yes", action="store_true", help=tr("不再确认", "do not ask for confirmation"))
    r.add_argument("--json", action="store_true")
    c = leaf(sub, common, "check", "完整性检查（问题时退出码 3）", "integrity check (exit 3 on problems)", cmd_check)
    c.add_argument("--json", action="store_true")

    u = sub.add_parser("users", help=tr("共享数据库的用户", "users of a shared database"))
    usub = u.add_subparsers(dest="users_command", metavar="SUBCOMMAND", required=True)
    a = leaf(usub, common, "add", "添加用户", "add a user", cmd_users_add)
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=["pharmacist", "director", "admin"])
    a.add_argument("--display-name")
    a.add_argument("--password-stdin", action="store_true",
                   help=tr("从标准输入读取密码", "read the password from standard input"))
    a.add_argument("--json", action="store_true")
    ls = leaf(usub, common, "list", "列出用户", "list users", cmd_users_list, reads=True)
    ls.add_argument("--json", action="store_true")
    p = leaf(usub, common, "passwd", "更改密码", "change a password", cmd_users_passwd)
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true",
                   help=tr("从标准输入读取密码", "read the password from standard input"))
    d = leaf(usub, common, "disable", "停用用户", "disable a user", cmd_users_disable)
    d.add_argument("username")
