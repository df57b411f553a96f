"""Write the corpus of messy project registers in ``tests/data/registers/`` (run once; the files are
committed). Each file is written the way a district office's register comes, and carries beside
every row the outcome a planner would expect (columns starting with 预期, and the WGS 84 position
the row was made from, for an independent check).

    python tools/make_registers.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hepinggis.io._synthetic import synthetic_projects
from hepinggis.io.coords import wgs84_to_gcj02

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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    np.random.seed(0)
    title_row_register()
    messy_rows_register()
    geometry_register()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.iterdir()))}")


if __name__ == "__main__":
    main()
