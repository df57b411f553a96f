"""One table of column roles: the importer's recognised names, its messages and the web page's
column choices all come from `hepinggis.io._columns.ROLE_ZH`."""

from __future__ import annotations

from pathlib import Path

from hepinggis.io._columns import COLUMN_NAMES, ROLE_ZH
from hepinggis.web.registers import _registers

REPO = Path(__file__).resolve().parents[2]


def test_every_role_has_recognised_names_and_a_chinese_name() -> None:
    assert set(ROLE_ZH) == set(COLUMN_NAMES)
    assert all(ROLE_ZH.values()) and len(set(ROLE_ZH.values())) == len(ROLE_ZH)


def test_the_web_app_keeps_no_copy() -> None:
    assert _registers.ROLE_ZH is ROLE_ZH and tuple(ROLE_ZH) == _registers.ROLES
    script = (REPO / "hepinggis" / "web" / "static" / "registers.js").read_text(encoding="utf-8")
    for role, zh in ROLE_ZH.items():  # no role label written into the page's script again
        assert f'"{zh}"' not in script, (role, zh)
    template = (REPO / "hepinggis" / "web" / "templates" / "registers.html").read_text(encoding="utf-8")
    assert "data-roles='{{ role_zh.items() | list | tojson }}'" in template
