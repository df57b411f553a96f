"""The HTTP API through a test client on a real application (its worker processes included):
every refusal answers one Chinese line as JSON with the right status, never a traceback."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from conftest import BAD_ROWS, GBK_TITLE, HOSTILE

MB = 1024 * 1024


def _one_chinese_line(r: Any, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["detail"] and isinstance(body["detail"], str)
    line = body["detail"]
    assert "\n" not in line and "Traceback" not in line and any("\u4e00" <= c <= "\u9fff" for c in line), line
    return line


@pytest.fixture(scope="module")
def gbk(client: Any) -> dict[str, Any]:
    r = client.post("/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data={"crs": "gcj02"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_upload_answers_the_summary(gbk: dict[str, Any]) -> None:
    assert (gbk["imported"], gbk["refused"], gbk["crs"]) == (60, 0, "gcj02")
    assert sum(z["projects"] for z in gbk["per_zone"]) == 60
    assert sum(j["projects"] for j in gbk["per_jiedao"]) == 60
    assert {"id", "imported", "refused", "crs", "per_zone", "per_jiedao"} <= set(gbk)


def test_register_is_kept_with_its_name_digest_time_and_uploader(client: Any, gbk: dict[str, Any]) -> None:
    import hashlib

    listed = {r["id"]: r for r in client.get("/api/registers").json()}
    kept = listed[gbk["id"]]
    assert kept["file_name"] == GBK_TITLE.name
    assert kept["sha256"] == hashlib.sha256(GBK_TITLE.read_bytes()).hexdigest()
    assert kept["uploader"] == "本机用户" and kept["uploaded_at"].endswith("+00:00")
    # stored by its digest, never by its name
    stored = [p.name for p in (client.data_dir / "files").rglob("*") if p.is_file()]
    assert f"{kept['sha256']}.csv" in stored and GBK_TITLE.name not in stored


def test_geojson_and_report(client: Any, gbk: dict[str, Any]) -> None:
    gj = client.get(f"/api/registers/{gbk['id']}/projects.geojson")
    assert gj.headers["content-type"].startswith("application/geo+json")
    features = gj.json()["features"]
    assert len(features) == 60 and features[0]["geometry"]["type"] == "Point"
    assert features[0]["properties"]["row"] == 3  # the header is on row 2, under the title
    report = client.get(f"/api/registers/{gbk['id']}/report").json()
    assert report["refused_rows"] == [] and report["rows_in"] == 60


def test_refused_rows_are_reported_and_downloadable(client: Any) -> None:
    import openpyxl

    r = client.post("/api/registers", files={"file": (BAD_ROWS.name, BAD_ROWS.read_bytes())}, data={"crs": "gcj02"})
    assert r.status_code == 201
    body = r.json()
    assert body["refused"] > 0 and body["imported"] + body["refused"] == 12
    report = client.get(f"/api/registers/{body['id']}/report").json()
    rows = sorted({line["row"] for line in report["refused_rows"]})
    assert len(rows) == body["refused"] and all(isinstance(n, int) and n >= 2 for n in rows)
    assert all(line["message"] for line in report["refused_rows"])
    x = client.get(f"/api/registers/{body['id']}/report?format=xlsx")
    assert x.status_code == 200 and "filename*=utf-8''" in x.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(got) == rows
    assert [c.value for c in sheet[1]][:2] == ["原行号", "拒绝原因"]


def test_mapping_is_remembered_by_header_signature(client: Any) -> None:
    first = client.post("/api/preview", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}).json()
    sig = first["preview"]["header_signature"]
    assert first["preview"]["crs_proposed"] == "gcj02"
    r = client.post(
        "/api/registers",
        data={
            "upload": first["upload"]["sha256"],
            "file_name": "again.csv",
            "crs": "gcj02",
            "columns": json.dumps({"name": "项目名称", "x": "X坐标", "y": "Y坐标"}, ensure_ascii=False),
            "signature": sig,
        },
    )
    assert r.status_code == 201, r.text
    again = client.post("/api/preview", data={"upload": first["upload"]["sha256"], "file_name": "x.csv"}).json()
    assert again["remembered"]["crs"] == "gcj02"
    assert again["remembered"]["columns"] == {"name": "项目名称", "x": "X坐标", "y": "Y坐标"}
    assert client.get(f"/api/mappings/{sig}").json()["crs"] == "gcj02"


def test_changes_against_another_register(client: Any, gbk: dict[str, Any], tmp_path: Any) -> None:
    text = GBK_TITLE.read_bytes().decode("gb18030").splitlines()
    text = [line for line in text if not line.startswith("5,")]  # project 005 gone
    text = [line.replace(",在建,", ",已建成,", 1) if line.startswith("1,") else line for line in text]
    r = client.post(
        "/api/registers", files={"file": ("next.csv", "\n".join(text).encode("gb18030"))}, data={"crs": "gcj02"}
    )
    assert r.status_code == 201
    changes = client.get(f"/api/registers/{r.json()['id']}/changes?against={gbk['id']}").json()
    kinds = {c["change"] for c in changes["items"]}
    assert kinds == {"removed", "status"} and changes["counts"] == {"removed": 1, "status": 1}
    assert changes["old"]["id"] == gbk["id"]


def test_a_register_page_lists_its_first_changes_and_every_change_is_one_click_away(
    client: Any, gbk: dict[str, Any], tmp_path: Any
) -> None:
    """Against a register of other projects nearly every project is a change (≈ 250 new, 60 gone):
    the page lists the first `CHANGE_TABLE_ROWS` and says so, 显示全部 lists all, the download holds
    all — each as the changes API counts them."""
    import re

    import pandas as pd

    from hepinggis.io._synthetic import write_register
    from hepinggis.web.pages.routes import CHANGE_TABLE_ROWS

    path = write_register(tmp_path / "二五零项.csv", 250, seed=3)
    r = client.post("/api/registers", files={"file": (path.name, path.read_bytes())}, data={"crs": "gcj02"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    kinds = [c["change"] for c in client.get(f"/api/registers/{rid}/changes?against={gbk['id']}").json()["items"]]
    n = len(kinds)
    assert n > 250 and kinds.count("added") > 240 and kinds.count("removed") > 50
    page = client.get(f"/registers/{rid}?against={gbk['id']}").text
    rows = re.findall(r'<tr data-change="(\w+)"', page)
    assert len(rows) == CHANGE_TABLE_ROWS < n
    assert f"下表列出前 {CHANGE_TABLE_ROWS} 项（共 {n} 项）" in page
    link = re.search(r'<a href="([^"]+)" id="all-changes">显示全部 (\d+) 项</a>', page)
    assert link and int(link[2]) == n
    whole = client.get(link[1].replace("&amp;", "&")).text
    assert sorted(re.findall(r'<tr data-change="(\w+)"', whole)) == sorted(kinds)
    assert 'id="all-changes"' not in whole
    xlsx = re.search(r'<a href="([^"]+)" id="changes-xlsx"', page)
    assert xlsx
    book = pd.read_excel(io.BytesIO(client.get(xlsx[1].replace("&amp;", "&")).content), engine="openpyxl")
    assert len(book) == n


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/registers/{x}", "get"),
        ("/api/registers/{x}/report", "get"),
        ("/api/registers/{x}/report?format=xlsx", "get"),
        ("/api/registers/{x}/projects.geojson", "get"),
        ("/api/registers/{x}/changes", "get"),
        ("/api/registers/{x}", "delete"),
        ("/api/registers/{x}/package", "post"),
        ("/api/registers/{x}/package.zip", "get"),
        ("/api/jobs/{x}", "get"),
        ("/api/monitoring/{x}", "get"),
        ("/api/monitoring/{x}/package", "post"),
        ("/api/monitoring/{x}/package.zip", "get"),
        ("/api/mappings/{x}", "get"),
        ("/registers/{x}", "get"),
        ("/maps/{x}.html", "get"),
        ("/packages/{x}/index.html", "get"),
    ],
)
def test_unknown_ids_are_404_in_chinese(client: Any, path: str, method: str) -> None:
    for x in ("0" * 32, "nosuch", "'; DROP TABLE registers; --"):
        r = getattr(client, method)(path.replace("{x}", x))
        line = _one_chinese_line(r, 404)
        assert "找不到" in line


def test_unknown_route_and_method(client: Any) -> None:
    _one_chinese_line(client.get("/api/nothing-here"), 404)
    _one_chinese_line(client.put("/api/registers"), 405)


def test_package_zip_before_a_build_is_404(client: Any, gbk: dict[str, Any]) -> None:
    assert "尚未生成" in _one_chinese_line(client.get(f"/api/registers/{gbk['id']}/package.zip"), 404)


def test_too_large_by_content_length(client: Any) -> None:
    big = b"a,b\n" * (700 * 1024)  # 2.8 MB > the 2 MB limit of the test application
    line = _one_chinese_line(
        client.post("/api/registers", files={"file": ("big.csv", big)}, data={"crs": "wgs84"}), 413
    )
    assert "上限" in line


def test_too_large_while_streaming_without_content_length(client: Any) -> None:
    sent = []

    def body() -> Any:
        head = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        yield head
        for _ in range(40):  # 40 × 128 KiB = 5 MB, stopped long before the end
            sent.append(1)
            yield b"x" * (128 * 1024)
        yield b"\r\n--XX--\r\n"

    r = client.post("/api/registers", content=body(), headers={"content-type": "multipart/form-data; boundary=XX"})
    _one_chinese_line(r, 413)


def test_types_are_read_from_the_content(client: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    _one_chinese_line(client.post("/api/registers", files={"file": ("清单.csv", png)}, data={"crs": "wgs84"}), 415)
    gpkg = b"SQLite format 3\x00" + b"\x00" * 2000
    assert "只接受" in _one_chinese_line(
        client.post("/api/registers", files={"file": ("清单.xlsx", gpkg)}, data={"crs": "wgs84"}), 415
    )
    _one_chinese_line(
        client.post("/api/boundaries", files={"file": ("b.zip", b"name,x\n1,2\n")}, data={"as": "zones"}), 415
    )
    _one_chinese_line(client.post("/api/monitoring", files={"file": ("m.csv", png)}), 415)


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        ({}, "推荐 高德/腾讯坐标（GCJ-02）"),
        ({"crs": "mars"}, "不认识的坐标系"),
        ({"crs": "wgs84", "columns": "{not json"}, "JSON"),
        ({"crs": "wgs84", "columns": '{"colour": "项目名称"}'}, "未知的列角色"),
        ({"crs": "wgs84", "unit": "美元"}, "投资单位"),
        ({"crs": "wgs84", "header_row": "0"}, "“表头在第几行”的取值无效"),
        ({"crs": "wgs84", "header_row": "abc"}, "“表头在第几行”的取值无效"),
    ],
)
def test_bad_options_are_400(client: Any, data: dict[str, str], expect: str) -> None:
    r = client.post("/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data=data)
    assert expect in _one_chinese_line(r, 400)


def test_empty_and_missing_files(client: Any) -> None:
    assert "空" in _one_chinese_line(
        client.post("/api/registers", files={"file": ("e.csv", b"")}, data={"crs": "wgs84"}), 400
    )
    _one_chinese_line(client.post("/api/registers", data={"crs": "wgs84"}), 400)
    _one_chinese_line(client.post("/api/registers", data={"crs": "wgs84", "upload": "../../etc/passwd"}), 400)
    _one_chinese_line(client.post("/api/monitoring"), 400)


def test_an_import_that_fails_says_why_without_a_path(client: Any) -> None:
    r = client.post(
        "/api/registers", files={"file": ("无坐标.csv", "名称,备注\n甲,乙\n".encode())}, data={"crs": "wgs84"}
    )
    line = _one_chinese_line(r, 400)
    assert "无坐标.csv" in line
    assert str(client.data_dir) not in line and "/files/" not in line


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_archives_are_checked_member_by_member(client: Any) -> None:
    slip = _zip({"../../evil.shp": b"x", "ok.dbf": b"y"})
    line = _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", slip)}, data={"as": "zones"}), 400)
    assert "之外" in line
    absolute = _zip({"/etc/evil.shp": b"x"})
    _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", absolute)}, data={"as": "zones"}), 400)
    bomb = _zip({"zones.shp": b"\0" * (64 * MB)})
    assert len(bomb) < MB
    line = _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", bomb)}, data={"as": "zones"}), 400)
    assert "压缩" in line
    many = _zip({f"f{i}.txt": b"" for i in range(5001)})
    _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", many)}, data={"as": "zones"}), 400)
    empty = _zip({"readme.txt": b"hello"})
    assert "没有" in _one_chinese_line(
        client.post("/api/boundaries", files={"file": ("b.zip", empty)}, data={"as": "zones"}), 400
    )
    assert not list((client.data_dir / "boundaries").glob("*.gpkg"))
    assert not any(p.name == "evil.shp" for p in client.data_dir.rglob("*"))


def test_boundary_layer_must_be_named(client: Any) -> None:
    z = _zip({"a.shp": b"x"})
    _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", z)}, data={"as": "roads"}), 400)
    _one_chinese_line(client.post("/api/boundaries", files={"file": ("b.zip", z)}), 400)
    _one_chinese_line(client.post("/api/boundaries/choose", data={"id": "nosuch"}), 404)


def test_delete_is_explicit_and_final(client: Any) -> None:
    r = client.post(
        "/api/registers", files={"file": ("del.csv", GBK_TITLE.read_bytes() + b"\n")}, data={"crs": "gcj02"}
    )
    rid, sha = r.json()["id"], r.json()["sha256"]
    assert client.delete(f"/api/registers/{rid}").json() == {"deleted": rid}
    _one_chinese_line(client.get(f"/api/registers/{rid}"), 404)
    _one_chinese_line(client.delete(f"/api/registers/{rid}"), 404)
    assert not list((client.data_dir / "files").rglob(f"{sha}.*"))
    assert not (client.data_dir / "maps" / f"{rid}.html").exists()


def test_hostile_text_comes_back_literally_and_is_escaped_in_pages(client: Any) -> None:
    from hepinggis.base.coords import wgs84_to_gcj02

    x, y = wgs84_to_gcj02(123.418, 41.758)
    texts = [c["text"] for c in HOSTILE]
    lines = ["项目名称,经度,纬度,备注"]
    for k, t in enumerate(texts):
        cell = '"' + t.replace('"', '""') + '"'
        lines.append(f"{cell},{x + k * 1e-4:.6f},{y:.6f},{cell}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    for name in (t for t in texts if len(t) < 150):
        r = client.post("/api/registers", files={"file": (name, data)}, data={"crs": "gcj02"})
        assert r.status_code == 201, (name, r.text)
        body = r.json()
        # the client sends " as %22 (HTML standard) and the server shows it as "; the multipart
        # parser reads an old browser's full Windows path (C:\\…\\name) as its last part
        assert body["file_name"] == name if "\\" not in name else name.endswith(body["file_name"])
        page = client.get(f"/registers/{body['id']}").text
        assert "<img src=x onerror" not in page and "<script>alert" not in page and "<svg onload" not in page
    rid = body["id"]
    assert body["imported"] == len(texts)
    features = client.get(f"/api/registers/{rid}/projects.geojson").json()["features"]
    names = [f["properties"]["name"] for f in features]
    assert names == texts
    notes = [f["properties"]["备注"] for f in features]
    assert notes == texts
    page = client.get(f"/registers/{rid}").text
    assert "{{7*7}}" in client.get("/registers").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get("/registers").text
    assert "49" not in page.split("reg-name", 1)[1].split("</h1>", 1)[0]
