"""Benchmark: ``hepinggis serve`` on this machine, each figure against the command line (or the
library) doing the same work in the same run.

* upload → report → map of a 2,000-row XLSX register, the **first** upload after ``serve``
  answered and a **warm** one (the fifth), each budget < 1 s (issue 37.1), against
  ``hepinggis import FILE --crs gcj02 --report r.xlsx`` plus the overview map (one process), and
  against the time ``serve`` took to answer (its workers warm up before it does);
* a 50,000-row CSV uploaded and stored (budget < 3 s; its map follows as its own job), against
  ``hepinggis import`` of the same file;
* the home page interactive in headless Chromium (budget < 1 s: DOMContentLoaded, and the map
  frame's zones drawn), against opening the same map file from disk;
* 20 uploads at once (60-row register each; all must answer 201), against 20 imports one after
  the other in one Python process.

    python benchmarks/bench_serve.py [--big 50000]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "web")]

from _chromium import ARGS, CHROMIUM  # noqa: E402
from _server import free_port, wait_gone  # noqa: E402

from hepinggis.io._synthetic import write_register  # noqa: E402

GBK_TITLE = REPO / "tests" / "data" / "registers" / "重点项目清单_标题行_GBK.csv"


class _Serve:
    """``hepinggis serve`` from the checkout, waited for as long as this machine needs (its
    workers warm up before it answers)."""

    def __init__(self, data: Path, *, max_upload: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "hepinggis", "serve", "--data", str(data), "--port", str(port)]
        self.proc = subprocess.Popen(
            [*cmd, "--max-upload", max_upload], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO))
        )
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _cli(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hepinggis", *args], cwd=REPO, capture_output=True, check=False)
    return time.perf_counter() - t


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) so far of process ``root`` and every process below it (the
    server, its warm parent and workers), from ``/proc`` (Linux)."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        parent[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    total = 0
    for pid, t in ticks.items():
        p = pid
        while p > 1 and p != root:
            p = parent.get(p, 0)
        total += t if p == root else 0
    return total / os.sysconf("SC_CLK_TCK")


def _cli_import_and_map(path: Path, out: Path) -> float:
    code = (
        "import sys, warnings; warnings.simplefilter('ignore'); import hepinggis;"
        "from hepinggis.maps import overview_map, save_html;"
        f"r = hepinggis.read_projects({str(path)!r}, crs='gcj02');"
        f"r.write_report(__import__('pathlib').Path({str(out / 'r.xlsx')!r}));"
        f"save_html(overview_map(projects=r.projects, basemap='none'), {str(out / 'm.html')!r})"
    )
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    return time.perf_counter() - t


def _upload(url: str, path: Path, **params: str) -> httpx.Response:
    with path.open("rb") as f:
        return httpx.post(
            f"{url}/api/registers", files={"file": (path.name, f)}, data={"crs": "gcj02"}, params=params, timeout=600
        )


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _register_2000(work: Path) -> Path:
    csv = write_register(work / "r2000.csv", 2000, seed=1)
    xlsx = work / "清单2000.xlsx"
    pd.read_csv(csv, encoding="gbk").to_excel(xlsx, index=False)
    return xlsx


def upload_report_map(url: str, xlsx: Path) -> float:
    """Upload the register, fetch its report, then its map (waiting while it is being drawn)."""
    t = time.perf_counter()
    r = _upload(url, xlsx)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert httpx.get(f"{url}/api/registers/{rid}/report", timeout=60).status_code == 200
    while "正在绘制地图" in (page := httpx.get(f"{url}/maps/{rid}.html", timeout=60)).text:
        time.sleep(0.02)
    assert page.status_code == 200 and "leaflet" in page.text.lower(), page.text[:200]
    return time.perf_counter() - t


def bench_2000(url: str, work: Path) -> tuple[float, float, float]:
    """The first and the fifth upload → report → map, and the command line's import and map."""
    xlsx = _register_2000(work)
    first = upload_report_map(url, xlsx)
    warm = [upload_report_map(url, xlsx) for _ in range(4)][-1]
    return first, warm, _cli_import_and_map(xlsx, work)


def bench_big(url: str, work: Path, n: int, server: int) -> tuple[float, float, int, float, float]:
    """A large CSV uploaded and stored (the page then shows its report; its map follows): wall
    seconds, the command line's, rows imported, and the CPU seconds of the server with its
    workers until the answer (the map job it queues may have begun) and of the command."""
    csv = write_register(work / f"r{n}.csv", n, seed=2)
    cpu = _tree_cpu(server)
    t = time.perf_counter()
    r = _upload(url, csv)
    assert r.status_code == 201, r.text
    web = time.perf_counter() - t
    web_cpu = _tree_cpu(server) - cpu
    cpu = _children_cpu()
    cli = _cli("import", str(csv), "--crs", "gcj02")
    return web, cli, int(r.json()["imported"]), web_cpu, _children_cpu() - cpu


def bench_home(url: str, work: Path) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    base = url.replace("127.0.0.1", "localhost")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(base + "/")  # warm: the first visit compiles the templates
        t = time.perf_counter()
        page.goto(base + "/", wait_until="domcontentloaded")
        interactive = time.perf_counter() - t
        page.frame_locator("#map").locator("path.hg-zone").first.wait_for(state="attached", timeout=30_000)
        drawn = time.perf_counter() - t
        rid = httpx.get(f"{url}/api/registers", timeout=30).json()[0]["id"]
        html = work / "map.html"
        html.write_bytes(httpx.get(f"{url}/maps/{rid}.html", timeout=30).content)
        t = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_function("document.querySelectorAll('path.hg-zone').length > 0")
        disk = time.perf_counter() - t
        browser.close()
    return interactive, drawn, disk


def bench_concurrent(url: str, n: int = 20) -> tuple[float, float, list[int]]:
    t = time.perf_counter()
    with cf.ThreadPoolExecutor(n) as pool:
        codes = [r.status_code for r in pool.map(lambda _: _upload(url, GBK_TITLE), range(n))]
    web = time.perf_counter() - t
    code = (
        "import warnings, time; warnings.simplefilter('ignore'); import hepinggis; t = time.perf_counter();\n"
        f"for _ in range({n}): hepinggis.read_projects({str(GBK_TITLE)!r}, crs='gcj02')\n"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return web, float(out.stdout.strip().splitlines()[-1]), codes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=50_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        server = _Serve(work / "store", max_upload="200MB")
        started = time.perf_counter() - t
        rows = []
        try:
            load = _load()
            first, warm, cli = bench_2000(server.url, work)
            rows.append(
                ("first upload → report → map after serve, 2,000-row xlsx", first, cli, "< 1 s", first < 1, load)
            )
            rows.append(("warm (5th) upload → report → map, 2,000-row xlsx", warm, cli, "< 1 s", warm < 1, _load()))
            rows.append(("serve started and workers warm (answering)", started, cli, "—", True, load))
            load = _load()
            web, cli, imported, web_cpu, cli_cpu = bench_big(server.url, work, args.big, server.proc.pid)
            cpus = f"CPU s: web {web_cpu:.2f}, CLI {cli_cpu:.2f}"
            name = f"{args.big:,}-row CSV uploaded and stored ({imported:,}; {cpus})"
            rows.append((name, web, cli, "< 3 s", web < 3, load))
            load = _load()
            interactive, drawn, disk = bench_home(server.url, work)
            rows.append(("home page DOMContentLoaded", interactive, disk, "< 1 s", interactive < 1, load))
            rows.append(("home page map drawn (frame)", drawn, disk, "—", True, load))
            load = _load()
            web, lib, codes = bench_concurrent(server.url)
            ok = codes.count(201)
            rows.append((f"20 concurrent uploads ({ok}/20 answered 201)", web, lib, "all 201", ok == 20, load))
        finally:
            server.stop()
            assert wait_gone(work / "store") == []
    print("| measure | web | baseline (same run) | budget | met | load average |")
    print("|---|---|---|---|---|---|")
    for name, web, base, budget, met, load in rows:
        print(f"| {name} | {web:.2f} s | {base:.2f} s | {budget} | {'yes' if met else 'NO'} | {load} |")


if __name__ == "__main__":
    main()
