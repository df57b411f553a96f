"""Names that mean one thing (issue 38, item 4): renamed keywords keep their old names one release.

The old name still works and gives a FutureWarning naming the new one; both at once is a TypeError;
the signature shows only the new name; and no public function takes a retired name any more.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hepinggis
from hepinggis.base._renamed import renamed, renamed_function
from hepinggis.errors import HepingGISError

#: Keyword names retired by issue 38: ``layers`` is the catalogue (`hepinggis.layers`) only; a
#: GeoPackage of adopted boundaries is ``boundaries``, a list of layer names ``names``, a table of
#: an input file ``table``, generic features ``features``, a file read ``path``.
RETIRED = {"layers", "layer", "frame", "file"}


@renamed(frame="features")
def _area(features: int, *, scale: int = 1) -> int:
    return features * scale


def test_the_old_keyword_warns_and_still_works() -> None:
    with pytest.warns(FutureWarning, match=r"^_area\(frame=\.\.\.\) is deprecated: use _area\(features=\.\.\.\)$"):
        assert _area(frame=3, scale=2) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _area(3, scale=2) == _area(features=3) * 2 == 6  # the new name: no warning


def test_both_names_at_once_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"both frame= \(deprecated\) and features="):
        _area(features=1, frame=2)  # type: ignore[call-arg]


def test_the_signature_shows_the_new_name_only() -> None:
    assert list(inspect.signature(_area).parameters) == ["features", "scale"]
    assert _area.__name__ == "_area"


def test_a_renamed_function_warns_and_calls_the_new_one() -> None:
    old = renamed_function(_area, "_old_area")
    with pytest.warns(FutureWarning, match=r"_old_area\(\) is deprecated: use _area\(\)"):
        assert old(4) == 4
    assert old.__name__ == "_old_area" and "_area" in (old.__doc__ or "")


def _gpkg_of_zones(tmp: Path) -> Path:
    path = tmp / "b.gpkg"
    hepinggis.load("zones").to_file(path, layer="zones", driver="GPKG")
    return path


def _csv_gpkg(tmp: Path) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp / "p.gpkg"
    frame = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Point(123.42, 41.77)], crs=4326)
    frame.to_file(path, layer="项目", driver="GPKG")
    frame.to_file(path, layer="其他", driver="GPKG")
    return path


#: (public call with the old keyword, the old name, the new name, a check of the result)
CASES: dict[str, tuple[Callable[[Path], Any], str, str, Callable[[Any], bool]]] = {
    "load": (
        lambda t: hepinggis.load("zones", layers=_gpkg_of_zones(t)),
        "layers",
        "boundaries",
        lambda r: len(r) == 6,
    ),
    "export_layers": (
        lambda t: hepinggis.export(t / "x.gpkg", layers=["zones"]),
        "layers",
        "names",
        lambda r: hepinggis.read_export(r, "zones").shape[0] == 6,
    ),
    "export_crs": (
        lambda t: hepinggis.export(t / "x.gpkg", names=["zones"], crs="EPSG:4550"),
        "crs",
        "to_crs",
        lambda r: hepinggis.read_export(r, "zones").crs.to_epsg() == 4550,
    ),
    "read_export": (
        lambda t: hepinggis.read_export(hepinggis.export(t / "x.gpkg", names=["zones"]), layer="zones"),
        "layer",
        "name",
        lambda r: len(r) == 6,
    ),
    "read_projects": (
        lambda t: hepinggis.read_projects(_csv_gpkg(t), layer="项目"),
        "layer",
        "table",
        lambda r: r.n_imported == 1,
    ),
    "geodesic_area": (
        lambda t: hepinggis.geodesic_area(frame=hepinggis.load("district")),
        "frame",
        "features",
        lambda r: round(float(r.iloc[0])) == 60,
    ),
    "projected_length": (
        lambda t: hepinggis.projected_length(frame=hepinggis.load("axes")),
        "frame",
        "features",
        lambda r: float(r.max()) > 5,
    ),
    "overlap_analysis": (
        lambda t: hepinggis.overlap_analysis(layer=hepinggis.load("zones"), overlays={"j": hepinggis.load("jiedao")}),
        "layer",
        "features",
        lambda r: "j_pc" in r.columns,
    ),
    "check": (lambda t: hepinggis.check(folder=None), "folder", "path", lambda r: r.ok),
    "apportion_to_zones": (
        lambda t: hepinggis.apportion_to_zones(
            table=hepinggis.load("jiedao").assign(n=1.0), zones=hepinggis.load("zones"), extensive=["n"]
        ),
        "table",
        "features",
        lambda r: round(float(r["n"].sum())) == 10,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_renamed_public_keyword_warns_and_works(case: str, tmp_path: Path) -> None:
    call, old, new, good = CASES[case]
    with pytest.warns(FutureWarning, match=rf"\({old}=\.\.\.\) is deprecated: use \w+\({new}=\.\.\.\)") as seen:
        result = call(tmp_path)
    assert good(result)
    assert sum("is deprecated" in str(w.message) for w in seen) == 1  # one warning: none from inside the library


def test_push_and_pull_take_names() -> None:
    from hepinggis.postgis import pull, push

    for func in (push, pull):
        with (
            pytest.warns(FutureWarning, match=r"\(layers=\.\.\.\) is deprecated: use \w+\(names=\.\.\.\)"),
            pytest.raises(HepingGISError, match="unknown layer"),  # refused before any connection
        ):
            func("postgresql://nobody@127.0.0.1:9/x", layers=["roads"])


def test_stats_tables_takes_the_projects_first_and_a_number_there_still_as_the_distance() -> None:
    with pytest.warns(FutureWarning, match=r"stats_tables\(projects, distance_m=\.\.\.\)"):
        old = hepinggis.stats_tables(5)
    new = hepinggis.stats_tables(distance_m=5)
    assert old["projects_along_axes"].equals(new["projects_along_axes"])
    assert len(new["projects_along_axes"]) < len(hepinggis.stats_tables()["projects_along_axes"])
    assert list(inspect.signature(hepinggis.stats_tables).parameters)[:2] == ["projects", "distance_m"]


def _public_callables() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module_name in ["hepinggis", "hepinggis.postgis", "hepinggis.io", "hepinggis.maps", "hepinggis.monitor"]:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj):
                found[f"{module_name}.{name}"] = obj
    return found


def test_no_public_function_takes_a_retired_name() -> None:
    """``layers`` is the catalogue function only; no exported function takes it (or ``layer``,
    ``frame``, ``file``) as a parameter, and ``use_layers`` is out of ``__all__``."""
    taken = {
        name: sorted(RETIRED & set(inspect.signature(func).parameters))
        for name, func in _public_callables().items()
        if RETIRED & set(inspect.signature(func).parameters)
    }
    assert taken == {}
    assert "use_layers" not in hepinggis.__all__
    assert len(_public_callables()) > 40


def test_the_old_cli_flags_are_hidden_from_help() -> None:
    from hepinggis.cli import _parser

    for command in ("build", "export", "import", "adopt", "check"):
        with pytest.raises(SystemExit):
            _parser().parse_args([command, "--help"])


def test_help_names_only_the_new_flags(capsys: pytest.CaptureFixture[str]) -> None:
    from hepinggis.cli import _parser

    for command, new, old in [
        ("build", "--boundaries", "--layers"),
        ("import", "--table", "--layer"),
        ("adopt", "--table", "--layer"),
        ("check", "DIR|GPKG", "--data"),
    ]:
        argv = [command, "--help"] if command != "adopt" else [command, "--out", "x.gpkg", "--help"]
        with pytest.raises(SystemExit):
            _parser().parse_args(argv)
        text = capsys.readouterr().out
        assert new in text and old not in text, (command, text)
