"""The 审核's signature of a monitoring package: the signer's name, role and time written into the
package's ``index.html`` (a signature block), every PDF (a signature page appended, and the PDF's
metadata), ``monitoring.xlsx`` (a sheet 签署) and ``signature.json``; the package's manifest then
lists the signed files with their sha256. The folder is replaced in one step (`staged_folder`).

A signed package is never rebuilt or signed again: new figures make a new package (superseding)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import shutil
from pathlib import Path
from typing import Any

from hepinggis.io._staging import MANIFEST, staged_folder

__all__ = ["SIGNATURE_FILE", "sign_folder"]

SIGNATURE_FILE = "signature.json"
_BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def _lines(record: dict[str, Any]) -> list[str]:
    return [
        "审核签署",
        f"签署人：{record['signer']}（{record['role']}）",
        f"签署时间：{record['signed_at_local']}",
        f"签署时间（UTC）：{record['signed_at']}",
        f"签署前成果清单 SHA-256：{record['package_sha256']}",
        "本监测成果包已签署，不得修改；如需更正，须另行上传数据生成新的成果包。",
    ]


def _signature_pdf(record: dict[str, Any]) -> bytes:
    from matplotlib.figure import Figure

    from hepinggis.maps.static import CJK_FONT, require_cjk_font

    require_cjk_font()
    fig = Figure(figsize=(8.27, 11.69))  # A4
    for i, line in enumerate(_lines(record)):
        fig.text(
            0.1,
            0.9 - i * 0.04,
            line.replace("$", r"\$"),
            fontsize=16 if i == 0 else 11,
            fontfamily=[CJK_FONT, "DejaVu Sans"],
            fontweight="bold" if i == 0 else "normal",
        )
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"Title": "审核签署页"})
    return buf.getvalue()


def _sign_pdf(path: Path, page: bytes, record: dict[str, Any]) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(path))
    writer.append(PdfReader(io.BytesIO(page)))
    writer.add_metadata(
        {"/SignedBy": record["signer"], "/SignedAt": record["signed_at"], "/SignerRole": record["role"]}
    )
    with path.open("wb") as out:
        writer.write(out)


def _sign_workbook(path: Path, record: dict[str, Any]) -> None:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import TYPE_STRING

    book = load_workbook(path)
    sheet = book.create_sheet("签署", 0)
    rows = [
        ("项目", "内容"),
        ("签署人", record["signer"]),
        ("角色", record["role"]),
        ("签署时间", record["signed_at_local"]),
        ("签署时间（UTC）", record["signed_at"]),
        ("签署前成果清单 SHA-256", record["package_sha256"]),
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.data_type = TYPE_STRING  # a signer's name is text, never a formula
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 70
    book.save(path)


def _sign_index(path: Path, record: dict[str, Any]) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [html.escape(line) for line in _lines(record)]
    block = (
        '<section class="signature" id="signature" style="border:2px solid #1f5fa8;padding:1em;margin:1em 0">'
        f"<h2>{lines[0]}</h2>" + "".join(f"<p>{line}</p>" for line in lines[1:]) + "</section>"
    )
    at = text.rfind("</body>")
    path.write_text(text[:at] + block + text[at:] if at >= 0 else text + block, encoding="utf-8")


def sign_folder(folder: Path, *, signer: str, role: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Sign the package in ``folder`` in place (replaced in one step); return the signature record.

    Raises
    ------
    FileExistsError
        The package is signed already.
    """
    folder = Path(folder)
    if (folder / SIGNATURE_FILE).exists():
        raise FileExistsError("该监测成果包已签署")
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    manifest_bytes = (folder / MANIFEST).read_bytes()
    record: dict[str, Any] = {
        "signer": signer,
        "role": role,
        "signed_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "signed_at_local": when.astimezone(_BEIJING).strftime("%Y年%m月%d日 %H:%M:%S（北京时间）"),
        "package_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
    }
    page = _signature_pdf(record)
    with staged_folder(folder) as out:
        for item in folder.iterdir():
            if item.name == MANIFEST or (out / item.name).exists():
                continue
            if item.is_dir():
                shutil.copytree(item, out / item.name)
            else:
                shutil.copy2(item, out / item.name)
        signed = []
        for pdf in sorted(out.rglob("*.pdf")):
            _sign_pdf(pdf, page, record)
            signed.append(pdf.relative_to(out).as_posix())
        for book in sorted(out.rglob("*.xlsx")):
            _sign_workbook(book, record)
            signed.append(book.relative_to(out).as_posix())
        if (out / "index.html").is_file():
            _sign_index(out / "index.html", record)
            signed.append("index.html")
        (out / "签署页.pdf").write_bytes(page)
        record["signed_files"] = signed
        (out / SIGNATURE_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["signature"] = {k: record[k] for k in ("signer", "role", "signed_at", "package_sha256")}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    record["manifest_sha256"] = hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
    return record
