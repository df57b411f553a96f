"""``hepinggis digitize``: derive every bundled layer from the district outline and ``geodata/src``.

The zones and 街道 are faces of one noded line network (the outline plus the inner boundary lines),
so they tile the district by construction and a corrected line moves every polygon that uses it.
The outline is rounded to the storage grid before anything is derived from it, so building from the
reference file or from the committed ``district.geojson`` gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from hepinggis._paths import REFERENCE_OUTLINE
from hepinggis.errors import DigitizeError
from hepinggis.plan._axes import axes_features
from hepinggis.plan._belt import belt_features
from hepinggis.plan._edited_lines import merge_edited_lines
from hepinggis.plan._faces import Faces, read_json, read_outline
from hepinggis.plan._geojson import write_collection
from hepinggis.plan._sites import ProjectSites
from hepinggis.plan._sub_areas import sub_area_features

__all__ = ["REFERENCE_OUTLINE", "digitize", "read_outline"]


def digitize(out_dir: Path, *, src_dir: Path, outline_file: Path, lines_file: Path | None = None) -> dict[str, Path]:
    """Build every layer into ``out_dir`` from ``src_dir`` (lines.json, plan.json, sub_areas.json,
    projects.json, anchors.json) and the district outline in ``outline_file``; return the written
    paths by layer name.

    ``lines_file`` is a ``boundary_lines`` layer edited in a GIS (a GeoPackage from ``hepinggis
    export``, or GeoJSON): its inner lines replace those of ``src_dir/lines.json``, which is
    rewritten, so that the edit persists and every polygon bounded by an edited line follows it."""
    outline = read_outline(outline_file)
    lines_src = None
    if lines_file is not None:
        layer = "boundary_lines" if Path(lines_file).suffix.lower() == ".gpkg" else None
        try:
            edited = gpd.read_file(lines_file, layer=layer, engine="pyogrio")
        except Exception as exc:  # GDAL raises several types
            raise DigitizeError(f"{lines_file}: cannot read a boundary_lines layer: {exc}") from exc
        current = Faces(outline, src_dir).line
        lines_src, _changed = merge_edited_lines(read_json(src_dir / "lines.json"), edited, outline, current)
    b = Faces(outline, src_dir, lines_src)
    sub, sub_meta = sub_area_features(b)
    belt = belt_features(b)
    projects = ProjectSites(
        b, src_dir, {p["id"]: g for p, g in sub}, {p["id"]: g for p, g in belt if p["kind"] == "bank"}
    )
    layers: dict[str, tuple[list[tuple[dict[str, Any], BaseGeometry]], dict[str, Any] | None]] = {
        "district": (b.district(), None),
        "boundary_lines": (b.boundary_lines(), None),
        "zones": (b.zone_layer(), None),
        "jiedao": (b.jiedao_layer(), None),
        "axes": (axes_features(b), None),
        "belt": (belt, None),
        "sub_areas": (sub, sub_meta),
        "projects": projects.layer(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (features, meta) in layers.items():
        path = out_dir / b.specs[name].file
        write_collection(path, name, features, metadata=meta)
        written[name] = path
    if lines_src is not None:  # only once every layer was built from the edited lines
        text = json.dumps(lines_src, ensure_ascii=False, indent=1) + "\n"
        (src_dir / "lines.json").write_text(text, encoding="utf-8")
        written["lines.json"] = src_dir / "lines.json"
    return written
