"""Registers as the API and the pages show them: summaries, the report, GeoJSON, the refused rows
as a workbook to fix, and the changes between two registers."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask

from hepinggis.errors import BadUpload
from hepinggis.io import _columns
from hepinggis.web.store._store import Store

__all__ = [
    "CRS_CHOICES",
    "UNITS",
    "changes",
    "check_crs",
    "clean_file_name",
    "details",
    "geojson",
    "parse_columns",
    "refused_workbook",
    "report",
]

CRS_CHOICES = ("wgs84", "gcj02", "bd09", "cgcs2000", "EPSG:4550", "EPSG:4529")
CRS_ZH = {
    "wgs84": "WGS84（GPS、天地图）",
    "gcj02": "GCJ-02（高德、腾讯）",
    "bd09": "BD-09（百度）",
    "cgcs2000": "CGCS2000 经纬度",
    "EPSG:4550": "CGCS2000 高斯投影 3°带 中央经线 123°（EPSG:4550）",
    "EPSG:4529": "CGCS2000 高斯投影 3°带 41 带带号（EPSG:4529）",
}
UNITS = ("元", "万元", "亿元")
#: The column roles (ids and Chinese names): the one table is the importer's.
ROLE_ZH = _columns.ROLE_ZH
ROLES: tuple[str, ...] = tuple(ROLE_ZH)


def clean_file_name(name: str | None) -> str:
    """The user's file name as data to show, literally (slashes and all: it is never used as a
    path), without control characters, at most 200 characters."""
    # browsers send " in a multipart file name as %22 (HTML standard): show the name as the user has it
    text = (name or "").replace("%22", '"')
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs")).strip()
    return text[:200] or "未命名文件"


def download_name(file_name: str, what: str, suffix: str) -> str:
    stem = clean_file_name(file_name).rsplit(".", 1)[0]
    for c in '/\\:*?"<>|':  # what a browser's save dialog cannot hold
        stem = stem.replace(c, "_")
    return f"{stem}_{what}{suffix}"


def unlink_after(path: Path) -> BackgroundTask:
    return BackgroundTask(path.unlink, missing_ok=True)


def check_crs(crs: str | None) -> str | None:
    if crs is None or not crs.strip():
        return None
    from hepinggis.base.coords import normalise_crs
    from hepinggis.errors import CoordinateError

    try:
        return normalise_crs(crs.strip())
    except (CoordinateError, ValueError):
        from hepinggis.base.messages import page

        raise BadUpload(page("crs_unknown")) from None


def parse_columns(text: str | None) -> dict[str, str]:
    """The role → column mapping the user confirmed (JSON object)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise BadUpload("columns 不是有效的 JSON 对象") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise BadUpload('columns 应为 {"角色": "列名"} 形式的 JSON 对象')
    bad = [k for k in value if k not in ROLES]
    if bad:
        raise BadUpload(f"未知的列角色：{'、'.join(bad)}（可用：{'、'.join(ROLES)}）")
    return {k: v for k, v in value.items() if v}


def details(store: Store, reg: dict[str, Any]) -> dict[str, Any]:
    from hepinggis.web.jobs._work_light import summary

    out = summary(reg)
    out.update(
        {
            "kind": reg["kind"],
            "size": reg["size"],
            "sheet": reg["sheet"],
            "header_row": reg["header_row"],
            "unit": reg["unit"],
            "encoding": reg["encoding"],
            "columns": json.loads(reg["columns_json"]),
            "boundaries": reg["boundaries"],
            "package_at": reg["package_at"],
        }
    )
    return out


def report(reg: dict[str, Any]) -> dict[str, Any]:
    """The import report in the page's words: every refused row, every row set aside (by kind),
    every warning, and the counted lines that head it (`_accounting.headline`)."""
    from hepinggis.web.registers._accounting import headline, page_line, skipped_by_kind

    lines = json.loads(reg["report_json"])
    by_kind = skipped_by_kind(lines)
    return {
        "id": reg["id"],
        "file_name": reg["file_name"],
        "rows_in": reg["rows_in"],
        "imported": reg["imported"],
        "refused": reg["refused"],
        "skipped": sum(by_kind.values()),
        "skipped_by_kind": by_kind,
        "headline": headline(reg),
        "refused_rows": [page_line(r) for r in lines if r.get("outcome") == "rejected"],
        "skipped_rows": [page_line(r) for r in lines if r.get("outcome") == "skipped"],
        "warnings": [page_line(r) for r in lines if r.get("level") == "warning"],
        "notes": [page_line(r)["message"] for r in lines if r.get("outcome") == "note"],
    }


def geojson(store: Store, rid: str) -> dict[str, Any]:
    from shapely import wkt
    from shapely.geometry import mapping

    feats = []
    for p in store.register_projects(rid):
        props = {
            k: p[k] for k in ("row", "project_id", "name", "category", "status", "investment_cny", "zone_id", "jiedao")
        }
        props.update(json.loads(p["properties_json"] or "{}"))
        geom = mapping(wkt.loads(p["geom_wkt"])) if p["geom_wkt"] else None
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def refused_workbook(store: Store, reg: dict[str, Any]) -> Path:
    """The refused rows as the file had them (every column, header included), with 原行号 and
    拒绝原因 in front: fix them in Excel and upload the workbook again. No cell becomes a formula."""
    import pandas as pd

    from hepinggis.io._columns import looks_like_header
    from hepinggis.io._sheets import write_workbook
    from hepinggis.io._tables import read_raw

    lines = report(reg)["refused_rows"]
    reasons: dict[int, list[str]] = {}
    for r in lines:
        text = f"{r.get('field')}：{r.get('message')}" if r.get("field") else str(r.get("message"))
        reasons.setdefault(int(r["row"]), []).append(text)
    raw = read_raw(
        store.file_path(reg["sha256"], reg["kind"]),
        sheet=reg["sheet"],
        header_row=reg["header_row"],
        is_header=looks_like_header,
    )
    frame = raw.frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    numbers = list(raw.row_numbers)
    keep = [k for k, n in enumerate(numbers) if n in reasons]
    out = frame.iloc[keep].reset_index(drop=True).astype(object)
    out.insert(0, "拒绝原因", ["；".join(reasons[numbers[k]]) for k in keep])
    out.insert(0, "原行号", [numbers[k] for k in keep])
    unsplit = sorted(set(reasons) - {numbers[k] for k in keep})  # rows that could not even be split
    if unsplit:
        extra = pd.DataFrame({"原行号": unsplit, "拒绝原因": ["；".join(reasons[n]) for n in unsplit]})
        out = pd.concat([out, extra], ignore_index=True)
    path = store.new_tmp(".xlsx")
    write_workbook({"被拒绝的行": out}, path)
    return path


def changes(store: Store, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The changes from ``old`` to ``new`` by project identity (`hepinggis.web.registers._versions`):
    ``counts`` by code, ``counts_zh``, ``items`` (also as ``changes``) and ``ambiguous``."""
    from hepinggis.web.registers._versions import version_changes

    return version_changes(store, old, new)
