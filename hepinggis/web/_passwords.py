"""Password hashing with argon2id (argon2-cffi): never hand-rolled, never stored or logged in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_LENGTH", "check_strength", "hash_password", "needs_rehash", "verify_password"]

MIN_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) parameters
# a hash of a random password: verified against when the user does not exist, so that a login
# for an unknown name costs as long as one for a known name (no user enumeration by timing)
_DUMMY = _HASHER.hash("hepinggis-no-such-user-0b5e1c")


def check_strength(password: str) -> str | None:
    """The reason ``password`` is refused (in Chinese), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if password.strip() != password:
        return "密码首尾不能是空白字符"
    if len(set(password)) < 4:
        return "密码过于简单（至少含 4 个不同字符）"
    return None


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salt and parameters encoded in the string)."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; a missing hash is verified against a dummy."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with weaker parameters than the current ones."""
    return _HASHER.check_needs_rehash(stored)
