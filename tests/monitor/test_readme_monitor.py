"""The README's monitoring example runs as written, from a folder laid out like the clone."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_monitor_commands_run_as_written(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- monitor example[^>]*-->\s*```bash\n(.*?)```", readme, re.S)
    assert block, "README lost its monitoring example"
    (tmp_path / "notebooks" / "data").mkdir(parents=True)
    for sample in (REPO / "notebooks" / "data").glob("监测*"):
        shutil.copy(sample, tmp_path / "notebooks" / "data" / sample.name)
    for line in block.group(1).splitlines():
        command = line.split("  #")[0].strip()
        if not command:
            continue
        argv = shlex.split(command)
        run = subprocess.run(
            [sys.executable, "-m", "hepinggis", *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    assert (tmp_path / "out" / "监测填报.xlsx").is_file()
    assert (tmp_path / "maps" / "monitor" / "index.html").is_file()
    assert "示意数据" in (tmp_path / "maps" / "monitor" / "monitor_sanhaojie.html").read_text(encoding="utf-8")
