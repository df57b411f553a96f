"""``hepinggis check``: schema, validity, CRS and topology of the layers, and digitized vs. planned.

Differences from the plan's figures are findings, reported with the reason the reference data
give; they never fail the check. Broken layers (schema, CRS, geometry) and zone/街道 partitions
with gaps or overlaps above `TOPOLOGY_TOLERANCE_PCT` of the district do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from hepinggis._paths import data_dir
from hepinggis.base._catalogue import LayerSpec, catalogue
from hepinggis.base._layer_source import ADOPTABLE, adopted_names, layer_source
from hepinggis.base._renamed import renamed
from hepinggis.base.measure import (
    geodesic_area,
    geodesic_area_of,
)
from hepinggis.errors import LayerFileError
from hepinggis.plan._partial import IOU_WARNING, jiedao_zone_mismatch, zone_jiedao_warnings
from hepinggis.plan._plan_figures import PLAN_TOLERANCE_PCT, lengths, zone_areas
from hepinggis.plan._tiling import MIN_AREA_M2, tiling_issues
from hepinggis.plan._validate import Problem, find_problems
from hepinggis.plan.anchors import anchor_facts, line_accuracy

__all__ = ["PLAN_TOLERANCE_PCT", "TOPOLOGY_TOLERANCE_PCT", "CheckReport", "check"]

#: Gaps or overlaps larger than this share of the district fail the check.
TOPOLOGY_TOLERANCE_PCT = 0.5


@dataclass
class CheckReport:
    """The tables ``check`` computes; ``ok`` is False when a hard failure was found.

    Parameters
    ----------
    layers : pandas.DataFrame
        One row per catalogued layer: ``layer``, ``file``, ``source`` (随包 or the adopted file),
        ``features``, ``crs``, ``geometry`` and the count of ``problems``.
    problems : pandas.DataFrame
        Every schema, validity or CRS problem found (empty when there is none).
    topology : pandas.DataFrame
        Gaps and overlaps of the zones and 街道 against the district, in km² and % (``ok``).
    zone_areas : pandas.DataFrame
        Each zone's planned area beside its area on the ellipsoid and in EPSG:4550 (``in_line``).
    lengths : pandas.DataFrame
        The same for the axes, their segments and the river banks, in km.
    zone_jiedao : pandas.DataFrame
        Each zone against the union of its plan 街道 (IoU).
    line_accuracy : pandas.DataFrame
        Residuals of each line against the independent anchors (``ok``).
    anchor_facts : pandas.DataFrame
        Each anchor fact (a side of a line, a zone) and whether it holds (``ok``).
    sites : pandas.DataFrame
        Projects by location method: placed as sites or known only by an extent.
    tiling : pandas.DataFrame
        Every gap, overlap or piece outside of the tiling above the smallest listed area.
    jiedao_zone : pandas.DataFrame
        Projects whose 街道 belongs by the plan to another zone than the one that counts them.
    warnings : list of str
        Warnings that do not fail the check (Chinese sentences).

    Attributes
    ----------
    ok : bool
        False when a problem, a failed topology or line accuracy, or a broken anchor fact was found.

    Examples
    --------
    >>> import pandas as pd
    >>> CheckReport(layers=pd.DataFrame(), problems=pd.DataFrame()).ok
    True
    >>> CheckReport(layers=pd.DataFrame(), problems=pd.DataFrame({"layer": ["zones"]})).ok
    False
    """

    layers: pd.DataFrame
    problems: pd.DataFrame
    topology: pd.DataFrame = field(default_factory=pd.DataFrame)
    zone_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    lengths: pd.DataFrame = field(default_factory=pd.DataFrame)
    zone_jiedao: pd.DataFrame = field(default_factory=pd.DataFrame)
    line_accuracy: pd.DataFrame = field(default_factory=pd.DataFrame)
    anchor_facts: pd.DataFrame = field(default_factory=pd.DataFrame)
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    tiling: pd.DataFrame = field(default_factory=pd.DataFrame)
    jiedao_zone: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        topo_bad = bool(not self.topology.empty and (~self.topology["ok"]).any())
        lines_bad = bool(not self.line_accuracy.empty and (~self.line_accuracy["ok"]).any())
        facts = self.anchor_facts
        facts_bad = bool(not facts.empty and (facts["ok"].notna() & (facts["ok"] == False)).any())  # noqa: E712
        return self.problems.empty and not topo_bad and not lines_bad and not facts_bad

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "layers": self.layers,
            "problems": self.problems,
            "topology": self.topology,
            "tiling": self.tiling,
            "zone_areas": self.zone_areas,
            "lengths": self.lengths,
            "zone_jiedao": self.zone_jiedao,
            "line_accuracy": self.line_accuracy,
            "anchor_facts": self.anchor_facts,
            "sites": self.sites,
            "jiedao_zone": self.jiedao_zone,
        }

    def to_text(self) -> str:
        titles = {
            "layers": "Layers (schema, validity, CRS)",
            "problems": "Problems",
            "topology": f"Topology: gaps and overlaps (fail above {TOPOLOGY_TOLERANCE_PCT} % of the district, "
            f"or on any gap/overlap of {MIN_AREA_M2:g} m² listed below)",
            "tiling": f"Tiling: every gap, overlap or piece outside of {MIN_AREA_M2:g} m² or more "
            "(fault: fails the check; an approximate bundled outline's differences are listed only)",
            "zone_areas": f"Zones: digitized vs planned area (in line within ±{PLAN_TOLERANCE_PCT:g} %)",
            "lengths": f"Axes, segments and banks: digitized vs planned length (±{PLAN_TOLERANCE_PCT:g} %)",
            "zone_jiedao": "Zone ↔ 街道 agreement (IoU of each zone with the union of its plan 街道)",
            "line_accuracy": "Lines against independent anchors (geodata/src/anchors.json): residuals in metres of the "
            "anchors used to draw each line and of the held-out ones; fail when one exceeds the stated accuracy",
            "anchor_facts": "Anchor facts that do not hold (on the wrong side of a line, outside their zone …)",
            "sites": "Projects: placed as sites (point, line, footprint) vs known only by an extent",
            "jiedao_zone": "Projects whose 街道 belongs (by the plan) to another zone than the one that counts them "
            "(zones and 街道 from different sources)",
        }
        out = []
        with pd.option_context("display.width", 200, "display.max_colwidth", 120, "display.max_columns", 30):
            for key, frame in self.tables().items():
                if key == "anchor_facts":
                    bad = frame[frame["ok"].notna() & (frame["ok"] == False)] if not frame.empty else frame  # noqa: E712
                    out.append(f"== {titles[key]}\n{bad.to_string(index=False) if not bad.empty else '(none)'}")
                    continue
                if key == "problems":
                    if not frame.empty:
                        listed = "\n".join(
                            f"  {Problem(**{str(k): v for k, v in rec.items()})}" for rec in frame.to_dict("records")
                        )
                        out.append(f"== {titles[key]}\n{listed}")
                    continue
                out.append(f"== {titles[key]}\n{frame.to_string(index=False) if not frame.empty else '(none)'}")
                if key == "zone_areas" and not frame.empty:
                    for _, row in frame[frame["explanation"] != ""].iterrows():
                        out.append(f"   {row['id']}: {row['explanation']}")
        if self.warnings:
            out.append("== Warnings\n" + "\n".join(f"  {w}" for w in self.warnings))
        out.append("RESULT: " + ("OK" if self.ok else "FAILED (see above)"))
        return "\n\n".join(out)


def _read(folder: Path, name: str) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    gpkg = folder.suffix.lower() == ".gpkg"
    spec = catalogue(None if gpkg or not (folder / "layers.json").is_file() else folder)[name]
    path = folder if gpkg else folder / spec.file
    try:
        frame = gpd.read_file(path, layer=name, engine="pyogrio") if gpkg else gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # any read failure is reported as a problem of that layer
        return None, [Problem(name, str(path), "schema", f"cannot be read: {exc}")]
    return frame, find_problems(frame, spec, str(path))


def _has_all(gpkg: Path, specs: dict[str, Any]) -> bool:
    """Whether a GeoPackage holds every catalogued layer (an export), not only adopted ones."""
    try:
        names = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    except Exception:
        return False
    return set(specs) <= names


def _source_of(name: str, frame: gpd.GeoDataFrame | None, adopted: bool) -> str:
    """Where a layer comes from: ``采用：街道.shp，2026-12-01`` or ``随包``."""
    if not adopted or frame is None or "adopted_from" not in frame.columns or not len(frame):
        return "随包"  # bundled, or a bundled layer in an export
    return f"采用：{frame['adopted_from'].iloc[0]}，{frame['adopted_on'].iloc[0]}"


def _stated_accuracy(frame: gpd.GeoDataFrame) -> float:
    """An adopted layer's stated accuracy (m): its tolerance; 0 for a bundled layer."""
    if "adopted_from" not in frame.columns or "accuracy_m" not in frame.columns or not len(frame):
        return 0.0
    return float(pd.to_numeric(frame["accuracy_m"], errors="coerce").max() or 0.0)


def _tiling(name: str, frame: gpd.GeoDataFrame, district: gpd.GeoDataFrame, authoritative: bool) -> pd.DataFrame:
    rows = [
        {
            "layer": name,
            "kind": t.kind,
            "features": "、".join(t.features),
            "area_m2": round(t.area_m2, 1),
            "lon": round(t.lon, 6),
            "lat": round(t.lat, 6),
            "fault": t.fault,
            "what": t.text(),
        }
        for t in tiling_issues(frame, district, authoritative=authoritative, tolerance_m=_stated_accuracy(frame))
    ]
    columns = ["layer", "kind", "features", "area_m2", "lon", "lat", "fault", "what"]
    return pd.DataFrame(rows, columns=columns)


def _topology(name: str, frame: gpd.GeoDataFrame, district: gpd.GeoDataFrame) -> dict[str, object]:
    d_area = float(geodesic_area(district).sum())
    union = gpd.GeoDataFrame(geometry=[shapely.union_all(frame.geometry.values)], crs=frame.crs)
    u_area = float(geodesic_area(union).iloc[0])
    overlap = float(geodesic_area(frame).sum()) - u_area
    gap_geom = shapely.difference(district.geometry.iloc[0], union.geometry.iloc[0])
    outside_geom = shapely.difference(union.geometry.iloc[0], district.geometry.iloc[0])
    gap, outside = (float(v) for v in geodesic_area_of([gap_geom, outside_geom], frame.crs))
    worst = max(gap, overlap, outside) / d_area * 100
    return {
        "layer": name,
        "features": len(frame),
        "union_km2": round(u_area, 4),
        "district_km2": round(d_area, 4),
        "gap_km2": round(gap, 4),
        "gap_pct": round(gap / d_area * 100, 3),
        "overlap_km2": round(overlap, 4),
        "overlap_pct": round(overlap / d_area * 100, 3),
        "outside_km2": round(outside, 4),
        "ok": worst <= TOPOLOGY_TOLERANCE_PCT,
    }


def _zone_jiedao(zones: gpd.GeoDataFrame, jiedao: gpd.GeoDataFrame) -> pd.DataFrame:
    rows = []
    by_id = {r.id: r.geometry for r in jiedao.itertuples()}
    for z in zones.itertuples():
        ids = [i for i in str(z.jiedao_ids).split(",") if i]
        missing = [i for i in ids if i not in by_id]
        union = shapely.union_all([by_id[i] for i in ids if i in by_id])
        pair = gpd.GeoDataFrame(
            geometry=[
                shapely.intersection(z.geometry, union),
                shapely.union(z.geometry, union),
                shapely.difference(z.geometry, union),
                shapely.difference(union, z.geometry),
            ],
            crs=zones.crs,
        )
        inter, uni, z_only, j_only = geodesic_area(pair)
        rows.append(
            {
                "zone": z.id,
                "jiedao": ",".join(ids),
                "missing_jiedao": ",".join(missing),
                "iou": round(inter / uni, 4) if uni else float("nan"),
                "zone_only_km2": round(z_only, 4),
                "jiedao_only_km2": round(j_only, 4),
            }
        )
    return pd.DataFrame(rows)


@renamed(folder="path")
def check(path: str | Path | None = None) -> CheckReport:
    """Check every catalogued layer: schema, validity, CRS, topology, and the plan's figures.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The layers to check (``hepinggis check DIR|GPKG``): a folder of layers (one GeoJSON per
        layer; a folder without its own ``layers.json`` is checked against the bundled catalogue),
        or a GeoPackage with one table per layer (as ``hepinggis export`` writes) or of adopted
        boundaries (`hepinggis.adopt`: the layers it lacks are the bundled ones). By default the
        bundled data, with the adopted boundaries in use (`hepinggis.use_boundaries`).
        ``folder=`` is its old name (deprecated, warns).

    Returns
    -------
    CheckReport
        DataFrames ``layers``, ``problems``, ``topology``, ``zone_areas``, ``lengths`` and
        ``zone_jiedao``; ``report.ok`` is False on a hard failure.

    Examples
    --------
    >>> import hepinggis
    >>> report = hepinggis.check()
    >>> report.ok
    True
    >>> sorted(report.zone_areas["id"])[:2]
    ['beishichang', 'changbaidao']
    """
    folder = Path(path) if path is not None else data_dir()
    own = folder.suffix.lower() != ".gpkg" and (folder / "layers.json").is_file()
    specs = catalogue(folder if own else None)
    folder_for, adopted = _sources(folder, specs)
    report, frames = _read_layers(specs, folder_for, adopted)
    broken = set(report.problems["layer"]) if not report.problems.empty else set()
    good = {k: v for k, v in frames.items() if k not in broken}
    if "district" not in good:
        if "district" not in frames:
            raise LayerFileError("the district layer cannot be read, so nothing else can be checked")
        return report
    _check_tiling(report, good, adopted)
    if "zones" in good:
        report.zone_areas = zone_areas(good["zones"], good.get("boundary_lines"))
    report.lengths = lengths(good.get("axes"), good.get("belt"), good.get("boundary_lines"))
    if "zones" in good and "jiedao" in good:
        _check_zone_jiedao(report, good, adopted)
    if "zones" in good and "boundary_lines" in good and "zones" not in adopted:  # adopted zones: not from the lines
        lines = pd.concat([good["boundary_lines"], *([good["axes"]] if "axes" in good else [])], ignore_index=True)
        lines = gpd.GeoDataFrame(lines, geometry="geometry", crs=good["boundary_lines"].crs)
        report.anchor_facts = anchor_facts(lines, good["zones"], good["district"])
        report.line_accuracy = line_accuracy(report.anchor_facts, lines)
    if "projects" in good:
        report.sites = _sites(good["projects"])
    return report


def _sources(folder: Path, specs: dict[str, LayerSpec]) -> tuple[dict[str, Path], set[str]]:
    """Where each layer is read from, and which layers are the bureau's adopted ones."""
    if folder.suffix.lower() == ".gpkg" and adopted_names(folder) and not _has_all(folder, specs):
        # a GeoPackage of adopted layers (hepinggis adopt): the layers it lacks are the bundled ones
        in_gpkg = set(adopted_names(folder))
        folder_for = {n: (folder if n in in_gpkg else data_dir()) for n in specs}
    else:
        folder_for = {n: (layer_source(n) or folder) if folder == data_dir() else folder for n in specs}
    adopted = {n for n, f in folder_for.items() if f != data_dir() and f.suffix.lower() == ".gpkg" and n in ADOPTABLE}
    return folder_for, adopted


def _read_layers(
    specs: dict[str, LayerSpec], folder_for: dict[str, Path], adopted: set[str]
) -> tuple[CheckReport, dict[str, gpd.GeoDataFrame]]:
    """Each layer read and validated: the report's ``layers`` and ``problems``, and the frames read."""
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems: list[Problem] = []
    rows = []
    for name, spec in specs.items():
        frame, probs = _read(folder_for[name], name)
        problems += probs
        if frame is not None:
            frames[name] = frame
        rows.append(
            {
                "layer": name,
                "file": folder_for[name].name if folder_for[name].suffix.lower() == ".gpkg" else spec.file,
                "source": _source_of(name, frame, name in adopted),
                "features": None if frame is None else len(frame),
                "crs": None if frame is None or frame.crs is None else frame.crs.to_string(),
                "geometry": "" if frame is None else ", ".join(sorted(set(frame.geom_type.dropna()))),
                "problems": len(probs),
            }
        )
    report = CheckReport(layers=pd.DataFrame(rows), problems=pd.DataFrame([p.__dict__ for p in problems]))
    return report, frames


def _check_tiling(report: CheckReport, good: dict[str, gpd.GeoDataFrame], adopted: set[str]) -> None:
    """Gaps, overlaps and pieces outside of the zones and 街道 against the district."""
    district = good["district"]
    report.topology = pd.DataFrame([_topology(n, good[n], district) for n in ("zones", "jiedao") if n in good])
    tiled = [n for n in ("zones", "jiedao") if n in good]
    authoritative = {n: "district" in adopted or n not in adopted for n in tiled}
    report.tiling = pd.concat(
        [_tiling(n, good[n], district, authoritative[n]) for n in tiled] or [pd.DataFrame()], ignore_index=True
    )
    if not report.topology.empty and not report.tiling.empty:
        faulty = set(report.tiling.loc[report.tiling["fault"].astype(bool), "layer"])
        report.topology["ok"] = report.topology["ok"] & ~report.topology["layer"].isin(faulty)


def _check_zone_jiedao(report: CheckReport, good: dict[str, gpd.GeoDataFrame], adopted: set[str]) -> None:
    """Each zone against its plan 街道, and projects whose 街道 lies in another zone (mixed sources)."""
    report.zone_jiedao = _zone_jiedao(good["zones"], good["jiedao"])
    report.zone_jiedao[f"iou_below_{IOU_WARNING}"] = report.zone_jiedao["iou"] < IOU_WARNING
    report.warnings += zone_jiedao_warnings(good["zones"], good["jiedao"])
    if ("zones" in adopted) != ("jiedao" in adopted) and "projects" in good:
        report.jiedao_zone = jiedao_zone_mismatch(good["projects"], good["zones"], good["jiedao"])
        if len(report.jiedao_zone):
            report.warnings.append(
                f"功能区与街道来源不同：{len(report.jiedao_zone)} 个项目所在街道按规划属于另一功能区（见上表）"
            )


def _sites(projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """How many projects are placed as sites and how many only by the extent they lie in."""
    sited = projects["location_method"].isin(["point", "line", "footprint"])
    table = projects.groupby("location_method").size().rename("projects").reset_index()
    table["placement"] = ["site" if m in ("point", "line", "footprint") else "extent" for m in table["location_method"]]
    total = pd.DataFrame(
        [
            {"location_method": "(all sites)", "projects": int(sited.sum()), "placement": "site"},
            {"location_method": "(all extents)", "projects": int((~sited).sum()), "placement": "extent"},
        ]
    )
    return pd.concat([table, total], ignore_index=True)
