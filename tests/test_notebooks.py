"""The notebooks run top to bottom (nbclient), use only the public API, and are committed without outputs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _chromium import Visit
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_speaks_chinese(path: Path) -> None:
    """Written for a Chinese bureau's analysts: most of the prose is Chinese."""
    nb = nbformat.read(path, as_version=4)
    prose = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    letters = [ch for ch in prose if ch.isalpha()]
    chinese = [ch for ch in letters if "\u4e00" <= ch <= "\u9fff"]
    assert len(chinese) >= 0.6 * len(letters), f"{path.name}: {len(chinese)} of {len(letters)} letters are Chinese"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_clean_and_public(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "commit notebooks without outputs"
            assert not re.search(r"hepinggis\._|from hepinggis\._", cell.source), "use the public API only"


def _beside_the_data(tmp_path: Path) -> Path:
    """A folder laid out as notebooks/ is (its data/ beside), so a notebook reads ``data/…`` as an
    analyst running it from the checkout would, while anything it writes stays in the tmp folder."""
    shutil.copytree(NOTEBOOKS[0].parent / "data", tmp_path / "data")
    return tmp_path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tmp_path = _beside_the_data(tmp_path)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_map_in_a_notebook_renders_offline(browser: Any, tmp_path: Path) -> None:
    """Notebook 02 draws the imported register; its output, opened as Jupyter shows it (an iframe),
    renders in headless Chromium with every network request blocked."""
    path = next(p for p in NOTEBOOKS if p.name.startswith("02_"))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(_beside_the_data(tmp_path))}}
    ).execute()
    html_out = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code" and "overview_map(projects=result," in c.source
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert len(html_out) == 1, "notebook 02 must display the imported register on a map"
    page = tmp_path / "cell.html"
    page.write_text(f"<!DOCTYPE html><html><body>{html_out[0]}</body></html>", encoding="utf-8")
    v = Visit(browser, page, wait_for="iframe")
    frame = v.page.frame_locator("iframe")
    frame.locator("path.hg-zone").first.wait_for(state="attached", timeout=15_000)
    assert frame.locator("path.hg-zone").count() == 6
    assert frame.locator("path.hg-project").count() == 8  # the 8 of 10 sample rows the import takes
    assert "商业" in frame.locator(".hg-legend").inner_text()
    assert v.external == [] and v.errors == []
