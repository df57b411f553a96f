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
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.affinity

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
    first: str = ""  # a district file adopted before this one (an official district in force)
    notes: str = ""  # a regular expression the notes of an adopted file must match


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
    cases += office_deliveries(folder, jiedao, zones)
    (folder / "cases.json").write_text(
        json.dumps([asdict(c) for c in cases], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return cases


def _enclave() -> shapely.Geometry:
    """A 300 m square inside 南湖街道: an enclave of another district, a hole in the district."""
    nanhu = _metric("jiedao").set_index("id").geometry["nanhu"]
    c = nanhu.representative_point()
    return shapely.box(c.x - 150, c.y - 150, c.x + 150, c.y + 150)


def _district_frame(geom: shapely.Geometry, name: str = "和平区") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"XZQMC": [name], "XZQDM": ["210102"]}, geometry=[_polygonal(geom)], crs=4550)


def _shifted(frame: gpd.GeoDataFrame, dx: float, dy: float = 0.0) -> gpd.GeoDataFrame:
    return frame.set_geometry([shapely.affinity.translate(g, dx, dy) for g in frame.geometry])


def _zip(folder: Path, name: str, files: dict[str, Path]) -> Path:
    """``files`` (name in the zip → file) zipped as ``name``, in the order given."""
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, f in files.items():
            z.write(f, arc)
    return path


def _shp_set(tmp: Path, stem: str, frame: gpd.GeoDataFrame, **kw: object) -> dict[str, Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    _write_shp(tmp, stem, frame, **kw)  # type: ignore[arg-type]
    return {p.name: p for p in sorted(tmp.glob(f"{stem}.*"))}


def _with_feature(frame: gpd.GeoDataFrame, name: str, geom: shapely.Geometry) -> gpd.GeoDataFrame:
    extra = gpd.GeoDataFrame({"名称": [name], "备注": ["官方"]}, geometry=[geom], crs=frame.crs)
    return gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs=frame.crs)


def _daxi() -> shapely.Geometry:
    """A 600 m square about 1.5 km east of the district's north-eastern lobe (沈河区 大西街道's side)."""
    d = _metric("district").geometry.iloc[0]
    minx, _miny, maxx, maxy = d.bounds
    north = d.intersection(shapely.box(minx, maxy - 3000, maxx, maxy))
    x = north.bounds[2] + 1500
    y = north.centroid.y
    return shapely.box(x, y - 300, x + 600, y + 300)


def office_deliveries(folder: Path, jiedao: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[Case]:
    """The deliveries of issue 35, each with the outcome a GIS officer expects, written before
    they were first run: zips as offices make them, encodings, formats, name columns, holes,
    shifts within and beyond the stated accuracy, an outline inside the bundled one, names of the
    other layer and of another district."""
    cases: list[Case] = []
    tmp = Path(tempfile.mkdtemp(prefix="official-"))
    try:
        jd = _table(jiedao, JIEDAO_NAMES)
        zn = _table(zones, ZONE_NAMES)
        district = _metric("district").geometry.iloc[0]
        # -- an exact official district, to adopt first ------------------------------------------
        _write_shp(folder, "区界XZQMC", _district_frame(district), cpg=True)
        cases.append(Case("district_xzqmc", "区界XZQMC.shp", "district", why="XZQMC column, one feature"))
        _write_shp(folder, "沈河区界", _district_frame(district, "沈河区"), cpg=True)
        cases.append(
            Case(
                "district_of_shenhe",
                "沈河区界.shp",
                "district",
                ok=False,
                refusal="沈河区的区界，不是和平区",
                why="XZQMC=沈河区",
            )
        )
        # -- zips as offices send them -------------------------------------------------------------
        files = _shp_set(tmp / "a", "街道", jd)
        _zip(folder, "街道_文件夹.zip", {f"和平区官方边界/街道/{n}": p for n, p in files.items()})
        cases.append(
            Case(
                "zip_shp_in_folder", "街道_文件夹.zip", "jiedao", notes="GBK", why="Shapefile in a folder, GBK no .cpg"
            )
        )
        both = {**_shp_set(tmp / "b", "街道", jd), **_shp_set(tmp / "b", "功能区", zn)}
        _zip(folder, "边界_两个.zip", {f"边界/{n}": p for n, p in both.items()})
        cases.append(
            Case(
                "zip_two_shapefiles",
                "边界_两个.zip",
                "jiedao",
                ok=False,
                refusal=r"有 2 个图层（边界/功能区.shp、边界/街道.shp）.*--table",
                why="two Shapefiles, none chosen",
            )
        )
        cases.append(
            Case("zip_two_shapefiles_chosen", "边界_两个.zip", "zones", {"table": "边界/功能区.shp"}, why="chosen")
        )
        # -- encodings -----------------------------------------------------------------------------
        (tmp / "c").mkdir()
        gb = _write_shp(tmp / "c", "街道GB2312", jd)
        gb.with_suffix(".cpg").write_text("GB2312", encoding="ascii")  # 馬、灣、長 are outside GB2312
        for p in tmp.joinpath("c").glob("街道GB2312.*"):
            shutil.copyfile(p, folder / p.name)
        cases.append(
            Case(
                "cpg_gb2312_outside", "街道GB2312.shp", "jiedao", notes="GB2312 以外", why=".cpg GB2312, 馬灣長 in GBK"
            )
        )
        u = _write_shp(folder, "街道UTF8标注", jd)
        u.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
        cases.append(
            Case(
                "cpg_utf8_on_gbk",
                "街道UTF8标注.shp",
                "jiedao",
                notes=r"GBK.*\.cpg 写的是 UTF-8",
                why=".cpg UTF-8 on GBK",
            )
        )
        # -- formats through GDAL's drivers ----------------------------------------------------------
        kml = jd.rename(columns={"名称": "Name"}).to_crs(4326)
        (folder / "街道.kml").unlink(missing_ok=True)
        pyogrio.write_dataframe(kml, folder / "街道.kml", driver="KML")
        cases.append(Case("kml", "街道.kml", "jiedao", why="KML, WGS 84, Name"))
        kz = zn.rename(columns={"名称": "Name"}).to_crs(4326)
        pyogrio.write_dataframe(kz, tmp / "doc.kml", driver="KML")
        _zip(folder, "功能区.kmz", {"doc.kml": tmp / "doc.kml"})
        cases.append(Case("kmz", "功能区.kmz", "zones", why="KMZ (zipped KML)"))
        (folder / "街道.geojson").unlink(missing_ok=True)
        pyogrio.write_dataframe(jd.to_crs(4326), folder / "街道.geojson", driver="GeoJSON")
        cases.append(Case("geojson", "街道.geojson", "jiedao", why="GeoJSON"))
        gpkg = folder / "边界两层.gpkg"
        gpkg.unlink(missing_ok=True)
        pyogrio.write_dataframe(jd, gpkg, layer="街道", driver="GPKG")
        pyogrio.write_dataframe(zn, gpkg, layer="功能区", driver="GPKG")
        cases.append(
            Case(
                "gpkg_two_layers", "边界两层.gpkg", "zones", ok=False, refusal=r"有 2 个图层.*--table", why="not chosen"
            )
        )
        cases.append(Case("gpkg_two_layers_chosen", "边界两层.gpkg", "zones", {"table": "功能区"}, why="chosen"))
        gdb = tmp / "边界.gdb"
        pyogrio.write_dataframe(jd.rename(columns={"名称": "JDMC"}), gdb, layer="JD", driver="OpenFileGDB")
        _zip(folder, "边界_gdb.zip", {f"边界.gdb/{p.name}": p for p in sorted(gdb.iterdir())})
        cases.append(Case("filegdb_zipped", "边界_gdb.zip", "jiedao", why="FileGDB zipped, JDMC"))
        (folder / "边界图.dwg").write_bytes(b"AC1027" + bytes(64))
        cases.append(
            Case("cad_drawing", "边界图.dwg", "jiedao", ok=False, refusal=r"CAD 图.*导出为 Shapefile", why="a CAD file")
        )
        # -- no .prj, name columns -------------------------------------------------------------------
        cases.append(
            Case(
                "noprj_proposed",
                "官方街道.shp",
                "jiedao",
                ok=False,
                refusal=r"没有坐标系.*最可能是 EPSG:4550.*--crs EPSG:4550",
                why="no .prj: the CRS proposed by where the features land",
            )
        )
        gn = zn.rename(columns={"名称": "GNQMC"})
        _zip(folder, "功能区GNQMC.zip", {n: p for n, p in _shp_set(tmp / "d", "功能区", gn).items()})
        cases.append(Case("zones_gnqmc_zip", "功能区GNQMC.zip", "zones", why="GNQMC names, zipped"))
        # -- holes: an enclave ---------------------------------------------------------------------
        hole = _enclave()
        _write_shp(folder, "区界飞地", _district_frame(district.difference(hole)), cpg=True)
        cases.append(Case("district_with_hole", "区界飞地.shp", "district", why="an enclave: a hole, accepted"))
        holed = jd.set_geometry([_polygonal(g.difference(hole)) for g in jd.geometry])
        _write_shp(folder, "街道飞地孔", holed, cpg=True)
        cases.append(
            Case("jiedao_matching_hole", "街道飞地孔.shp", "jiedao", first="区界飞地.shp", why="the same hole in 南湖")
        )
        cases.append(
            Case(
                "jiedao_covering_enclave",
                "官方街道.shp",
                "jiedao",
                {"crs": "EPSG:4550"},
                ok=False,
                first="区界飞地.shp",
                refusal=r"南湖街道 有 90,000 m²，最宽 300\.0 m 超出区界",
                why="the 街道 cover the enclave",
            )
        )
        # -- shifts and rounding against an adopted district ---------------------------------------
        for label, dx in (("1mm", 0.001), ("5cm", 0.05)):
            _write_shp(folder, f"街道偏移{label}", _shifted(jd, dx, dx / 2), cpg=True)
            cases.append(
                Case(
                    f"jiedao_shift_{label}",
                    f"街道偏移{label}.shp",
                    "jiedao",
                    first="区界XZQMC.shp",
                    notes=r"对齐到已采用的区界",
                    why=f"shifted {label}: within the 1 m accuracy, snapped",
                )
            )
        _write_shp(folder, "街道偏移3m", _shifted(jd, 3.0), cpg=True)
        cases.append(
            Case(
                "jiedao_shift_3m",
                "街道偏移3m.shp",
                "jiedao",
                first="区界XZQMC.shp",
                ok=False,
                refusal=r"容差 1 m.*最宽 3\.0 m",
                why="shifted 3 m: wider than the 1 m accuracy",
            )
        )
        cases.append(
            Case(
                "jiedao_shift_3m_accuracy_5",
                "街道偏移3m.shp",
                "jiedao",
                {"accuracy_m": "5"},
                first="区界XZQMC.shp",
                notes=r"容差 5 m",
                why="the same file stated ±5 m",
            )
        )
        (folder / "街道7位.geojson").unlink(missing_ok=True)
        pyogrio.write_dataframe(
            jd.to_crs(4326), folder / "街道7位.geojson", driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 7}
        )
        cases.append(
            Case("geojson_7_decimals", "街道7位.geojson", "jiedao", first="区界XZQMC.shp", why="rounded to 7 decimals")
        )
        # -- an outline inside the bundled one, no district adopted ---------------------------------
        inner = district.buffer(-40)
        _write_shp(folder, "街道内缩40m", jd.set_geometry([_polygonal(g.intersection(inner)) for g in jd.geometry]))
        cases.append(
            Case(
                "outline_40m_inside",
                "街道内缩40m.shp",
                "jiedao",
                notes=r"与随包区界共相差",
                why="outline 40 m inside the bundled one: a difference of outlines, never a gap",
            )
        )
        # -- names of the other layer, of another district ------------------------------------------
        wrong = jd.copy()
        wrong.loc[jiedao["id"] == "taiyuanjie", "名称"] = "泛太原街商贸金融产业集聚区"
        _write_shp(folder, "街道功能区名", wrong, cpg=True)
        cases.append(
            Case(
                "zone_name_on_jiedao",
                "街道功能区名.shp",
                "jiedao",
                ok=False,
                refusal=r"泛太原街商贸金融产业集聚区.*是功能区的名称，属于功能区图层",
                why="a zone name on the 太原街 feature",
            )
        )
        _write_shp(folder, "街道含大西", _with_feature(jd, "沈河区大西街道", _daxi()), cpg=True)
        cases.append(
            Case(
                "neighbour_jiedao",
                "街道含大西.shp",
                "jiedao",
                ok=False,
                refusal=r"沈河区大西街道.*属于沈河区，不在和平区内",
                why="沈河区's 大西街道 in the file",
            )
        )
        _write_shp(folder, "街道含大西无区名", _with_feature(jd, "大西街道", _daxi()), cpg=True)
        cases.append(
            Case(
                "neighbour_jiedao_unprefixed",
                "街道含大西无区名.shp",
                "jiedao",
                ok=False,
                refusal=r"大西街道.*100% 位于和平区区界外",
                why="大西街道 without its district: outside by its place",
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cases


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    for case in build_all(target):
        print(f"{case.name:28s} {case.file:16s} {'adopt' if case.ok else 'refuse: ' + case.refusal}")
