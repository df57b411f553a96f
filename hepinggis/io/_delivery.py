"""A boundary delivery as an office sends it, opened: a Shapefile (alone or zipped, in a folder of
the zip or beside others), a GeoPackage or FileGDB with several layers (the .gdb folder, or zipped),
KML/KMZ or GeoJSON — every format through GDAL's own drivers (pyogrio). What it holds is listed as
layers to choose from; a Shapefile's attributes are decoded in the encoding its records show,
whatever its .cpg says (`hepinggis.io._dbf.read_encoding`).

A zip is unpacked under limits (members, unpacked size, compression ratio) into a folder of our own,
its member names decoded as the archiver wrote them (UTF-8 where flagged, else GBK as Chinese
Windows writes them) and each path part made safe; no member name becomes a path outside it.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import pyogrio

from hepinggis.base.messages import both
from hepinggis.errors import AdoptError, DbfEncodingError
from hepinggis.io._dbf import DbfReading, read_encoding

__all__ = [
    "READABLE",
    "ZIP_MAX_MEMBERS",
    "ZIP_MAX_UNPACKED",
    "Delivery",
    "LayerRead",
    "LayerRef",
    "open_delivery",
    "read_layer",
    "refusal",
]

#: The file kinds read (by GDAL's drivers), by suffix.
READABLE: dict[str, str] = {
    ".shp": "Shapefile",
    ".gpkg": "GeoPackage",
    ".gdb": "FileGDB",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".kmz": "KMZ",
}
#: What to export instead, said with every refusal of a kind not read.
EXPORT_HINT = (
    "请在 ArcGIS 或 QGIS 中导出为 Shapefile（连同 .shx、.dbf、.prj 一起压缩为 .zip）、GeoPackage（.gpkg）、"
    "GeoJSON、KML/KMZ 或 FileGDB（.gdb 文件夹压缩为 .zip）"
)
_WHY_NOT: dict[str, str] = {
    ".dwg": "CAD 图（.dwg）",
    ".dxf": "CAD 图（.dxf）",
    ".mdb": "个人地理数据库（.mdb）",
    ".xlsx": "Excel 表格",
    ".xls": "Excel 表格",
    ".csv": "CSV 表格",
    ".rar": "RAR 压缩包",
    ".7z": "7z 压缩包",
    ".pdf": "PDF 图纸",
}
ZIP_MAX_MEMBERS = 2_000
ZIP_MAX_UNPACKED = 1 << 30
_ZIP_MAX_RATIO = 200
_SAFE = re.compile(r"[^\w.\-\u3000-\u9fff]+")


def refusal(make: Callable[..., str]) -> AdoptError:
    """An `AdoptError` whose text names the command-line options and whose ``page_text`` names
    the page's controls; ``make`` is a function of the namer ``o`` (see `base.messages`)."""
    cli, page = both(make)
    err = AdoptError(cli)
    err.page_text = page
    return err


@dataclass(frozen=True)
class LayerRef:
    """One layer of a delivery: ``label`` as the user knows it (``街道/街道.shp`` or
    ``功能区.gpkg › 街道``), the ``path`` GDAL opens and the ``table`` in it (None: the only one)."""

    label: str
    path: Path
    table: str | None
    kind: str


@dataclass
class Delivery:
    """What a file holds: its ``name`` as delivered and its ``layers``."""

    name: str
    layers: list[LayerRef] = field(default_factory=list)

    def choose(self, layer: str | None, *, prefer: str | None = None) -> LayerRef:
        """The layer named ``layer`` (its label, its table or the file's name), the only one, or
        the table ``prefer`` (an adopted GeoPackage edited in QGIS names its table as the layer)."""
        if layer:
            for ref in self.layers:
                if layer in (ref.label, ref.table, ref.path.name, ref.path.stem):
                    return ref
            listed = "、".join(r.label for r in self.layers)
            raise refusal(lambda o: f"{self.name}：没有图层 {layer!r}；其中的图层：{listed}")
        if len(self.layers) == 1:
            return self.layers[0]
        preferred = [r for r in self.layers if prefer and r.table == prefer]
        if len(preferred) == 1:
            return preferred[0]
        listed = "、".join(r.label for r in self.layers)
        raise refusal(lambda o: f"{self.name} 中有 {len(self.layers)} 个图层（{listed}）；{o('table')}要采用的一个")


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its archiver wrote it: UTF-8 when flagged, else the bytes Python read
    as CP437 are GBK (Chinese Windows), else as read."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unzip(path: Path, dest: Path, shown: str) -> dict[Path, str]:
    """Unpack ``path`` under the limits into ``dest``; returns each file with its member name."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refusal(lambda o, e=exc: f"{shown}：不是完整的 zip 压缩包（{e}）；请重新压缩后上传") from exc
    out: dict[Path, str] = {}
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if len(infos) > ZIP_MAX_MEMBERS or total > ZIP_MAX_UNPACKED or total / packed > _ZIP_MAX_RATIO:
            raise refusal(
                lambda o: f"{shown}：压缩包过大或文件过多（{len(infos)} 个文件，解压后 {total:,} 字节），已拒绝"
            )
        for info in infos:
            name = _member_name(info)
            parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "/")]
            if not parts or any(p == ".." for p in parts) or name.startswith(("/", "\\")) or ":" in parts[0]:
                raise refusal(lambda o, n=name: f"{shown}：压缩包中的路径 {n!r} 指向压缩包以外，已拒绝")
            if parts[0] == "__MACOSX" or parts[-1].startswith("._"):
                continue
            target = dest.joinpath(*[_SAFE.sub("_", p)[:120] or "_" for p in parts])
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, target.open("wb") as f:
                while block := src.read(1 << 20):
                    written += len(block)
                    if written > ZIP_MAX_UNPACKED:
                        raise refusal(lambda o: f"{shown}：压缩包解压后过大，已拒绝")
                    f.write(block)
            out[target] = "/".join(parts)
    return out


def _tables(path: Path) -> list[str]:
    try:
        return [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
    except Exception as exc:  # GDAL raises several types; all mean the same to the user
        raise refusal(lambda o, e=exc: f"{path.name}：GDAL 无法读取此文件（{e}）；{EXPORT_HINT}") from exc


def _layers_of(path: Path, label: str) -> list[LayerRef]:
    """The layers of one file or .gdb folder; [] for a Shapefile's sidecars and other files."""
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        return []
    kind = READABLE[suffix]
    if suffix == ".shp":
        missing = [s for s in (".shx", ".dbf") if not any(path.with_suffix(x).is_file() for x in (s, s.upper()))]
        if missing:
            raise refusal(
                lambda o: f"{label}：缺少 {'、'.join(missing)}；Shapefile 须连同 .shx、.dbf、.prj 一起压缩为 .zip"
            )
        return [LayerRef(label, path, None, kind)]
    tables = _tables(path)
    if len(tables) <= 1:
        return [LayerRef(label, path, tables[0] if tables else None, kind)]
    return [LayerRef(f"{label} › {t}", path, t, kind) for t in tables]


def open_delivery(file: Path, work: Path, *, shown: str | None = None) -> Delivery:
    """What ``file`` (a file, a .gdb folder or a zip of them) holds; a zip is unpacked into ``work``.

    Raises
    ------
    AdoptError
        For a kind GDAL does not read here (saying what to export), an unsafe or oversized zip, a
        Shapefile without its .shx/.dbf, or a delivery with no layer at all.
    """
    name = shown or file.name
    if not file.exists():
        raise refusal(lambda o: f"{name}：文件不存在")
    suffix = file.suffix.lower()
    delivery = Delivery(name)
    if file.is_dir():
        if suffix != ".gdb":
            raise refusal(lambda o: f"{name}：是文件夹，不是 FileGDB（.gdb）；{EXPORT_HINT}")
        delivery.layers = _layers_of(file, name)
    elif suffix == ".zip":
        members = _unzip(file, work, name)
        gdbs = sorted({p for f in members for p in f.parents if p.suffix.lower() == ".gdb"})
        for gdb in gdbs:
            delivery.layers += _layers_of(gdb, str(gdb.relative_to(work)))
        for f, member in sorted(members.items(), key=lambda t: t[1]):
            if not any(g in f.parents for g in gdbs):
                delivery.layers += _layers_of(f, member)
        if not delivery.layers:
            kinds = "、".join(sorted({f.suffix.lower() or "（无后缀）" for f in members})) or "没有文件"
            raise refusal(lambda o: f"{name}：压缩包中没有可读的边界图层（其中是 {kinds}）；{EXPORT_HINT}")
    elif suffix in READABLE:
        if suffix == ".shp":  # read from a copy: the encoding is set without touching the office's file
            for sidecar in file.parent.glob(f"{glob_escape(file.stem)}.*"):
                shutil.copyfile(sidecar, work / sidecar.name)
            file = work / file.name
        delivery.layers = _layers_of(file, name)
    else:
        what = _WHY_NOT.get(suffix, f"{suffix or '无后缀'} 文件")
        raise refusal(lambda o: f"{name}：{what}不能作为边界采用；{EXPORT_HINT}")
    if not delivery.layers:
        raise refusal(lambda o: f"{name}：没有图层；{EXPORT_HINT}")
    return delivery


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters escaped (a file may be called ``街道[2024].shp``)."""
    return re.sub(r"([*?\[])", r"[\1]", text)


@dataclass
class LayerRead:
    """A layer read: attributes, raw geometries (in the file's CRS, None without one) and, for a
    Shapefile, how its attributes were decoded."""

    frame: pd.DataFrame
    geoms: gpd.GeoSeries
    crs: str | None
    encoding: DbfReading | None


def _dbf_of(shp: Path) -> Path | None:
    return next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.is_file()), None)


def read_layer(ref: LayerRef, *, encoding: str | None = None) -> LayerRead:
    """Read one layer; a Shapefile's attributes decoded as its records show (``encoding``: the
    user's choice, checked against the records).

    Raises
    ------
    AdoptError
        Records in no encoding tried (naming the encoding switch), or a file GDAL cannot read.
    """
    reading = None
    options: dict[str, str] = {}
    if ref.kind == "Shapefile":
        dbf = _dbf_of(ref.path)
        cpg = ref.path.with_suffix(".cpg")
        said = cpg.read_text(encoding="ascii", errors="replace") if cpg.is_file() else None
        try:
            reading = read_encoding(dbf.read_bytes() if dbf else b"", said, encoding)
        except DbfEncodingError as exc:
            why = str(exc)
            raise refusal(
                lambda o: f"{ref.label}：{why}；换一种编码（例如 GBK、GB18030、UTF-8）：{o('encoding')}"
            ) from exc
        options["encoding"] = reading.codec
    try:
        frame = pyogrio.read_dataframe(ref.path, layer=ref.table, **options)
    except Exception as exc:  # GDAL raises several types; all mean the same to the user
        raise refusal(lambda o, e=exc: f"{ref.label}：GDAL 无法读取此图层（{e}）；{EXPORT_HINT}") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise refusal(lambda o: f"{ref.label}：没有几何图形；请采用面状图层（{EXPORT_HINT}）")
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    attrs = attrs.where(attrs.notna(), "")
    crs = frame.crs.to_string() if frame.crs is not None else None
    return LayerRead(attrs, frame.geometry, crs, reading)
