"""Benchmark: registers as series (issue 31), on this machine, each figure beside a baseline of the
same run and the load average.

* compare two 2,000-row versions (`hepinggis.compare_registers` on two `read_projects` results;
  budget < 1 s), against reading one version with pandas (``pd.read_csv``: what any reading costs);
* compare the same two versions through a real ``hepinggis serve`` (``GET …/changes?against=``,
  first call: nothing cached), against ``GET /api/registers/{id}`` of the same register;
* a project page (``GET /registers/{id}/projects/{row}``, the first of its series; budget
  < 0.3 s), against the same baseline;
* a filtered export of all 2,000 rows (``GET …/projects.xlsx?min_yuan=0``; budget < 1 s),
  against the unfiltered GeoJSON the API has served since before series.

Each server figure is given as wall-clock time and as the CPU time the server process spent on the
request (``/proc/PID/stat``: on a loaded machine the wall clock says more about the neighbours than
about the code; the CPU time does not). The comparison "first call" is the clerk's: the version just
uploaded against the one before; "a pair never compared" is the same work for two versions that no
upload put side by side (v01 against v03), nothing cached.

    python benchmarks/bench_versions.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "web"), str(REPO / "tools")]

from _server import Server, wait_gone  # noqa: E402
from make_register_series import make_series  # noqa: E402

import hepinggis  # noqa: E402


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _best(fn: Callable[[], object], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _line(what: str, seconds: float, baseline: float, budget: float | None, cpu: float | None = None) -> None:
    met = "met" if budget is not None and seconds < budget else "NOT met"
    verdict = "" if budget is None else f" — budget {budget:.1f} s {met}"
    used = "" if cpu is None else f", server CPU {cpu:.3f} s"
    print(f"{what}: {seconds:.3f} s{used} (baseline {baseline:.3f} s; {_load()}){verdict}")


def _cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(pid: int, fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and server CPU seconds of one call."""
    c, t = _cpu(pid), time.perf_counter()
    fn()
    return time.perf_counter() - t, _cpu(pid) - c


def main() -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_series(folder, n=2000, seed=7)
        a = hepinggis.read_projects(folder / "v01.csv", crs="wgs84")
        b = hepinggis.read_projects(folder / "v02.csv", crs="wgs84")
        base = _best(lambda: pd.read_csv(folder / "v02.csv", encoding="utf-8-sig"))
        compare = _best(lambda: hepinggis.compare_registers(a, b))
        c0 = time.process_time()
        hepinggis.compare_registers(a, b)
        _line("compare two 2,000-row versions (library)", compare, base, 1.0, time.process_time() - c0)

        srv = Server(folder / "store")
        try:
            ids = []
            pid = srv.proc.pid
            for k, name in enumerate(("v01.csv", "v02.csv", "v03.csv")):
                data = {"crs": "wgs84"} | ({"replaces": ids[-1]} if k else {})
                with (folder / name).open("rb") as f:
                    r = httpx.post(f"{srv.url}/api/registers", files={"file": (name, f)}, data=data, timeout=300)
                r.raise_for_status()
                ids.append(r.json()["id"])
            client = httpx.Client(base_url=srv.url, timeout=60)
            baseline = statistics.median(
                _best(lambda: client.get(f"/api/registers/{ids[1]}").raise_for_status(), 1) for _ in range(5)
            )
            first, first_cpu = _timed(
                pid,
                lambda: client.get(f"/api/registers/{ids[2]}/changes", params={"against": ids[1]}).raise_for_status(),
            )
            _line("compare two 2,000-row versions (server, first call)", first, baseline, 1.0, first_cpu)
            cold, cold_cpu = _timed(
                pid,
                lambda: client.get(f"/api/registers/{ids[2]}/changes", params={"against": ids[0]}).raise_for_status(),
            )
            _line("compare two 2,000-row versions (server, a pair never compared)", cold, baseline, 1.0, cold_cpu)
            page_first, page_first_cpu = _timed(
                pid, lambda: client.get(f"/registers/{ids[1]}/projects/2").raise_for_status()
            )
            page = _best(lambda: client.get(f"/registers/{ids[1]}/projects/3").raise_for_status())
            _line("project page (first of the series, matching included)", page_first, baseline, None, page_first_cpu)
            _line("project page", page, baseline, 0.3)
            plain = _best(lambda: client.get(f"/api/registers/{ids[1]}/projects.geojson").raise_for_status())
            export = _best(
                lambda: client.get(f"/api/registers/{ids[1]}/projects.xlsx", params={"min_yuan": 0}).raise_for_status()
            )
            _wall, export_cpu = _timed(
                pid,
                lambda: client.get(f"/api/registers/{ids[1]}/projects.xlsx", params={"min_yuan": 0}).raise_for_status(),
            )
            _line("filtered export of 2,000 rows (xlsx)", export, plain, 1.0, export_cpu)
            gj = _best(
                lambda: client.get(
                    f"/api/registers/{ids[1]}/projects.geojson", params={"min_yuan": 0}
                ).raise_for_status()
            )
            _line("filtered export of 2,000 rows (GeoJSON)", gj, plain, 1.0)
            client.close()
        finally:
            srv.stop()
            wait_gone(folder / "store")


if __name__ == "__main__":
    main()
