"""Where the bundled layers live, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["REFERENCE_OUTLINE", "data_dir"]

_CATALOGUE = "layers.json"
#: The district outline ``hepinggis digitize --reference DIR`` reads from DIR (here, not in
#: ``plan._digitize``, so that the command line's help needs no geopandas).
REFERENCE_OUTLINE = "heping_district_amap_wgs84.geojson"


def data_dir() -> Path:
    """Return the folder holding the layers and ``layers.json``.

    A wheel ships ``geodata/`` inside the package (``hepinggis/geodata``); a source checkout or an
    editable install keeps it at the repository root, next to the package.
    """
    packaged = Path(str(resources.files("hepinggis"))) / "geodata"
    if (packaged / _CATALOGUE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "geodata"
    if (checkout / _CATALOGUE).is_file():
        return checkout
    raise FileNotFoundError(
        f"hepinggis cannot find its layers: neither {packaged} nor {checkout} holds {_CATALOGUE}. "
        "Reinstall the package (pip install .) or run from a complete checkout."
    )
