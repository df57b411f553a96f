"""The optional parts of hepinggis and the one-line message when one is missing.

``pip install hepinggis`` gives the library and the command line; the web application and the
large-data paths come as extras (``pip install "hepinggis[server]"``), as geopandas does for its
engines. The table below is the one place that says which import belongs to which extra.
"""

from __future__ import annotations

import importlib.util
from types import MappingProxyType

from hepinggis.errors import MissingExtraError

__all__ = ["EXTRAS", "extra_of", "require_extra"]

#: extra → the top-level modules it provides (the PyPI names are in pyproject.toml)
EXTRAS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "server": (
            "fastapi",
            "uvicorn",
            "multipart",
            "jinja2",
            "argon2",
            "alembic",
            "sqlalchemy",
            "psycopg",
            "mapbox_vector_tile",
        ),
        "postgis": ("sqlalchemy", "geoalchemy2", "psycopg"),
        "parquet": ("pyarrow",),
        "dask": ("dask", "distributed", "pyarrow"),
    }
)


def _message(extra: str, feature: str) -> str:
    return f'{feature} needs the optional packages of hepinggis[{extra}]: pip install "hepinggis[{extra}]"'


def require_extra(extra: str, *, feature: str) -> None:
    """Raise `MissingExtraError` naming ``extra`` unless every module it provides can be imported.

    Examples
    --------
    >>> require_extra("parquet", feature="count_points_in_parquet")  # installed with [dev]
    """
    missing = [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(_message(extra, feature) + f" (missing: {', '.join(missing)})")


def extra_of(exc: ModuleNotFoundError, *, feature: str = "this command") -> str | None:
    """The one-line message for an import that failed because an extra is not installed, else None.

    Examples
    --------
    >>> extra_of(ModuleNotFoundError("No module named 'fastapi'", name="fastapi"), feature="serve")
    'serve needs the optional packages of hepinggis[server]: pip install "hepinggis[server]"'
    >>> extra_of(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    True
    """
    top = (exc.name or "").split(".")[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return _message(extra, feature)
    return None
