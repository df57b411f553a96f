"""The API's register round trip on a real application with its worker processes."""

from __future__ import annotations

from typing import Any

from conftest import GBK_TITLE


def test_health(client: Any) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_register_round_trip(client: Any) -> None:
    r = client.post("/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data={"crs": "wgs84"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["imported"], body["refused"], body["crs"]) == (60, 0, "wgs84")
    zones = [z for z in body["per_zone"] if z["id"] not in ("outside", "unplaced")]
    assert sum(z["projects"] for z in zones) == 54  # 3+5+5+4+11+26: six projects lie outside every zone…
    places = {z["id"]: z["projects"] for z in body["per_zone"] if z["id"] in ("outside", "unplaced")}
    assert places == {"outside": 6, "unplaced": 0}  # …and are the table's 区外 row: 合计 = imported
    assert sum(z["projects"] for z in body["per_zone"]) == body["imported"] == 60
    assert body["rows_in"] == body["imported"] + body["refused"] + body["skipped"]
    listed = client.get("/api/registers").json()
    assert body["id"] in [r["id"] for r in listed]
    one = client.get(f"/api/registers/{body['id']}").json()
    assert one["file_name"] == GBK_TITLE.name and len(one["sha256"]) == 64
    gj = client.get(f"/api/registers/{body['id']}/projects.geojson").json()
    assert len(gj["features"]) == 60


def test_unknown_register_is_404_in_chinese(client: Any) -> None:
    r = client.get("/api/registers/nosuchid")
    assert r.status_code == 404
    assert r.json() == {"detail": "找不到该清单（编号不存在或已删除）"}
