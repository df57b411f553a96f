"""The maps' look in QGIS: a QML style per layer, stored in a GeoPackage's ``layer_styles`` table
(QGIS applies it when the layer is opened), and a QGIS project (.qgz) with the layers in order.

Written by hand (XML and one SQLite table) because QGIS is not a Python dependency a planner's
machine can be asked for; ``tests/base/test_qgis.py`` opens the results in QGIS itself where it is
installed. Colours and labels come from `hepinggis.base._style`, as for the web and static maps.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from hepinggis.base._catalogue import catalogue
from hepinggis.base._credits import boundary_label
from hepinggis.base._layer_source import ADOPTABLE, layer_source
from hepinggis.base._style import (
    AXIS_COLORS,
    BELT_COLOR,
    CATEGORY_COLORS,
    CATEGORY_ZH,
    ZONE_COLORS,
    ZONE_FILL_OPACITY,
    ZONE_SHORT_ZH,
)

__all__ = ["LAYER_ORDER", "LAYER_TITLES_ZH", "layer_qml", "write_layer_styles", "write_qgis_project"]

#: Drawing order, top first (QGIS lists the top layer first).
LAYER_ORDER = ["projects", "sub_areas", "axes", "belt", "boundary_lines", "jiedao", "zones", "district"]
LAYER_TITLES_ZH = {
    "projects": "项目与场地",
    "sub_areas": "发展重点片区",
    "axes": "两轴",
    "belt": "一带（浑河）",
    "boundary_lines": "边界线",
    "jiedao": "街道（示意）",
    "zones": "六区",
    "district": "和平区",
}
_FONT = "Noto Sans CJK SC"


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{round(alpha * 255)}"


def _options(**values: str) -> str:
    inner = "".join(f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>' for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _fill(
    name: str, colour: str, alpha: float, *, outline: str = "#333333", width: str = "0.4", dash: bool = False
) -> str:
    opts = _options(
        color=_rgba(colour, alpha),
        outline_color=_rgba(outline),
        outline_width=width,
        outline_style="dash" if dash else "solid",
        style="solid" if alpha > 0 else "no",
    )
    return (
        f'<symbol type="fill" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">{opts}</layer></symbol>'
    )


def _line(name: str, colour: str, width: str, *, dash: bool = False) -> str:
    opts = _options(line_color=_rgba(colour), line_width=width, line_style="dash" if dash else "solid")
    return (
        f'<symbol type="line" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleLine" enabled="1" pass="0" locked="0">{opts}</layer></symbol>'
    )


def _marker(name: str, colour: str) -> str:
    opts = _options(color=_rgba(colour), outline_color="255,255,255,255", outline_width="0.3", size="3", name="circle")
    return (
        f'<symbol type="marker" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleMarker" enabled="1" pass="0" locked="0">{opts}</layer></symbol>'
    )


def _single(symbol: str) -> str:
    return (
        f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0"><symbols>{symbol}</symbols></renderer-v2>'
    )


def _categorized(attr: str, items: list[tuple[str, str, str]]) -> str:
    """items: (value, label, symbol xml named by its index)."""
    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(v)} label={quoteattr(lab)}/>'
        for i, (v, lab, _) in enumerate(items)
    )
    symbols = "".join(sym for _, _, sym in items)
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" enableorderby="0">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>"
    )


def _labels(field: str, size: float, *, bold: bool = True) -> str:
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} fontFamily="{_FONT}" fontSize="{size}" fontSizeUnit="Point" '
        f'fontWeight="{75 if bold else 50}" textColor="17,17,17,255" isExpression="0">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>'
        "</text-style>"
        '<placement placement="1" offsetType="0" centroidInside="1" centroidWhole="0"/>'
        '<rendering obstacle="1" scaleVisibility="0" drawLabels="1" displayAll="0"/>'
        "</settings></labeling>"
    )


def _renderer(layer: str) -> str:
    if layer == "zones":
        items = [
            (z, n, _fill(str(i), ZONE_COLORS[z], ZONE_FILL_OPACITY)) for i, (z, n) in enumerate(ZONE_SHORT_ZH.items())
        ]
        return _categorized("id", items) + _labels("name_zh", 10)
    if layer == "jiedao":
        return _single(_fill("0", "#ffffff", 0.0, outline="#444444", width="0.3", dash=True)) + _labels(
            "name_zh", 8, bold=False
        )
    if layer == "district":
        return _single(_fill("0", "#ffffff", 0.0, outline="#000000", width="0.8"))
    if layer == "boundary_lines":
        return _single(_line("0", "#777777", "0.3"))
    if layer == "axes":
        names = {"nanjingjie_axis": "南京街城市驱动发展轴", "sanhaojie_axis": "三好街创新创业发展轴"}
        items = [(a, names[a], _line(str(i), c, "1.2")) for i, (a, c) in enumerate(AXIS_COLORS.items())]
        return _categorized("axis_id", items)
    if layer == "belt":
        items = [
            ("belt", "浑河文体旅生态发展带", _fill("0", BELT_COLOR, 0.3, outline=BELT_COLOR, width="0.2")),
            ("bank", "浑河南岸、北岸", _line("1", BELT_COLOR, "0.8")),
        ]
        return _categorized("kind", items)
    if layer == "sub_areas":
        return _single(_fill("0", "#ffffff", 0.25, outline="#222222", width="0.5", dash=True)) + _labels(
            "name_zh", 8, bold=False
        )
    if layer == "projects":
        items = [(c, CATEGORY_ZH.get(c, c), _marker(str(i), col)) for i, (c, col) in enumerate(CATEGORY_COLORS.items())]
        return _categorized("category", items) + _labels("name_zh", 7, bold=False)
    raise KeyError(layer)


def layer_qml(layer: str) -> str:
    """The QML style of one layer (symbology and labels), as QGIS writes it.

    Examples
    --------
    >>> "categorizedSymbol" in layer_qml("zones")
    True
    """
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.0" styleCategories="Symbology|Labeling">{_renderer(layer)}</qgis>\n'
    )


_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
 id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
 f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
 useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"""


def write_layer_styles(gpkg: Path, layers: list[str]) -> None:
    """Store each layer's QML as its default style in the GeoPackage (the table QGIS reads)."""
    with sqlite3.connect(gpkg) as db:
        db.execute(_DDL)
        db.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles')"
        )
        geom_col = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        for layer in layers:
            if layer not in LAYER_TITLES_ZH or layer not in geom_col:
                continue
            db.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                (
                    layer,
                    geom_col[layer],
                    f"hepinggis {layer}",
                    layer_qml(layer),
                    "hepinggis: the colours of the briefing maps",
                ),
            )


def _spatialrefsys(auth: str) -> str:
    return f"<spatialrefsys><authid>{escape(auth)}</authid></spatialrefsys>"


def _srs(auth: str) -> str:
    return f"<srs>{_spatialrefsys(auth)}</srs>"


#: The layers ``hepinggis serve`` offers at ``/ogc`` (OGC API – Features), by the same ids.
SERVICE_LAYERS = ("district", "zones", "jiedao", "axes", "belt", "sub_areas")


def write_qgis_project(
    path: Path,
    gpkg: Path,
    layers: list[str],
    *,
    crs: str = "EPSG:4326",
    service: str | None = None,
    service_register: str | None = None,
    service_authcfg: str | None = None,
) -> Path:
    """A QGIS project (.qgz) showing ``layers`` of ``gpkg`` in map order with their styles; the
    GeoPackage is referenced by a path relative to the project, so both can be moved together.

    With ``service`` (the ``/ogc`` address of ``hepinggis serve``), the plan's layers the service
    offers are read live from it (OGC API – Features, QGIS's ``OAPIF`` provider) instead of the
    GeoPackage, and with ``service_register`` (a register id) so is ``projects``: the project shows
    what the server has in force now, not what the GeoPackage held when it was written. With
    ``service_authcfg`` (the 7-character id of a QGIS authentication configuration, e.g. a "Basic"
    one with the user's account) the live layers log in with it: on a server with accounts each user
    creates a configuration of that id once (docs/ogc.md), and the project opens with their login."""
    if service_authcfg is not None and not re.fullmatch(r"[A-Za-z0-9]{7}", service_authcfg):
        from hepinggis.errors import InvalidOptionError

        raise InvalidOptionError(f"a QGIS authentication configuration id is 7 letters or digits: {service_authcfg!r}")
    if service is not None and (not service.startswith(("http://", "https://")) or any(c in service for c in "'\" <>")):
        from hepinggis.errors import InvalidOptionError

        raise InvalidOptionError(f"the service address must be an http(s) URL without quotes or spaces: {service!r}")
    source = Path(gpkg).resolve()
    try:
        rel = source.relative_to(Path(path).resolve().parent).as_posix()
        ref = f"./{rel}"
    except ValueError:
        ref = source.as_posix()
    kinds = {n: s.geometry_types for n, s in catalogue().items()}
    ordered = [layer for layer in LAYER_ORDER if layer in layers]
    tree, maplayers = [], []
    for layer in ordered:
        lid = f"hepinggis_{layer}"
        src, provider = f"{ref}|layername={layer}", "ogr"
        typename = f"register-{service_register}" if layer == "projects" and service_register else layer
        if service and (layer in SERVICE_LAYERS or typename != layer):
            src, provider = f"url='{service.rstrip('/')}' typename='{typename}'", "OAPIF"
            src += f" authcfg='{service_authcfg}'" if service_authcfg else ""
        title = (
            boundary_label(layer, LAYER_TITLES_ZH[layer])
            if layer in ("jiedao", "zones", "district")
            else LAYER_TITLES_ZH[layer]
        )
        checked = "Qt::Checked"
        if layer == "boundary_lines" and any(layer_source(n) is not None for n in ADOPTABLE):
            # the bundled lines are the bundled boundaries: where adopted ones replace them, they
            # stay in the project for reference but are off, and say so
            title, checked = "边界线（随包示意，已由采用的边界取代，默认不显示）", "Qt::Unchecked"
        geom = "Point" if kinds[layer][0] == "Point" else "Line" if "Line" in kinds[layer][0] else "Polygon"
        tree.append(
            f'<layer-tree-layer id="{lid}" name={quoteattr(title)} source={quoteattr(src)} providerKey="{provider}" '
            f'checked="{checked}" expanded="1"/>'
        )
        maplayers.append(
            f'<maplayer type="vector" geometry="{geom}" autoRefreshEnabled="0" refreshOnNotifyEnabled="0">'
            f"<id>{lid}</id><datasource>{escape(src)}</datasource><layername>{escape(title)}</layername>"
            f'{_srs(crs)}<provider encoding="UTF-8">{provider}</provider>{_renderer(layer)}</maplayer>'
        )
    qgs = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis projectname="和平区“六区两轴一带”" version="3.22.0">'
        "<title>和平区“六区两轴一带”空间布局</title>"
        f"<projectCrs>{_spatialrefsys('EPSG:4550')}</projectCrs>"
        f"<layer-tree-group>{''.join(tree)}</layer-tree-group>"
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths></properties>'
        "</qgis>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(path.with_suffix(".qgs").name, qgs)
    return path
