"""``import hepinggis`` is lazy: no heavy library until a name is used; every public name resolves."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import hepinggis

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "folium", "openpyxl", "pyarrow", "sklearn", "scipy", "sqlalchemy", "geopandas")


def _modules_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_pulls_no_heavy_library() -> None:
    assert _modules_after("import hepinggis") == []


def test_cli_help_pulls_no_heavy_library() -> None:
    code = "from hepinggis.cli import main\ntry:\n    main(['build', '--help'])\nexcept SystemExit:\n    pass"
    assert _modules_after(code) == []


def test_every_public_name_resolves_and_dir_lists_it() -> None:
    for name in hepinggis.__all__:
        assert getattr(hepinggis, name) is not None, name
    assert set(hepinggis.__all__) <= set(dir(hepinggis))
    assert "verify_package" in hepinggis.__all__


def test_lazy_map_agrees_with_type_checking_imports() -> None:
    """The name → module map and the imports type checkers read say the same."""
    tree = ast.parse((REPO / "hepinggis" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    expected = dict(hepinggis._WHERE)
    expected.update({name: mod.rpartition(".")[0] for name, mod in hepinggis._MODULES.items()})
    assert seen == expected
    assert set(seen) == set(hepinggis.__all__)


def test_old_module_aliases_and_build_function() -> None:
    import hepinggis.briefing
    import hepinggis.coords
    import hepinggis.postgis
    import hepinggis.projects
    from hepinggis.base import coords
    from hepinggis.coords import wgs84_to_gcj02
    from hepinggis.io import postgis

    # a plain package module: no class swapped in, no import finder of its own
    assert type(hepinggis) is types.ModuleType
    assert not [f for f in sys.meta_path if type(f).__module__.startswith("hepinggis")]
    assert hepinggis.build is hepinggis.briefing.build and callable(hepinggis.build)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("hepinggis.build")  # a function, never a module
    # the old module names give the stages' own objects, private ones too
    assert hepinggis.coords.wgs84_to_gcj02 is wgs84_to_gcj02 is coords.wgs84_to_gcj02
    assert hepinggis.coords._ALIASES is coords._ALIASES
    assert set(hepinggis.coords.__all__) == set(coords.__all__)
    assert hepinggis.postgis.push is postgis.push
    assert hepinggis.projects.prepare_projects is hepinggis.prepare_projects
