"""The build forks its workers before it loads folium: the main process computes the maps' inputs
without the map libraries (`maps/_map_data.py`, `maps/_static_data.py`), so the other core starts
early, and folium is loaded only by the worker that draws with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_build_and_the_maps_inputs_load_no_map_library() -> None:
    code = (
        "import sys\n"
        "import hepinggis.briefing, hepinggis.maps._map_data, hepinggis.maps._static_data\n"
        "libraries = ('folium', 'branca', 'matplotlib', 'mapclassify', 'xlsxwriter')\n"
        "print(sorted(m for m in libraries if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"
