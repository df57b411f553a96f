"""Registers as offices keep them (issue 23): two-row merged headers with group units, a 单位 line,
sections with restarting 序号, merged-down cells, hidden and filtered rows, 合计 and 注 rows, a list
on the second sheet, real .xls, an .xlsx named .xls and Excel's 另存为 CSV. The corpus in
``tests/data/registers`` is written by ``tools/make_registers.py`` with every row's expected outcome
and amount in 元 in a truth file beside it; per-zone counts are checked against an independent
geopandas ``sjoin`` of the positions the rows were made from."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

import hepinggis
from hepinggis.base.coords import wgs84_to_bd09
from hepinggis.errors import ImportFileError
from hepinggis.io import preview_register

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "registers"
XLSX = DATA / "重点建设项目清单_两行表头.xlsx"
SECOND = DATA / "重点建设项目清单_第二个工作表.xlsx"
XLS = DATA / "重点建设项目清单_两行表头.xls"
FAKE_XLS = DATA / "重点建设项目清单_实为xlsx.xls"
CSV = DATA / "重点建设项目清单_另存为CSV_GBK.csv"
CORPUS = {XLSX: {}, SECOND: {"sheet": "项目清单"}, XLS: {}, FAKE_XLS: {}, CSV: {}}


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_registers", ROOT / "tools" / "make_registers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_registers"] = module
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


def _truth(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".truth.json").read_text(encoding="utf-8"))


def check_against_truth(result: hepinggis.ImportResult, truth: dict) -> None:
    """Every row's outcome (and the reason's words), every amount in 元, category and 建设单位 as the
    truth says; nothing unaccounted for."""
    rows = truth["rows"]
    report = result.report
    assert result.rows_in == len(rows)
    assert result.n_imported + result.n_rejected + result.n_skipped == result.rows_in
    assert set(report["row"].dropna().astype(int)) == {int(r) for r in rows}
    by_row = {int(r): g for r, g in report.dropna(subset=["row"]).groupby("row")}
    for r, want in rows.items():
        mine = by_row[int(r)]
        outcome, *rest = want["expect"].split(" ", 1)
        assert set(mine["outcome"]) == {outcome}, (r, want, mine.to_dict("records"))
        if outcome == "rejected":
            assert rest[0] in " ".join(mine["message"]), (r, want, mine["message"].tolist())
        elif outcome == "imported" and rest:
            kind, fragment = rest[0].split(" ", 1)
            assert fragment in " ".join(mine.loc[mine["level"] == kind, "message"]), (r, mine["message"].tolist())
        elif outcome == "imported":
            assert set(mine["level"]) == {""}, (r, mine["message"].tolist())
    projects = result.projects.set_index("row")
    imported = {int(r): t for r, t in rows.items() if t["expect"].startswith("imported")}
    assert sorted(projects.index) == sorted(imported)
    for r, t in imported.items():
        got = projects.loc[r, "investment_cny"]
        assert (np.isnan(got) and t["investment_cny"] is None) or got == pytest.approx(t["investment_cny"], rel=1e-12)
        assert projects.loc[r, "category"] == t["category"]
        owner = projects.loc[r, "项目基本信息/建设单位"]
        assert (owner if owner != "" else None) == t["owner"], r


def check_zones_against_sjoin(result: hepinggis.ImportResult, truth: dict) -> None:
    zones = hepinggis.load("zones")
    ours = hepinggis.projects_by_zone(result.projects, zones)["projects_any_share"]
    rows = [t for t in truth["rows"].values() if t["expect"].startswith("imported")]
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy([t["lon"] for t in rows], [t["lat"] for t in rows]), crs=4326)
    joined = gpd.sjoin(points, zones[["id", "geometry"]], predicate="within")
    theirs = joined.groupby("id").size().reindex(zones["id"], fill_value=0)
    assert ours.tolist() == theirs.tolist() and int(ours.sum()) == len(rows)


@pytest.fixture(scope="module", params=list(CORPUS), ids=lambda p: p.name)
def office(request: pytest.FixtureRequest) -> tuple[Path, hepinggis.ImportResult]:
    path = request.param
    return path, hepinggis.read_projects(path, **CORPUS[path])


def test_every_row_of_an_office_register_comes_out_as_its_truth_says(
    office: tuple[Path, hepinggis.ImportResult],
) -> None:
    path, result = office
    check_against_truth(result, _truth(path))


def test_per_zone_counts_equal_an_independent_sjoin(office: tuple[Path, hepinggis.ImportResult]) -> None:
    path, result = office
    check_zones_against_sjoin(result, _truth(path))


def test_the_header_units_crs_and_lines_above_are_read_and_said(office: tuple[Path, hepinggis.ImportResult]) -> None:
    path, result = office
    assert result.header_rows == [3, 4]
    assert result.columns["investment"] == "投资情况（万元）/总投资"
    assert result.columns["x"] == "位置（百度坐标）/经度" and result.crs == "bd09"
    unit = result.units["投资情况（万元）/总投资"]
    assert unit.name == "万元" and unit.source == "分组表头“投资情况（万元）”"
    notes = result.report[result.report["outcome"] == "note"]["message"].tolist()
    assert any("位置（百度坐标）" in n and "BD-09" in n for n in notes)
    assert any("单位：万元" in n for n in notes) and any("填报单位" in n for n in result.title_lines)
    assert any("项目类型" in n and "产业项目" in n for n in notes)  # sections became the category
    if path != CSV:
        assert any("向下填充" in n for n in notes)
    assert not any("按元计" in m for m in result.report["message"])  # never 元 while 万元 is stated


def test_a_register_on_the_second_sheet_says_which_sheets_there_are() -> None:
    with pytest.raises(ImportFileError) as err:
        hepinggis.read_projects(SECOND)
    message = str(err.value)
    assert "1 填表说明、2 项目清单" in message and "--sheet 项目清单" in message and "--sheet 2" in message
    assert "\n" not in message
    by_number = hepinggis.read_projects(SECOND, sheet="2")
    by_name = hepinggis.read_projects(SECOND, sheet="项目清单")
    assert by_number.n_imported == by_name.n_imported > 0 and by_number.sheet == "项目清单"
    with pytest.raises(ImportFileError, match="没有工作表“3”"):
        hepinggis.read_projects(SECOND, sheet="3")


def test_hidden_and_filtered_rows_are_warned_about_or_skipped() -> None:
    truth = _truth(XLSX)["rows"]
    hidden = {int(r): t["hidden"] for r, t in truth.items() if t["hidden"]}
    assert set(hidden.values()) == {"hidden", "filtered"}
    kept = hepinggis.read_projects(XLSX)
    warned = kept.warnings.set_index("row")["message"]
    for r, kind in hidden.items():
        assert ("筛选" in warned.loc[r]) == (kind == "filtered") and "隐藏" in warned.loc[r]
    skipped = hepinggis.read_projects(XLSX, skip_hidden=True)
    assert skipped.n_imported == kept.n_imported - len(hidden)
    lines = skipped.report[skipped.report["outcome"] == "skipped"].set_index("row")["message"]
    assert all("--skip-hidden" in lines.loc[r] for r in hidden)
    assert not set(hidden) & set(skipped.projects["row"])


def test_xls_hidden_rows_and_merges_come_through_xlrd() -> None:
    result = hepinggis.read_projects(XLS)
    hidden = [int(r) for r, t in _truth(XLS)["rows"].items() if t["hidden"]]
    assert len(hidden) == 4 and all(r in set(result.warnings["row"]) for r in hidden)


def test_a_formula_never_calculated_is_said_per_cell() -> None:
    result = hepinggis.read_projects(XLSX)
    formula = result.report[result.report["message"].str.contains("公式未计算，请在 Excel 中打开并保存后再导入")]
    assert set(formula["outcome"]) == {"rejected", "imported"} and len(formula) == 2
    assert "纬度" in " ".join(formula["message"]) and "2024年计划投资" in " ".join(formula["message"])


def test_totals_sections_and_notes_are_listed_not_refused() -> None:
    result = hepinggis.read_projects(XLSX)
    skipped = result.report[result.report["outcome"] == "skipped"]["message"]
    assert sum("合计行" in m for m in skipped) == 1
    assert sum("分部标题行" in m for m in skipped) == 3
    assert sum("表尾注释" in m for m in skipped) == 2
    assert not result.rejected["message"].str.contains("缺少项目名称").any()
    assert result.projects["序号"].duplicated().any()  # 序号 restarts per section: never an id
    assert set(result.projects["section"]) == {"产业项目", "城建项目", "民生项目"}


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.mark.parametrize(
    ("lines", "kwargs", "factor", "source"),
    [
        (["单位：万元", "项目名称,总投资,经度,纬度", "甲,12,123.40,41.76"], {}, 1e4, "表头上方“单位：万元”"),
        (["项目名称,总投资（亿元）,经度,纬度", "甲,12,123.40,41.76"], {}, 1e8, "表头“总投资（亿元）”"),
        (["单位：万元", "项目名称,总投资（亿元）,经度,纬度", "甲,12,123.40,41.76"], {}, 1e8, "表头“总投资（亿元）”"),
        (["单位：万元", "项目名称,总投资,经度,纬度", "甲,12,123.40,41.76"], {"unit": "亿元"}, 1e8, "--unit 亿元"),
        (["项目名称,总投资,已完成金额（万元）,经度,纬度", "甲,12,3,123.40,41.76"], {}, 1e4, "唯一注明的单位"),
        (["金额单位：元", "项目名称,总投资,经度,纬度", "甲,12,123.40,41.76"], {}, 1.0, "表头上方"),
    ],
)
def test_units_come_from_where_the_sheet_states_them(
    tmp_path: Path, lines: list[str], kwargs: dict, factor: float, source: str
) -> None:
    result = hepinggis.read_projects(_write(tmp_path / "u.csv", lines), crs="wgs84", **kwargs)
    assert result.projects["investment_cny"].iloc[0] == 12 * factor
    unit = result.units["总投资" if "总投资" in result.units else "总投资（亿元）"]
    assert source in unit.source


def test_a_cell_unit_wins_and_a_bare_number_is_never_yuan_when_a_unit_is_stated(tmp_path: Path) -> None:
    lines = [
        "填报单位：区发改局,,,,单位：万元",
        "项目名称,总投资,经度,纬度",
        "甲,1.2亿元,123.40,41.76",
        "乙,300,123.41,41.75",
    ]
    result = hepinggis.read_projects(_write(tmp_path / "c.csv", lines, "gbk"), crs="wgs84")
    assert result.projects["investment_cny"].tolist() == [1.2e8, 3e6]
    two = ["项目名称,总投资,计划金额（万元）,完成金额（亿元）,经度,纬度", "甲,1,2,3,123.40,41.76"]
    with pytest.raises(ImportFileError, match="--unit"):
        hepinggis.read_projects(_write(tmp_path / "two.csv", two), crs="wgs84")
    assert hepinggis.read_projects(tmp_path / "two.csv", crs="wgs84", unit="万元").projects["investment_cny"][0] == 1e4


def test_duplicate_real_ids_name_both_rows_and_serials_never_refuse(tmp_path: Path) -> None:
    lines = ["序号,项目代码,项目名称,经度,纬度", "1,A,甲,123.40,41.76", "1,B,乙,123.41,41.75", "2,A,丙,123.41,41.76"]
    result = hepinggis.read_projects(_write(tmp_path / "d.csv", lines), crs="wgs84")
    assert result.n_imported == 2 and result.rejected["message"].iloc[0].startswith(
        "“项目代码”A 重复：第 2 行和第 4 行"
    )


def test_metre_coordinates_name_the_likely_crs(tmp_path: Path) -> None:
    lines = ["项目名称,X,Y", "甲,13737000.5,5124000.2", "乙,411000.0,4622000.0", "丙,41411000.0,4622000.0"]
    result = hepinggis.read_projects(_write(tmp_path / "m.csv", lines), crs="wgs84")
    messages = result.rejected.set_index("row")["message"]
    assert "EPSG:3857" in messages.loc[2] and "EPSG:4550" in messages.loc[3] and "EPSG:4529" in messages.loc[4]
    assert all("--crs" in m for m in messages)


def test_without_a_stated_crs_the_error_proposes_one(tmp_path: Path) -> None:
    frame = MAKER.synthetic_projects(30, seed=5)
    x, y = wgs84_to_bd09(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    lines = ["项目名称,经度,纬度", *(f"项目{k},{a:.7f},{b:.7f}" for k, (a, b) in enumerate(zip(x, y, strict=True)))]
    path = _write(tmp_path / "n.csv", lines)
    with pytest.raises(ImportFileError, match="--crs bd09") as err:
        hepinggis.read_projects(path)
    assert "不自行猜测" in str(err.value)
    preview = preview_register(path)
    assert preview.crs_proposed == "bd09" and preview.crs_counts["bd09"] == 30 == max(preview.crs_counts.values())
    assert "未注明坐标系" in preview.crs_reason


def test_ods_is_read(tmp_path: Path) -> None:
    path = tmp_path / "清单.ods"
    frame = pd.DataFrame({"项目名称": ["甲", "乙"], "经度": [123.40, 123.41], "纬度": [41.76, 41.75]})
    frame.to_excel(path, index=False, engine="odf")
    assert hepinggis.read_projects(path, crs="wgs84").n_imported == 2


@pytest.mark.parametrize("payload", [b"garbage that is no workbook", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_an_unreadable_workbook_gets_one_chinese_line(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "坏.xls"
    path.write_bytes(payload)
    with pytest.raises(ImportFileError) as err:
        hepinggis.read_projects(path, crs="wgs84")
    assert "另存为 .xlsx" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("n", [0, 1, 40, 41, 300, 1001, 5000])
def test_office_registers_of_every_size(tmp_path: Path, n: int) -> None:
    lines, merges = MAKER.office_lines(n, seed=n)
    path = tmp_path / f"清单{n}.xlsx"
    MAKER.write_office_xlsx(path, lines, merges)
    truth = MAKER.office_truth(lines, merges, flavour="xlsx")
    result = hepinggis.read_projects(path)
    check_against_truth(result, truth)
    if n:
        check_zones_against_sjoin(result, truth)
    expected = sum(t["investment_cny"] or 0 for t in truth["rows"].values() if t["expect"].startswith("imported"))
    assert result.projects["investment_cny"].sum() == pytest.approx(expected, rel=1e-12)


def test_the_preview_shows_what_the_import_will_do() -> None:
    preview = preview_register(XLSX, max_rows=5)
    assert preview.sheet == "项目清单" and preview.header_rows == [3, 4] and preview.row_numbers == [5, 6, 7, 8, 9]
    assert preview.title_lines == [MAKER.TITLE, f"{MAKER.FILLER}  {MAKER.UNIT_LINE}"]
    by_name = {c["name"]: c for c in preview.columns}
    assert by_name["投资情况（万元）/总投资"]["role"] == "investment"
    assert by_name["投资情况（万元）/总投资"]["unit"] == "万元"
    assert by_name["位置（百度坐标）/纬度"]["role"] == "y" and by_name["位置（百度坐标）/纬度"]["letter"] == "G"
    assert by_name["序号"]["role"] is None  # a row number, not an id
    assert preview.rows[0][0] == "一、产业项目" and preview.rows[1][1] == "和平区重点项目00001"
    assert preview.crs_proposed == "bd09" and "位置（百度坐标）" in preview.crs_reason
    assert preview.crs_counts["bd09"] == max(preview.crs_counts.values())
    assert preview.header_signature == preview_register(CSV).header_signature  # same header, same signature
    assert preview.header_signature != preview_register(DATA / "重点项目清单_标题行_GBK.csv").header_signature


def test_a_confirmed_mapping_applies_by_header_path(tmp_path: Path) -> None:
    lines = ["基本情况,,位置,,资金（万元）", "叫法,代号,东西,南北,总额", "甲,A,123.40,41.76,5", "乙,B,123.41,41.75,7"]
    path = _write(tmp_path / "own.csv", lines)
    preview = preview_register(path)
    assert [c["name"] for c in preview.columns] == [
        "基本情况/叫法",
        "基本情况/代号",
        "位置/东西",
        "位置/南北",
        "资金（万元）/总额",
    ]
    mapping = {
        "name": "基本情况/叫法",
        "id": "代号",
        "x": "位置/东西",
        "y": "位置/南北",
        "investment": "资金（万元）/总额",
    }
    result = hepinggis.read_projects(path, crs="wgs84", columns=mapping)
    assert result.projects["investment_cny"].tolist() == [5e4, 7e4] and list(result.projects["id"]) == ["A", "B"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hepinggis", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_cli_sheet_unit_and_skip_hidden(tmp_path: Path) -> None:
    done = _cli("import", str(SECOND), cwd=ROOT)
    assert done.returncode == 1 and "--sheet 2" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = _cli("import", str(SECOND), "--sheet", "2", "--skip-hidden", "--report", str(tmp_path / "r.xlsx"), cwd=ROOT)
    assert "导入 114 行" in done.stdout and "非项目行 11 行" in done.stdout, done.stdout + done.stderr
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    values = {c for row in book.active.iter_rows(values_only=True) for c in row}
    assert {"已导入", "未导入", "非项目行", "说明", "警告", "错误"} <= values
    assert not values & {"imported", "rejected", "warning", "error", "skipped"}
    lines = ["单位：万元", "项目名称,总投资,经度,纬度", "甲,12,123.40,41.76"]
    csv = _write(tmp_path / "u.csv", lines)
    done = _cli("import", str(csv), "--crs", "wgs84", "--unit", "亿元", "--out", str(tmp_path / "o.csv"), cwd=ROOT)
    assert done.returncode == 0 and "--unit 亿元" in done.stdout
    assert pd.read_csv(tmp_path / "o.csv", encoding="utf-8-sig")["investment_cny"].iloc[0] == 12e8


def test_cli_report_is_written_when_stdout_is_a_closed_pipe(tmp_path: Path) -> None:
    report = tmp_path / "r.csv"
    command = f"{sys.executable} -m hepinggis import '{XLSX}' --report '{report}' | head -1"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.stdout.count("\n") == 1 and "共 127 行" in done.stdout
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    table = pd.read_csv(report, encoding="utf-8-sig")
    assert set(table["行号"].dropna().astype(int)) == {int(r) for r in _truth(XLSX)["rows"]}


def test_hostile_names_come_through_the_preview_and_report_literally(tmp_path: Path) -> None:
    texts = [c["text"] for c in json.loads((ROOT / "tests" / "data" / "hostile.json").read_text("utf-8"))["corpus"]]
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目名称", "经度", "纬度"])
    for k, text in enumerate(texts):
        ws.append([None, 123.40 + k * 1e-4, 41.76])
        ws.cell(k + 2, 1).value = text
        ws.cell(k + 2, 1).data_type = "s"  # as typed: a leading = is text here, never a formula
    path = tmp_path / "hostile.xlsx"
    book.save(path)
    preview = preview_register(path, max_rows=len(texts))
    assert [r[0] for r in preview.rows] == [t.strip() for t in texts]
    result = hepinggis.read_projects(path, crs="wgs84")
    result.write_report(tmp_path / "r.csv")
    names = set(pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")["名称"])
    for text in texts:
        if text.strip():
            assert text.strip() in names or "'" + text.strip() in names
