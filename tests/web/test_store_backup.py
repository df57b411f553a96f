"""``hepinggis store dump`` → ``store restore`` → identical, on SQLite and on PostGIS; unsafe
archives refused before anything is written."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from _server_env import pg_schemas, pg_url, store_url  # noqa: F401 - fixtures
from sqlalchemy import insert

from hepinggis.cli import main
from hepinggis.errors import StoreBackupError
from hepinggis.web.auth import _audit
from hepinggis.web.auth._accounts import Accounts
from hepinggis.web.store import _schema as s
from hepinggis.web.store._backup import dump, restore, table_digests
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._migrate import upgrade


def _fill(engine, data: Path) -> None:
    acc = Accounts(engine)
    acc.add_user("张三", role="填报", password="Kf8#mQ2!zR7p")
    acc.add_user("审核员", role="审核", password="Kf8#mQ2!zR7q")
    with engine.begin() as conn:
        conn.execute(
            insert(s.registers).values(
                id="r1",
                file_name="../清单 =1+1.xlsx",
                sha256="a" * 64,
                kind="xlsx",
                size=10,
                uploaded_at="2026-01-01T00:00:00+00:00",
                uploader="张三",
                crs="EPSG:4326",
                columns_json="{}",
                rows_in=2,
                imported=2,
                refused=0,
                warned=0,
                report_json="[]",
                per_zone_json="{}",
                per_jiedao_json="{}",
                boundaries="",
            )
        )
        conn.execute(
            insert(s.projects),
            [
                {
                    "register_id": "r1",
                    "row": 3,
                    "name": "北市场项目",
                    "investment_cny": 1.5e8,
                    "lon": 123.4,
                    "lat": 41.8,
                    "geom_wkt": "POINT (123.4 41.8)",
                    "properties_json": "{}",
                },
                {
                    "register_id": "r1",
                    "row": 4,
                    "name": "线",
                    "investment_cny": None,
                    "lon": 123.41,
                    "lat": 41.79,
                    "geom_wkt": "LINESTRING (123.40 41.79, 123.42 41.79)",
                    "properties_json": "{}",
                },
            ],
        )
    _audit.record(engine, action="upload_register", username="张三", object="r1", sha256="a" * 64)
    (data / "files" / "aa").mkdir(parents=True, exist_ok=True)
    (data / "files" / "aa" / ("a" * 64 + ".xlsx")).write_bytes(b"PK\x03\x04 not really")
    (data / "packages" / "r1").mkdir(parents=True, exist_ok=True)
    (data / "packages" / "r1" / "索引.html").write_text("<p>包</p>", encoding="utf-8")


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "sqlite" not in p.name
    }


def test_dump_restore_identical(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest) -> None:  # noqa: F811
    src_dir = tmp_path / "src"
    src = make_engine(src_dir, store_url)
    upgrade(src)
    _fill(src, src_dir)
    before = table_digests(src)
    assert before["projects"][0] == 2 and before["users"][0] == 2 and before["audit_log"][0] == 1
    manifest = dump(src, src_dir, tmp_path / "备份.zip")
    assert manifest["tables"]["registers"]["rows"] == 1
    # restore into a fresh store of the same kind: a second schema / a new folder
    dest_url = request.getfixturevalue("pg_schemas")() if store_url else None
    dest_dir = tmp_path / "dest"
    dest = make_engine(dest_dir, dest_url)
    restore(dest, dest_dir, tmp_path / "备份.zip")
    assert table_digests(dest) == before
    assert _files(dest_dir) == _files(src_dir)
    dump(dest, dest_dir, tmp_path / "again.zip")
    with zipfile.ZipFile(tmp_path / "备份.zip") as a, zipfile.ZipFile(tmp_path / "again.zip") as b:
        ma, mb = json.loads(a.read("manifest.json")), json.loads(b.read("manifest.json"))
    assert ma == mb
    # the restored accounts log in, and new rows get fresh ids
    assert Accounts(dest).login("张三", "Kf8#mQ2!zR7p", address="x")[1].role == "填报"
    _audit.record(dest, action="login", username="张三")
    assert _audit.entries(dest)[0]["id"] == 2
    with pytest.raises(StoreBackupError, match="不是空的"):
        restore(dest, dest_dir, tmp_path / "备份.zip")
    src.dispose()
    dest.dispose()


def test_cli_dump_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = make_engine(tmp_path / "a")
    upgrade(src)
    _fill(src, tmp_path / "a")
    assert main(["store", "dump", str(tmp_path / "d.zip"), "--data", str(tmp_path / "a")]) == 0
    assert main(["store", "restore", str(tmp_path / "d.zip"), "--data", str(tmp_path / "b")]) == 0
    assert main(["store", "restore", str(tmp_path / "d.zip"), "--data", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "不是空的" in err[0]
    assert main(["store", "restore", str(tmp_path / "nothing.zip"), "--data", str(tmp_path / "c")]) == 1


def _evil_zip(path: Path, member: str, data: bytes = b"x", *, manifest: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if manifest:
            zf.writestr("manifest.json", json.dumps({"format": "hepinggis-store-dump/1", "tables": {}, "files": {}}))
        zf.writestr(member, data)
    return path


@pytest.mark.parametrize(
    "member",
    ["../../evil.txt", "/etc/evil", "files/../../evil", "files\\..\\evil", "C:/evil", "files//x"],
)
def test_zip_slip_refused(tmp_path: Path, member: str) -> None:
    eng = make_engine(tmp_path / "d")
    with pytest.raises(StoreBackupError, match="不安全"):
        restore(eng, tmp_path / "d", _evil_zip(tmp_path / "e.zip", member))
    assert not (tmp_path / "evil.txt").exists() and not list((tmp_path / "d").glob("files/*"))


def test_zip_bomb_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "hepinggis-store-dump/1", "tables": {}, "files": {}}))
        with zf.open("files/bomb.bin", "w") as out:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
                out.write(chunk)
    path = tmp_path / "bomb.zip"
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 2_000_000
    eng = make_engine(tmp_path / "d")
    with pytest.raises(StoreBackupError, match="压缩炸弹"):
        restore(eng, tmp_path / "d", path)


def test_not_a_dump_refused(tmp_path: Path) -> None:
    eng = make_engine(tmp_path / "d")
    with pytest.raises(StoreBackupError, match="manifest"):
        restore(eng, tmp_path / "d", _evil_zip(tmp_path / "e.zip", "x.txt", manifest=False))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(StoreBackupError, match="无法读取"):
        restore(eng, tmp_path / "d", tmp_path / "junk.zip")
