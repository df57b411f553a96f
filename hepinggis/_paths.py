"""Where the bundled layers live, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from hepinggis.errors import InstalledPackageError

__all__ = ["REFERENCE_OUTLINE", "data_dir", "refuse_installed"]

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


def refuse_installed(target: str | Path, *, command: str, data: Path | None = None) -> None:
    """Refuse to write ``target`` if it lies in the bundled layers of an installed package.

    After ``pip install .`` the layers are a copy in site-packages: editing them there changes
    nothing in the checkout (and ``git status`` stays clean), so commands that rewrite the layers
    (``digitize``) run only where the layers belong to a git checkout (an editable install).

    Raises
    ------
    InstalledPackageError
        One line, in Chinese and English, saying how to run from a checkout.
    """
    data = (data or data_dir()).resolve()
    target = Path(target).resolve()
    if not target.is_relative_to(data) or (data.parent / ".git").exists():
        return
    raise InstalledPackageError(
        f"拒绝写入已安装的包中的图层 {data}（改动不会回到源码）：请在源码检出中运行，"
        f'git clone 后在仓库根目录执行 pip install -e ".[dev]"，再运行 hepinggis {command}；'
        f"或用 --out 写到别的文件夹 / refusing to write into an installed package: "
        f'run from a git checkout installed with pip install -e ".[dev]"'
    )
