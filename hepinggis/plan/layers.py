"""The bundled layers: list them, find their files and load them as validated GeoDataFrames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyogrio.errors import DataSourceError

from hepinggis._paths import data_dir
from hepinggis.base._catalogue import LayerSpec, catalogue
from hepinggis.base._layer_source import layer_source
from hepinggis.base._renamed import renamed
from hepinggis.errors import LayerFileError, UnknownLayerError
from hepinggis.plan._validate import find_problems, raise_problems

__all__ = ["layer_path", "layers", "load", "read_layer_file"]


def layers() -> pd.DataFrame:
    """The catalogue: every layer hepinggis knows, by name (``hepinggis layers`` on the command line).

    The word *layers* means this catalogue only; a GeoPackage of adopted boundaries is
    ``boundaries`` (`load`, `use_boundaries`) and a list of layer names is ``names`` (`export`).

    Returns
    -------
    pandas.DataFrame
        One row per layer, indexed by layer name, with its bundled ``file``, ``title_zh``,
        ``title_en`` and ``geometry_types``.

    Examples
    --------
    >>> import hepinggis
    >>> catalogue = hepinggis.layers()
    >>> catalogue.loc["zones", "file"]
    'zones.geojson'
    >>> "jiedao" in catalogue.index
    True
    """
    rows = [
        {
            "name": s.name,
            "file": s.file,
            "title_zh": s.title_zh,
            "title_en": s.title_en,
            "geometry_types": ", ".join(s.geometry_types),
        }
        for s in catalogue().values()
    ]
    return pd.DataFrame(rows).set_index("name")


def _spec(name: str) -> LayerSpec:
    specs = catalogue()
    if name not in specs:
        raise UnknownLayerError(f"unknown layer {name!r}; the layers are: {', '.join(specs)}")
    return specs[name]


def layer_path(name: str) -> Path:
    """The bundled GeoJSON file of a layer (never an adopted one: `load` reads those).

    Parameters
    ----------
    name : str
        A layer name from `layers` (``"zones"``, ``"jiedao"`` …).

    Returns
    -------
    pathlib.Path
        The file in the data folder (``geodata/`` of the package, or of a source checkout).

    Raises
    ------
    UnknownLayerError
        ``name`` is not a catalogued layer.

    Examples
    --------
    >>> import hepinggis
    >>> hepinggis.layer_path("zones").name
    'zones.geojson'
    """
    return data_dir() / _spec(name).file


def layer_metadata(name: str) -> dict[str, Any]:
    """The FeatureCollection-level ``metadata`` of a bundled layer (e.g. ``unplaced`` features).

    Examples
    --------
    >>> len(layer_metadata("projects")["unplaced"]) > 0
    True
    """
    data = json.loads(layer_path(name).read_text(encoding="utf-8"))
    meta: dict[str, Any] = data.get("metadata", {})
    return meta


def read_layer_file(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read ``path`` with GDAL (pyogrio) and validate it against ``spec``; raise on any problem."""
    if not path.is_file():
        raise LayerFileError(f"layer {spec.name!r}: file {path} does not exist")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except (DataSourceError, ValueError, OSError) as exc:
        raise LayerFileError(f"layer {spec.name!r}: {path} cannot be read as GeoJSON: {exc}") from exc
    raise_problems(find_problems(frame, spec, str(path)))
    return frame


@renamed(layers="boundaries")
def load(name: str, *, boundaries: str | Path | None = None) -> gpd.GeoDataFrame:
    """Load a layer as a validated GeoDataFrame in EPSG:4326: the bundled one, or the adopted one.

    Parameters
    ----------
    name : str
        A layer name from :func:`layers` (``"zones"``, ``"jiedao"``, ``"axes"`` …).
    boundaries : str or pathlib.Path, optional
        A GeoPackage of adopted boundaries (`hepinggis.adopt`, ``hepinggis adopt``): where it holds
        ``name``, that table is read. Without it, the GeoPackage in use (`hepinggis.use_boundaries`,
        ``--boundaries``), if any. ``layers=`` is its old name (deprecated, warns).

    Returns
    -------
    geopandas.GeoDataFrame
        The features in file order, indexed from 0, with every catalogued field.

    Raises
    ------
    UnknownLayerError
        ``name`` is not a catalogued layer.
    LayerFileError, LayerSchemaError, LayerCRSError, InvalidGeometryError
        The file is missing or unreadable, or a feature breaks the schema (the message names the
        file, the row, the feature id and the field).

    Examples
    --------
    >>> import hepinggis
    >>> zones = hepinggis.load("zones")
    >>> list(zones["id"])
    ['beishichang', 'nanshichang', 'taiyuanjie', 'sanhaojie', 'changbaidao', 'manrong']
    >>> zones.crs.to_epsg()
    4326

    An adopted table is read where the GeoPackage holds the layer (here a copy of the bundled one):

    >>> import pathlib, tempfile
    >>> gpkg = pathlib.Path(tempfile.mkdtemp()) / "boundaries.gpkg"
    >>> zones.to_file(gpkg, layer="zones", driver="GPKG")
    >>> len(hepinggis.load("zones", boundaries=gpkg))
    6
    """
    spec = _spec(name)
    source = layer_source(name, boundaries)
    if source is not None:
        return _read_adopted(source, spec)
    return read_layer_file(data_dir() / spec.file, spec)


def _read_adopted(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """An adopted table of a GeoPackage, validated against the layer's schema like a bundled file."""
    try:
        frame = gpd.read_file(path, layer=spec.name, engine="pyogrio")
    except (DataSourceError, ValueError, OSError) as exc:
        raise LayerFileError(f"layer {spec.name!r}: {path} cannot be read: {exc}") from exc
    raise_problems(find_problems(frame, spec, f"{path} (table {spec.name})"))
    return frame.reset_index(drop=True)
