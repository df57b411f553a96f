"""A clerk's confirmation is kept by the projects' identity (the file's id, else the name and the
site), not by two names: it survives a later rename, and it never pairs a namesake elsewhere."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from hepinggis.analysis.identity import Confirmation, confirmation, match_projects

# two sites 400 m apart in Heping (too far for a renamed project to be found by its site)
A, B = Point(123.400, 41.760), Point(123.4048, 41.760)


def _frame(rows: list[tuple[str | None, str, Point]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"row": range(2, len(rows) + 2), "id": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=4326,
    )


def _pairs(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, confirmed: list) -> list[tuple[int, int, str]]:
    m = match_projects(old, new, confirmed=confirmed)
    return sorted((int(o), int(n), str(h)) for o, n, h in zip(m["old"], m["new"], m["how"], strict=True))


def test_a_confirmation_by_id_survives_a_later_rename() -> None:
    # month 1 has no id column; month 2 gives the project an id, a new name and a corrected site
    v1 = _frame([(None, "体育馆改造", A), (None, "其他项目", B)])
    v2 = _frame([("HP-7", "和平体育中心提升", B), (None, "其他项目", B)])
    v3 = _frame([("HP-7", "和平体育中心提升工程（一期）", B), (None, "其他项目", B)])
    assert (0, 0, "confirmed") not in _pairs(v1, v2, [])  # not found without the clerk
    c = confirmation(v1, 0, v2, 0)
    assert c.old_id == "" and c.new_id == "HP-7" and c.old_site == pytest.approx((123.4, 41.76))
    assert (0, 0, "confirmed") in _pairs(v1, v2, [c])
    # month 3 renames it again: comparing month 1 with month 3, the confirmation still holds
    assert (0, 0, "confirmed") in _pairs(v1, v3, [c])
    # a confirmation of the two names only does not
    names = Confirmation.of_names(c.old_name, c.new_name)
    assert (0, 0, "confirmed") not in _pairs(v1, v3, [names])
    assert (0, 0, "confirmed") not in _pairs(v1, v3, [(c.old_name, c.new_name)])


def test_a_confirmation_without_ids_is_the_name_at_its_site() -> None:
    v1 = _frame([(None, "老厂房改造", A)])
    v2 = _frame([(None, "文创园", A)])
    c = confirmation(v1, 0, v2, 0)
    assert c.old_id == c.new_id == "" and c.old_key and c.new_key
    assert _pairs(v1, v2, [c]) == [(0, 0, "confirmed")]
    # a namesake 400 m away in a later month is not the confirmed project
    far = _frame([(None, "老厂房改造", B)])
    later = _frame([(None, "文创园", B)])
    assert (0, 0, "confirmed") not in _pairs(far, later, [c])
    # by names alone (as confirmations were kept before) it would have been taken
    assert (0, 0, "confirmed") in _pairs(far, later, [Confirmation.of_names("老厂房改造", "文创园")])
