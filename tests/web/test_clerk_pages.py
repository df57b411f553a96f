"""The clerk's corpus (tests/data/registers/clerk, made by tools/make_registers.py) through the real
server in Debian Chromium: every row imported or listed with the row Excel shows, 合计 equal to
what was imported, the uploaded file's name in every credit; every page and every refusal in the
clerk's words (`hepinggis.base.messages.FORBIDDEN`); axe-core (WCAG 2.1 AA) with 0 violations on
every page at 1366×768 and 390×844, no page wider than 390 px on a phone, the upload by keyboard."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server import Server, wait_gone
from conftest import HOSTILE
from test_web_browser import Tab

from hepinggis.base.messages import forbidden_spans

HERE = Path(__file__).resolve().parent
CLERK = HERE.parent / "data" / "registers" / "clerk"
AXE = HERE.parent / "vendor" / "axe.min.js"
FILTERED = CLERK / "科室清单_筛选隐藏公式.xlsx"
LINEBREAK = CLERK / "科室清单_单元格换行_GBK.csv"
LARGE = CLERK / "科室清单_5001行.csv"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}

pytestmark = pytest.mark.slow


def _truth(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(path.name + ".truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("clerk") / "store"
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=300) as c:
        yield c


def _tab(browser: Any, server: Server, size: tuple[int, int] = (1366, 768)) -> Tab:
    # axe is injected as a script: the context lets it past the page's CSP (the page's own rules
    # are tested elsewhere); every request still has to stay on the server
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, bypass_csp=True)
    context.set_default_timeout(120_000)  # a shared, loaded machine: slow is not wrong
    return Tab(context, server.url)


def _wait_job(api: httpx.Client, jid: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = api.get(f"/api/jobs/{jid}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {jid} did not finish")


def _upload_by_keyboard(page: Any, path: Path | None) -> None:
    """Tab to 选择文件 and press Enter: the file chooser opens (no mouse); the focus is visible."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "file":
            break
    else:
        raise AssertionError("选择文件 cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.getElementById('choose')).outlineStyle")
    assert outline not in ("none", ""), "the focused 选择文件 shows no focus"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    chooser = None
    for key in ("Enter", "Space"):  # either key opens it; Space tried only if Enter's chooser never came
        try:
            with page.expect_file_chooser(timeout=20_000) as info:
                page.keyboard.press(key)
            chooser = info
            break
        except PlaywrightTimeout:  # try the other key
            continue
    assert chooser is not None, "neither Enter nor Space opens the file chooser"
    chooser.value.set_files(str(path) if path else [])


def _confirm(page: Any, *, skip: bool = False) -> None:
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    if skip:
        page.check("#skip-hidden")
    page.click("#confirm")
    page.wait_for_url("**/registers/*", timeout=180_000)
    page.wait_for_selector("#n-imported")


def _yi(yuan: float) -> str:
    return f"{yuan / 1e8:,.2f}"


def test_hidden_filtered_formulas_and_outside_rows_are_said_counted_and_add_up(
    browser: Any, server: Server, api: httpx.Client
) -> None:
    truth = _truth(FILTERED)
    tab = _tab(browser, server)
    page = tab.goto("/registers")
    _upload_by_keyboard(page, FILTERED)
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    # the preview shows the rows Excel hides as such, and says how many there are
    assert not page.is_hidden("#hidden-box")
    note = page.inner_text("#hidden-note")
    assert "8 行在 Excel 中被筛选掉" in note and "3 行被隐藏" in note, note
    why = "els => els.map(e => e.getAttribute('data-why'))"
    marked = page.eval_on_selector_all("#pv-table tr.row-hidden td.rn", why)
    assert marked.count("筛选掉") == 8 and marked.count("隐藏") == 3, marked
    assert "高德/腾讯坐标（GCJ-02）" in page.inner_text("#crs-reason")
    _confirm(page)
    # imported by default, each hidden row with its note; the counts at the top, not folded
    assert page.inner_text("#n-rows") == str(truth["rows_in"])
    assert page.inner_text("#n-imported") == str(truth["imported"]) and page.inner_text("#n-skipped") == "0"
    head = {
        li.get_attribute("data-kind"): int(li.get_attribute("data-count")) for li in page.locator("#headline li").all()
    }
    assert head["filtered_imported"] == 8 and head["hidden_imported"] == 3, head
    assert head["formula"] == truth["formulas"] and head["outside"] == truth["outside"], head
    assert page.is_visible("#headline")
    # 合计 = what was imported: projects and 元, with the 区外 row in both tables
    for table in ("#per-zone", "#per-jiedao"):
        assert page.inner_text(f"{table} tfoot .total-projects") == str(truth["imported"])
        assert page.inner_text(f"{table} tfoot .total-investment") == _yi(truth["investment_cny"])
        assert page.inner_text(f'{table} tr[data-place="outside"] td:nth-child(3)') == str(truth["outside"])
    # the credit names the uploaded file, on the page and in the map, never the stored digest
    rid = page.url.rsplit("/", 1)[1]
    reg = api.get(f"/api/registers/{rid}").json()
    assert FILTERED.name in page.inner_text("#credit")
    map_html = api.get(f"/maps/{rid}.html").text
    assert FILTERED.name in map_html and reg["sha256"] not in map_html
    # the API accounts for every row the same way
    assert reg["rows_in"] == reg["imported"] + reg["refused"] + reg["skipped"]
    assert sum(z["projects"] for z in reg["per_zone"]) == reg["imported"]
    assert sum(z["projects"] for z in reg["per_jiedao"]) == reg["imported"]
    # skipping is the clerk's explicit choice: counted by kind and listed row by row
    page = tab.goto("/registers")
    page.set_input_files("#file", str(FILTERED))
    _confirm(page, skip=True)
    want = truth["skipped_when_chosen"]
    assert page.inner_text("#n-skipped") == str(sum(want.values()))
    assert page.inner_text("#n-imported") == str(truth["imported"] - sum(want.values()))
    kinds = page.eval_on_selector_all("#skipped-table tbody tr", "els => els.map(e => e.dataset.kind)")
    assert {k: kinds.count(k) for k in set(kinds)} == want
    rows = page.eval_on_selector_all("#skipped-table tbody tr td:first-child", "els => els.map(e => e.textContent)")
    assert sorted(int(r) for r in rows) == sorted(int(r) for r, v in truth["rows"].items() if v["hidden"])
    assert page.inner_text("#per-zone tfoot .total-investment") == _yi(truth["investment_cny_visible"])
    skipped = api.get(f"/api/registers/{page.url.rsplit('/', 1)[1]}").json()
    assert skipped["skipped_by_kind"] == want
    assert skipped["rows_in"] == skipped["imported"] + skipped["refused"] + skipped["skipped"]
    tab.context.close()
    tab.check()


@pytest.mark.parametrize("path", ["/monitoring", "/boundaries"])
def test_every_upload_opens_by_keyboard(browser: Any, server: Server, path: str) -> None:
    tab = _tab(browser, server)
    page = tab.goto(path)
    page.wait_for_load_state("load")
    _upload_by_keyboard(page, None)
    tab.context.close()
    tab.check()


def test_csv_with_line_breaks_in_cells_reports_the_rows_excel_shows(browser: Any, server: Server) -> None:
    truth = _truth(LINEBREAK)
    tab = _tab(browser, server)
    page = tab.goto("/registers")
    page.set_input_files("#file", str(LINEBREAK))
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    page.click('#crs-choices button[data-value="wgs84"]')
    _confirm(page)
    assert page.inner_text("#n-imported") == str(truth["imported"])
    rows = page.eval_on_selector_all("#refused-table tbody tr td:first-child", "els => els.map(e => e.textContent)")
    assert sorted(rows) == sorted(truth["refused"]), rows
    tab.context.close()
    tab.check()


def test_the_package_and_a_register_above_the_map_limit_credit_the_uploaded_file(
    api: httpx.Client, server: Server
) -> None:
    # 5,001 rows: the map is drawn by its own job from the stored projects, still credited by name
    r = api.post("/api/registers", files={"file": (LARGE.name, LARGE.read_bytes())}, data={"crs": "wgs84"})
    assert r.status_code == 201, r.text
    big = r.json()
    assert big["imported"] == _truth(LARGE)["imported"] == 5001
    assert sum(z["projects"] for z in big["per_zone"]) == 5001
    maps = [j for j in _jobs(server) if j["register_id"] == big["id"] and j["kind"] == "map"]
    assert maps and _wait_job(api, maps[0]["id"])["status"] == "done"
    html = api.get(f"/maps/{big['id']}.html").text
    assert LARGE.name in html and "用户数据" not in html and big["sha256"] not in html
    # the briefing package of a small register: every file credits the file by its name
    r = api.post("/api/registers", files={"file": (FILTERED.name, FILTERED.read_bytes())}, data={"crs": "gcj02"})
    reg = r.json()
    job = _wait_job(api, api.post(f"/api/registers/{reg['id']}/package").json()["id"])
    assert job["status"] == "done", job
    data = api.get(f"/api/registers/{reg['id']}/package.zip").content
    named, hashed = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            raw = zf.read(name)
            texts = [raw.decode("utf-8", "replace")]
            if name.endswith(".xlsx"):  # the cells as Excel shows them (the XML may hold character references)
                import openpyxl

                book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
                texts = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
            text = "\n".join(texts)
            if FILTERED.name in text:
                named.append(name)
            if reg["sha256"] in text:
                hashed.append(name)
    assert hashed == [] and any(n.endswith(".xlsx") for n in named) and any(n.endswith(".html") for n in named)


def _jobs(server: Server) -> list[dict[str, Any]]:
    import sqlite3

    con = sqlite3.connect(server.data / "hepinggis.sqlite")
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("select id, kind, status, register_id from jobs order by created_at desc")]
    finally:
        con.close()


# -- every page and every refusal in the clerk's words ----------------------------------------------
def _user_texts(api: httpx.Client) -> list[str]:
    """What the users typed (file names, project names): data shown as it is, not the tool's words."""
    out = [h["text"] for h in HOSTILE]
    for reg in api.get("/api/registers").json():
        out.append(reg["file_name"])
        for f in api.get(f"/api/registers/{reg['id']}/projects.geojson").json()["features"][:50]:
            out.append(str(f["properties"].get("name") or ""))
    return sorted({t for t in out if t}, key=len, reverse=True)


def _pages(api: httpx.Client) -> list[str]:
    regs = api.get("/api/registers").json()
    pages = ["/", "/registers", "/packages", "/monitoring", "/boundaries", "/docs", "/users", "/audit", "/security"]
    pages += [f"/registers/{r['id']}" for r in regs[:3]]
    return pages


def _clean(text: str, user: list[str]) -> str:
    for t in user:
        text = text.replace(t, " ")
    return text


def test_every_page_and_every_refusal_is_in_the_clerks_words(
    browser: Any, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    if not api.get("/api/registers").json():
        api.post("/api/registers", files={"file": (FILTERED.name, FILTERED.read_bytes())}, data={"crs": "gcj02"})
    user = _user_texts(api)
    tab = _tab(browser, server)
    found: dict[str, list[str]] = {}
    for path in _pages(api):
        if path == "/docs":  # the API's documentation, for the IT department (linked from the footer)
            continue
        page = tab.goto(path)
        page.wait_for_load_state("load")
        text = _clean(page.inner_text("body"), user)
        labels = "els => els.map(e => e.title + ' ' + (e.getAttribute('aria-label') || ''))"
        titles = " ".join(page.eval_on_selector_all("[title], [aria-label]", labels))
        hits = forbidden_spans(text + " " + _clean(titles, user))
        if path == "/audit":  # the audit trail keeps each file's digest, for the record: its only hash
            hits = [h for h in hits if not h.startswith("hash")]
        if hits:
            found[path] = hits
    # the preview of a register (the page's own state after a drop)
    page = tab.goto("/registers")
    page.set_input_files("#file", str(FILTERED))
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    if hits := forbidden_spans(_clean(page.inner_text("body"), user)):
        found["/registers（预览）"] = hits
    tab.context.close()
    tab.check()
    # every refusal of the corpus, as the API answers it
    gbk = (HERE.parent / "data" / "registers" / "重点项目清单_标题行_GBK.csv").read_bytes()
    refusals = {
        "no crs": api.post("/api/registers", files={"file": ("a.csv", gbk)}),
        "bad crs": api.post("/api/registers", files={"file": ("a.csv", gbk)}, data={"crs": "mars"}),
        "bad header_row": api.post(
            "/api/registers", files={"file": ("a.csv", gbk)}, data={"crs": "wgs84", "header_row": "x"}
        ),
        "no header": api.post(
            "/api/registers", files={"file": ("a.csv", gbk)}, data={"crs": "wgs84", "header_row": "40"}
        ),
        "no name column": api.post(
            "/api/registers", files={"file": ("b.csv", "甲,乙\n1,2\n".encode())}, data={"crs": "wgs84"}
        ),
        "empty": api.post("/api/registers", files={"file": ("c.csv", b"")}, data={"crs": "wgs84"}),
        "not a table": api.post("/api/registers", files={"file": ("d.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)}),
        "bad columns": api.post(
            "/api/registers", files={"file": ("a.csv", gbk)}, data={"crs": "wgs84", "columns": "{x"}
        ),
        "no such register": api.get("/api/registers/nosuch"),
        "no such job": api.get("/api/jobs/nosuch"),
        "bad monitoring": api.post("/api/monitoring", files={"file": ("m.csv", "甲,乙\n1,2\n".encode())}),
        "bad boundaries": api.post("/api/boundaries", files={"file": ("b.zip", _empty_zip())}, data={"as": "zones"}),
        "bad as": api.post("/api/boundaries", files={"file": ("b.zip", _empty_zip())}, data={"as": "x"}),
        "no package": api.get("/api/registers/nosuch/package.zip"),
        "preview nothing": api.post("/api/preview"),
        "bad sheet": api.post(
            "/api/preview", files={"file": (FILTERED.name, FILTERED.read_bytes())}, data={"sheet": "没有"}
        ),
    }
    for what, r in refusals.items():
        assert r.status_code >= 400, (what, r.text)
        detail = r.json()["detail"]
        assert isinstance(detail, str) and not detail.isascii(), (what, detail)
        if hits := forbidden_spans(detail):
            found[f"API {what}: {detail}"] = hits
    assert found == {}, found


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("说明.txt", "没有图层")
    return buf.getvalue()


# -- accessibility and phones ------------------------------------------------------------------------
def _axe(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                iframes: false,
            });
            return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""
    )
    return list(result)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_page_passes_axe_and_fits_a_phone(browser: Any, server: Server, api: httpx.Client, size: str) -> None:
    if not api.get("/api/registers").json():
        api.post("/api/registers", files={"file": (FILTERED.name, FILTERED.read_bytes())}, data={"crs": "gcj02"})
    width, height = SIZES[size]
    tab = _tab(browser, server, (width, height))
    problems: dict[str, Any] = {}
    for path in [*_pages(api), "/registers#preview"]:
        page = tab.goto(path.split("#")[0])
        page.wait_for_load_state("load")
        if path.endswith("#preview"):
            page.set_input_files("#file", str(FILTERED))
            page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
        violations = _axe(page)
        if violations:
            problems[path] = violations
        if size == "phone":
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems[f"{path} width"] = wide
    tab.context.close()
    tab.check()
    assert problems == {}, problems


def test_the_accessibility_and_width_checks_can_fail(browser: Any, server: Server) -> None:
    """The same checks on a page spoiled on purpose: an image without text, low contrast, a wide block."""
    tab = _tab(browser, server, SIZES["phone"])
    page = tab.goto("/registers")
    page.wait_for_load_state("load")
    page.evaluate(
        """() => {
            const m = document.querySelector('main');
            const img = document.createElement('img'); img.src = '/static/favicon.svg'; m.appendChild(img);
            const p = document.createElement('p'); p.textContent = '浅色文字'; p.style.color = '#eee'; m.appendChild(p);
            const wide = document.createElement('div'); wide.style.width = '800px';
            wide.textContent = '宽'; m.appendChild(wide);
        }"""
    )
    ids = {v.split(":")[0] for v in _axe(page)}
    assert {"image-alt", "color-contrast"} <= ids, ids
    assert page.evaluate("document.documentElement.scrollWidth") > SIZES["phone"][0]
    tab.context.close()
    tab.check()


def test_a_failed_package_shows_on_the_register_and_package_pages_with_a_retry(
    browser: Any, server: Server, api: httpx.Client
) -> None:
    csv = LINEBREAK
    reg = api.post("/api/registers", files={"file": ("失败重试.csv", csv.read_bytes())}, data={"crs": "wgs84"}).json()
    stored = server.data / "files" / reg["sha256"][:2] / f"{reg['sha256']}.csv"
    away = stored.with_name(stored.name + ".away")
    stored.rename(away)  # the stored file gone: the package job fails, as after a disk fault
    try:
        failed = _wait_job(api, api.post(f"/api/registers/{reg['id']}/package").json()["id"])
    finally:
        away.rename(stored)
    assert failed["status"] == "failed"
    tab = _tab(browser, server)
    page = tab.goto("/packages")
    item = page.locator(f'#jobs li[data-job="{failed["id"]}"]')
    assert "失败" in item.inner_text() and "失败重试.csv" in item.inner_text()
    assert forbidden_spans(item.inner_text()) == []
    page = tab.goto(f"/registers/{reg['id']}")
    item = page.locator(f'#jobs li[data-job="{failed["id"]}"]')
    assert "简报包 失败" in item.inner_text(), item.inner_text()
    item.locator("button.retry").focus()
    page.keyboard.press("Enter")  # the retry, by keyboard: the page reloads when the new job is done
    page.wait_for_function("!document.querySelector('#jobs li[data-status=failed]')", timeout=600_000)
    page.wait_for_selector("#package-links:not([hidden])")
    assert api.get(f"/api/registers/{reg['id']}/package.zip").status_code == 200
    tab.context.close()
    tab.check()
