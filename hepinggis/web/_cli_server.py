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
    from hepinggis.web._engine import make_engine
    from hepinggis.web._migrate import upgrade

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
    from hepinggis.web import _audit

    _audit.record(
        engine,
        action=action,
        username=f"命令行:{getpass.getuser()}",
        role="命令行",
        object=f"用户 {name}",
        detail=detail,
    )


def _cmd_users(args: argparse.Namespace) -> int:
    from hepinggis.web._auth import Accounts

    engine = _engine(args)
    try:
        accounts = Accounts(engine)
        if args.users_action == "list":
            rows = accounts.list_users()
            if not rows:
                print("（没有用户）")
            for row in rows:
                state = "已停用" if row["disabled"] else "启用"
                print(f"{row['name']}\t{row['role']}\t{state}\t创建于 {row['created_at']}")
            return 0
        if args.users_action == "add":
            accounts.add_user(args.name, role=args.role, password=_password(args, args.name))
            _audit_cli(engine, "user_add", args.name, f"角色 {args.role}")
            print(f"已新增用户 {args.name}（{args.role}）")
        elif args.users_action == "disable":
            accounts.disable(args.name)
            _audit_cli(engine, "user_disable", args.name)
            print(f"已停用用户 {args.name}，其会话已结束")
        elif args.users_action == "enable":
            accounts.enable(args.name)
            _audit_cli(engine, "user_enable", args.name)
            print(f"已启用用户 {args.name}")
        elif args.users_action == "passwd":
            accounts.set_password(args.name, _password(args, args.name))
            _audit_cli(engine, "user_password", args.name)
            print(f"已修改用户 {args.name} 的密码，其会话已结束")
        return 0
    finally:
        engine.dispose()


def _cmd_store(args: argparse.Namespace) -> int:
    from hepinggis.web import _audit
    from hepinggis.web._backup import dump, restore

    engine = _engine(args)
    try:
        if args.store_action == "grant":
            from hepinggis.web._pg_roles import grant_app_role

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
    from hepinggis.web import _audit

    engine = _engine(args)
    try:
        if args.audit_action == "prune":
            from hepinggis.web._audit_retention import prune

            removed = prune(engine, args.export, days=args.keep_days)
            print(f"已导出并删除 {removed} 行早于 {args.keep_days} 天的审计记录到 {args.export}")
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
    p = sub.add_parser("users", help="the web server's accounts: add, list, disable, enable, passwd")
    users = p.add_subparsers(dest="users_action", required=True, parser_class=type(p))
    q = users.add_parser("add", help="add an account (password asked twice, or read from stdin)")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=["填报", "审核", "管理"])
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    _store_options(q)
    q = users.add_parser("list", help="list the accounts")
    _store_options(q)
    for action, text in (("disable", "disable an account (its sessions end)"), ("enable", "enable an account")):
        q = users.add_parser(action, help=text)
        q.add_argument("name")
        _store_options(q)
    q = users.add_parser("passwd", help="set an account's password (its sessions end)")
    q.add_argument("name")
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
    q.add_argument("--keep-days", type=int, default=180, help="days kept (at least 180; default 180)")
    q.add_argument("--export", type=Path, required=True, help="the CSV the removed rows are written to first")
    _store_options(q)
    p.set_defaults(func=_cmd_audit)
