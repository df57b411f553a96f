"""Settings in one place: `hepinggis.base.settings` is the only module that reads the environment;
its typed settings cover every ``HEPINGGIS_*`` variable the code knows, docs/settings.md lists them,
and `use_boundaries` is a context manager over the adopted boundaries it shows."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

import hepinggis
from hepinggis.base.settings import VARIABLES, Settings, settings

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "hepinggis"
SETTINGS = PACKAGE / "base" / "settings.py"


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _reads(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id == "getenv"
        if isinstance(func, ast.Attribute):
            return func.attr == "getenv" or (func.attr in {"get", "setdefault", "pop"} and _is_environ(func.value))
        return False
    if isinstance(node, ast.Subscript):
        return _is_environ(node.value) and isinstance(node.ctx, ast.Load)
    return isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators)


def environment_reads(source: str) -> list[int]:
    """Lines that read the environment: ``os.environ.get(…)``, ``os.environ[…]``, ``os.getenv(…)``,
    ``… in os.environ`` (copying it whole for a child process, ``dict(os.environ, …)``, is no read)."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source)) if _reads(node)})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "source",
    [
        "import os\nx = os.environ.get('HEPINGGIS_TZ')\n",
        "import os\nx = os.environ['HEPINGGIS_TZ']\n",
        "import os\nx = os.getenv('HEPINGGIS_TZ', '')\n",
        "import os\nx = 'HEPINGGIS_TZ' in os.environ\n",
        "from os import getenv\nx = getenv('HEPINGGIS_TZ')\n",
    ],
)
def test_the_check_catches_a_read(source: str) -> None:
    assert environment_reads(source) == [2]


def test_no_other_module_reads_the_environment() -> None:
    readers = {
        str(p.relative_to(REPO)): environment_reads(p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
        if p != SETTINGS and "migrations" not in p.parts
    }
    assert {k: v for k, v in readers.items() if v} == {}
    # and no module names a HEPINGGIS_* variable that the settings do not know
    named = set()
    for p in PACKAGE.rglob("*.py"):
        named |= set(re.findall(r"\bHEPINGGIS_[A-Z_]+[A-Z]\b", p.read_text(encoding="utf-8")))
    assert named - set(VARIABLES) <= {"HEPINGGIS_WEB_WORKER"}  # set for the workers, read by none


def test_every_variable_sets_its_field() -> None:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(VARIABLES.values()) == set(fields) - {"boundaries"}
    given = {
        "HEPINGGIS_TZ": "Asia/Urumqi",
        "HEPINGGIS_TIANDITU_KEY": "k",
        "HEPINGGIS_KEY_FILE": "/srv/key",
        "HEPINGGIS_SYSLOG": "/dev/log",
        "HEPINGGIS_OGC_PUBLIC": "zones,jiedao",
        "HEPINGGIS_AUDIT_READS": "是",
        "HEPINGGIS_OGC_BASIC_HTTP": "1",
        "HEPINGGIS_JOB_MEMORY": "1GB",
        "HEPINGGIS_JOB_SECONDS": "60",
        "HEPINGGIS_LIGHT_BYTES": "1MB",
        "HEPINGGIS_WARM_WAIT_S": "3",
        "HEPINGGIS_JOB_STALE_S": "6",
        "HEPINGGIS_WEB_DEBUG": "1",
        "HEPINGGIS_WEB_FAULTS": "1",
        "HEPINGGIS_WEB_HOLD_AT": "已生成",
        "HEPINGGIS_WARM_UP": "imports",
        "HEPINGGIS_TEST_CHEAP_HASHES": "1",
        "HEPINGGIS_FONT_CACHE": "/srv/fonts",
    }
    assert set(given) == set(VARIABLES)
    s, default = settings({**given, "PYTEST_VERSION": "9"}), settings({})
    assert not settings(given).test_cheap_hashes  # outside a pytest run: never
    for var, name in VARIABLES.items():
        assert getattr(s, name) != getattr(default, name), var
    assert settings({"HEPINGGIS_FONT_CACHE": "0"}).font_cache is None
    assert settings({"XDG_CACHE_HOME": "/c"}).font_cache == Path("/c/hepinggis/fonts")
    assert (s.tz, s.key_file, s.warm_wait_s, s.job_stale_s, s.web_faults) == (
        "Asia/Urumqi",
        Path("/srv/key"),
        3.0,
        6.0,
        True,
    )
    assert default.key_file == Path.home() / ".config" / "hepinggis" / "signing.key"
    assert settings({"HEPINGGIS_JOB_STALE_S": "soon", "HEPINGGIS_TZ": "  "}) == default  # unreadable: the default


def test_the_process_environment_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from hepinggis.base.clock import local_time

    monkeypatch.setenv("HEPINGGIS_TZ", "UTC")
    assert settings().tz == "UTC" and local_time("2026-12-07T10:15:18+00:00") == "2026-12-07 10:15"
    monkeypatch.delenv("HEPINGGIS_TZ")
    assert local_time("2026-12-07T10:15:18+00:00") == "2026-12-07 18:15"


def test_use_boundaries_is_a_context_manager_over_the_settings(tmp_path: Path) -> None:
    assert settings().boundaries is None
    with hepinggis.use_boundaries(None):
        assert settings().boundaries is None
    gpkg = tmp_path / "layers.gpkg"
    hepinggis.load("zones").to_file(gpkg, layer="zones", driver="GPKG")
    with hepinggis.use_boundaries(gpkg) as used:
        assert settings().boundaries == used == gpkg.absolute()
    assert settings().boundaries is None


def test_the_old_names_of_the_boundaries_setting_warn_and_work(tmp_path: Path) -> None:
    """``use_layers``, ``Settings.layers`` and ``settings.LAYERS`` are the names until issue 38: each
    still works for one release, with a FutureWarning naming the new one."""
    import hepinggis.base.settings as settings_module

    gpkg = tmp_path / "layers.gpkg"
    hepinggis.load("zones").to_file(gpkg, layer="zones", driver="GPKG")
    with pytest.warns(FutureWarning, match=r"use_layers\(\) is deprecated: use use_boundaries\(\)"):
        context = hepinggis.use_layers(gpkg)
    with context as used:
        assert used == gpkg.absolute()
        with pytest.warns(FutureWarning, match="use Settings.boundaries"):
            assert settings().layers == gpkg.absolute()
    with pytest.warns(FutureWarning, match="use settings.BOUNDARIES"):
        assert settings_module.LAYERS is settings_module.BOUNDARIES
    assert "use_layers" not in hepinggis.__all__ and "use_boundaries" in hepinggis.__all__


def test_the_docs_list_every_variable_with_its_field() -> None:
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    for var, name in VARIABLES.items():
        assert re.search(rf"^\| `{var}` \| `{name}` \|", text, re.MULTILINE), var
    assert "docs/settings.md" in (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
