"""The three administrative duties of 等保 2.0 (三员分立, issue 33) and who may change whose account.

An account has one *role* for the bureau's work — 填报, 审核, 管理 (the store's data: boundaries,
deletions) or 无 (none) — and any of three *duties*, held apart or together:

* 用户管理: accounts — create, disable, enable, reset a password, set the role;
* 安全管理: security settings — the public OGC set, read auditing, password expiry and history,
  audit retention, lockout release — and granting the duties to others;
* 审计查看: read, export and verify the audit trail.

Rules (enforced by the routes, tested by the route × role matrix):

* nobody changes their own role, duties or state, nor resets their own password through the
  administrators' routes (``/api/me/password`` is for that);
* an account change never reaches an account that holds a duty the actor does not hold: a 用户管理
  cannot reset the password of an 审计查看 account and log in as it;
* duties are granted by 安全管理 only — so a 用户管理 can neither grant itself 审计查看 nor create an
  account that holds it; on the command line (the server's operator) by ``hepinggis users grant``.

An account of 管理 made before this split (revision s0007) or by ``users add --role 管理`` without
``--duty`` holds all three: one administrator keeps working; separating them is a choice.
"""

from __future__ import annotations

from collections.abc import Iterable

from hepinggis.errors import AccountError

__all__ = [
    "ALL_PERMISSIONS",
    "DUTIES",
    "DUTY_PERMISSIONS",
    "PERMISSIONS",
    "PERMISSION_WORDS",
    "ROLES",
    "account_change_refusal",
    "check_duties",
    "duties_text",
    "parse_duties",
    "permissions_of",
]

ROLES = ("填报", "审核", "管理", "无")
DUTIES = ("用户管理", "安全管理", "审计查看")
# what each role may do. 管理 keeps the store's data (boundaries, deletions) but neither uploads,
# builds nor signs: separation of duties, so the keeper of the data is never also the author of what
# it records. Accounts, security and the audit trail are duties (below), not a role.
PERMISSIONS: dict[str, frozenset[str]] = {
    "填报": frozenset({"view", "upload", "build"}),
    "审核": frozenset({"view", "upload", "build", "sign"}),
    "管理": frozenset({"view", "adopt", "delete"}),
    "无": frozenset({"view"}),
}
DUTY_PERMISSIONS: dict[str, frozenset[str]] = {
    "用户管理": frozenset({"users"}),
    "安全管理": frozenset({"security"}),
    "审计查看": frozenset({"audit"}),
}
PERMISSION_WORDS = {
    "view": "查看",
    "upload": "上传清单和监测数据",
    "build": "生成成果包",
    "sign": "签署监测成果包",
    "adopt": "采用官方边界",
    "delete": "删除清单",
    "users": "用户管理",
    "security": "安全管理",
    "audit": "审计查看",
}
ALL_PERMISSIONS = frozenset(PERMISSION_WORDS)


def permissions_of(role: str, duties: Iterable[str] = ()) -> frozenset[str]:
    """What an account of ``role`` holding ``duties`` may do."""
    out = set(PERMISSIONS.get(role, frozenset()))
    for duty in duties:
        out |= DUTY_PERMISSIONS.get(duty, frozenset())
    return frozenset(out)


def check_duties(duties: Iterable[str]) -> tuple[str, ...]:
    """``duties`` in the order of `DUTIES`, without repeats; AccountError for an unknown one."""
    given = [str(d).strip() for d in duties]
    bad = [d for d in given if d not in DUTIES]
    if bad:
        raise AccountError(f"未知职责 {bad[0]!r}：职责只能是 {'、'.join(DUTIES)}")
    return tuple(d for d in DUTIES if d in given)


def duties_text(duties: Iterable[str]) -> str:
    """The stored form: duties joined by commas ('' for none)."""
    return ",".join(check_duties(duties))


def parse_duties(text: str | None) -> tuple[str, ...]:
    """The duties of a stored value (unknown words dropped: a hand-edited row grants nothing)."""
    return tuple(d for d in DUTIES if d in (text or "").split(","))


def account_change_refusal(actor: str, actor_duties: Iterable[str], target: str, target_duties: Iterable[str]) -> str:
    """Why ``actor`` may not change ``target``'s account through the administrators' routes, in one
    Chinese line ('' when allowed)."""
    if actor == target:
        return "不能修改自己的账户（角色、职责、停用或重设密码）；修改自己的密码请用“修改密码”页"
    missing = [d for d in target_duties if d not in set(actor_duties)]
    if missing:
        return (
            f"用户 {target} 担任「{'、'.join(missing)}」职责，而你没有：只能由同样担任这些职责的管理员"
            "修改，或由安全管理员先撤销其职责"
        )
    return ""
