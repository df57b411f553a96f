"""Registers as series through the HTTP API (a real application with its worker processes): a
monthly series uploaded version after version gives, version against version, exactly the changes
made; the filtered exports hold exactly what a pandas filter of the same file holds."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import HOSTILE

import hepinggis

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("make_register_series", ROOT / "tools" / "make_register_series.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_register_series"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def series(client: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("series")
    truth = _tool().make_series(out, n=600, seed=3)
    ids: dict[int, str] = {}
    for ver in truth["versions"]:
        k = ver["version"]
        data = {"crs": "wgs84", "as_of": ver["as_of"]}
        if "into" in ver:
            data["into"] = ids[ver["into"]]
        elif k > 1:
            data["replaces"] = ids[k - 1]
        body = (out / ver["file"]).read_bytes()
        r = client.post("/api/registers", files={"file": (ver["file"], body)}, data=data)
        assert r.status_code == 201, r.text
        ids[k] = r.json()["id"]
        assert r.json()["version"] == k
    return {"truth": truth, "ids": ids, "dir": out}


def test_versions_are_listed(client: Any, series: dict[str, Any]) -> None:
    ids = series["ids"]
    listed = client.get(f"/api/registers/{ids[3]}/versions").json()
    assert [x["id"] for x in listed] == [ids[k] for k in range(1, 7)]
    assert [x["version"] for x in listed] == [1, 2, 3, 4, 5, 6]
    assert listed[4]["merged_into"] == ids[4] and listed[3]["refused"] == 25 and listed[4]["refused"] == 0
    assert [x["as_of"] for x in listed] == [v["as_of"] for v in series["truth"]["versions"]]


@pytest.mark.parametrize("pair", ["1-2", "2-3", "3-4", "4-5", "5-6"])
def test_changes_version_against_version(client: Any, series: dict[str, Any], pair: str) -> None:
    truth, ids = series["truth"], series["ids"]
    a, b = (int(x) for x in pair.split("-"))
    r = client.get(f"/api/registers/{ids[b]}/changes", params={"against": ids[a]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"counts", "items"}
    rows_a, rows_b = truth["versions"][a - 1]["rows"], truth["versions"][b - 1]["rows"]
    got = sorted(
        (c["change"], rows_a[str(c["row_old"])] if c["change"] == "removed" else rows_b[str(c["row_new"])])
        for c in body["items"]
    )
    assert got == sorted((c, u) for c, u in truth["changes"][pair])
    codes = {c for c, _ in truth["changes"][pair]}
    assert body["counts"] == {code: sum(1 for c, _ in truth["changes"][pair] if c == code) for code in codes}
    if b == 6:  # the default comparison is the previous version of the series
        assert client.get(f"/api/registers/{ids[b]}/changes").json()["counts"] == body["counts"]


def _pandas_frame(series: dict[str, Any]) -> gpd.GeoDataFrame:
    """Version 6 as pandas reads the CSV, with its zone by a spatial join (independent of the server)."""
    table = pd.read_csv(series["dir"] / "v06.csv", encoding="utf-8-sig", dtype=str)
    frame = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["经度"].astype(float), table["纬度"].astype(float)), crs=4326
    )
    zones = hepinggis.load("zones")[["id", "geometry"]]
    joined = gpd.sjoin(frame, zones, how="left", predicate="within")
    frame["zone"] = joined.loc[~joined.index.duplicated(), "id"]
    frame["yuan"] = frame["总投资（万元）"].astype(float) * 1e4
    return frame


@pytest.mark.parametrize(
    ("query", "mask"),
    [
        ({}, lambda f: np.ones(len(f), bool)),
        ({"zone": "manrong"}, lambda f: f["zone"] == "manrong"),
        ({"zone": "满融", "status": "在建"}, lambda f: (f["zone"] == "manrong") & (f["建设状态"] == "在建")),
        (
            {"category": "产业园区", "status": "在建", "min_yuan": "100000000"},
            lambda f: (f["项目类型"] == "产业园区") & (f["建设状态"] == "在建") & (f["yuan"] >= 1e8),
        ),
        ({"min": "1", "max": "3", "unit": "亿元"}, lambda f: (f["yuan"] >= 1e8) & (f["yuan"] <= 3e8)),
        # q: in the name, the id or the unit
        ({"q": "三好街"}, lambda f: f["项目名称"].str.contains("三好街") | f["建设单位"].str.contains("三好街")),
        ({"q": "hp2024-0"}, lambda f: f["项目编号"].str.startswith("HP2024-0")),
    ],
)
def test_filtered_exports_equal_a_pandas_filter(
    client: Any, series: dict[str, Any], query: dict[str, str], mask: Any
) -> None:
    frame = _pandas_frame(series)
    want = frame[mask(frame)]
    rid = series["ids"][6]
    gj = client.get(f"/api/registers/{rid}/projects.geojson", params=query)
    assert gj.status_code == 200, gj.text
    body = gj.json()
    assert len(body["features"]) == len(want)
    total = sum(f["properties"]["investment_cny"] or 0 for f in body["features"])
    assert total == pytest.approx(want["yuan"].sum())
    assert sorted(f["properties"]["name"] for f in body["features"]) == sorted(want["项目名称"])
    if query:
        assert "筛选结果" in body["title"] and any("筛选条件" in c for c in body["credits"])
    xlsx = client.get(f"/api/registers/{rid}/projects.xlsx", params=query)
    assert xlsx.status_code == 200
    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
    assert len(sheets["项目"]) == len(want)
    assert sheets["项目"]["总投资（元）"].sum() == pytest.approx(want["yuan"].sum())
    about = " ".join(sheets["说明"]["说明"].astype(str))
    assert (f"{len(want)} 项" in about) and (("筛选结果" in about) == bool(query))
    csv = client.get(f"/api/registers/{rid}/projects.csv", params=query)
    assert len(pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")) == len(want)
    gpkg = client.get(f"/api/registers/{rid}/projects.gpkg", params=query)
    assert gpkg.status_code == 200, gpkg.text
    layer = gpd.read_file(io.BytesIO(gpkg.content), layer="项目")
    assert len(layer) == len(want) and layer["总投资（元）"].sum() == pytest.approx(want["yuan"].sum())
    notes = " ".join(gpd.read_file(io.BytesIO(gpkg.content), layer="说明")["说明"])
    assert ("筛选结果" in notes) == bool(query)


def test_warnings_per_zone_add_up(client: Any, series: dict[str, Any]) -> None:
    rid = series["ids"][6]
    body = client.get(f"/api/registers/{rid}/warnings").json()
    assert body["as_of"] == "2025-06-30" and len(body["rules_zh"]) >= 5
    assert sum(body["counts"].values()) == len(body["items"])
    inside = sum(sum(z[w] for w in ("逾期", "滞后", "正常", "无法判断")) for z in body["per_zone"])
    assert inside == sum(1 for i in body["items"] if i["zone_id"])
    only = client.get(f"/api/registers/{rid}/projects.geojson", params={"warning": "逾期"}).json()
    assert len(only["features"]) == body["counts"]["逾期"]
    wb = client.get(f"/api/registers/{rid}/warnings", params={"format": "xlsx"})
    sheets = pd.read_excel(io.BytesIO(wb.content), sheet_name=None)
    assert len(sheets["项目"]) == body["counts"]["逾期"] + body["counts"]["滞后"]
    assert {"各功能区", "各街道", "预警规则"} <= set(sheets)


def test_project_history_follows_identity(client: Any, series: dict[str, Any]) -> None:
    truth, ids = series["truth"], series["ids"]
    refused = {u for c, u in truth["changes"]["3-4"] if c == "refused"}
    rows6 = truth["versions"][5]["rows"]
    for row, uid in list(rows6.items())[:40]:
        hist = client.get(f"/api/registers/{ids[6]}/projects/{row}").json()
        assert len(hist["versions"]) == 6
        for h, ver in zip(hist["versions"], truth["versions"], strict=True):
            if h["listed"]:
                assert ver["rows"][str(h["row"])] == uid
            else:  # not in that version, or refused there
                absent = uid not in ver["rows"].values()
                assert absent or (ver["version"] == 4 and uid in refused), (uid, ver["version"])
    assert client.get(f"/api/registers/{ids[6]}/projects/99999").status_code == 404


def test_bad_filters_answer_one_chinese_line(client: Any, series: dict[str, Any]) -> None:
    rid = series["ids"][6]
    for params in ({"zone": "nowhere"}, {"warning": "red"}, {"min": "abc"}, {"unit": "美元"}, {"min_yuan": "-1"}):
        r = client.get(f"/api/registers/{rid}/projects.geojson", params=params)
        assert r.status_code in (400, 422), r.text
        assert list(r.json()) == ["detail"] and "\n" not in r.json()["detail"]
    for h in HOSTILE:
        r = client.get(f"/api/registers/{rid}/projects.geojson", params={"q": h["text"][:100]})
        assert r.status_code == 200, (h, r.text)


def test_confirmations_are_remembered(client: Any, series: dict[str, Any]) -> None:
    ids = series["ids"]
    items = client.get(f"/api/registers/{ids[6]}/changes").json()["items"]
    removed = next(c for c in items if c["change"] == "removed")
    added = next(c for c in items if c["change"] == "added")
    r = client.post(
        f"/api/registers/{ids[6]}/confirm", data={"old_name": removed["name_old"], "new_name": added["name_new"]}
    )
    assert r.status_code == 200, r.text
    after = client.get(f"/api/registers/{ids[6]}/changes").json()
    names = {(c["change"], c["name_zh"]) for c in after["items"]}
    assert ("removed", removed["name_old"]) not in names and ("added", added["name_new"]) not in names
    assert ("renamed", added["name_new"]) in names


def test_proposal_by_file_name(client: Any, series: dict[str, Any]) -> None:
    r = client.get("/api/register-proposal", params={"file_name": "v07.csv"}).json()
    assert r["proposal"]["id"] == series["ids"][6] and r["proposal"]["version"] == 6
    none = client.get("/api/register-proposal", params={"file_name": "完全不同的表.xlsx"}).json()
    assert none["proposal"] is None or none["proposal"]["why"] != "文件名相同（日期、序号除外）"


def test_hostile_names_through_versions_pages_and_exports(client: Any, tmp_path: Path) -> None:
    """Every text of the hostile corpus as a project name and unit, in two versions (renamed in the
    second): it comes out literally escaped in the pages and as text (never a formula) in the xlsx."""
    texts = [h["text"] for h in HOSTILE if h["text"].strip()]
    lines = ["项目名称,建设单位,经度,纬度,建设状态,总投资（万元）"]

    def row(name: str, k: int) -> str:
        cell, unit = ('"' + t.replace('"', '""') + '"' for t in (name, texts[k]))
        return f"{cell},{unit},{123.40 + 0.002 * k:.4f},41.7600,在建,{100 + k}"

    first = "\n".join([*lines, *(row(t, k) for k, t in enumerate(texts))])
    second = "\n".join([*lines, *(row(t + "（二期）" if k % 2 else t, k) for k, t in enumerate(texts))])
    ids = []
    for k, body in enumerate((first, second)):
        data = {"crs": "wgs84"} | ({"replaces": ids[0]} if k else {})
        r = client.post("/api/registers", files={"file": ("恶意.csv", body.encode("utf-8"))}, data=data)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for path in (f"/registers/{ids[1]}/list", f"/registers/{ids[1]}/versions", f"/registers/{ids[1]}/projects/2"):
        page = client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200, (path, page.text[:300])
        html = page.text
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        if path.endswith("/list"):  # a template expression is shown as typed, never evaluated
            assert "{{7*7}}" in html and "&lt;/script&gt;&lt;script&gt;alert(2)" in html
    changes = client.get(f"/api/registers/{ids[1]}/changes").json()
    assert all(c["change"] != "removed" for c in changes["items"])  # renamed at the same site, same unit
    wb = client.get(f"/api/registers/{ids[1]}/projects.xlsx")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(wb.content))
    for r in book["项目"].iter_rows(min_row=2):
        for cell in r:
            assert cell.data_type != "f", cell.value
