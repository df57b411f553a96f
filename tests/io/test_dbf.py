"""A Shapefile's attribute encoding detected from the .dbf records alone (the binary header can
hold any byte), for `adopt` and for `import`; the hint names the command-line option."""

from __future__ import annotations

import struct
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

import hepinggis
from hepinggis.errors import DbfEncodingError
from hepinggis.io._dbf import dbf_encoding, detect_dbf_encoding
from hepinggis.io._tables import detect_encoding, read_raw

NAMES = ["新华街道南湖片区改造项目", "太原街商业综合体", "長白島濱水公园"]


def _shapefile(folder: Path, encoding: str, *, long_text: bool = False) -> Path:
    """Points with Chinese field names (bytes ≥ 128 in the header) and no .cpg nor language byte."""
    frame = gpd.GeoDataFrame(
        {
            "名称": NAMES,
            "备注": ["说明" * (70 if long_text else 3)] * 3,  # a record of ≥ 128 bytes
            **{f"字段{k}": ["甲"] * 3 for k in range(6)},  # a header longer than 255 bytes
        },
        geometry=[Point(123.40, 41.78), Point(123.39, 41.79), Point(123.38, 41.73)],
        crs=4326,
    )
    path = folder / "项目.shp"
    frame.to_file(path, encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # no language driver id: only the records tell
    dbf.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(("encoding", "expected"), [("gbk", "gbk"), ("utf-8", "utf-8")])
def test_the_records_tell_the_encoding(tmp_path: Path, encoding: str, expected: str) -> None:
    path = _shapefile(tmp_path, encoding, long_text=True)
    raw = path.with_suffix(".dbf").read_bytes()
    header_length = struct.unpack_from("<H", raw, 8)[0]
    assert header_length > 255  # its high byte and the field names are binary, not text
    assert detect_dbf_encoding(raw) == expected
    assert dbf_encoding(path, None) == expected
    table = read_raw(path)
    assert table.frame["名称"].tolist() == NAMES


def test_the_old_whole_file_detection_was_wrong_here(tmp_path: Path) -> None:
    """Why the header is skipped: decoding the whole UTF-8 .dbf fails on its header bytes."""
    raw = _shapefile(tmp_path, "utf-8", long_text=True).with_suffix(".dbf").read_bytes()
    with pytest.raises(Exception, match="既不是 UTF-8 也不是 GBK"):
        detect_encoding(raw)
    assert detect_dbf_encoding(raw) == "utf-8"


def test_a_cpg_or_the_option_wins(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, "gbk")
    assert dbf_encoding(path, "GB18030") == "GB18030"
    path.with_suffix(".cpg").write_text("GBK", encoding="ascii")
    assert dbf_encoding(path, None) is None  # GDAL reads the .cpg itself


def test_undecodable_records_name_the_option(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, "gbk")
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    header_length = struct.unpack_from("<H", raw, 8)[0]
    raw[header_length + 1 : header_length + 3] = b"\xff\xff"  # in no encoding tried
    dbf.write_bytes(bytes(raw))
    with pytest.raises(DbfEncodingError, match=r"--encoding GBK") as err:
        dbf_encoding(path, None)
    assert "encoding=" not in str(err.value)


def test_import_of_a_gbk_shapefile_without_cpg(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, "gbk", long_text=True)
    result = hepinggis.read_projects(path)
    assert sorted(result.projects["name"]) == sorted(NAMES)
