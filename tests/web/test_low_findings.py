"""Issue 33's low findings that are plain functions: a NUL in a package path is a 404, not a 500;
a job's message never shows its work folder (tmp/boundary-…)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import HTTPException

from hepinggis.web.jobs._work import _hide_paths
from hepinggis.web.pages.routes import _package_file


@pytest.mark.parametrize("rel", ["a\x00b", "\x00", "index.html\x00.png", "x\x1fy"])
def test_a_control_character_in_a_package_path_is_not_found(tmp_path: Path, rel: str) -> None:
    (tmp_path / "index.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(HTTPException) as info:
        _package_file(tmp_path, rel)
    assert info.value.status_code == 404
    assert _package_file(tmp_path, "index.html").status_code == 200


@pytest.mark.parametrize(
    "line",
    [
        "无法读取 tmp/boundary-0123456789abcdef0123456789abcdef/in/官方功能区.shp：坐标系缺失",
        "采用失败：/srv/d/tmp/boundary-0123456789abcdef0123456789abcdef/named/官方功能区.shp 无图层",
    ],
)
def test_job_messages_never_show_the_work_folder(line: str) -> None:
    out = _hide_paths(line, {"file_name": "官方功能区.zip", "data_dir": "/srv/d"})
    assert "tmp/" not in out and "boundary-" not in out and "/" not in out, out
    assert "官方功能区.shp" in out
