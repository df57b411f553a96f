"""Files parsed under limits (issue 33, High): the repro files — a 4.8 KB xlsx spanning A1:CV300000,
one spanning A1:XFD1048576, one whose single far cell sits at XFD1048576, a CSV of 10⁶ columns —
are refused in one Chinese line before any reader allocates for them. Each is read in a child
process whose address space is capped at 1.5 GB: without the limits the readers die or take
minutes there; with them the refusal comes at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _limit_files import small_xlsx, wide_csv

from hepinggis.errors import FileLimitError, ImportFileError
from hepinggis.io._limits import MAX_COLUMNS, check_csv_bytes, check_workbook

REPO = Path(__file__).resolve().parents[2]


def preview_in_capped_child(path: Path, reader: str = "preview") -> tuple[str, float]:
    """Run the reader on ``path`` in a child capped at 1.5 GB of address space; its stderr's last
    line and the seconds taken."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
        from pathlib import Path
        from hepinggis.errors import FileLimitError
        path = Path({str(path)!r})
        try:
            if {reader!r} == "preview":
                from hepinggis.io.preview import preview_register
                preview_register(path)
            else:
                from hepinggis.monitor.indicators import read_actuals
                read_actuals(path)
        except FileLimitError as exc:
            print("REFUSED", exc, file=sys.stderr)
            sys.exit(3)
        """
    )
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    took = time.monotonic() - start
    return (done.stderr.strip().splitlines() or [""])[-1], took


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: small_xlsx(p / "声明范围.xlsx", dimension="A1:CV300000"), "300,000 行 × 100 列"),
        (lambda p: small_xlsx(p / "整表.xlsx", dimension="A1:XFD1048576"), "16,384 列"),
        (lambda p: small_xlsx(p / "远处一格.xlsx", far_cell="XFD1048576"), "16,384 列"),
        (lambda p: small_xlsx(p / "远行.xlsx", far_cell="Z1048576"), "1,048,576 行 × 26 列"),
        (lambda p: wide_csv(p / "百万列.csv"), "1,000,000 列"),
    ],
)
@pytest.mark.parametrize("reader", ["preview", "figures"])
def test_the_repro_files_are_refused_before_parsing(tmp_path: Path, make: object, words: str, reader: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    if path.suffix == ".xlsx":
        assert path.stat().st_size < 8000  # a few KB
    line, took = preview_in_capped_child(path, reader)
    assert line.startswith("REFUSED"), line
    assert words in line and path.name in line and "超出服务器的读取限制" in line
    assert took < 30, took


def test_a_real_register_passes_and_the_limits_are_exact(tmp_path: Path) -> None:
    ok = small_xlsx(tmp_path / "正常.xlsx")
    check_workbook(ok)
    from hepinggis.io.preview import preview_register

    assert preview_register(ok).rows[0][0] == "太原街改造"
    # exactly MAX_COLUMNS columns pass, one more is refused; quoted separators are not columns
    at_limit = (",".join(["a"] * MAX_COLUMNS) + "\n").encode()
    check_csv_bytes(at_limit, name="a.csv")
    with pytest.raises(FileLimitError, match="1,001 列"):
        check_csv_bytes((",".join(["a"] * (MAX_COLUMNS + 1)) + "\n").encode(), name="a.csv")
    check_csv_bytes(b'name,"' + b"," * 5000 + b'"\n', name="a.csv")
    check_workbook(small_xlsx(tmp_path / "长表.xlsx", far_cell="C1048576"))  # 3.1 million cells: allowed
    with pytest.raises(FileLimitError, match="第 2 行长于"):
        check_csv_bytes(b"a\n" + b"x" * (2 << 20), name="a.csv")
    assert issubclass(FileLimitError, ImportFileError)  # reported as a file that cannot be read
