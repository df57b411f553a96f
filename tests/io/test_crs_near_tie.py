"""A register that does not say its coordinate system, whose points fit two systems nearly as well
(GPS, 高德 and 百度 differ by a few hundred metres): neither is proposed, both are named — by their
Chinese names with the code in brackets on a page — and the clerk (or the command line's user)
chooses. The rule: the best two candidates' counts of rows inside the district differ by at most
5 % of the rows with coordinates (`hepinggis.io._crs_hint.NEAR_TIE_SHARE`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _crs_points import inside_points, tie_register

from hepinggis.base.messages import Said, crs_name, forbidden_in
from hepinggis.cli import main
from hepinggis.errors import ImportFileError
from hepinggis.io import preview_register
from hepinggis.io._crs_hint import NEAR_TIE_SHARE, near_tie, propose_crs
from hepinggis.io.importer import read_projects


@pytest.fixture(scope="module")
def tie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tie_register(tmp_path_factory.mktemp("tie") / "近似并列.csv")


def test_the_rule_is_five_percent_of_the_rows_with_coordinates() -> None:
    assert NEAR_TIE_SHARE == 0.05
    assert near_tie({"wgs84": 100, "gcj02": 95, "bd09": 10}, 100) == ["wgs84", "gcj02"]
    assert near_tie({"wgs84": 100, "gcj02": 94, "bd09": 10}, 100) == []
    assert near_tie({"wgs84": 3, "gcj02": 3}, 3) == ["wgs84", "gcj02"]  # an exact tie always
    assert near_tie({"wgs84": 0, "gcj02": 0}, 3) == []


def test_a_near_tie_proposes_nothing_and_names_both(tie: Path) -> None:
    xs, ys = inside_points(30)
    best, counts = propose_crs(xs, ys)
    assert best is None and counts["wgs84"] == counts["gcj02"] == 30  # each puts every row inside
    preview = preview_register(tie)
    assert preview.crs_proposed is None and preview.crs_tied[:2] == ["wgs84", "gcj02"]
    reason = preview.crs_reason
    assert isinstance(reason, Said) and "无法区分" in reason and "推荐" not in reason.replace("不作推荐", "")
    shown = reason.page  # the page's words: both by their Chinese names, the code in brackets
    assert crs_name("wgs84") in shown and crs_name("gcj02") in shown and "（WGS 84）" in shown
    assert "“坐标系”一栏" in shown and forbidden_in(shown) == []


def test_the_import_refuses_to_pick_and_names_both(tie: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        read_projects(tie)
    said = err.value.args[0]
    assert isinstance(said, Said) and "无法区分" in str(said) and "可用 --crs" not in str(said)
    assert "wgs84、gcj02" in str(said) and "--crs" in str(said)  # the command line names the flag
    assert crs_name("gcj02") in said.page and "--" not in said.page and forbidden_in(said.page) == []


def test_the_command_line_does_not_pick_silently(tie: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tie)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "无法区分" in err and "可用 --crs" not in err
