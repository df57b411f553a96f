"""What the 边界 page shows after an upload, before anything is adopted (`inspect_delivery`):
the delivery's layers, columns with samples, encoding, CRS read or proposed (with the 街道 the
features land in) and each feature's match, every problem worded with the page's controls."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from hepinggis.base._layer_source import ADOPTABLE
from hepinggis.base.messages import Namer
from hepinggis.errors import AdoptError
from hepinggis.io._adopt_geometry import _outside_shares, _prepare
from hepinggis.io._adopt_names import _bundled, _match, _name_column, _names
from hepinggis.io._delivery import open_delivery, read_layer
from hepinggis.plan._placement import CANDIDATES, likely_crs, placement_problem

__all__ = ["_page_namer", "inspect_delivery"]


def _page_namer() -> Namer:
    from hepinggis.base.messages import page_control

    return page_control


def _landing(geoms: gpd.GeoSeries, code: int) -> list[str]:
    """The bundled 街道 that the features' inner points land in, read in EPSG ``code``."""
    try:
        points = gpd.GeoSeries(geoms.values, crs=code).representative_point().to_crs(4326)
    except Exception:  # PROJ refuses numbers far outside the projection
        return []
    jiedao = _bundled("jiedao")
    hits = gpd.sjoin(gpd.GeoDataFrame(geometry=points), jiedao[["name_zh", "geometry"]], predicate="within")
    return list(dict.fromkeys(str(n) for n in hits["name_zh"]))


def inspect_delivery(
    file: str | Path,
    *,
    as_layer: str,
    layer: str | None = None,
    encoding: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    matches: dict[str, str] | None = None,
    shown_name: str | None = None,
    samples: int = 5,
) -> dict[str, Any]:
    """What the 边界 page shows after an upload, for the user to confirm or correct: the layers,
    the columns with sample values (decoded, and the encoding judged), the CRS as read or the ones
    proposed by where the features land (with the 街道 they land in), and each feature's match.
    Never raises on the file's content: the first problem found is ``problem`` (naming the page's
    controls), and what could be read up to there is filled in."""
    path = Path(file)
    shown = shown_name or path.name
    bundled = _bundled(as_layer) if as_layer in ADOPTABLE else _bundled("jiedao")
    out = _nothing_read(shown, as_layer, bundled)
    try:
        with tempfile.TemporaryDirectory(prefix="hepinggis-inspect-") as work:
            delivery = open_delivery(path, Path(work), shown=shown)
            out["layers"] = [r.label for r in delivery.layers]
            ref = delivery.choose(layer, prefer=as_layer)
            out["layer"] = ref.label
            read = read_layer(ref, encoding=encoding)
        if read.encoding is not None:
            out["encoding"] = {"label": read.encoding.label, "note": read.encoding.note, "cpg": read.encoding.cpg}
        out["columns"] = [
            {"name": str(c), "samples": [str(v) for v in read.frame[c].head(samples)]} for c in read.frame.columns
        ]
        raw = gpd.GeoSeries(shapely.force_2d(read.geoms.values))
        likely = likely_crs(raw, _bundled("district"))
        out["crs"]["proposed"] = [
            {"code": f"EPSG:{c}", "label": CANDIDATES[c], "lands_in": _landing(raw, c)[:10]} for c in likely
        ]
        if read.crs:
            shown_crs = CRS.from_user_input(read.crs)
            code = shown_crs.to_epsg()
            out["crs"]["read"] = {"code": f"EPSG:{code}" if code else shown_crs.name, "label": shown_crs.name}
        column = _name_column(read.frame, name_col, bundled, as_layer)
        out["name_col"] = column
        names = _names(shown, read.frame, name_col, as_layer, bundled)
        crs_problem, shares, own, source_crs = None, None, None, None
        try:
            own, source_crs = _prepare(delivery, read, crs=crs)
            shares = _outside_shares(own.to_crs(4326), _bundled("district"))
        except AdoptError as exc:
            crs_problem = exc.page_text or str(exc)
        out["features"] = _feature_matches(shown, names, bundled, as_layer, shares, matches)
        if crs_problem is not None or own is None or source_crs is None:
            out["problem"] = crs_problem
            return out
        where = placement_problem(own, source_crs, _bundled("district"), _page_namer())
        if where is not None:
            out["problem"] = f"{shown}：{where}"
            return out
        _match(shown, names, bundled, as_layer, outside=shares, matches=matches)
    except AdoptError as exc:
        out["problem"] = exc.page_text or str(exc)
    return out


def _nothing_read(shown: str, as_layer: str, bundled: gpd.GeoDataFrame) -> dict[str, Any]:
    """The inspection before anything is read: the choices the page offers."""
    return {
        "file": shown,
        "as": as_layer,
        "layers": [],
        "layer": None,
        "encoding": None,
        "encodings": ["UTF-8", "GBK", "GB18030"],
        "columns": [],
        "name_col": None,
        "crs": {
            "read": None,
            "proposed": [],
            "others": [{"code": f"EPSG:{c}", "label": label} for c, label in CANDIDATES.items()],
        },
        "features": [],
        "choices": [{"id": str(i), "name_zh": str(n)} for i, n in zip(bundled["id"], bundled["name_zh"], strict=True)],
        "problem": None,
    }


def _feature_matches(
    shown: str,
    names: pd.Series,
    bundled: gpd.GeoDataFrame,
    as_layer: str,
    shares: list[float] | None,
    matches: dict[str, str] | None,
) -> list[dict[str, Any]]:
    """Each feature's match, or the problem with it, one at a time (none stops the others)."""
    features = []
    for k, name in enumerate(names):
        entry: dict[str, Any] = {"n": k + 1, "name": str(name), "id": None, "name_zh": None, "problem": None}
        try:
            share = [shares[k]] if shares is not None else None
            row = _match(shown, names.iloc[[k]], bundled, as_layer, outside=share, matches=matches, whole=False)
            entry["id"], entry["name_zh"] = str(bundled["id"].iloc[row[0]]), str(bundled["name_zh"].iloc[row[0]])
        except AdoptError as exc:
            entry["problem"] = exc.page_text or str(exc)
        features.append(entry)
    return features
