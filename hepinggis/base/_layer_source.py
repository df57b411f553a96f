"""Where each layer comes from: the bundled files, or a GeoPackage of adopted (official) layers.

One obvious way: ``with hepinggis.use_layers("layers.gpkg"):`` (or ``--layers layers.gpkg`` on the
command line) makes every `hepinggis.load` of a layer that the GeoPackage holds read the adopted
table — so project assignment, overlaps, maps, static maps and workbooks all use it — and leaves
the other layers bundled. ``load(name, layers=…)`` does the same for one call. The setting is a
context variable (`hepinggis.base.settings.LAYERS`, shown as ``settings().layers``): it holds for
the code inside the ``with`` (and for build's worker processes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyogrio

from hepinggis.base.settings import LAYERS
from hepinggis.errors import LayerFileError

__all__ = ["ADOPTABLE", "active_layers", "adopted_names", "boundary_credit", "layer_source", "use_layers"]

#: The layers a bureau can replace with its own, and how their credit reads.
ADOPTABLE: dict[str, str] = {"zones": "功能区边界", "jiedao": "街道边界", "district": "区界"}

#: The layers in use: the one context variable, kept with every other setting (`hepinggis.base.settings`).
_ACTIVE = LAYERS


def adopted_names(path: str | Path) -> list[str]:
    """The adoptable layers a GeoPackage holds (its other tables, e.g. QGIS styles, are ignored)."""
    path = Path(path)
    if not path.is_file():
        raise LayerFileError(f"{path} does not exist (write it with: hepinggis adopt FILE --as zones --out {path})")
    try:
        names = [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
    except Exception as exc:  # GDAL raises several types; all mean the same to the user
        raise LayerFileError(f"{path} cannot be read as a GeoPackage: {exc}") from exc
    return [n for n in names if n in ADOPTABLE]


@contextlib.contextmanager
def use_layers(path: str | Path | None) -> Iterator[Path | None]:
    """Use the adopted layers in the GeoPackage ``path`` for everything inside the ``with``
    (``None``: the bundled layers). The file must hold at least one adoptable layer.

    Examples
    --------
    >>> import hepinggis
    >>> with hepinggis.use_layers(None):
    ...     len(hepinggis.load("zones"))
    6
    """
    if path is None:
        token = _ACTIVE.set(None)
    else:
        path = Path(path).absolute()
        if not adopted_names(path):
            raise LayerFileError(
                f"{path} holds none of the layers {', '.join(ADOPTABLE)}; write them with hepinggis adopt"
            )
        token = _ACTIVE.set(path)
    try:
        yield path if path is None else Path(path)
    finally:
        _ACTIVE.reset(token)


def active_layers() -> Path | None:
    """The GeoPackage of adopted layers in use, or None (bundled)."""
    return _ACTIVE.get()


def layer_source(name: str, layers: str | Path | None = None) -> Path | None:
    """The GeoPackage to read layer ``name`` from (``layers``, else the one in use), or None when
    the layer is the bundled one."""
    path = Path(layers) if layers is not None else _ACTIVE.get()
    if path is None or name not in ADOPTABLE:
        return None
    return path if name in adopted_names(path) else None


def boundary_credit() -> str:
    """How the products credit the boundaries in use, e.g. ``功能区边界：官方功能区.shp，2026-12-01 采用``;
    empty when every layer is the bundled one."""
    path = _ACTIVE.get()
    if path is None:
        return ""
    import pyogrio as _p

    parts = []
    for name in adopted_names(path):
        frame = _p.read_dataframe(path, layer=name, read_geometry=False)
        if not len(frame):
            continue
        source = str(frame["source"].iloc[0]) if "source" in frame.columns else ""
        if "再次采用" in source:  # edited in QGIS and adopted again: both files and days
            parts.append(f"{ADOPTABLE[name]}：{source}")
        else:
            parts.append(f"{ADOPTABLE[name]}：{frame['adopted_from'].iloc[0]}，{frame['adopted_on'].iloc[0]} 采用")
    return "；".join(parts)
