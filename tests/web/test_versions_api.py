"""Registers as series through the HTTP API (a real application with its worker processes), on
both stores (the embedded SQLite and PostGIS, a schema of its own): a monthly series uploaded
version after version gives, version against version, exactly the changes made; the filtered
exports and the filtered briefing package hold exactly what a pandas filter of the same file holds."""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import HOSTILE

import hepinggis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An HTTP test client of an application with its worker processes, on the embedded SQLite
    store or on PostGIS (a schema of its own, dropped after; HEPINGGIS_TEST_DSN, else a skip — a
    failure on CI)."""
    import uuid
    import warnings
    from urllib.parse import quote

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    from _server_env import require_dsn

    from hepinggis.web.app import create_app

    url, admin, schema = None, None, ""
    if request.param == "postgis":
        from sqlalchemy import create_engine, text

        dsn = require_dsn()
        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{dsn}{'&' if '?' in dsn else '?'}options={quote(f'-csearch_path={schema},public')}"
    data = tmp_path_factory.mktemp(f"webdata-{request.param}")
    app = create_app(data_dir=data, db_url=url, max_upload=2 * 1024 * 1024)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            c.data_dir = data  # type: ignore[attr-defined]
            c.store_kind = request.param  # type: ignore[attr-defined]
            yield c
    finally:
        app.state.store.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


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


def _pandas_frame(series: dict[str, Any], file: str = "v06.csv") -> gpd.GeoDataFrame:
    """A version (default 6) as pandas reads the CSV, with its zone by a spatial join (independent
    of the server)."""
    table = pd.read_csv(series["dir"] / file, encoding="utf-8-sig", dtype=str)
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
    # amounts as the clerk typed them: the register's 万元, said in the header
    assert "总投资（元）" not in sheets["项目"].columns
    assert sheets["项目"]["总投资（万元）"].sum() == pytest.approx(want["总投资（万元）"].astype(float).sum())
    typed = sheets["项目"].set_index("行号（Excel）")["总投资（万元）"]  # row by row: the CSV's row + 2 (header)
    assert typed.reindex(want.index + 2).to_numpy() == pytest.approx(want["总投资（万元）"].astype(float).to_numpy())
    about = " ".join(sheets["说明"]["说明"].astype(str))
    assert (f"{len(want)} 项" in about) and (("筛选结果" in about) == bool(query))
    csv = client.get(f"/api/registers/{rid}/projects.csv", params=query)
    assert len(pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")) == len(want)
    gpkg = client.get(f"/api/registers/{rid}/projects.gpkg", params=query)
    assert gpkg.status_code == 200, gpkg.text
    layer = gpd.read_file(io.BytesIO(gpkg.content), layer="项目")
    assert len(layer) == len(want) and layer["总投资（万元）"].sum() == pytest.approx(want["yuan"].sum() / 1e4)
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
        f"/api/registers/{ids[6]}/confirm", data={"old_row": removed["row_old"], "new_row": added["row_new"]}
    )
    assert r.status_code == 200, r.text
    kept = r.json()  # kept by identity: the rows' file ids (this series has them), names for the page
    assert kept["old"]["row"] == removed["row_old"] and kept["new"]["row"] == added["row_new"]
    assert kept["old"]["id"] and kept["confirmed"] == [removed["name_old"], added["name_new"]]
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


def _wait_job(client: Any, jid: str, timeout: float = 900) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.5)
    raise AssertionError(f"job {jid} did not finish")


def test_filtered_package_as_of_a_version_equals_a_pandas_filter(client: Any, series: dict[str, Any]) -> None:
    """The briefing package of a filter as of version 2, asked from version 6 (the filter's names
    and ``version``): its statistics workbook counts and sums exactly the projects a pandas filter
    of version 2's file gives, and its gallery, its credits and its manifest say the filter."""
    import json
    import zipfile

    ids = series["ids"]
    frame = _pandas_frame(series, "v02.csv")
    want = frame[(frame["zone"] == "manrong") & (frame["建设状态"] == "在建")]
    assert 0 < len(want) < len(frame)
    query = {"zone": "满融", "status": "在建", "version": "2"}
    r = client.post(f"/api/registers/{ids[6]}/package", params=query)
    assert r.status_code == 202, r.text
    asked = r.json()
    assert asked["register_id"] == ids[2] and asked["projects"] == len(want)
    again = client.post(f"/api/registers/{ids[6]}/package", params=query).json()
    assert again["id"] == asked["id"]  # the same selection asked twice is one build
    assert client.get(asked["zip"]).status_code == 404  # not built yet, or building
    job = _wait_job(client, asked["id"])
    assert job["status"] == "done", job
    assert job["result"]["zip"] == asked["zip"]
    # the register's own package is not this one
    assert client.get(f"/api/registers/{ids[2]}/package.zip").status_code == 404
    got = client.get(asked["zip"])
    assert got.status_code == 200, got.text
    with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
        stats = pd.read_excel(io.BytesIO(zf.read("stats/hepinggis_stats.xlsx")), sheet_name=None)
        gallery = zf.read("index.html").decode("utf-8")
        manifest = json.loads(zf.read(".hepinggis-package.json"))
    by_zone = stats["projects_by_zone"]
    key = by_zone.columns[0]
    counts = by_zone.set_index(key)
    assert counts["项目数(按份额)"].sum() == pytest.approx(len(want))  # zones + 区外 + 未定位
    for zone, n in want["zone"].value_counts().items():
        assert counts.loc[zone, "涉及项目数"] == n, zone
    assert set(counts.index[counts["涉及项目数"].fillna(0) > 0]) <= set(want["zone"].dropna()) | {"区外", "未定位"}
    assert counts["已载明投资(元)"].sum() == pytest.approx(want["yuan"].sum())
    by_jiedao = stats["projects_by_jiedao"]
    assert by_jiedao["项目数(按份额)"].sum() == pytest.approx(len(want))
    assert by_jiedao["已载明投资(元)"].sum() == pytest.approx(want["yuan"].sum())
    sources = " ".join(stats["sources"].astype(str).to_numpy().ravel())
    for text in ("第 2 版", "筛选结果", "功能区：满融", "状态：在建", f"共 {len(want)} 项"):
        assert text in sources, text
        assert text in gallery, text
    about = manifest["about"]
    assert about["version"] == 2 and about["projects"] == len(want)
    assert about["filter"] == {"zone": "满融", "status": "在建"}
    assert any("满融" in w for w in about["filter_zh"]) and about["investment_cny"] == pytest.approx(want["yuan"].sum())
    # the filter page of that version and filter links the package built
    listed = client.get(f"/registers/{ids[2]}/list", params={"zone": "满融", "status": "在建"})
    assert listed.status_code == 200 and f'href="{asked["gallery"]}"' in listed.text
    gallery_page = client.get(asked["gallery"])
    assert gallery_page.status_code == 200 and "筛选结果" in gallery_page.text
    assert client.get(asked["gallery"].replace("index.html", "../../x")).status_code == 404


def test_filtered_package_refuses_a_bad_or_empty_filter(client: Any, series: dict[str, Any]) -> None:
    rid = series["ids"][6]
    for params in ({"zone": "nowhere"}, {"q": "没有这样的项目名称"}, {"version": "99"}, {"warning": "red"}):
        r = client.post(f"/api/registers/{rid}/package", params=params)
        assert r.status_code in (400, 404, 422), (params, r.text)
        assert list(r.json()) == ["detail"] and "\n" not in r.json()["detail"]
    assert client.get(f"/api/registers/{rid}/filtered-packages/..%2F..%2Fx.zip").status_code == 404
    assert client.get(f"/filtered-packages/{rid}/0123456789ab/index.html").status_code == 404


def test_range_typed_in_wan_yuan_is_said_as_typed(client: Any, series: dict[str, Any]) -> None:
    """The page takes the range in the unit the clerk thinks in (万元 here, the register's) and says
    it so; min_yuan/max_yuan stay in 元; both give the same set."""
    rid = series["ids"][6]
    frame = _pandas_frame(series)
    typed = client.get(f"/api/registers/{rid}/projects.geojson", params={"min": "5000", "unit": "万元"}).json()
    in_yuan = client.get(f"/api/registers/{rid}/projects.geojson", params={"min_yuan": "50000000"}).json()
    assert typed["count"] == in_yuan["count"] == int((frame["yuan"] >= 5e7).sum())
    assert "投资不低于 5,000 万元" in typed["filter_zh"]
    assert "投资不低于 0.5 亿元" in in_yuan["filter_zh"]
    page = client.get(f"/registers/{rid}/list", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "<option selected>万元</option>" in page.text  # the register's own unit is proposed


def test_the_package_of_a_merged_version_holds_its_merged_rows(client: Any, series: dict[str, Any]) -> None:
    """Version 5 is version 4 with its 25 refused rows fixed and merged: in no one file. Its package,
    asked as of version 5 without a filter, counts every project of version 5 (not of version 4's file)."""
    import zipfile

    ids, truth = series["ids"], series["truth"]
    r = client.post(f"/api/registers/{ids[6]}/package", params={"version": "5"})
    assert r.status_code == 202, r.text
    asked = r.json()
    assert asked["register_id"] == ids[5] and asked["zip"] == f"/api/registers/{ids[5]}/package.zip"
    job = _wait_job(client, asked["id"])
    assert job["status"] == "done", job
    got = client.get(asked["zip"])
    assert got.status_code == 200
    with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
        stats = pd.read_excel(io.BytesIO(zf.read("stats/hepinggis_stats.xlsx")), sheet_name=None)
    n5 = len(truth["versions"][4]["rows"])
    assert n5 == client.get(f"/api/registers/{ids[5]}").json()["imported"]
    assert stats["projects_by_zone"]["项目数(按份额)"].sum() == pytest.approx(n5)
