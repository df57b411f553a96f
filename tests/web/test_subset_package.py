"""The words a filtered briefing package is titled and credited with come from the clerk's filter
(hostile text): escaped in the gallery, plain text in the credit line, kept in the manifest."""

from __future__ import annotations

import html
import json
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import HOSTILE
from shapely.geometry import Point

from hepinggis.base._credits import ListCredit, projects_credit
from hepinggis.io._staging import MANIFEST, note_in_manifest, staged_folder, verify_package
from hepinggis.web.jobs._subset_package import KEY_PATTERN, package_key, package_name, subset_words


def _gallery() -> object:
    from hepinggis import briefing

    return briefing._gallery


@pytest.mark.parametrize("text", [h["text"] for h in HOSTILE if h["text"].strip()][:40])
def test_a_hostile_filter_is_escaped_in_the_gallery_title(tmp_path: Path, text: str) -> None:
    words = subset_words({"version": 3, "as_of": "2025-03-31"}, [f"名称、编号或单位含“{text}”"])
    assert words.startswith("第 3 版（截至 2025-03-31）筛选结果：")
    frame = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(123.4, 41.76)], crs=4326)
    credit = ListCredit.of("清单.csv", subset=words)
    assert words in projects_credit(frame, credit)
    page = _gallery()(tmp_path, [], "none", True, projects_credit(frame, credit), credit.subset)  # type: ignore[operator]
    body = Path(page).read_text(encoding="utf-8")
    assert html.escape(words) in body or html.escape(words, quote=False) in body
    if "<" in text:
        assert text not in body  # never as markup


def test_the_selection_is_kept_in_the_manifest(tmp_path: Path) -> None:
    dest = tmp_path / "pkg"
    with staged_folder(dest) as out:
        (out / "index.html").write_text("x", encoding="utf-8")
    about = {"version": 2, "filter": {"zone": "满融"}, "filter_zh": ["功能区：满融"], "projects": 3}
    assert note_in_manifest(dest, about=about)
    assert json.loads((dest / MANIFEST).read_text(encoding="utf-8"))["about"] == about
    assert verify_package(dest) == []  # the package is still whole


def test_one_selection_one_package_name() -> None:
    a = {"zone": "满融", "status": "在建"}
    assert package_key(a) == package_key(dict(reversed(list(a.items()))))  # order of the conditions
    assert package_key(a) != package_key({**a, "status": "已完工"})
    assert KEY_PATTERN.match(package_key(a)) and package_name("r1", a) == f"r1-{package_key(a)}"
