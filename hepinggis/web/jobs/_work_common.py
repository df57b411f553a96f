"""What every job of the workers shares: the boundaries in force (`layers`) and values made fit
for JSON (`jsonable`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hepinggis.base._layer_source import use_boundaries
from hepinggis.base.messages import Said
from hepinggis.web.store._store import Store

__all__ = ["jsonable", "layers"]


def layers(store: Store) -> AbstractContextManager[Path | None]:
    """The boundaries in force: the adopted GeoPackage chosen on the 边界 page, or the bundled."""
    chosen = store.get_setting("boundaries")
    gpkg = store.data_dir / "boundaries" / f"{chosen}.gpkg" if chosen else None
    return use_boundaries(gpkg if gpkg is not None and gpkg.is_file() else None)


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it; a message of the catalogue (`Said`) in the page's words."""
    if isinstance(value, Said):
        return value.page
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if not np.isfinite(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    if pd.isna(value):
        return None
    return str(value)
