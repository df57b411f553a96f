"""The README's own-data example runs as written: a GBK, GCJ-02 project list from a colleague is imported,
mapped and turned into the whole briefing package, with the rejected rows listed in it."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
SAMPLE = "notebooks/data/项目清单示例.csv"


def _block(marker: str, lang: str) -> str:
    match = re.search(rf"<!-- {re.escape(marker)}[^>]*-->\s*```{lang}\n(.*?)```", README, re.S)
    assert match, f"README lost its {marker!r} block"
    return match.group(1)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder laid out like the clone the README speaks to (the sample list at its path)."""
    (tmp_path / SAMPLE).parent.mkdir(parents=True)
    shutil.copy(REPO / SAMPLE, tmp_path / SAMPLE)
    return tmp_path


def test_sample_is_gbk_and_gcj02_like_a_colleagues_file() -> None:
    raw = (REPO / SAMPLE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "示例" in raw.decode("gbk")


def test_readme_commands_run_as_written(workdir: Path) -> None:
    commands = [line for line in _block("own-data example", "bash").splitlines() if line.strip()]
    assert [c.split()[1] for c in commands] == ["import", "build"]
    runs = []
    for command in commands:
        argv = shlex.split(command)
        run = subprocess.run(
            [sys.executable, "-m", "hepinggis", *argv[1:]], cwd=workdir, capture_output=True, text=True, timeout=600
        )
        assert "Traceback" not in run.stderr
        runs.append(run)
    imp, build = runs
    assert imp.returncode == 1  # rows were rejected: said, and reported
    assert "共 10 行（坐标系 gcj02，编码 gb18030）→ 导入 8 行，未导入 2 行" in imp.stdout
    report = openpyxl.load_workbook(workdir / "out" / "导入报告.xlsx").active
    assert report is not None and [c.value for c in report[1]][:4] == ["行号", "编号", "名称", "结果"]
    numbered = [r[0] for r in report.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert sorted(numbered) == list(range(2, 12))  # one line per input row, besides the file-level notes
    assert build.returncode == 0, build.stderr
    assert build.stdout.splitlines()[0].endswith("→ 导入 8 行，未导入 2 行，带警告导入 0 行")
    out = workdir / "maps" / "own"
    page = (out / "import_report.html").read_text(encoding="utf-8")
    assert "示例：坐标缺失的行" in page and "示例：经纬度填反的行" in page and "颠倒" in page
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert "示例：三好街科创孵化楼" in overview and "示例：北市场文化街区改造" in overview
    assert "产业园区" in overview  # free-text category in the legend as written
    book = openpyxl.load_workbook(out / "stats" / "hepinggis_stats.xlsx")
    assert "import_report" in book.sheetnames
    names = {row[1] for row in book["project_zone_shares"].iter_rows(min_row=2, values_only=True)}
    assert len(names) == 8
    assert "import_report.html" in (out / "index.html").read_text(encoding="utf-8")


def test_readme_python_runs_as_written(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    exec(compile(_block("own-data python", "python"), "README own-data python", "exec"), {})
    assert "示例：满融国际学校" in (workdir / "maps" / "own_overview.html").read_text(encoding="utf-8")
    assert (workdir / "maps" / "own_py" / "import_report.html").is_file()
    assert (workdir / "maps" / "own_py" / "zone_manrong.png").is_file()
