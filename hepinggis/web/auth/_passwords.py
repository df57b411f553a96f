"""Password hashing with argon2id (argon2-cffi): never hand-rolled, never stored or logged in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["COMMON", "LONG_ENOUGH", "MIN_LENGTH", "check_strength", "hash_password", "needs_rehash", "verify_password"]

MIN_LENGTH = 8
#: A password this long passes with any characters; a shorter one needs three of the four classes
#: (upper case, lower case, digits, others) — 等保2.0 level 2's "complexity" (issue 33).
LONG_ENOUGH = 12
#: Passwords refused however they are capitalised (and with trailing digits or symbols removed):
#: the most common ones, the ones common in China, and this tool's and the bureau's own words.
_WORDS = """
    password passw0rd p@ssw0rd p@ssword admin administrator root guest test user login welcome
    letmein iloveyou monkey dragon master shadow sunshine princess football baseball superman
    qwerty qwertyuiop asdfgh asdfghjkl zxcvbn zxcvbnm 1qaz2wsx 1q2w3e4r qazwsx abc abcd abcdef
    abcdefg abcdefgh woaini woaini1314 aini1314 5201314 1314520 qq123456 a123456 aa123456
    abc123 abc123456 admin123 admin888 changeme secret hepinggis heping shenyang liaoning
    guihua ziranziyuan zhengfu gongzuo mima china beijing huawei xiaomi
"""
COMMON = frozenset(_WORDS.split())
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_HASHER = PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) parameters
#: Test-only, never in production: with ``HEPINGGIS_TEST_CHEAP_HASHES=1`` set *inside a pytest run*
#: (pytest sets ``PYTEST_VERSION`` for itself and every process it starts; nothing else does),
#: argon2id runs with its smallest parameters, for the test suite's thousands of logins (0.2 s of
#: CPU each with the real ones). Anywhere else the variable is ignored, and a hash made so is
#: upgraded at its user's next login (`needs_rehash`).
TEST_CHEAP_ENV = "HEPINGGIS_TEST_CHEAP_HASHES"
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# a hash of a random password: verified against when the user does not exist, so that a login
# for an unknown name costs as long as one for a known name (no user enumeration by timing);
# made on first use, once per set of parameters
_DUMMIES: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    """The hasher in force: the real parameters, or the cheap ones of a test run (`TEST_CHEAP_ENV`)."""
    from hepinggis.base.settings import settings

    if settings().test_cheap_hashes:
        return _CHEAP
    return _HASHER


def _dummy(hasher: PasswordHasher) -> str:
    if id(hasher) not in _DUMMIES:
        _DUMMIES[id(hasher)] = hasher.hash("hepinggis-no-such-user-0b5e1c")
    return _DUMMIES[id(hasher)]


def check_strength(password: str) -> str | None:
    """The reason ``password`` is refused (in Chinese), or None when it is acceptable: at least
    `MIN_LENGTH` characters, and `LONG_ENOUGH` or three character classes; never a common
    password, a run of a keyboard row or the alphabet, nor one short unit repeated."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if password.strip() != password:
        return "密码首尾不能是空白字符"
    if any(ord(c) < 32 or ord(c) == 127 for c in password):  # no keyboard types one (a NUL: issue 33 pen pass)
        return "密码不能含控制字符"
    classes = sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if len(password) < LONG_ENOUGH and classes < 3:
        return f"密码须至少 {LONG_ENOUGH} 个字符，或含大写字母、小写字母、数字、符号中的三类"
    if len(set(password)) < 4 or _weak(password):
        return "密码过于常见或有规律（如 1234567890、qwerty、重复的字符），请换一个"
    return None


def _weak(password: str) -> bool:
    low = password.lower()
    core = low.rstrip("0123456789!@#$%^&*._-+=?~ ").lstrip("0123456789!@#$%^&*._-+= ")
    if low in COMMON or core in COMMON:
        return True
    for row in _ROWS:  # the whole password a run along a row, forwards or backwards
        if low in row or low in row[::-1] or low in row * 3:
            return True
    # one short unit repeated ("abab…", "123123…")
    return any(len(low) % n == 0 and low[:n] * (len(low) // n) == low for n in range(1, len(low) // 2 + 1))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salt and parameters encoded in the string)."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; a missing hash is verified against a dummy."""
    hasher = _hasher()
    try:
        return hasher.verify(stored or _dummy(hasher), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with weaker parameters than the current ones."""
    return _hasher().check_needs_rehash(stored)
