"""What the package says to the bureau about an import — ``import_report.html`` and the sheets of its
statistics workbook — in the page's words: the forbidden-pattern scan of the pages (no ``--flag``,
path, hash, ``+00:00``, ``e+0``, English code, "geometry") over every text they hold but what the
users typed. The same report in the command line's words names flags (so the scan can fail)."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from _crs_points import inside_points

from hepinggis.base.coords import wgs84_to_gcj02
from hepinggis.base.messages import forbidden_in, forbidden_spans
from hepinggis.briefing import _import_page
from hepinggis.io.importer import ImportResult, read_projects
from hepinggis.plan.layers import load
from hepinggis.stats import write_stats

DATA = Path(__file__).resolve().parents[1] / "data"
FILTERED = DATA / "registers" / "clerk" / "科室清单_筛选隐藏公式.xlsx"
HOSTILE = [h["text"] for h in json.loads((DATA / "hostile.json").read_text(encoding="utf-8"))["corpus"]]


def _east_edge_point() -> tuple[float, float]:
    """A WGS 84 point inside the district whose 高德 (GCJ-02) coordinates, read as WGS 84, fall
    clearly outside it: the import warns and says which system would put it inside."""
    district = load("district").to_crs("EPSG:4550").geometry.union_all()
    inner, outer = district.buffer(-50), district.buffer(300)
    minx, miny, maxx, maxy = load("district").total_bounds
    lon, lat = np.meshgrid(np.linspace(minx, maxx, 150), np.linspace(miny, maxy, 150))
    pts = gpd.GeoSeries(shapely.points(lon.ravel(), lat.ravel()), crs="EPSG:4326")
    gx, gy = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    moved = gpd.GeoSeries(shapely.points(gx, gy), crs="EPSG:4326").to_crs("EPSG:4550")
    ok = shapely.contains(inner, pts.to_crs("EPSG:4550").values) & ~shapely.contains(outer, moved.values)
    k = int(np.flatnonzero(ok)[0])
    return float(gx[k]), float(gy[k])


def _messy_register(path: Path) -> Path:
    """Rows every coordinate refusal and warning meets, named by the hostile corpus."""
    xs, ys = inside_points(12)
    rows = [
        [HOSTILE[k % len(HOSTILE)], f"{x:.7f}", f"{y:.7f}", "1200"] for k, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    gx, gy = _east_edge_point()
    rows += [
        ["颠倒的行", "41.76", "123.40", "10"],  # swapped
        ["米制坐标的行", "41534200", "4615342", "10"],  # metres (EPSG:4529 easting) as degrees
        ["远处的行", "116.40", "39.90", "10"],  # Beijing
        ["高德坐标的行", f"{gx:.7f}", f"{gy:.7f}", "10"],  # outside as WGS 84, inside as GCJ-02
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["项目名称", "经度", "纬度", "总投资（万元）"])
        writer.writerows(rows)
    return path


def _user_texts(result: ImportResult) -> list[str]:
    out = {*HOSTILE, Path(result.source).name}
    for col in ("name", "id", "address", "category", "status"):
        if col in result.projects.columns:
            out |= {str(v) for v in result.projects[col].dropna()}
    out |= {str(v) for v in result.report["name"].dropna()}
    return sorted((t for t in out if t), key=len, reverse=True)


def _clean(text: str, user: list[str]) -> str:
    for t in user:
        text = text.replace(t, " ")
    return text


def _workbook_texts(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    texts = [sheet.title for sheet in book.worksheets]
    for sheet in book.worksheets:
        texts += [str(c.value) for row in sheet.iter_rows() for c in row if c.data_type == "s" and c.value]
    return "\n".join(texts)


@pytest.mark.parametrize("case", ["messy", "clerk"])
def test_the_packages_import_report_and_workbook_are_in_the_bureaus_words(tmp_path: Path, case: str) -> None:
    if case == "messy":
        result = read_projects(_messy_register(tmp_path / "杂乱的清单.csv"), crs="wgs84", unit="万元")
        expected = ["--crs", "--col", "--unit"]
    else:
        result = read_projects(FILTERED, crs="gcj02")
        expected = ["--crs", "--skip-hidden"]
    said = " ".join(str(m) for m in result.report_zh(issues_only=True)["说明"])
    assert all(flag in said for flag in expected), said  # the command line's words name the flags…
    assert "--flag" in forbidden_in(said)  # …which the scan catches
    user = _user_texts(result)
    page = html.unescape(re.sub(r"<[^>]+>", " ", _import_page(tmp_path, result).read_text(encoding="utf-8")))
    assert forbidden_spans(_clean(page, user)) == []
    assert "坐标按所选坐标系" in page and "（GCJ-02）" in page  # the systems by their Chinese names
    if case == "messy":  # the controls the page's words name, numbers in plain digits
        assert "“坐标系”一栏" in page and "“投资单位”一栏" in page and "预览表“角色”一行" in page
        assert "41534200" in page
    else:
        assert "勾选“跳过 Excel 中隐藏或筛选掉的行”" in page
    book = write_stats(
        tmp_path / "stats", chinese=True, projects=result.projects, import_report=result.report_zh(words="page")
    )["workbook"]
    texts = _workbook_texts(book)
    assert "坐标按所选坐标系" in texts  # the import_report sheet is there, in the page's words
    assert forbidden_spans(_clean(texts, user)) == []
