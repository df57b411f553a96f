"""One place for errors: every exception class of the package is defined in hepinggis/errors.py,
listed in its ``__all__``, derives from `HepingGISError` and from the built-in it resembles."""

# apply_module_moves: leave this file (it names old module paths on purpose)

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from hepinggis import errors
from hepinggis._strict import require_layer
from hepinggis.errors import HepingGISError, InvalidGeometryError, LayerCRSError

PACKAGE = Path(__file__).resolve().parents[1] / "hepinggis"
BUILTIN_EXCEPTIONS = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}


def exception_classes(root: Path) -> dict[str, list[str]]:
    """Class name → the files (relative to ``root``) defining it, for every class of the tree
    whose bases name an exception: a built-in one, one of `hepinggis.errors`, or a class of the
    tree that is itself an exception (followed to a fixed point)."""
    classes: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
                classes[f"{path.relative_to(root)}:{node.name}"] = (node.name, bases)
    known = set(BUILTIN_EXCEPTIONS) | {n for n, v in vars(errors).items() if inspect.isclass(v)}
    found: dict[str, list[str]] = {}
    done: set[str] = set()
    changed = True
    while changed:
        changed = False
        for where, (name, bases) in classes.items():
            if where not in done and any(b in known for b in bases):
                done.add(where)
                found.setdefault(name, []).append(where.split(":")[0])
                known.add(name)
                changed = True
    return {name: sorted(files) for name, files in found.items()}


def test_every_exception_is_defined_in_errors_and_exported() -> None:
    found = exception_classes(PACKAGE)
    # a module-private control-flow signal (caught in its own module, never raised to a caller)
    public = {name: files for name, files in found.items() if not name.startswith("_")}
    elsewhere = {name: files for name, files in public.items() if files != ["errors.py"]}
    assert not elsewhere, f"exceptions defined outside errors.py: {elsewhere}"
    assert set(public) == set(errors.__all__), set(public) ^ set(errors.__all__)
    assert {"UsageError", "AdoptError", "CoordinateError", "ImportFileError", "ExportError"} <= set(public)


def test_the_scan_finds_an_exception_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("class Bad(ValueError): ...\nclass Worse(Bad): ...\nclass Fine: ...\n")
    (tmp_path / "b.py").write_text("from hepinggis.errors import HepingGISError\nclass Own(HepingGISError): ...\n")
    assert exception_classes(tmp_path) == {"Bad": ["a.py"], "Worse": ["a.py"], "Own": ["b.py"]}


@pytest.mark.parametrize("name", sorted(errors.__all__))
def test_each_error_is_a_domain_error_and_a_builtin(name: str) -> None:
    cls = getattr(errors, name)
    if cls is errors.Terminated:  # a stop signal: SystemExit, so `except Exception` cannot swallow it
        assert issubclass(cls, SystemExit) and not issubclass(cls, Exception)
        return
    assert issubclass(cls, HepingGISError)
    if cls is not HepingGISError:
        builtin = [c for c in cls.__mro__ if c.__module__ == "builtins" and c not in (Exception, BaseException, object)]
        assert builtin, f"{name} derives from no built-in exception besides Exception"


def test_moved_errors_are_still_importable_where_they_were_raised() -> None:
    from hepinggis.base.coords import CoordinateError
    from hepinggis.cli import UsageError
    from hepinggis.io._tables import ImportFileError
    from hepinggis.io.adopt import AdoptError
    from hepinggis.io.exchange import ExportError

    assert {CoordinateError, UsageError, ImportFileError, AdoptError, ExportError} <= {
        getattr(errors, n) for n in errors.__all__
    }


def _bowtie() -> Polygon:
    return Polygon([(123.40, 41.78), (123.41, 41.79), (123.41, 41.78), (123.40, 41.79)])


def test_require_layer_reports_every_bad_row_at_once() -> None:
    geoms = [box(123.40, 41.78, 123.41, 41.79), _bowtie(), Polygon(), box(123.40, 41.78, 123.41, 41.79), _bowtie()]
    frame = gpd.GeoDataFrame({"id": ["a", "b", "c", "d", "e"]}, geometry=geoms, crs=4326)
    with pytest.raises(InvalidGeometryError) as caught:
        require_layer(frame, "项目")
    message = str(caught.value)
    assert "3 处问题" in message
    assert "id 'b'" in message and "id 'c'" in message and "id 'e'" in message
    assert "id 'a'" not in message and "id 'd'" not in message
    assert "几何为空" in message and "几何无效" in message and "Self-intersection" in message
    assert len(caught.value.problems) == 3


def test_require_layer_lists_a_missing_crs_with_the_bad_rows_and_caps_the_message() -> None:
    geoms = [_bowtie()] * 25
    frame = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(25)]}, geometry=geoms)
    with pytest.raises(LayerCRSError) as caught:  # the first problem's class
        require_layer(frame, "项目")
    assert len(caught.value.problems) == 26
    assert "没有坐标系" in caught.value.problems[0]
    assert "另有 6 处" in str(caught.value)
    assert "id 'p24'" in caught.value.problems[-1]


def test_a_good_layer_passes() -> None:
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(123.40, 41.78, 123.41, 41.79)], crs=4326)
    require_layer(frame, "项目", polygons=True)
