"""The test suite's cheap argon2 parameters (``HEPINGGIS_TEST_CHEAP_HASHES``, set by tests/conftest.py)
apply only inside a pytest run: a process started without pytest hashes with the real parameters
whatever the variable says, and a hash made cheaply is upgraded by the real parameters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from hepinggis.web.auth._passwords import TEST_CHEAP_ENV, hash_password, needs_rehash, verify_password

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Kf8#mQ2!zR7p"
REAL = PasswordHasher()


def _params(stored: str) -> str:
    """``m=…,t=…,p=…`` of an encoded argon2 hash (``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``)."""
    assert stored.startswith("$argon2id$"), stored
    return stored.split("$")[3]


def test_the_suite_hashes_cheaply_and_still_with_argon2id() -> None:
    assert os.environ.get(TEST_CHEAP_ENV) == "1"
    stored = hash_password(PASSWORD)
    assert _params(stored) == "m=1024,t=1,p=1"
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)


def test_outside_pytest_the_variable_is_ignored() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env[TEST_CHEAP_ENV] = "1"
    env["PYTHONPATH"] = str(REPO)
    code = f"from hepinggis.web.auth._passwords import hash_password; print(hash_password({PASSWORD!r}))"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert _params(run.stdout.strip()) == f"m={REAL.memory_cost},t={REAL.time_cost},p={REAL.parallelism}"


def test_a_cheap_hash_is_upgraded_by_the_real_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = hash_password(PASSWORD)
    assert not needs_rehash(cheap)
    monkeypatch.delenv(TEST_CHEAP_ENV)
    assert needs_rehash(cheap)  # a server with the real parameters rehashes it at the next login
    assert verify_password(cheap, PASSWORD)
    assert _params(hash_password(PASSWORD)) == f"m={REAL.memory_cost},t={REAL.time_cost},p={REAL.parallelism}"
