"""The library and its extras (issue 38): a missing extra is one line naming it; `users add` reads
the password from stdin when there is no terminal; a refused `serve` writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _cli import run_cli

from hepinggis._extras import EXTRAS, extra_of, require_extra
from hepinggis.errors import MissingExtraError

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_every_extra_is_declared_in_pyproject(extra: str) -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f"\n{extra} = [" in text
    assert f"hepinggis[{extra}" in text or extra in text.split("hepinggis[", 1)[1].split("]", 1)[0]


def test_a_missing_extra_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r'pip install "hepinggis\[parquet\]" \(missing: pyarrow\)'):
        require_extra("parquet", feature="wkb_point_xy")
    message = extra_of(ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn"), feature="hepinggis serve")
    assert (
        message == 'hepinggis serve needs the optional packages of hepinggis[server]: pip install "hepinggis[server]"'
    )


def test_serve_without_the_server_extra_is_one_line(tmp_path: Path) -> None:
    """A library-only install: the web stack cannot be imported (a blocker on sys.meta_path stands
    in for the missing packages in a child interpreter), and serve says which extra to install."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'fastapi', 'uvicorn', 'alembic', 'argon2', 'sqlalchemy'}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib.util\n"
        "_real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n.split('.')[0] in {'fastapi', 'uvicorn'} else _real(n, *a)\n"
        "from hepinggis.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    for args in (["serve", "--data", str(tmp_path / "a")], ["users", "list", "--data", str(tmp_path / "b")]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and 'pip install "hepinggis[server]"' in lines[0], done.stderr
        assert "Traceback" not in done.stderr


def test_a_refused_serve_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "not-yet"
    done = run_cli("serve", "--host", "0.0.0.0", "--port", "1", "--data", str(data))
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1 and "用户" in done.stderr
    assert not data.exists()


def test_users_add_reads_stdin_without_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "store"
    done = run_cli("users", "add", "王工", "--role", "管理", "--data", str(data), stdin="Pa55#word-for-wang\n")
    assert done.returncode == 0, done.stderr
    assert "EOFError" not in done.stderr
    listed = run_cli("users", "list", "--data", str(data))
    assert "王工" in listed.stdout and "管理" in listed.stdout
