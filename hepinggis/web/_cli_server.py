"""``hepinggis users …`` and ``hepinggis store dump|restore``: accounts and backups of the
server's store, with the same ``--data DIR`` / ``--db URL`` as ``hepinggis serve``."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from hepinggis.errors import AccountError

__all__ = ["add_server_commands"]

DEFAULT_DATA = Path("hepinggis-data")


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the store's folder (default: ./hepinggis-data)")
    p.add_argument("--db", default=None, metavar="URL", help="postgresql://… : the store in PostgreSQL/PostGIS")


def _engine(args: argparse.Namespace) -> Any:
    from hepinggis.web.store._engine import make_engine
    from hepinggis.web.store._migrate import upgrade

    engine = make_engine(args.data, args.db)
    upgrade(engine)
    return engine


def _password(args: argparse.Namespace, name: str) -> str:
    # no terminal to ask on (a script, a pipe, a scheduled job): the first line of stdin
    if args.password_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password.removesuffix("\r")
    first = getpass.getpass(f"{name} 的新密码：")
    if first != getpass.getpass("再输入一次："):
        raise AccountError("两次输入的密码不一致")
    return first


def _audit_cli(engine: Any, action: str, name: str, detail: str = "") -> None:
    from hepinggis.web.auth import _audit

    _audit.record(
        engine,
        action=action,
        username=f"命令行:{getpass.getuser()}",
        role="命令行",
        object=f"用户 {name}",
        detail=detail,
    )


def _cmd_users(args: argparse.Namespace) -> int:
    from hepinggis.web.auth._accounts import Accounts

    engine = _engine(args)
    try:
        accounts = Accounts(engine)
        if args.users_action == "list":
            rows = accounts.list_users()
            if not rows:
                print("（没有用户）")
            for row in rows:
                state = "已停用" if row["disabled"] else ("须修改密码" if row["must_change"] else "启用")
                duties = "、".join(row["duties"]) or "无职责"
                print(f"{row['name']}\t{row['role']}\t{duties}\t{state}\t创建于 {row['created_at']}")
            return 0
        if args.users_action == "policy":
            return _policy(engine, args)
        if args.users_action in ("grant", "revoke"):
            held = (accounts.user(args.name) or {}).get("duties", [])
            gone = args.duties if args.users_action == "revoke" else []
            wanted = [d for d in held if d not in gone] + (args.duties if args.users_action == "grant" else [])
            now = accounts.set_duties(args.name, wanted)
            _audit_cli(engine, "user_duties", args.name, "职责：" + ("、".join(now) or "无"))
            print(f"用户 {args.name} 的管理职责：{'、'.join(now) or '无'}（其会话已结束）")
            return 0
        if args.users_action == "add":
            user = accounts.add_user(
                args.name,
                role=args.role,
                password=_password(args, args.name),
                duties=args.duty or None,  # --role 管理 without --duty: all three, as before
                must_change=args.must_change,
            )
            held = "、".join(user["duties"]) or "无"
            _audit_cli(engine, "user_add", args.name, f"角色 {args.role}；职责 {held}")
            print(f"已新增用户 {args.name}（{args.role}；管理职责：{held}）")
        elif args.users_action == "disable":
            accounts.disable(args.name)
            _audit_cli(engine, "user_disable", args.name)
            print(f"已停用用户 {args.name}，其会话已结束")
        elif args.users_action == "enable":
            accounts.enable(args.name)
            _audit_cli(engine, "user_enable", args.name)
            print(f"已启用用户 {args.name}")
        elif args.users_action == "passwd":
            accounts.set_password(args.name, _password(args, args.name), by_admin=args.must_change)
            _audit_cli(engine, "user_password", args.name, "须在登录时修改" if args.must_change else "")
            print(f"已修改用户 {args.name} 的密码，其会话已结束")
        return 0
    finally:
        engine.dispose()


def _policy(engine: Any, args: argparse.Namespace) -> int:
    """``users policy``: show, or set, password expiry and history (the settings of the 安全 page)."""
    from hepinggis.web.auth._security_settings import checked_settings, put_settings, security_settings

    values, words = checked_settings({"password_max_age_days": args.max_age_days, "password_history": args.history})
    if values:
        put_settings(engine, values)
        from hepinggis.web.auth import _audit

        who, detail = f"命令行:{getpass.getuser()}", "；".join(words)
        _audit.record(engine, action="security_settings", username=who, role="命令行", object="口令策略", detail=detail)
    now = security_settings(engine)
    days, keep = now["password_max_age_days"], now["password_history"]
    age = f"{days} 天" if days else "不限"
    print(f"密码有效期：{age}；" + (f"不得重复使用最近 {keep} 次的密码" if keep else "不检查历史密码"))
    return 0


def _cmd_store(args: argparse.Namespace) -> int:
    from hepinggis.web.auth import _audit
    from hepinggis.web.store._backup import dump, restore

    engine = _engine(args)
    try:
        if args.store_action == "grant":
            from hepinggis.web.store._pg_roles import grant_app_role

            schema = grant_app_role(engine, args.role)
            print(f"已授权 {args.role}：模式 {schema} 的数据表可读写，audit_log 与 signatures 只可读和追加")
        elif args.store_action == "dump":
            manifest = dump(engine, args.data, args.file)
            rows = sum(t["rows"] for t in manifest["tables"].values())
            print(f"已备份 {len(manifest['tables'])} 个表共 {rows} 行、{len(manifest['files'])} 个文件到 {args.file}")
        else:
            manifest = restore(engine, args.data, args.file)
            _audit.record(
                engine,
                action="store_restore",
                username=f"命令行:{getpass.getuser()}",
                role="命令行",
                object=str(args.file.name),
            )
            rows = sum(t["rows"] for t in manifest["tables"].values())
            print(f"已从 {args.file} 恢复 {rows} 行、{len(manifest['files'])} 个文件")
        return 0
    finally:
        engine.dispose()


def _cmd_audit(args: argparse.Namespace) -> int:
    """``hepinggis audit verify``: check the audit trail's keyed chain; exit 1 on any break."""
    from hepinggis.errors import AuditChainError
    from hepinggis.web.auth import _audit

    engine = _engine(args)
    try:
        if args.audit_action == "prune":
            from hepinggis.web.auth._audit_retention import prune

            days = args.keep_days
            if days is None:  # the 安全 page's setting (安全管理), 180 by default
                from hepinggis.web.auth._security_settings import security_settings

                days = int(security_settings(engine)["audit_keep_days"])
            removed = prune(engine, args.export, days=days)
            print(f"已导出并删除 {removed} 行早于 {days} 天的审计记录到 {args.export}")
            return 0
        n, problems = _audit.verify(engine)
    finally:
        engine.dispose()
    if problems:
        for line in problems[:50]:
            print(line, file=sys.stderr)
        raise AuditChainError(f"审计日志被改动：{len(problems)} 处与链不符（共 {n} 行）")
    print(f"审计日志完整：{n} 行，链条一致")
    return 0


def add_server_commands(sub: Any) -> None:
    """Add ``users`` and ``store`` to the ``hepinggis`` command's subparsers."""
    p = sub.add_parser(
        "users", help="the web server's accounts: add, list, disable, enable, passwd, grant, revoke, policy"
    )
    users = p.add_subparsers(dest="users_action", required=True, parser_class=type(p))
    q = users.add_parser("add", help="add an account (password asked twice, or read from stdin)")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=["填报", "审核", "管理", "无"])
    q.add_argument(
        "--duty",
        action="append",
        choices=["用户管理", "安全管理", "审计查看"],
        help="an administrative duty (repeat for more); --role 管理 without --duty holds all three",
    )
    q.add_argument("--must-change", action="store_true", help="its owner must change the password at first login")
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    _store_options(q)
    for action, text in (("grant", "grant administrative duties"), ("revoke", "revoke administrative duties")):
        q = users.add_parser(action, help=f"{text} (用户管理, 安全管理, 审计查看); the account's sessions end")
        q.add_argument("name")
        q.add_argument("duties", nargs="+", choices=["用户管理", "安全管理", "审计查看"], metavar="DUTY")
        _store_options(q)
    q = users.add_parser("policy", help="show or set password expiry (days, 0: off) and history (N last refused)")
    q.add_argument("--max-age-days", type=int, default=None, help="days a password lasts (0: no expiry; default 90)")
    q.add_argument("--history", type=int, default=None, help="earlier passwords refused (0: none; default 5)")
    _store_options(q)
    q = users.add_parser("list", help="list the accounts")
    _store_options(q)
    for action, text in (("disable", "disable an account (its sessions end)"), ("enable", "enable an account")):
        q = users.add_parser(action, help=text)
        q.add_argument("name")
        _store_options(q)
    q = users.add_parser("passwd", help="set an account's password (its sessions end)")
    q.add_argument("name")
    q.add_argument("--must-change", action="store_true", help="its owner must change it at the next login")
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    _store_options(q)
    p.set_defaults(func=_cmd_users)
    p = sub.add_parser("store", help="back up or restore the web server's store (a zip)")
    store = p.add_subparsers(dest="store_action", required=True, parser_class=type(p))
    for action, text in (
        ("dump", "write the whole store to FILE.zip"),
        ("restore", "restore FILE.zip into an empty store"),
    ):
        q = store.add_parser(action, help=text)
        q.add_argument("file", type=Path)
        _store_options(q)
    p.set_defaults(func=_cmd_store)
    q = store.add_parser(
        "grant", help="PostgreSQL: give the server's own role its rights (audit_log: read and append only)"
    )
    q.add_argument("role", help="the role the server connects as (e.g. hepinggis_app)")
    _store_options(q)
    p = sub.add_parser("audit", help="the web server's audit trail: verify its keyed hash chain")
    audit = p.add_subparsers(dest="audit_action", required=True, parser_class=type(p))
    q = audit.add_parser("verify", help="check that no row was changed, removed or inserted (exit 1 if so)")
    _store_options(q)
    q = audit.add_parser("prune", help="export the rows older than --keep-days to a CSV, then remove them (as owner)")
    q.add_argument("--keep-days", type=int, default=None, help="days kept (≥ 180; default: the 安全 page's, 180)")
    q.add_argument("--export", type=Path, required=True, help="the CSV the removed rows are written to first")
    _store_options(q)
    p.set_defaults(func=_cmd_audit)
