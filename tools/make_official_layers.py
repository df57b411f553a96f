"""Official-style boundary files, the way a bureau delivers them, each with the outcome a GIS
officer expects from ``hepinggis adopt``. Built from the bundled layers, then changed the way real
files differ: shared edges moved 20–75 m, GBK attributes without a .cpg (and no language byte),
CGCS2000 Gauss–Krüger with and without the zone number, degrees, no .prj, names as offices write
them, and the faults adoption must refuse.

    python tools/make_official_layers.py [FOLDER]     (default: tests/data/official)

The tests build the same files in a temporary folder (`build_all`); the manifest ``cases.json``
lists each file, the options to adopt it with, and the expected outcome.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import hepinggis

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "official"

#: Shared 街道 edges moved (the 街道 that grows, the one that shrinks, metres): pairs in
#: different zones, so zones and official 街道 disagree as they do in a real partial adoption.
MOVES: tuple[tuple[str, str, float], ...] = (
    ("maluwan", "nanhu", 75.0),
    ("maluwan", "xinhua", 40.0),
    ("taiyuanjie", "beishichang", 20.0),
    ("changbai", "hunhezhanxi", 60.0),
)
#: Names of the 街道 as offices write them (id -> name in the file).
JIEDAO_NAMES: dict[str, str] = {
    "beishichang": "沈阳市和平区北市场街道",
    "nanshichang": "和平区南市场街道办事处",
    "maluwan": "馬路灣街道",
    "taiyuanjie": "太原街街道办",
    "xinhua": "和平区新华街道办事处",
    "hunhewan": "浑河湾办事处",
    "nanhu": "南湖",
    "changbai": "長白街道",
    "shenshuiwan": "沈水湾街道",
    "hunhezhanxi": "沈阳市和平区浑河站西街道办事处",
}
#: Zone names as offices write them.
ZONE_NAMES: dict[str, str] = {
    "beishichang": "北市场集聚区",
    "nanshichang": "和平区南市场历史文化产业集聚区",
    "taiyuanjie": "泛太原街",
    "sanhaojie": "三好街示范区",
    "changbaidao": "長白島高端商務商業集聚區",
    "manrong": "和平区满融国际化生态科技示范区",
}


@dataclass
class Case:
    """One file and what adopting it should do: ``ok`` True (adopted) or the refusal's words."""

    name: str
    file: str
    as_layer: str
    options: dict[str, str] = field(default_factory=dict)
    ok: bool = True
    refusal: str = ""  # a regular expression the refusal must match
    why: str = ""


def _metric(name: str) -> gpd.GeoDataFrame:
    return hepinggis.load(name).to_crs(4550).reset_index(drop=True)


def moved_jiedao() -> gpd.GeoDataFrame:
    """The 街道 in EPSG:4550 with the shared edges of `MOVES` moved."""
    j = _metric("jiedao")
    geoms = dict(zip(j["id"], j.geometry, strict=True))
    for grows, shrinks, metres in MOVES:
        strip = geoms[shrinks].intersection(geoms[grows].buffer(metres))
        geoms[grows] = shapely.make_valid(geoms[grows].union(strip))
        geoms[shrinks] = shapely.make_valid(geoms[shrinks].difference(strip))
    j["geometry"] = [_polygonal(geoms[i]) for i in j["id"]]
    return j


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0.01]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _write_shp(
    folder: Path, stem: str, frame: gpd.GeoDataFrame, *, encoding: str = "gbk", prj: bool = True, cpg: bool = False
) -> Path:
    """A Shapefile as an office writes it; without .cpg the .dbf's language byte (29) is zeroed so
    that nothing but the records can tell the encoding."""
    path = folder / f"{stem}.shp"
    frame.to_file(path, encoding=encoding, engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = 0
        dbf.write_bytes(bytes(raw))
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def _table(frame: gpd.GeoDataFrame, names: dict[str, str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": [names[i] for i in frame["id"]], "备注": "官方"}, geometry=list(frame.geometry), crs=frame.crs
    )


def _prefixed(frame: gpd.GeoDataFrame, zone: int = 41) -> gpd.GeoDataFrame:
    """EPSG:4550 numbers with the zone number in front of the easting (EPSG:4529), no CRS."""
    out = frame.copy()
    out["geometry"] = shapely.transform(
        np.asarray(frame.geometry.values), lambda xy: xy + np.array([zone * 1_000_000, 0])
    )
    return out.set_crs(None, allow_override=True)


def _self_touch_after_reprojection(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """满融 with a 0.5 m² notch whose two ends are 1e-10 m apart: valid in EPSG:4550 (as GEOS and
    QGIS judge it there), a ring self-touch once the coordinates are rounded to degrees."""
    out = zones.copy()
    k = int(np.flatnonzero(out["id"] == "manrong")[0])
    poly = out.geometry.iloc[k]
    coords = np.asarray(poly.exterior.coords)
    centre = np.asarray(poly.centroid.coords[0])
    for i in range(1, len(coords) - 1):
        v = coords[i]
        u = (centre - v) / np.linalg.norm(centre - v)
        w = np.array([-u[1], u[0]])
        end = v.copy()
        end[0] = np.nextafter(np.nextafter(v[0], np.inf), np.inf)
        ring = np.vstack([coords[: i + 1], [v + u + w * 0.5, v + u - w * 0.5, end], coords[i + 1 :]])
        candidate = shapely.Polygon(ring, [r.coords for r in poly.interiors])
        wgs = gpd.GeoSeries([candidate], crs=4550).to_crs(4326).iloc[0]
        if candidate.is_valid and not wgs.is_valid:
            geoms = list(out.geometry)
            geoms[k] = candidate
            return out.set_geometry(geoms)
    raise RuntimeError("no vertex of 满融 gives a self-touch after reprojection")


def _gap_to_outline(jiedao: gpd.GeoDataFrame, metres: float = 5.0) -> gpd.GeoDataFrame:
    """A strip ``metres`` wide between 马路湾 and 南湖 along their whole shared edge (4 km), which
    reaches the district outline: a gap between features that opens onto the outline."""
    out = jiedao.copy()
    geoms = dict(zip(out["id"], out.geometry, strict=True))
    geoms["nanhu"] = _polygonal(shapely.make_valid(geoms["nanhu"].difference(geoms["maluwan"].buffer(metres))))
    return out.set_geometry([geoms[i] for i in out["id"]])


def _far_part(jiedao: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """浑河站西 with a 700 m × 700 m (0.49 km²) second part about 1.5 km outside the district."""
    out = jiedao.copy()
    district = _metric("district").geometry.iloc[0]
    k = int(np.flatnonzero(out["id"] == "hunhezhanxi")[0])
    geom = out.geometry.iloc[k]
    c = np.asarray(district.centroid.coords[0])
    pts = shapely.get_coordinates(geom)
    far = pts[np.argmax(np.linalg.norm(pts - c, axis=1))]
    d = (far - c) / np.linalg.norm(far - c)
    centre = far + d * 1850
    square = shapely.box(*(centre - 350), *(centre + 350))
    geoms = list(out.geometry)
    geoms[k] = shapely.MultiPolygon([*shapely.get_parts(geom), square])
    return out.set_geometry(geoms)


def _notched_district() -> gpd.GeoDataFrame:
    """The district with a 300 m square cut out of its edge (an official outline that differs)."""
    d = _metric("district")
    poly = d.geometry.iloc[0]
    edge = poly.exterior.interpolate(0.3, normalized=True)
    geoms = [shapely.make_valid(poly.difference(edge.buffer(150, cap_style="square")))]
    return gpd.GeoDataFrame({"备注": ["和平区行政区界（官方）"]}, geometry=[_polygonal(geoms[0])], crs=4550)


def build_all(folder: Path) -> list[Case]:
    """Write every file into ``folder`` and return the cases (also written as ``cases.json``)."""
    folder.mkdir(parents=True, exist_ok=True)
    jiedao = moved_jiedao()
    zones = _metric("zones")
    cases: list[Case] = []

    def add(case: Case, make: Callable[[], Path]) -> None:
        make()
        cases.append(case)

    add(
        Case(
            "jiedao_gbk_4550_noprj",
            "官方街道.shp",
            "jiedao",
            {"crs": "EPSG:4550"},
            why="moved edges, GBK, no .cpg/.prj",
        ),
        lambda: _write_shp(folder, "官方街道", _table(jiedao, JIEDAO_NAMES), prj=False),
    )
    add(
        Case("zones_4529_noprj", "功能区4529.shp", "zones", {"crs": "EPSG:4529"}, why="zone number 41 in front"),
        lambda: _write_shp(folder, "功能区4529", _table(_prefixed(zones), ZONE_NAMES), prj=False),
    )
    add(
        Case(
            "zones_4529_read_as_4550",
            "功能区4529.shp",
            "zones",
            {"crs": "EPSG:4550"},
            ok=False,
            refusal="EPSG:4529",
            why="prefixed eastings given as 4550",
        ),
        lambda: folder / "功能区4529.shp",
    )
    add(
        Case("zones_4490_noprj", "功能区4490.shp", "zones", {"crs": "EPSG:4490"}, why="degrees, CGCS2000"),
        lambda: _write_shp(
            folder, "功能区4490", _table(zones.to_crs(4490), ZONE_NAMES).set_crs(None, allow_override=True), prj=False
        ),
    )
    add(
        Case(
            "metres_read_as_degrees",
            "官方街道.shp",
            "jiedao",
            {"crs": "EPSG:4490"},
            ok=False,
            refusal=r"适用范围.*EPSG:4550",
            why="--crs EPSG:4490 on metre coordinates",
        ),
        lambda: folder / "官方街道.shp",
    )
    add(
        Case(
            "neighbouring_zone",
            "官方街道.shp",
            "jiedao",
            {"crs": "EPSG:4549"},
            ok=False,
            refusal=r"km.*EPSG:4550",
            why="--crs EPSG:4549 (CM 120°E): 250 km west",
        ),
        lambda: folder / "官方街道.shp",
    )
    add(
        Case("zones_self_touch_4550", "功能区自接触.shp", "zones", why="valid in 4550, self-touch in 4326: repaired"),
        lambda: _write_shp(folder, "功能区自接触", _table(_self_touch_after_reprojection(zones), ZONE_NAMES)),
    )
    add(
        Case(
            "jiedao_gap_to_outline",
            "街道缝隙.shp",
            "jiedao",
            ok=False,
            refusal=r"马路湾街道 与 南湖街道.*之间有 [0-9,]+ m² 的缝隙",
            why="a 5 m gap between 马路湾 and 南湖 that opens onto the outline",
        ),
        lambda: _write_shp(folder, "街道缝隙", _table(_gap_to_outline(jiedao), JIEDAO_NAMES)),
    )
    add(
        Case(
            "jiedao_far_part",
            "街道飞地.shp",
            "jiedao",
            ok=False,
            refusal=r"浑河站西街道 有一部分（490,000 m²）位于区界外 1,[0-9]{3}–2,[0-9]{3} m",
            why="a 0.49 km² part 1.5 km outside the district",
        ),
        lambda: _write_shp(folder, "街道飞地", _table(_far_part(jiedao), JIEDAO_NAMES)),
    )
    add(
        Case("district_one_feature", "官方区界.shp", "district", why="one feature, no name column"),
        lambda: _write_shp(folder, "官方区界", _notched_district()),
    )
    (folder / "cases.json").write_text(
        json.dumps([asdict(c) for c in cases], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return cases


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    for case in build_all(target):
        print(f"{case.name:28s} {case.file:16s} {'adopt' if case.ok else 'refuse: ' + case.refusal}")
