"""A series of monthly versions of a 2,000-row register (``tools/make_register_series.py``, truth
beside it): version against version, `compare_registers` gives exactly the changes made, and
`match_projects` pairs every row with its own project."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hepinggis
from hepinggis.io.merge import merge_fixed

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("make_register_series", ROOT / "tools" / "make_register_series.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_register_series"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[int, Any]]:
    out = tmp_path_factory.mktemp("series")
    truth = _tool().make_series(out, n=2000, seed=7)
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    read: dict[int, Any] = {}
    for v in truth["versions"]:
        result = hepinggis.read_projects(out / v["file"], crs="wgs84")
        read[v["version"]] = merge_fixed(read[v["into"]], result) if "into" in v else result
    return truth, read


def _uid(truth: dict[str, Any], version: int, row: Any) -> str:
    return truth["versions"][version - 1]["rows"][str(int(row))]


@pytest.mark.parametrize("pair", ["1-2", "2-3", "3-4", "4-5", "5-6"])
def test_changes_equal_the_truth(series: tuple[dict[str, Any], dict[int, Any]], pair: str) -> None:
    truth, read = series
    a, b = (int(x) for x in pair.split("-"))
    table = hepinggis.compare_registers(read[a], read[b])
    got = Counter()
    for rec in table.to_dict("records"):
        if rec["change"] in ("removed",):
            got[(rec["change"], _uid(truth, a, rec["row_old"]))] += 1
        else:
            uid = _uid(truth, b, rec["row_new"])
            if pd.notna(rec["row_old"]):  # a pair is the same project on both sides
                assert _uid(truth, a, rec["row_old"]) == uid, rec
            got[(rec["change"], uid)] += 1
    want = Counter((c, u) for c, u in truth["changes"][pair])
    assert got == want, (sorted(set(got) - set(want))[:10], sorted(set(want) - set(got))[:10])
    assert table.attrs["ambiguous"] == []


@pytest.mark.parametrize("pair", ["1-2", "2-3", "3-4", "5-6"])
def test_every_pair_is_one_project(series: tuple[dict[str, Any], dict[int, Any]], pair: str) -> None:
    truth, read = series
    a, b = (int(x) for x in pair.split("-"))
    pairs = hepinggis.match_projects(read[a], read[b])
    assert len(pairs) > 1900
    assert all(_uid(truth, a, o) == _uid(truth, b, n) for o, n in zip(pairs["row_old"], pairs["row_new"], strict=True))
    hows = set(pairs["how"])
    if pair in ("2-3", "3-4"):  # month 3 has no id column: names, and renamed projects by their site
        assert hows == {"name", "name+site"}
        renamed = pairs[pairs["how"] == "name+site"]
        assert len(renamed) == 10 and (renamed["score"] >= 0.6).all()
    else:
        assert hows == {"id"}


def test_merge_keeps_the_register_rows(series: tuple[dict[str, Any], dict[int, Any]]) -> None:
    _truth, read = series
    v4, v5 = read[4], read[5]
    assert v4.n_rejected == 25 and v5.n_rejected == 0
    assert v5.n_imported == v4.n_imported + 25 and v5.rows_in == v4.rows_in
    assert sorted(v5.projects["row"]) == list(range(2, v4.rows_in + 2))


def test_generated_ids_never_match() -> None:
    """Rows of two files without an id column pair by name, never by position."""
    projects = hepinggis.load("projects")[["name_zh", "status", "geometry"]]
    old = projects.reset_index(drop=True)
    new = projects.iloc[::-1].reset_index(drop=True)
    assert hepinggis.compare_registers(old, new).empty
    pairs = hepinggis.match_projects(old, new)
    assert (pairs["old"] + pairs["new"] == len(old) - 1).all()


def test_ambiguous_pairs_are_listed_not_taken_and_a_confirmation_decides() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from hepinggis.base.measure import MEASURE_CRS

    def frame(names: list[str], xs: list[float]) -> gpd.GeoDataFrame:
        pts = gpd.GeoSeries([Point(500000 + x, 4620000) for x in xs], crs=MEASURE_CRS).to_crs(4326)
        return gpd.GeoDataFrame({"name": names}, geometry=pts.to_numpy(), crs=4326)

    old = frame(["甲楼", "乙楼"], [0.0, 20.0])
    new = frame(["丙楼"], [10.0])  # renamed, 10 m from both: which one?
    pairs = hepinggis.match_projects(old, new, with_unmatched=True)
    assert sorted(pairs["how"]) == ["added", "ambiguous", "ambiguous", "removed", "removed"]
    table = hepinggis.compare_registers(old, new)
    assert len(table.attrs["ambiguous"]) == 2 and sorted(table["change"]) == ["added", "removed", "removed"]
    decided = hepinggis.compare_registers(old, new, confirmed=[("乙楼", "丙楼")])
    assert sorted(decided["change"]) == ["removed", "renamed"]
    assert decided.loc[decided["change"] == "renamed", "name_old"].tolist() == ["乙楼"]
    assert hepinggis.match_projects(old, new, confirmed=[("乙楼", "丙楼")])["how"].tolist() == ["confirmed"]
