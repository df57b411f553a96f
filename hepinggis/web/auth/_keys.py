"""The server's signing key: 32 random bytes in a file kept outside the store (issue 33), used to
chain the audit trail (HMAC-SHA-256, `_audit`) and to sign store dumps (`_backup`). Whoever can
write the database or a dump but not read this file cannot forge a row or a dump.

The file is ``$HEPINGGIS_KEY_FILE``, else ``~/.config/hepinggis/signing.key``; it is created (mode
0600) the first time something is signed. Keep a copy with the bureau's key escrow: a dump is
restored only where the same key is found (docs/security.md).
"""

from __future__ import annotations

import hmac
import os
import secrets
from hashlib import sha256
from pathlib import Path

from hepinggis.base.settings import settings
from hepinggis.errors import AuditChainError

__all__ = ["key_path", "mac", "signing_key"]


def key_path() -> Path:
    """Where the key is kept."""
    return settings().key_file  # HEPINGGIS_KEY_FILE, else ~/.config/hepinggis/signing.key


def signing_key(*, create: bool = True) -> bytes:
    """The key (created if missing and ``create``).

    Raises
    ------
    AuditChainError
        No key file (and not ``create``), or one that is not 32 bytes or more.
    """
    path = key_path()
    if not path.exists():
        if not create:
            raise AuditChainError(f"找不到签名密钥文件 {path}（环境变量 HEPINGGIS_KEY_FILE），无法核验")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 32:
        raise AuditChainError(f"签名密钥文件 {path} 不完整（少于 32 字节）")
    return key


def mac(key: bytes, *parts: bytes) -> str:
    """HMAC-SHA-256 of ``parts`` (each length-prefixed, so that no two sequences collide), hex."""
    h = hmac.new(key, digestmod=sha256)
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
