"""The layers in PostgreSQL/PostGIS: push (schema ``hepinggis``, SRID 4326, spatial indexes) and pull.

A push replaces every pushed table inside one transaction, so re-pushing is idempotent (no
duplicates) and a push that fails part-way rolls back and leaves the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd

from hepinggis._extras import require_extra
from hepinggis._strict import require_ids
from hepinggis.base._catalogue import catalogue
from hepinggis.base._renamed import renamed
from hepinggis.errors import HepingGISError
from hepinggis.plan._validate import find_problems, raise_problems
from hepinggis.plan.layers import load

__all__ = ["DEFAULT_SCHEMA", "pull", "push"]

DEFAULT_SCHEMA = "hepinggis"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _engine(dsn: str) -> Any:
    require_extra("postgis", feature="hepinggis db (PostGIS)")
    from sqlalchemy import create_engine

    url = dsn
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url)


def _names(names: Sequence[str] | None) -> list[str]:
    known = list(catalogue())
    if names is None:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise HepingGISError(f"unknown layer(s) {', '.join(unknown)}; the layers are: {', '.join(known)}")
    return list(names)


def _schema(schema: str) -> str:
    if not _IDENT.match(schema):
        raise HepingGISError(f"schema name {schema!r} must be lower-case letters, digits and _")
    return schema


@renamed(layers="names")
def push(
    dsn: str,
    *,
    names: Sequence[str] | None = None,
    schema: str = DEFAULT_SCHEMA,
    frames: dict[str, gpd.GeoDataFrame] | None = None,
) -> dict[str, int]:
    """Write layers to PostGIS in one transaction (``hepinggis db push``).

    Each table is replaced (re-pushing is idempotent), with a primary key on ``id``; a push that
    fails part-way rolls back and leaves the database as it was.

    Parameters
    ----------
    dsn : str
        ``postgresql://user:password@host:port/database`` (psycopg 3 is used).
    names : sequence of str, optional
        The layers, by their names in the catalogue (`hepinggis.layers`; ``--layer NAME`` on the
        command line, repeated); all by default. ``layers=`` is its old name (deprecated, warns).
    schema : str
        The schema written to (lower-case letters, digits and ``_``; default ``hepinggis``).
    frames : dict, optional
        Use these GeoDataFrames instead of the bundled layers (validated the same way).

    Returns
    -------
    dict of str to int
        The row count of each table written.

    Raises
    ------
    HepingGISError
        An unknown layer name or a bad schema name (before connecting).

    Examples
    --------
    A name not in the catalogue is refused before any connection is made:

    >>> from hepinggis.postgis import push
    >>> push("postgresql://gis@localhost/heping", names=["zones", "roads"])
    Traceback (most recent call last):
    ...
    hepinggis.errors.HepingGISError: unknown layer(s) roads; the layers are: ...
    """
    from sqlalchemy import text

    schema = _schema(schema)
    names = _names(names)
    data = {n: (frames or {}).get(n) if frames and n in frames else load(n) for n in names}
    for name, frame in data.items():
        assert frame is not None
        raise_problems(find_problems(frame, catalogue()[name], f"{name} (to push)"))
    counts: dict[str, int] = {}
    engine = _engine(dsn)
    try:
        with engine.begin() as conn:  # one transaction: all or nothing
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            for name, frame in data.items():
                assert frame is not None
                out = frame.rename_geometry("geom") if frame.geometry.name != "geom" else frame
                out.to_postgis(name, conn, schema=schema, if_exists="replace", index=False)
                conn.execute(text(f'ALTER TABLE "{schema}"."{name}" ADD PRIMARY KEY (id)'))
                counts[name] = int(conn.execute(text(f'SELECT count(*) FROM "{schema}"."{name}"')).scalar_one())
    finally:
        engine.dispose()
    return counts


@renamed(layers="names")
def pull(dsn: str, *, names: Sequence[str] | None = None, schema: str = DEFAULT_SCHEMA) -> dict[str, gpd.GeoDataFrame]:
    """Read layers back from PostGIS as validated GeoDataFrames in EPSG:4326 (``hepinggis db pull``).

    Parameters
    ----------
    dsn : str
        ``postgresql://user:password@host:port/database``.
    names : sequence of str, optional
        The layers, by their names in the catalogue (``--layer NAME`` on the command line,
        repeated); all by default. ``layers=`` is its old name (deprecated, warns).
    schema : str
        The schema read from (default ``hepinggis``).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Each layer, ordered by the catalogue's id order where it fixes one, else by id.

    Raises
    ------
    HepingGISError
        An unknown layer name or a bad schema name (before connecting), or a table that breaks
        the layer's schema.

    Examples
    --------
    >>> from hepinggis.postgis import pull
    >>> pull("postgresql://gis@localhost/heping", schema="Heping GIS")
    Traceback (most recent call last):
    ...
    hepinggis.errors.HepingGISError: schema name 'Heping GIS' must be lower-case letters, digits and _
    """
    schema = _schema(schema)
    names = _names(names)
    engine = _engine(dsn)
    out: dict[str, gpd.GeoDataFrame] = {}
    try:
        with engine.connect() as conn:
            for name in names:
                frame = gpd.read_postgis(f'SELECT * FROM "{schema}"."{name}"', conn, geom_col="geom")
                frame = frame.rename_geometry("geometry")
                spec = catalogue()[name]
                if spec.ids is not None:
                    require_ids(frame, "id", spec.ids, name)
                    frame = frame.set_index("id", drop=False).loc[list(spec.ids)].reset_index(drop=True)
                raise_problems(find_problems(frame, spec, f"{schema}.{name}"))
                out[name] = frame
    finally:
        engine.dispose()
    return out
