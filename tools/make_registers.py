"""Write the corpus of messy project registers in ``tests/data/registers/`` (run once; the files are
committed). Each file is written the way a district office's register comes, and carries beside
every row the outcome a planner would expect (columns starting with 预期, and the WGS 84 position
the row was made from, for an independent check).

    python tools/make_registers.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hepinggis.base.coords import wgs84_to_bd09, wgs84_to_gcj02
from hepinggis.io._synthetic import synthetic_projects

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "registers"

#: (as typed, 元 expected or None for missing, what the report should say)
AMOUNTS = [
    ("1.2亿元", 1.2e8, ""),
    ("3,000万元", 3e7, ""),
    ("800万元", 8e6, ""),
    ("2亿", 2e8, ""),
    ("2.5 亿元", 2.5e8, ""),
    ("５,０００万元", 5e7, ""),
    ("约1亿元", 1e8, "约数"),
    ("待定", None, "按缺失处理"),
    ("", None, "按缺失处理"),
    ("1500", 1500.0, "无单位"),
    ("1亿左右", 1e8, "约数"),
    ("6000万", 6e7, ""),
]
CATEGORIES = ["商业综合体", "城市更新", "文旅", "基础设施", "教育"]
STATUSES = ["在建", "计划", "已建成", "拟引进"]


def _csv_line(cells: list[str]) -> str:
    return ",".join(f'"{c}"' if ("," in c or '"' in c) else c for c in cells)


def title_row_register() -> None:
    """60 rows, GBK, AMap (GCJ-02) coordinates, a title in row 1 and the header in row 2."""
    frame = synthetic_projects(60, seed=60)
    lon, lat = wgs84_to_gcj02(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    header = [
        "序号", "项目名称", "项目类型", "建设状态", "建设性质", "项目地址", "总投资", "X坐标", "Y坐标",
        "预期投资元", "预期说明", "真实经度", "真实纬度",
    ]  # fmt: skip
    lines = ["和平区2023年重点项目清单（截至6月）,,,,,,,,,,,,", _csv_line(header)]
    for k in range(60):
        typed, value, note = AMOUNTS[k % len(AMOUNTS)]
        lines.append(
            _csv_line(
                [
                    str(k + 1),
                    f"和平区重点项目{k + 1:03d}",
                    CATEGORIES[k % len(CATEGORIES)],
                    STATUSES[k % len(STATUSES)],
                    "新建" if k % 3 else "续建",
                    f"和平区某路{k + 1}号",
                    typed,
                    f"{lon[k]:.6f}",
                    f"{lat[k]:.6f}",
                    "" if value is None else f"{value:.0f}",
                    note,
                    f"{frame.geometry.x.iloc[k]:.7f}",
                    f"{frame.geometry.y.iloc[k]:.7f}",
                ]
            )
        )
    (OUT / "重点项目清单_标题行_GBK.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def messy_rows_register() -> None:
    """Rows that go wrong in ways an office's file does, each with its expected outcome (预期):
    ``imported``, ``imported warning …`` or ``rejected …`` with a fragment of the reason. GBK with
    two rows pasted in UTF-8, control characters, an unterminated quote, positions far off."""
    frame = synthetic_projects(12, seed=12)
    lon, lat = wgs84_to_gcj02(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    rows: list[tuple[list[str], str, str]] = []  # cells, expected, encoding of the line

    def row(name: str, category: str, x: str, y: str, expected: str, enc: str = "gbk") -> None:
        rows.append(([name, category, x, y], expected, enc))

    row("普通项目", "商业", f"{lon[0]:.6f}", f"{lat[0]:.6f}", "imported")
    row("网页粘贴项目", "文旅", f"{lon[1]:.6f}", f"{lat[1]:.6f}", "imported warning UTF-8", "utf-8")
    row("控制字符\x1b项目", "商业\x00", f"{lon[2]:.6f}", f"{lat[2]:.6f}", "imported warning 控制字符")
    row("经纬度颠倒", "商业", f"{lat[3]:.6f}", f"{lon[3]:.6f}", "rejected 颠倒")
    row("投影坐标误作经纬度", "商业", "13738000", "5123000", "rejected EPSG:3857")
    row("北京的项目", "商业", "116.4", "39.9", "rejected 不可能是本区项目")
    row("全角坐标项目", "教育", f"{lon[6]:.6f}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．")),
        f"{lat[6]:.6f}", "imported")  # fmt: skip
    row("又一网页粘贴", "城市更新", f"{lon[7]:.6f}", f"{lat[7]:.6f}", "imported warning UTF-8", "utf-8")
    row('"引号未闭合的项目', "商业", f"{lon[8]:.6f}", f"{lat[8]:.6f}", "rejected 引号未闭合")
    row("引号之后的项目", "商业", f"{lon[9]:.6f}", f"{lat[9]:.6f}", "imported")
    row('"名称中有,逗号"', "商业", f"{lon[10]:.6f}", f"{lat[10]:.6f}", "imported")
    row("", "商业", f"{lon[11]:.6f}", f"{lat[11]:.6f}", "rejected 缺少项目名称")
    out = [_csv_line(["项目名称", "类别", "经度", "纬度", "预期"]).encode("gbk")]
    for cells, expected, enc in rows:
        name = cells[0]
        quoted = name if name.startswith('"') else _csv_line([name])
        line = ",".join([quoted, *cells[1:], expected])
        out.append(line.encode(enc))
    (OUT / "问题行_GBK混UTF8.csv").write_bytes(b"\r\n".join(out) + b"\r\n")


def geometry_register() -> None:
    """A GeoJSON whose features go wrong as exported files do, with 预期 in the properties."""
    frame = synthetic_projects(4, seed=4)
    x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()

    def feature(name: str, geometry: dict | None, expected: str) -> dict:
        return {"type": "Feature", "properties": {"名称": name, "预期": expected}, "geometry": geometry}

    point = {"type": "Point", "coordinates": [round(x[0], 7), round(y[0], 7)]}
    features = [
        feature("正常点", point, "imported"),
        feature("经纬度颠倒", {"type": "Point", "coordinates": [round(y[1], 7), round(x[1], 7)]}, "rejected 颠倒"),
        feature("Web墨卡托米", {"type": "Point", "coordinates": [13737000.5, 5124000.25]}, "rejected 米为单位"),
        feature(
            "几何集合",
            {"type": "GeometryCollection", "geometries": [point]},
            "rejected GeometryCollection",
        ),
        feature(
            "带高程", {"type": "Point", "coordinates": [round(x[2], 7), round(y[2], 7), 43.5]}, "imported warning Z"
        ),
        feature(
            "多点",
            {"type": "MultiPoint", "coordinates": [[round(x[3], 7), round(y[3], 7)], [round(x[2], 7), round(y[2], 7)]]},
            "imported",
        ),
        feature("无几何", None, "rejected 几何为空"),
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1)
    (OUT / "几何问题.geojson").write_text(text, encoding="utf-8")


# --- office-shaped registers (issue 23) -------------------------------------------------------

#: The columns of the office register, A…K: (group over row 3 or None, label on row 4).
OFFICE_COLUMNS = [
    (None, "序号"),
    ("项目基本信息", "项目名称"),
    ("项目基本信息", "项目编号"),
    ("项目基本信息", "建设单位"),
    ("项目基本信息", "建设状态"),
    ("位置（百度坐标）", "经度"),
    ("位置（百度坐标）", "纬度"),
    ("投资情况（万元）", "总投资"),
    ("投资情况（万元）", "2024年计划投资"),
    (None, "开工时间"),
    (None, "备注"),
]
SECTIONS = ["一、产业项目", "二、城建项目", "三、民生项目"]
OWNERS = ["和平区城建集团", "沈阳某置业有限公司", "和平区教育局", "某商业管理公司", "和平区卫健局"]
TITLE = "和平区2024年重点建设项目清单"
FILLER = "填报单位：和平区发展和改革局"
UNIT_LINE = "单位：万元"
HEADER_TOP = 3  # Excel row of the group header; labels on row 4, data from row 5


@dataclass
class Line:
    """One row of an office register below its header, with what a clerk expects of it."""

    kind: str  # project, section, total, blank, footer
    cells: list[object]
    expect: str = "skipped"  # imported | imported warning X | rejected X | skipped
    yuan: float | None = None
    lon: float | None = None  # the true WGS 84 position the row was made from
    lat: float | None = None
    category: str | None = None
    owner: str | None = None
    hidden: str = ""  # "" | "hidden" | "filtered"
    formula: dict[int, str] = field(default_factory=dict)  # column → formula (xlsx only: never calculated)
    xlsx_expect: str | None = None  # where the .xlsx differs (formulas, hidden rows)
    visible_expect: str | None = None  # where a CSV differs (no hidden rows, no formulas)


def _specials(n: int) -> dict[str, int]:
    """Project positions for the rows that go wrong, clear of the amount remarks."""
    if n < 40:
        return {}
    free = [p for p in range(5, n) if p % 23 != 7 and p % 17 != 3]
    names = ["dup", "formula_lat", "formula_plan", "filtered1", "filtered2", "hidden1", "hidden2"]
    step = max(1, len(free) // (len(names) + 1))
    return {name: free[(k + 1) * step - 1] for k, name in enumerate(names)}


def office_lines(n: int, *, seed: int = 0) -> tuple[list[Line], list[tuple[int, int, int]]]:
    """``n`` projects in three sections (序号 restarting), 建设单位 merged down over runs of rows,
    a 合计 row, a blank row and two 注 lines; and the data merges as (first line, last line, column)."""
    frame = synthetic_projects(n, seed=seed)
    wx, wy = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    bx, by = wgs84_to_bd09(wx, wy)
    special = _specials(n)
    where = {p: name for name, p in special.items()}
    lines: list[Line] = []
    merges: list[tuple[int, int, int]] = []
    per_section = [n // 3 + (1 if k < n % 3 else 0) for k in range(3)]
    p = 0
    total_wan = 0.0
    run_left = 0
    for s, count in enumerate(per_section):
        if count == 0:
            continue
        lines.append(Line("section", [SECTIONS[s]] + [""] * 10))
        category = SECTIONS[s].split("、", 1)[1]
        for k in range(count):
            wan = float(round(50 + (p * 7919) % 90000, 0))
            amount: object = wan
            yuan: float | None = wan * 1e4
            expect = "imported"
            if p % 23 == 7:
                amount, yuan, expect = "", None, "imported warning 投资额为空"
            elif p % 17 == 3:
                if p % 2:
                    amount, yuan, expect = "1.2亿元", 1.2e8, "imported warning 优先"
                else:
                    amount, yuan = "5,000万元", 5e7
            if isinstance(yuan, float) and amount == wan:
                total_wan += wan
            if run_left == 0:
                run_left = 1 + (p % 3)
                run_left = min(run_left, count - k)
                if run_left > 1:
                    merges.append((len(lines), len(lines) + run_left - 1, 3))
                owner = OWNERS[p % len(OWNERS)]
            run_left -= 1
            pid = f"HP2024-{p + 1:04d}"
            name = f"和平区重点项目{p + 1:05d}"
            line = Line(
                "project",
                [k + 1, name, pid, owner, ["在建", "计划", "已建成"][p % 3], round(float(bx[p]), 8),
                 round(float(by[p]), 8), amount, round(wan / 4, 1), f"2024-{1 + p % 12:02d}", ""],
                expect, yuan, float(wx[p]), float(wy[p]), category, owner,
            )  # fmt: skip
            kind = where.get(p)
            if kind == "dup":
                first = next(x for x in lines if x.kind == "project")
                line.cells[2] = first.cells[2]
                line.expect = "rejected 重复"
            elif kind == "formula_lat":
                line.formula[6] = "=41.7+0.01"
                line.xlsx_expect = "rejected 公式未计算"
            elif kind == "formula_plan":
                line.formula[8] = "=H1*0.25"
                line.xlsx_expect = "imported warning 公式未计算"
            elif kind in ("hidden1", "hidden2", "filtered1", "filtered2"):
                line.hidden = "filtered" if kind.startswith("filtered") else "hidden"
                line.expect = "imported warning 隐藏"
                line.visible_expect = "imported"
                line.cells[10] = "已取消"
            lines.append(line)
            p += 1
    lines.append(Line("total", ["合计", "", "", "", "", "", "", round(total_wan, 0), "", "", ""]))
    lines.append(Line("blank", [""] * 11))
    lines.append(Line("footer", ["注：1. 投资额单位为万元；2. 坐标取自百度地图。"] + [""] * 10))
    lines.append(Line("footer", ["3. 备注为“已取消”的项目已隐藏。"] + [""] * 10))
    return lines, merges


def _row_of(k: int) -> int:
    return HEADER_TOP + 2 + k  # Excel row of line k


def write_office_xlsx(
    path: Path, lines: list[Line], merges: list[tuple[int, int, int]], *, sheet_first: bool = False
) -> None:
    """The register as an office keeps it in Excel (see `office_lines`); ``sheet_first`` puts a
    填表说明 sheet before it."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    if sheet_first:
        book.active.title = "填表说明"
        book.active["A1"] = "填表说明：每个项目一行；坐标请在百度地图拾取。"
        ws = book.create_sheet("项目清单")
    else:
        ws = book.active
        ws.title = "项目清单"
    last = get_column_letter(len(OFFICE_COLUMNS))
    ws["A1"] = TITLE
    ws.merge_cells(f"A1:{last}1")
    ws["A2"], ws["J2"] = FILLER, UNIT_LINE
    top = HEADER_TOP
    c = 0
    while c < len(OFFICE_COLUMNS):
        group, label = OFFICE_COLUMNS[c]
        letter = get_column_letter(c + 1)
        if group is None:
            ws[f"{letter}{top}"] = label
            ws.merge_cells(f"{letter}{top}:{letter}{top + 1}")
            c += 1
            continue
        span = sum(1 for g, _ in OFFICE_COLUMNS[c:] if g == group and True) if False else 0
        span = 1
        while c + span < len(OFFICE_COLUMNS) and OFFICE_COLUMNS[c + span][0] == group:
            span += 1
        ws[f"{letter}{top}"] = group
        ws.merge_cells(f"{letter}{top}:{get_column_letter(c + span)}{top}")
        for j in range(c, c + span):
            ws[f"{get_column_letter(j + 1)}{top + 1}"] = OFFICE_COLUMNS[j][1]
        c += span
    for k, line in enumerate(lines):
        r = _row_of(k)
        for j, value in enumerate(line.cells):
            if j in line.formula:
                ws.cell(r, j + 1, line.formula[j])  # openpyxl stores no cached value: never calculated
            elif value != "":
                ws.cell(r, j + 1, value)
        if line.kind in ("section", "footer"):
            ws.merge_cells(f"A{r}:{last}{r}")
        if line.kind == "total":
            ws.merge_cells(f"A{r}:G{r}")
        if line.hidden:
            ws.row_dimensions[r].hidden = True
    for first, end, col in merges:
        letter = get_column_letter(col + 1)
        for k in range(first + 1, end + 1):
            ws.cell(_row_of(k), col + 1, None)
        ws.merge_cells(f"{letter}{_row_of(first)}:{letter}{_row_of(end)}")
    filtered = [k for k, line in enumerate(lines) if line.hidden == "filtered"]
    if filtered:  # an autofilter over the rows down to the last filtered one; hidden rows below it
        ws.auto_filter.ref = f"A{top + 1}:{last}{_row_of(max(filtered))}"
        ws.auto_filter.add_filter_column(10, ["", "在建"])
    book.save(path)


def write_office_xls(path: Path, lines: list[Line], merges: list[tuple[int, int, int]]) -> None:
    """The same register as a real .xls (BIFF8, written by xlwt): merges and hidden rows kept;
    formulas written as their values (xlwt cannot leave one uncalculated the way Excel can)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("项目清单")
    width = len(OFFICE_COLUMNS)
    ws.write_merge(0, 0, 0, width - 1, TITLE)
    ws.write(1, 0, FILLER)
    ws.write(1, 9, UNIT_LINE)
    top = HEADER_TOP - 1
    c = 0
    while c < width:
        group, label = OFFICE_COLUMNS[c]
        if group is None:
            ws.write_merge(top, top + 1, c, c, label)
            c += 1
            continue
        span = 1
        while c + span < width and OFFICE_COLUMNS[c + span][0] == group:
            span += 1
        ws.write_merge(top, top, c, c + span - 1, group)
        for j in range(c, c + span):
            ws.write(top + 1, j, OFFICE_COLUMNS[j][1])
        c += span
    merged_starts = {(first, col): end for first, end, col in merges}
    covered = {(k, col) for first, end, col in merges for k in range(first + 1, end + 1)}
    for k, line in enumerate(lines):
        r = _row_of(k) - 1
        if line.kind in ("section", "footer"):
            ws.write_merge(r, r, 0, width - 1, line.cells[0])
        elif line.kind == "total":
            ws.write_merge(r, r, 0, 6, line.cells[0])
            ws.write(r, 7, line.cells[7])
        elif line.kind == "project":
            for j, value in enumerate(line.cells):
                if (k, j) in covered:
                    continue
                if (k, j) in merged_starts:
                    ws.write_merge(r, _row_of(merged_starts[(k, j)]) - 1, j, j, value)
                elif value != "":
                    ws.write(r, j, value)
        if line.hidden:
            ws.row(r).hidden = True
    book.save(str(path))


def write_office_csv(path: Path, lines: list[Line], merges: list[tuple[int, int, int]]) -> None:
    """What Excel's 另存为 CSV makes of the register, in GBK: a merged cell's text in its first
    cell only, the group row above the label row, hidden rows written like any other."""
    width = len(OFFICE_COLUMNS)
    out = [[TITLE] + [""] * (width - 1), [FILLER] + [""] * 8 + [UNIT_LINE, ""]]
    groups, labels = [], []
    for c, (group, label) in enumerate(OFFICE_COLUMNS):
        first = group is not None and (c == 0 or OFFICE_COLUMNS[c - 1][0] != group)
        groups.append(label if group is None else (group if first else ""))
        labels.append("" if group is None else label)
    out += [groups, labels]
    covered = {(k, col) for first, end, col in merges for k in range(first + 1, end + 1)}
    for k, line in enumerate(lines):
        cells = []
        for j, v in enumerate(line.cells):
            if (k, j) in covered:
                v = ""
            elif j in line.formula:
                v = 41.71 if j == 6 else ""
            cells.append(_excel_csv_text(v))
        out.append(cells)
    text = "\r\n".join(_csv_line(row) for row in out) + "\r\n"
    path.write_bytes(text.encode("gbk"))


def _excel_csv_text(value: object) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def office_truth(lines: list[Line], merges: list[tuple[int, int, int]], *, flavour: str) -> dict:
    """Every row's expected outcome (by Excel row number) for ``flavour`` xlsx, xls or csv."""
    covered = {(k, col) for first, end, col in merges for k in range(first + 1, end + 1)}
    rows = {}
    for k, line in enumerate(lines):
        expect = line.expect
        if flavour == "xlsx" and line.xlsx_expect:
            expect = line.xlsx_expect
        if flavour == "csv" and line.visible_expect:
            expect = line.visible_expect
        owner = line.owner if (flavour != "csv" or (k, 3) not in covered) else None
        rows[str(_row_of(k))] = {
            "kind": line.kind,
            "expect": expect,
            "investment_cny": line.yuan,
            "lon": line.lon,
            "lat": line.lat,
            "category": line.category,
            "owner": owner,
            "hidden": line.hidden if flavour != "csv" else "",
        }
    return {"crs": "bd09", "unit": "万元", "header_rows": [HEADER_TOP, HEADER_TOP + 1], "rows": rows}


def office_registers(out: Path, n: int = 120, seed: int = 23) -> None:
    """The office-shaped corpus: .xlsx, the list on a second sheet, a real .xls, an .xlsx named
    .xls, and Excel's 另存为 CSV (GBK), each with its truth file (``*.truth.json``)."""
    lines, merges = office_lines(n, seed=seed)
    files = {
        "重点建设项目清单_两行表头.xlsx": "xlsx",
        "重点建设项目清单_第二个工作表.xlsx": "xlsx",
        "重点建设项目清单_两行表头.xls": "xls",
        "重点建设项目清单_实为xlsx.xls": "xlsx",
        "重点建设项目清单_另存为CSV_GBK.csv": "csv",
    }
    for name, flavour in files.items():
        path = out / name
        if flavour == "csv":
            write_office_csv(path, lines, merges)
        elif name.endswith("实为xlsx.xls"):
            write_office_xlsx(path.with_suffix(".tmp.xlsx"), lines, merges)
            path.with_suffix(".tmp.xlsx").replace(path)
        elif flavour == "xls":
            write_office_xls(path, lines, merges)
        else:
            write_office_xlsx(path, lines, merges, sheet_first="第二个" in name)
        truth = office_truth(lines, merges, flavour=flavour)
        truth["sheet"] = "项目清单" if flavour != "csv" else None
        (out / (name + ".truth.json")).write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")


# -- the clerk's corpus (issue 32): what an office's file holds around the numbers ------------------
CLERK = OUT / "clerk"


def _outside_points(metres: list[float]) -> list[tuple[float, float]]:
    """WGS 84 points ``metres`` outside the district's boundary (outwards from its centre)."""
    import shapely
    from pyproj import Transformer

    from hepinggis.plan.layers import load

    district = load("district").to_crs("EPSG:4550").geometry.iloc[0]
    centre = district.centroid
    back = Transformer.from_crs("EPSG:4550", "EPSG:4326", always_xy=True)
    out = []
    for k, m in enumerate(metres):
        edge = district.exterior.interpolate(0.15 + 0.3 * k, normalized=True)
        dx, dy = edge.x - centre.x, edge.y - centre.y
        norm = (dx * dx + dy * dy) ** 0.5
        step = m
        while True:  # outwards until the point is ``m`` from the boundary
            pt = shapely.Point(edge.x + dx / norm * step, edge.y + dy / norm * step)
            gap = district.distance(pt)
            if not district.contains(pt) and abs(gap - m) < 5:
                break
            step += m - gap if district.contains(pt) is False else m
        out.append(back.transform(pt.x, pt.y))
    return out


def clerk_filtered_xlsx(path: Path) -> dict:
    """30 projects as a 科室 keeps them: 8 谋划储备 rows filtered out by an autofilter, 3 rows hidden,
    10 amounts that are formulas never calculated, a name with a line break, two hostile names,
    one project 60 m and one 3 km outside the district (GCJ-02, said in the header)."""
    import openpyxl

    hostile = [c["text"] for c in json.loads((OUT.parent / "hostile.json").read_text(encoding="utf-8"))["corpus"]]
    frame = synthetic_projects(30, seed=32)
    wx, wy = frame.geometry.x.to_numpy().copy(), frame.geometry.y.to_numpy().copy()
    (wx[22], wy[22]), (wx[23], wy[23]) = _outside_points([60.0, 3000.0])
    gx, gy = wgs84_to_gcj02(wx, wy)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "项目清单"
    ws.append(["序号", "项目名称", "项目编号", "建设状态", "经度（高德）", "纬度（高德）", "总投资（万元）", "备注"])
    rows = {}
    total = 0.0
    for k in range(30):
        r = k + 2
        name = f"科室项目{k + 1:02d}"
        status = "谋划储备" if k < 8 else "在建"
        if k == 21:
            name = "和平区\n换行项目"
        if k in (24, 25):
            name = hostile[k - 24]
        wan = float(100 + 37 * k)
        amount: object = wan
        kind = "filtered" if k < 8 else "hidden" if k < 11 else ""
        if 11 <= k < 21:
            amount = f"=G{r - 9}*0+{wan}"  # a formula openpyxl leaves without a cached value
        ws.append([k + 1, name, f"KS-{k + 1:03d}", status, round(float(gx[k]), 7), round(float(gy[k]), 7), amount, ""])
        if k >= 8 and k < 11:
            ws.row_dimensions[r].hidden = True
        if k < 8:
            ws.row_dimensions[r].hidden = True
        yuan = None if 11 <= k < 21 else wan * 1e4
        total += yuan or 0.0
        rows[str(r)] = {
            "name": name,
            "hidden": kind,
            "formula": 11 <= k < 21,
            "outside_m": 60.0 if k == 22 else 3000.0 if k == 23 else None,
            "investment_cny": yuan,
        }
    ws.auto_filter.ref = "A1:H9"  # the 谋划储备 rows 2–9 filtered out; rows 10–12 hidden by hand
    ws.auto_filter.add_filter_column(3, ["在建"])
    book.save(path)
    return {
        "crs": "gcj02",
        "rows_in": 30,
        "imported": 30,
        "refused": 0,
        "skipped_when_chosen": {"filtered": 8, "hidden": 3},
        "formulas": 10,
        "outside": 2,
        "investment_cny": total,
        "investment_cny_visible": sum(v["investment_cny"] or 0 for v in rows.values() if not v["hidden"]),
        "rows": rows,
    }


def clerk_linebreak_csv(path: Path) -> dict:
    """40 projects saved by Excel as GBK CSV, 24 备注 cells holding line breaks (quoted, CRLF inside),
    two rows refused (no name; a latitude that is not a number) far below the broken cells."""
    frame = synthetic_projects(40, seed=33)
    wx, wy = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    lines = [_csv_line(["序号", "项目名称", "经度", "纬度", "总投资（万元）", "备注"])]
    refused = {}
    for k in range(40):
        row = k + 2
        note = f"第一行说明\r\n第二行说明{k}" if k < 24 else "无"
        name = "" if k == 30 else f"换行项目{k + 1:02d}"
        lat = "四十一点七" if k == 35 else f"{wy[k]:.7f}"
        if k == 30:
            refused[str(row)] = "缺少项目名称"
        if k == 35:
            refused[str(row)] = "纬度"
        cells = [str(k + 1), name, f"{wx[k]:.7f}", lat, str(100 + k), f'"{note}"' if "\n" in note else note]
        lines.append(",".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return {"crs": "wgs84", "rows_in": 40, "imported": 38, "refused": refused}


def clerk_large_csv(path: Path, n: int = 5001) -> dict:
    """``n`` projects (more than a map is drawn in the import for), UTF-8 with BOM, WGS 84."""
    frame = synthetic_projects(n, seed=34)
    wx, wy = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    lines = ["项目名称,经度,纬度,总投资（万元）"]
    lines += [f"大表项目{k + 1:05d},{wx[k]:.7f},{wy[k]:.7f},{10 + k % 90}" for k in range(n)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return {"crs": "wgs84", "rows_in": n, "imported": n, "investment_cny": sum(10 + k % 90 for k in range(n)) * 1e4}


def clerk_registers(out: Path = CLERK) -> None:
    """The clerk's corpus with a truth file beside each (``*.truth.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, make in (
        ("科室清单_筛选隐藏公式.xlsx", clerk_filtered_xlsx),
        ("科室清单_单元格换行_GBK.csv", clerk_linebreak_csv),
        ("科室清单_5001行.csv", clerk_large_csv),
    ):
        truth = make(out / name)
        (out / (name + ".truth.json")).write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    np.random.seed(0)
    title_row_register()
    messy_rows_register()
    geometry_register()
    office_registers(OUT)
    clerk_registers()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.iterdir()))}")


if __name__ == "__main__":
    main()
