"""Re-create hepinggis/maps/_vendor/ from the npm registry (run by hand when bumping a version).

    python tools/vendor_leaflet.py

Downloads the pinned packages with ``npm pack``, copies the dist files and their licences, and
rewrites the stylesheets' ``url(...)`` image references as data URIs so that a map saved with
``offline=True`` needs no file beside it. The result is committed; nothing is fetched at run time.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "hepinggis" / "maps" / "_vendor"

# package -> list of (file in the package, name in _vendor)
PACKAGES = {
    "leaflet@1.9.4": [
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.css", "leaflet.css"),
        ("LICENSE", "LICENSE.leaflet"),
    ],
    "leaflet.markercluster@1.5.3": [
        ("dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
        ("dist/MarkerCluster.css", "MarkerCluster.css"),
        ("dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"),
        ("MIT-LICENCE.txt", "LICENSE.leaflet.markercluster"),
    ],
    "leaflet.fullscreen@3.0.2": [
        ("Control.FullScreen.js", "Control.FullScreen.js"),
        ("Control.FullScreen.css", "Control.FullScreen.css"),
        ("LICENSE", "LICENSE.leaflet.fullscreen"),
    ],
    "leaflet-measure@3.1.0": [
        ("dist/leaflet-measure.cn.js", "leaflet-measure.cn.js"),
        ("dist/leaflet-measure.css", "leaflet-measure.css"),
        ("LICENSE", "LICENSE.leaflet-measure"),
    ],
}
MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}
# Leaflet's attribution prefix links to its website; an offline page must not carry any external
# href, so the link becomes plain text (the credit "Leaflet" stays on every map).
PATCHES = {
    "leaflet.js": [
        (
            '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">',
            '<span title="Leaflet: a JavaScript library for interactive maps (leafletjs.com)">',
        ),
        ("Leaflet</a>", "Leaflet</span>"),
    ],
}


def _inline_urls(css: str, base: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        ref = m.group(1).strip("'\"")
        if ref.startswith("data:") or ref.startswith("#"):
            return m.group(0)
        path = (base / ref).resolve()
        data = base64.b64encode(path.read_bytes()).decode()
        return f"url(data:{MIME[path.suffix]};base64,{data})"

    return re.sub(r"url\(([^)]+)\)", repl, css)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            name = (
                subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            root = Path(tmp) / spec.replace("@", "-")
            with tarfile.open(Path(tmp) / name) as tar:
                tar.extractall(root, filter="data")
            pkg = root / "package"
            for src, dest in files:
                path = pkg / src
                if dest.endswith(".css"):
                    (OUT / dest).write_text(
                        _inline_urls(path.read_text(encoding="utf-8"), path.parent), encoding="utf-8"
                    )
                elif dest in PATCHES:
                    text = path.read_text(encoding="utf-8")
                    for old, new in PATCHES[dest]:
                        if old not in text:
                            raise SystemExit(f"{dest}: patch target {old!r} not found")
                        text = text.replace(old, new)
                    (OUT / dest).write_text(text, encoding="utf-8")
                else:
                    shutil.copyfile(path, OUT / dest)
            manifest[spec] = [d for _, d in files]
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
