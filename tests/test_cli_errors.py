"""Every subcommand, driven through its user-error modes: one line on stderr, a non-zero exit code, and
never a Python traceback (``--debug`` shows it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hepinggis.cli import main

UNREACHABLE_DB = "postgresql://nobody@127.0.0.1:9/nothing?connect_timeout=3"


def _files(tmp: Path) -> dict[str, str]:
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "blank.csv").write_text("\n\n  \n", encoding="utf-8")
    (tmp / "binary.csv").write_bytes(bytes(range(128, 256)) * 4)
    (tmp / "notzip.xlsx").write_text("this is not a workbook", encoding="utf-8")
    (tmp / "list.doc").write_text("x", encoding="utf-8")
    (tmp / "ok.csv").write_text("名称,经度,纬度\n甲,123.40,41.78\n", encoding="utf-8")
    (tmp / "bad.geojson").write_text("{not json", encoding="utf-8")
    (tmp / "adir").mkdir()
    names = ("empty.csv", "blank.csv", "binary.csv", "notzip.xlsx", "list.doc", "ok.csv", "bad.geojson", "adir")
    return {n.split(".")[0]: str(tmp / n) for n in names}


CASES: dict[str, list[str]] = {
    "no_command": [],
    "unknown_command": ["frobnicate"],
    "layers_extra_argument": ["layers", "extra"],
    "check_missing_folder": ["check", "{tmp}/nowhere"],
    "check_file_not_layers": ["check", "{ok}"],
    "digitize_no_reference": ["digitize", "--reference", "{tmp}/nowhere", "--out", "{tmp}/d"],
    "import_missing_file": ["import", "{tmp}/missing.csv", "--crs", "wgs84"],
    "import_empty_file": ["import", "{empty}", "--crs", "wgs84"],
    "import_blank_file": ["import", "{blank}", "--crs", "wgs84"],
    "import_binary_file": ["import", "{binary}", "--crs", "wgs84"],
    "import_not_a_workbook": ["import", "{notzip}", "--crs", "wgs84"],
    "import_broken_geojson": ["import", "{bad}"],
    "import_unsupported_type": ["import", "{list}", "--crs", "wgs84"],
    "import_a_directory": ["import", "{adir}", "--crs", "wgs84"],
    "import_no_crs": ["import", "{ok}"],
    "import_unknown_crs": ["import", "{ok}", "--crs", "mars"],
    "import_bad_col": ["import", "{ok}", "--crs", "wgs84", "--col", "name"],
    "import_unwritable_out": ["import", "{ok}", "--crs", "wgs84", "--out", "/proc/nope/p.gpkg"],
    "import_unwritable_report": ["import", "{ok}", "--crs", "wgs84", "--report", "/proc/nope/r.csv"],
    "stats_unwritable": ["stats", "--out", "/proc/nope"],
    "stats_negative_distance": ["stats", "--out", "{tmp}/s", "--distance", "-5"],
    "stats_distance_not_a_number": ["stats", "--distance", "far"],
    "stats_crs_without_projects": ["stats", "--out", "{tmp}/s", "--crs", "gcj02"],
    "stats_empty_projects": ["stats", "--out", "{tmp}/s", "--projects", "{empty}", "--crs", "wgs84"],
    "build_unwritable": ["build", "--out", "/proc/nope", "--quiet"],
    "build_unknown_basemap": ["build", "--out", "{tmp}/b", "--basemap", "nope", "--quiet"],
    "build_crs_without_projects": ["build", "--out", "{tmp}/b", "--crs", "gcj02"],
    "build_empty_projects": ["build", "--out", "{tmp}/b", "--projects", "{empty}", "--crs", "wgs84"],
    "build_missing_projects": ["build", "--out", "{tmp}/b", "--projects", "{tmp}/missing.csv", "--crs", "wgs84"],
    "build_projects_no_crs": ["build", "--out", "{tmp}/b", "--projects", "{ok}"],
    "build_bad_name_col": [
        "build",
        "--out",
        "{tmp}/b",
        "--projects",
        "{ok}",
        "--crs",
        "wgs84",
        "--name-col",
        "nope",
    ],
    "export_unwritable": ["export", "/proc/nope.gpkg"],
    "export_unknown_layer": ["export", "{tmp}/x.gpkg", "--layer", "nope"],
    "export_crs_without_projects": ["export", "{tmp}/x.gpkg", "--crs", "EPSG:4550"],
    "export_bad_format": ["export", "{tmp}/x.gpkg", "--format", "dwg"],
    "export_projected_geojson": ["export", "{tmp}/g", "--format", "geojson", "--to-crs", "EPSG:4550"],
    "export_missing_projects": ["export", "{tmp}/x.gpkg", "--projects", "{tmp}/missing.csv", "--crs", "wgs84"],
    "monitor_nothing_given": ["monitor", "--out", "{tmp}/m"],
    "monitor_missing_figures": ["monitor", "{tmp}/missing.csv", "--out", "{tmp}/m"],
    "monitor_empty_figures": ["monitor", "{empty}", "--out", "{tmp}/m"],
    "monitor_figures_without_columns": ["monitor", "{ok}", "--out", "{tmp}/m"],
    "monitor_template_not_xlsx": ["monitor", "--template", "{tmp}/t.csv"],
    "monitor_template_unwritable": ["monitor", "--template", "/proc/nope/t.xlsx"],
    "monitor_year_not_a_number": ["monitor", "{ok}", "--year", "soon"],
    "monitor_projects_folder_missing": ["monitor", "{ok}", "--projects-by-year", "{tmp}/nowhere"],
    "db_unreachable_push": ["db", "push", UNREACHABLE_DB],
    "db_unreachable_pull": ["db", "pull", UNREACHABLE_DB],
    "db_not_a_dsn": ["db", "push", "not a dsn"],
    "db_bad_action": ["db", "drop", UNREACHABLE_DB],
}


def _argv(case: str, tmp: Path) -> list[str]:
    files = _files(tmp)
    return [a.format(tmp=tmp, **files) for a in CASES[case]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_error_is_one_line_without_traceback(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(case, tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hepinggis"), err
    assert "unexpected" not in err, err  # every failure mode here is anticipated and explained


@pytest.mark.parametrize("case", ["import_empty_file", "db_unreachable_push", "export_unwritable"])
def test_installed_command_prints_no_traceback(case: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "hepinggis", *_argv(case, tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "hepinggis", "--debug", *_argv("import_empty_file", tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "Traceback" in run.stderr
