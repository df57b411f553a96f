"""The password policy 等保2.0 level 2 asks (issue 33: ``1234567890`` was accepted): at least 8
characters, and 12 or three character classes; no common password, keyboard run or repetition."""

from __future__ import annotations

import pytest

from hepinggis.web.auth._passwords import check_strength


@pytest.mark.parametrize(
    "password",
    ["1234567890", "123456789012", "0987654321", "P@ssw0rd", "Password123!", "qwertyuiop12", "woaini1314",
     "abcabcabcabc", "Aa1!Aa1!Aa1!", "hepinggis2024", "Heping#2024", "aaaaaaaaaaaaaaaa", "short7!", " Lead#space9"],
)  # fmt: skip
def test_weak_passwords_are_refused(password: str) -> None:
    reason = check_strength(password)
    assert reason and reason.startswith("密码"), password


@pytest.mark.parametrize("password", ["Kf8#mQ2!zR7p", "Tb#8472-lvse-qiu", "correct horse battery", "Lz7#wq-2kd"])
def test_strong_passwords_pass(password: str) -> None:
    assert check_strength(password) is None
