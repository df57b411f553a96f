"""Adopting a bureau's own boundaries: a delivery as an office sends it (a zipped Shapefile in a
folder or beside others, GBK attributes whatever the .cpg says, a GeoPackage or FileGDB with several
layers, KML/KMZ, GeoJSON; `hepinggis.io._delivery`) brought into a layer's schema and written to a
GeoPackage of adopted boundaries, which every command then uses (``--boundaries``, `use_boundaries`).

Each feature is matched to the bundled one by its name in any form an office writes
(`hepinggis.plan._names`) — a zone's name on a 街道 feature, or a feature of another district, is
refused as such — keeps the bundled attributes (四至, 2025 targets, planned area …) on the new
geometry, and records the file and the day as its provenance (the original file is kept when an
adopted layer is edited in QGIS and adopted again). Before that the file must land on the district
in the CRS given (`hepinggis.plan._placement`), be valid in its own CRS (reprojection artefacts are
repaired and reported), and tile the district (`hepinggis.plan._tiling`) within a tolerance that is
a distance: the accuracy the office states (``accuracy_m``). Gaps and overlaps no wider than it are
closed against the adopted neighbour and reported (area moved, largest shift); wider ones are
refused with their width, place and features. Holes (an enclave) are the district's own.

Each adoption is kept as a version (`hepinggis.io._adopt_history`): ``adopt --history`` lists
them, ``adopt --rollback N`` puts one back. A refusal writes nothing.

Every refusal is an `AdoptError` naming the command-line options; its ``page_text`` names the 边界
page's controls (`hepinggis.base.messages`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis.base._layer_source import ADOPTABLE, adopted_names
from hepinggis.base._renamed import renamed
from hepinggis.errors import AdoptError
from hepinggis.io._adopt_geometry import (
    REPAIR_LIMIT_M2,
    _check_tiling,
    _outside_shares,
    _prepare,
    _reproject,
    _snap,
    _valid_in_own_crs,
)
from hepinggis.io._adopt_history import file_sha256
from hepinggis.io._adopt_inspect import _page_namer, inspect_delivery
from hepinggis.io._adopt_names import NAME_COLUMNS, _bundled, _match, _names
from hepinggis.io._adopt_write import _provenance, _write
from hepinggis.io._delivery import open_delivery, read_layer, refusal
from hepinggis.plan._names import SUFFIXES
from hepinggis.plan._partial import IOU_WARNING
from hepinggis.plan._placement import placement_problem
from hepinggis.plan._tiling import FAR_OUTSIDE_M
from hepinggis.plan.layers import load

__all__ = [
    "IOU_WARNING",
    "NAME_COLUMNS",
    "REPAIR_LIMIT_M2",
    "SUFFIXES",
    "AdoptError",
    "adopt",
    "inspect_delivery",
]


def _fail(make: Callable[..., str]) -> AdoptError:
    return refusal(make)


@renamed(file="path", layer="table")
def adopt(
    path: str | Path,
    *,
    as_layer: str,
    out: str | Path,
    name_col: str | None = None,
    crs: str | int | None = None,
    table: str | None = None,
    encoding: str | None = None,
    accuracy_m: float = 1.0,
    tolerance_m: float | None = None,
    matches: dict[str, str] | None = None,
    when: dt.date | None = None,
    who: str | None = None,
    shown_name: str | None = None,
) -> gpd.GeoDataFrame:
    """Bring the delivery ``path`` into the schema of ``as_layer`` and write it to the GeoPackage ``out``.

    ``out`` is then a GeoPackage of adopted boundaries: ``boundaries=`` of `hepinggis.load`,
    `hepinggis.use_boundaries`, ``--boundaries`` on the command line.

    Parameters
    ----------
    path : str or pathlib.Path
        A delivery as an office sends it: Shapefile (or a zip with it, in a folder or beside
        others), GeoPackage, FileGDB (the .gdb folder or zipped), KML/KMZ or GeoJSON. ``file=`` is
        its old name (deprecated, warns).
    as_layer : str
        ``zones``, ``jiedao`` or ``district``.
    out : str or pathlib.Path
        The GeoPackage of adopted boundaries; the table ``as_layer`` is added or replaced, the
        others are kept (several calls build it up). Written atomically, with QGIS styles; each
        adoption is kept as a version beside it (``<stem>.history``).
    name_col : str, optional
        The names' column (default: a known column, else the one whose values name the features).
    crs : str or int, optional
        The delivery's (input) coordinate system where the file has no ``.prj`` (or a wrong one).
    table : str, optional
        The layer (table) of a GeoPackage, FileGDB or zip that holds several (``--table`` on the
        command line); a GeoPackage of adopted boundaries gives the table ``as_layer``. ``layer=``
        is its old name (deprecated, warns).
    encoding : str, optional
        The attribute encoding (default: judged from the .dbf records, whatever the .cpg says).
    accuracy_m : float
        The accuracy stated for the official boundaries (default 1 m); the tolerance by default.
    tolerance_m : float, optional
        Gaps and overlaps no wider than this (m) are closed and reported; wider ones refuse.
    matches : dict, optional
        Corrections of the matching: a name as written in the file → the bundled id or name.
    when, who : optional
        The day of adoption (default today) and who adopts (default the login name).
    shown_name : str, optional
        The file's name as the user knows it (an upload kept under another name).

    Returns
    -------
    geopandas.GeoDataFrame
        The adopted layer as written (EPSG:4326, the bundled attributes, ``adopted_from`` and
        ``adopted_on``); ``attrs["notes"]`` lists what was repaired, closed or is worth knowing,
        in Chinese; ``attrs["version"]`` the history entry.

    Raises
    ------
    AdoptError
        A delivery not read here (saying what to export), an unmatched or repeated name, a zone
        name on a 街道 (or the reverse), a feature of another district, a missing or wrong CRS
        (naming the likely one), an invalid or non-polygon feature, a gap, overlap or part outside
        wider than the tolerance (each naming the features, width, area and place), or an adopted
        layer the new district would leave untiled; nothing is written then.

    Examples
    --------
    Adopt a GeoPackage holding the bundled zones (as an office's delivery would), then read them:

    >>> import datetime, pathlib, tempfile, hepinggis
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> delivery = hepinggis.export(tmp / "功能区.gpkg", names=["zones"])
    >>> adopted = hepinggis.adopt(
    ...     delivery, as_layer="zones", out=tmp / "boundaries.gpkg", table="zones", name_col="name_zh",
    ...     when=datetime.date(2026, 12, 1), who="王工",
    ... )
    >>> len(adopted), str(adopted["adopted_on"].iloc[0])
    (6, '2026-12-01')
    >>> len(hepinggis.load("zones", boundaries=tmp / "boundaries.gpkg"))
    6
    """
    path = Path(path)
    shown = shown_name or path.name
    out, tolerance = _checked_options(as_layer, out, accuracy_m, tolerance_m)
    found = _read_delivery(
        path, shown, as_layer, out, table=table, encoding=encoding, crs=crs, name_col=name_col, matches=matches
    )
    district, notes = found.district, found.notes
    adopted = _adopted_frame(found, shown, (when or dt.date.today()).isoformat(), accuracy_m)
    notes += _snap(adopted, district, tolerance, as_layer)
    notes += _check_tiling(shown, adopted, as_layer, district, out, found.in_out, tolerance)
    adopted.attrs["notes"] = notes
    adopted.attrs["version"] = _write(
        adopted, as_layer, out, file=shown, sha256=file_sha256(path), who=who, notes=notes
    )
    return adopted


def _checked_options(
    as_layer: str, out: str | Path, accuracy_m: float, tolerance_m: float | None
) -> tuple[Path, float]:
    """The GeoPackage to write and the tolerance (m), refused before the delivery is read."""
    if as_layer not in ADOPTABLE:
        raise _fail(
            lambda o: (
                f"「{as_layer}」不是可采用的图层：须为功能区（zones）、街道（jiedao）或区界（district）；{o('as')}"
            )
        )
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise AdoptError(f"{out}：采用的图层写入 GeoPackage（.gpkg）")
    tolerance = float(accuracy_m if tolerance_m is None else tolerance_m)
    if not np.isfinite(tolerance) or tolerance < 0 or tolerance > FAR_OUTSIDE_M:
        raise _fail(lambda o: f"容差 {tolerance:g} m 不合理：须在 0 到 {FAR_OUTSIDE_M:.0f} m 之间；{o('accuracy')}")
    return out, tolerance


@dataclass
class _Found:
    """What `_read_delivery` read and matched: the bundled layer and, per feature of the file, its
    row there and its geometry in EPSG:4326; the attributes as read and the layer's label; the
    adopted layers already in ``out`` and the adopted district (None: the bundled one)."""

    bundled: gpd.GeoDataFrame
    rows: list[int]
    geoms: gpd.GeoSeries
    notes: list[str]
    frame: pd.DataFrame
    label: str
    in_out: list[str]
    district: gpd.GeoDataFrame | None


def _read_delivery(
    path: Path,
    shown: str,
    as_layer: str,
    out: Path,
    *,
    table: str | None,
    encoding: str | None,
    crs: str | int | None,
    name_col: str | None,
    matches: dict[str, str] | None,
) -> _Found:
    """The delivery opened, its layer read in its CRS, named, placed on the district, checked
    valid, reprojected and matched to the bundled features; refused (`AdoptError`) otherwise."""
    with tempfile.TemporaryDirectory(prefix="hepinggis-adopt-") as work:
        delivery = open_delivery(path, Path(work), shown=shown)
        ref = delivery.choose(table, prefer=as_layer)
        read = read_layer(ref, encoding=encoding)
        own, source_crs = _prepare(delivery, read, crs=crs)
        bundled = _bundled(as_layer)
        names = _names(shown, read.frame, name_col, as_layer, bundled)
        in_out = adopted_names(out) if out.is_file() else []
        district = load("district", boundaries=out) if as_layer != "district" and "district" in in_out else None
        reference = district if district is not None else _bundled("district")
        where = placement_problem(own, source_crs, reference)
        if where is not None:
            page = placement_problem(own, source_crs, reference, _page_namer())
            err = AdoptError(f"{shown}：{where}")
            err.page_text = f"{shown}：{page}"
            raise err
        _valid_in_own_crs(shown, list(names), own)
        geoms, notes = _reproject(shown, list(names), own)
        rows = _match(shown, names, bundled, as_layer, outside=_outside_shares(geoms, reference), matches=matches)
    if read.encoding is not None and read.encoding.note:
        notes.insert(0, read.encoding.note)
    return _Found(bundled, rows, geoms, notes, read.frame, ref.label, in_out, district)


def _adopted_frame(found: _Found, shown: str, day: str, accuracy_m: float) -> gpd.GeoDataFrame:
    """The bundled attributes on the delivered geometry, in the bundled order, with provenance."""
    order = [int(k) for k in np.argsort(found.rows)]
    adopted = gpd.GeoDataFrame(
        found.bundled.drop(columns="geometry").iloc[[found.rows[k] for k in order]].reset_index(drop=True),
        geometry=list(found.geoms.values[order]),
        crs=4326,
    )
    # credited as delivered, with the layer taken where the delivery is a container (a zip, a GeoPackage …)
    label = found.label
    credited = shown if label == shown else f"{shown}（{label.removeprefix(shown + ' › ')}）"
    original, source = _provenance(found.frame, order, credited, day)
    adopted["source"] = source
    adopted["method"] = "adopted"
    adopted["accuracy_m"] = float(accuracy_m)
    adopted["adopted_from"] = original
    adopted["adopted_on"] = day
    return adopted
