"""The web store's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Geometry is kept portable: ``lon``/``lat`` of a representative point and the WKT of the geometry
as text. On PostgreSQL a PostGIS ``geom`` column may be added beside them (see issue 27).
Times are ISO-8601 UTC text so that both databases sort and compare them alike.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["boundaries", "figures", "jobs", "mappings", "metadata", "projects", "registers", "settings"]

metadata = MetaData()

#: One uploaded project register (清单) and its import outcome.
registers = Table(
    "registers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("file_name", Text, nullable=False),  # as the user named it: data, never a path
    Column("sha256", String(64), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # csv / xlsx / xls (detected from the content)
    Column("size", Integer, nullable=False),
    Column("uploaded_at", String(32), nullable=False, index=True),
    Column("uploader", Text, nullable=False),
    Column("crs", String(32), nullable=False),
    Column("sheet", Text),
    Column("header_row", Integer),
    Column("unit", String(16)),
    Column("columns_json", Text, nullable=False, default="{}"),  # role → column used
    Column("encoding", String(32)),
    Column("rows_in", Integer, nullable=False),
    Column("imported", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("warned", Integer, nullable=False),
    Column("report_json", Text, nullable=False),  # every report line (row, id, name, outcome, level, field, message)
    Column("per_zone_json", Text, nullable=False),
    Column("per_jiedao_json", Text, nullable=False),
    Column("boundaries", Text, nullable=False, default=""),  # the boundary credit in force at import
    Column("package_at", String(32)),  # when the briefing package was last built
)

#: The imported projects of every register (one row per project).
projects = Table(
    "projects",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("register_id", String(32), ForeignKey("registers.id", ondelete="CASCADE"), nullable=False),
    Column("row", Integer, nullable=False),  # the row number Excel shows
    Column("project_id", Text),
    Column("name", Text),
    Column("category", Text),
    Column("status", Text),
    Column("investment_cny", Float),
    Column("zone_id", String(32)),
    Column("jiedao", Text),
    Column("lon", Float),
    Column("lat", Float),
    Column("geom_wkt", Text),  # EPSG:4326
    Column("properties_json", Text, nullable=False, default="{}"),
)
Index("ix_projects_register", projects.c.register_id)

#: Background work: builds, packages, imports, previews.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # preview / import / package / monitor / boundary / plan_map
    Column("status", String(8), nullable=False, index=True),  # queued / running / done / failed
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),  # what it is doing now, in Chinese
    Column("error", Text),  # one Chinese line
    Column("params_json", Text, nullable=False, default="{}"),
    Column("result_json", Text),
    Column("register_id", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("started_at", String(32)),
    Column("finished_at", String(32)),
    Column("heartbeat", Float),  # unix time, written by the worker while it runs
    Column("worker", Text),  # host:pid of the worker that claimed it
    Column("submitter", Text, nullable=False, default=""),
)

#: Uploaded monitoring figures (规划监测) and their reading.
figures = Table(
    "figures",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("uploaded_at", String(32), nullable=False),
    Column("uploader", Text, nullable=False),
    Column("year", Integer),
    Column("rows_read", Integer, nullable=False),
    Column("rows_refused", Integer, nullable=False),
    Column("report_json", Text, nullable=False),  # the rows not read, with their reasons
    Column("verdicts_json", Text, nullable=False),
    Column("package_at", String(32)),
)

#: Uploaded official boundaries, adopted into a GeoPackage each.
boundaries = Table(
    "boundaries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # zip / gpkg
    Column("as_layer", String(16), nullable=False),  # zones / jiedao / district
    Column("uploaded_at", String(32), nullable=False),
    Column("uploader", Text, nullable=False),
    Column("features", Integer, nullable=False),
    Column("check_json", Text, nullable=False),
    Column("comparison_json", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
)

#: Column mappings confirmed by a user, remembered by header signature.
mappings = Table(
    "mappings",
    metadata,
    Column("signature", String(64), primary_key=True),
    Column("columns_json", Text, nullable=False),
    Column("crs", String(32)),
    Column("header_row", Integer),
    Column("sheet", Text),
    Column("unit", String(16)),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", Text, nullable=False),
)

#: Small key → value settings (which boundaries are in force).
settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
