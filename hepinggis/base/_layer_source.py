"""Where each layer comes from: the bundled files, or a GeoPackage of adopted (official) layers.

One obvious way: ``with hepinggis.use_boundaries("layers.gpkg"):`` (or ``--boundaries layers.gpkg``
on the command line) makes every `hepinggis.load` of a layer that the GeoPackage holds read the
adopted table — so project assignment, overlaps, maps, static maps and workbooks all use it — and
leaves the other layers bundled. ``load(name, boundaries=…)`` does the same for one call. The
setting is a context variable (`hepinggis.base.settings.BOUNDARIES`, shown as
``settings().boundaries``): it holds for the code inside the ``with`` (and for build's worker
processes). ``use_layers`` is the name `use_boundaries` had until issue 38 (item 4), kept one
release with a `FutureWarning`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyogrio

from hepinggis.base._renamed import renamed_function
from hepinggis.base.settings import BOUNDARIES
from hepinggis.errors import LayerFileError

__all__ = [
    "ADOPTABLE",
    "active_layers",
    "adopted_names",
    "boundary_credit",
    "layer_source",
    "use_boundaries",
    "use_layers",
]

#: The layers a bureau can replace with its own, and how their credit reads.
ADOPTABLE: dict[str, str] = {"zones": "功能区边界", "jiedao": "街道边界", "district": "区界"}

#: The boundaries in use: the one context variable, kept with every other setting (`hepinggis.base.settings`).
_ACTIVE = BOUNDARIES


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
def use_boundaries(path: str | Path | None) -> Iterator[Path | None]:
    """Use the adopted boundaries in the GeoPackage ``path`` for everything inside the ``with``.

    Every `hepinggis.load` of a layer the GeoPackage holds (``zones``, ``jiedao``, ``district``)
    reads the adopted table instead of the bundled one — so assignment, overlaps, maps and
    workbooks all use it; the other layers stay bundled. On the command line: ``--boundaries``.

    Parameters
    ----------
    path : str, pathlib.Path or None
        A GeoPackage written by `hepinggis.adopt` (``hepinggis adopt … --out``); it must hold at
        least one adoptable layer. ``None``: the bundled layers.

    Returns
    -------
    contextlib.AbstractContextManager
        Gives the absolute path in use (or ``None``) to ``as``; the previous boundaries are back
        in use after the ``with``.

    Raises
    ------
    hepinggis.errors.LayerFileError
        The file does not exist, is not a GeoPackage, or holds no adoptable layer.

    Examples
    --------
    >>> import hepinggis
    >>> with hepinggis.use_boundaries(None):
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


#: The name `use_boundaries` had until issue 38 (item 4): kept one release, with a FutureWarning.
use_layers = renamed_function(use_boundaries, "use_layers")


def active_layers() -> Path | None:
    """The GeoPackage of adopted layers in use, or None (bundled)."""
    return _ACTIVE.get()


def layer_source(name: str, boundaries: str | Path | None = None) -> Path | None:
    """The GeoPackage to read layer ``name`` from (``boundaries``, else the one in use), or None
    when the layer is the bundled one."""
    path = Path(boundaries) if boundaries is not None else _ACTIVE.get()
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
