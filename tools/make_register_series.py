"""Write a series of monthly versions of one register, with the truth of what changed beside them.

    python tools/make_register_series.py OUT_DIR [--n 2000] [--seed 7]

Each month the rows are reordered and projects are added, removed, renamed (same site, same
unit), moved beyond `SITE_M` (300–900 m) and within it (20–80 m), and have their status and
investment changed. Month 3 has no id column. Month 4 has 25 rows whose coordinates are broken
(refused on import); ``v05_fixed.csv`` holds those rows fixed, as the refused-rows workbook gives
them (原行号, 拒绝原因 in front), to merge *into* month 4 as month 5. Month 6 follows month 5.

``truth.json`` holds, per version, every row's project (``rows``: Excel row → project uid) and,
per pair of consecutive versions, the changes made (``[code, uid]``, codes as
`hepinggis.compare_registers` gives them: added, removed, moved, status, investment, renamed,
refused).

A new or removed project is never put within `SITE_M` of a renamed one of the same month: such a
pair is a real ambiguity (it is listed for the clerk to confirm), not a change the truth can name.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from hepinggis.analysis.identity import SITE_M
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.plan.layers import load

PLACES = (
    "三好街",
    "太原街",
    "南京街",
    "中山路",
    "和平湾",
    "长白",
    "浑河",
    "马路湾",
    "北市场",
    "西塔",
    "南湖",
    "砂山",
    "新华",
    "集贤",
    "沈阳站",
    "五里河",
    "青年大街",
    "满融",
    "胜利南街",
    "光荣街",
)
THINGS = (
    "数字经济产业园",
    "城市更新",
    "老旧小区改造",
    "商业综合体",
    "街区提升",
    "学校新建",
    "医院改扩建",
    "地下管网改造",
    "科创中心",
    "文旅街区",
    "人才公寓",
    "停车楼",
    "体育公园",
    "养老服务中心",
    "智慧社区",
    "滨水步道",
    "孵化基地",
    "总部大楼",
    "道路提级",
    "口袋公园",
)
SUFFIXES = ("", "一期", "二期", "三期", "北区", "南区", "A地块", "B地块", "C地块", "东段")
OWNERS = tuple(
    f"{x}"
    for x in (
        "区建设局",
        "区发改局",
        "区教育局",
        "区卫健局",
        "区商务局",
        "区文旅局",
        "区城管局",
        "区科技局",
        "区民政局",
        "区住建局",
        "和平城投公司",
        "和平国资公司",
        "华润置地",
        "万科沈阳公司",
        "中海地产",
        "沈阳地铁集团",
        "国家电网和平供电",
        "沈阳水务集团",
        "满融管委会",
        "三好街管委会",
        "太原街管委会",
        "南湖科技开发区",
        "区应急局",
        "区体育局",
        "区市场局",
    )
)
CATEGORIES = ("商业", "文旅", "城市更新", "基础设施", "教育", "医疗卫生", "产业园区")
STATUSES = ("计划", "在建", "已建成", "拟引进")
PROGRESS = ("前期手续", "基础施工", "主体施工", "装饰装修", "竣工验收", "已竣工")
AS_OF = ("2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30")
HEADERS = [
    "序号",
    "项目编号",
    "项目名称",
    "建设单位",
    "项目类型",
    "建设状态",
    "总投资（万元）",
    "经度",
    "纬度",
    "计划开工",
    "实际开工",
    "计划竣工",
    "形象进度",
    "年度计划投资（万元）",
    "累计完成投资（万元）",
]


class _Series:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        district = load("district").to_crs(MEASURE_CRS).geometry.union_all()
        self.district = district
        self.names = [p + t + s for p in PLACES for t in THINGS for s in SUFFIXES]
        self.rng.shuffle(self.names)
        self.next_name = 0
        self.next_uid = 0
        self.projects: dict[str, dict[str, Any]] = {}
        for _ in range(n):
            self.new_project()

    def site(self) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.district.bounds
        while True:
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if shapely.contains_xy(self.district, x, y):
                return float(x), float(y)

    def name(self) -> str:
        self.next_name += 1
        return self.names[self.next_name - 1]

    def new_project(self, away_from: list[tuple[float, float]] = ()) -> str:  # type: ignore[assignment]
        rng = self.rng
        self.next_uid += 1
        uid = f"u{self.next_uid:05d}"
        while True:
            x, y = self.site()
            if all(math.hypot(x - ax, y - ay) > 2 * SITE_M for ax, ay in away_from):
                break
        start = pd.Timestamp(2023, 1, 1) + pd.DateOffset(months=int(rng.integers(0, 30)))
        months = int(rng.integers(12, 37))
        end = start + pd.DateOffset(months=months)
        started = bool(rng.random() < 0.6)
        total = int(rng.integers(5, 500)) * 100
        self.projects[uid] = {
            "id": f"HP{2020 + self.next_uid % 6}-{self.next_uid:05d}",
            "name": self.name(),
            "owner": OWNERS[int(rng.integers(0, len(OWNERS)))],
            "category": CATEGORIES[int(rng.integers(0, len(CATEGORIES)))],
            "status": STATUSES[int(rng.integers(0, len(STATUSES)))],
            "investment": total,
            "x": x,
            "y": y,
            "planned_start": f"{start.year}年{start.month}月" if rng.random() < 0.5 else start.strftime("%Y-%m-%d"),
            "actual_start": (start + pd.DateOffset(days=int(rng.integers(0, 90)))).strftime("%Y-%m-%d")
            if started
            else "",
            "planned_end": end.strftime("%Y-%m") if rng.random() < 0.8 else "",
            "progress": PROGRESS[int(rng.integers(0, len(PROGRESS)))],
            "annual": int(total * rng.uniform(0.1, 0.4)),
            "completed": int(total * rng.uniform(0, 1)) if started else 0,
        }
        return uid

    def moved_site(self, x: float, y: float, lo: float, hi: float) -> tuple[float, float]:
        while True:
            r, a = self.rng.uniform(lo, hi), self.rng.uniform(0, 2 * math.pi)
            nx, ny = x + r * math.cos(a), y + r * math.sin(a)
            if shapely.contains_xy(self.district, nx, ny):
                return float(nx), float(ny)

    def month(self, counts: dict[str, int], keep: set[str] = frozenset()) -> list[list[str]]:  # type: ignore[assignment]
        """Apply one month of changes; the uids in ``keep`` are left alone. Returns the truth."""
        rng = self.rng
        truth: list[list[str]] = []
        pool = [u for u in self.projects if u not in keep]
        rng.shuffle(pool)
        take = iter(pool)
        renamed = [next(take) for _ in range(counts["renamed"])]
        renamed_sites = [(self.projects[u]["x"], self.projects[u]["y"]) for u in renamed]
        removed: list[str] = []
        for u in take:
            if len(removed) == counts["removed"]:
                break
            p = self.projects[u]
            if all(math.hypot(p["x"] - ax, p["y"] - ay) > 2 * SITE_M for ax, ay in renamed_sites):
                removed.append(u)
        rest = [u for u in pool if u not in set(renamed) | set(removed)]
        far = rest[: counts["moved_far"]]
        near = rest[counts["moved_far"] : counts["moved_far"] + counts["moved_near"]]
        for u in renamed:
            self.projects[u]["name"] = self.name()
            truth.append(["renamed", u])
        for u in removed:
            del self.projects[u]
            truth.append(["removed", u])
        for u, (lo, hi) in [(u, (300.0, 900.0)) for u in far] + [(u, (20.0, 80.0)) for u in near]:
            p = self.projects[u]
            p["x"], p["y"] = self.moved_site(p["x"], p["y"], lo, hi)
            truth.append(["moved", u])
        others = [u for u in rest]
        rng.shuffle(others)
        for u in others[: counts["status"]]:
            p = self.projects[u]
            p["status"] = rng.choice([s for s in STATUSES if s != p["status"]])
            truth.append(["status", u])
        rng.shuffle(others)
        for u in others[: counts["investment"]]:
            p = self.projects[u]
            p["investment"] = int(p["investment"] * rng.choice([0.7, 0.8, 1.2, 1.5])) + 100
            truth.append(["investment", u])
        for _ in range(counts["added"]):
            truth.append(["added", self.new_project(renamed_sites)])
        return truth

    def table(self, *, with_ids: bool, broken: set[str] = frozenset()) -> tuple[pd.DataFrame, dict[int, str]]:  # type: ignore[assignment]
        """The register in a new row order; ``broken`` uids get an unreadable longitude."""
        from pyproj import Transformer

        uids = list(self.projects)
        self.rng.shuffle(uids)
        to_wgs = Transformer.from_crs(MEASURE_CRS, 4326, always_xy=True)
        lines = []
        for k, u in enumerate(uids):
            p = self.projects[u]
            lon, lat = to_wgs.transform(p["x"], p["y"])
            lines.append(
                [
                    str(k + 1),
                    p["id"],
                    p["name"],
                    p["owner"],
                    p["category"],
                    p["status"],
                    str(p["investment"]),
                    f"{lon:.7f}x" if u in broken else f"{lon:.7f}",
                    f"{lat:.7f}",
                    p["planned_start"],
                    p["actual_start"],
                    p["planned_end"],
                    p["progress"],
                    str(p["annual"]),
                    str(p["completed"]),
                ]
            )
        frame = pd.DataFrame(lines, columns=HEADERS)
        if not with_ids:
            frame = frame.drop(columns=["项目编号"])
        return frame, {k + 2: u for k, u in enumerate(uids)}  # row 1 is the header


MONTH = {"added": 30, "removed": 20, "renamed": 10, "moved_far": 10, "moved_near": 10, "status": 40, "investment": 30}


def make_series(out: Path, *, n: int = 2000, seed: int = 7) -> dict[str, Any]:
    """Write the series into ``out`` and return its truth (also written as ``truth.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    s = _Series(n, seed)
    versions: list[dict[str, Any]] = []
    changes: dict[str, list[list[str]]] = {}

    def write(k: int, frame: pd.DataFrame, rows: dict[int, str], *, with_ids: bool) -> None:
        name = f"v{k:02d}.csv"
        frame.to_csv(out / name, index=False, encoding="utf-8-sig")
        versions.append(
            {
                "version": k,
                "file": name,
                "as_of": AS_OF[k - 1],
                "ids": with_ids,
                "rows": {str(r): u for r, u in rows.items()},
            }
        )

    frame, rows = s.table(with_ids=True)
    write(1, frame, rows, with_ids=True)
    changes["1-2"] = s.month(MONTH)
    frame, rows = s.table(with_ids=True)
    write(2, frame, rows, with_ids=True)
    changes["2-3"] = s.month(MONTH)
    frame, rows = s.table(with_ids=False)
    write(3, frame, rows, with_ids=False)
    # month 4: 25 rows broken; they are otherwise unchanged
    broken = set(list(s.projects)[100:125])
    changes["3-4"] = s.month(MONTH, keep=broken) + [["refused", u] for u in sorted(broken)]
    frame, rows = s.table(with_ids=True, broken=broken)
    write(4, frame, rows, with_ids=True)
    fixed = frame.copy()
    fixed["经度"] = fixed["经度"].str.rstrip("x")
    fixed = fixed[[rows[r] in broken for r in range(2, len(frame) + 2)]].copy()
    fixed.insert(0, "拒绝原因", "经度：不是数字")
    fixed.insert(0, "原行号", [int(i) + 2 for i in fixed.index])
    fixed.to_csv(out / "v05_fixed.csv", index=False, encoding="utf-8-sig")
    versions.append(
        {"version": 5, "file": "v05_fixed.csv", "into": 4, "as_of": AS_OF[4], "ids": True, "rows": versions[-1]["rows"]}
    )
    changes["4-5"] = [["added", u] for u in sorted(broken)]
    changes["5-6"] = s.month(MONTH)
    frame, rows = s.table(with_ids=True)
    write(6, frame, rows, with_ids=True)
    truth = {"n": n, "seed": seed, "versions": versions, "changes": changes}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    truth = make_series(args.out, n=args.n, seed=args.seed)
    print(f"{len(truth['versions'])} versions in {args.out}")


if __name__ == "__main__":
    main()
