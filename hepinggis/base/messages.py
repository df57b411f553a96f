"""The message catalogue: one keyed entry per condition a user meets, worded twice — for the
command line (naming the flag, ``--crs``) and for the pages (naming the control on the page,
“坐标系”) — plus what a page may never show (`FORBIDDEN`) and how to turn a command-line line
into the page's words (`for_page`).

A stage raises (or writes in its report) a `Said`: the condition's key and its values, whose text
is the command-line wording, and whose `Said.page` is the page's wording of the same condition —
each rendered from its own template, no rewriting. A `Said` may hold another as a value (a note
that quotes the source of a unit, a refusal that adds the other sheets): each audience renders the
inner one in its own words too. `page_of` gives the page's words of a `Said` and leaves any other
text as it is; `for_page` (turning a command-line line into the page's words by pattern) is kept
only for lines stored before the catalogue held them (old reports) and for text from outside it.

Templates use `str.format` fields with extra format specs (`_SPECS`): ``{crs:zh}`` the command
line's name of a coordinate system (``GCJ-02（高德、腾讯）``), ``{crs:name}`` the page's (`crs_name`,
``高德/腾讯坐标（GCJ-02）``), ``{codes:names}`` several of them, ``{counts:named_counts}`` rows per
system, ``{x:num}`` a number in plain digits (never ``4.2e+07``).

Examples
--------
>>> cli("crs_required")
'表中未注明坐标系，请用 --crs 指定（hepinggis 不猜测坐标系）'
>>> page("crs_required")
'导入前请在“坐标系”一栏点选坐标系（本工具不猜测坐标系）'
>>> for_page("请用 --crs gcj02 重新导入")
'请在“坐标系”一栏选 高德/腾讯坐标（GCJ-02） 重新导入'
>>> forbidden_in("坐标 (4.15342e+07, 4.6e+06)")
['e+0']
>>> for_page("东坐标 4.15342e+07：请用 --crs bd09")
'东坐标 41534200：请在“坐标系”一栏选 百度坐标（BD-09）'
>>> said = Said("crs_declared", crs="gcj02")
>>> said
'坐标按指定的 --crs gcj02（GCJ-02（高德、腾讯））读取'
>>> said.page
'坐标按所选坐标系 高德/腾讯坐标（GCJ-02） 读取'
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath
from typing import Any

__all__ = [
    "BOUNDARY_CONTROLS",
    "BOUNDARY_VALUES",
    "CATALOGUE",
    "CONTROLS",
    "CRS_CLI",
    "CRS_PAGE",
    "FORBIDDEN",
    "PHRASES",
    "Message",
    "Namer",
    "Said",
    "both",
    "cli",
    "cli_option",
    "crs_name",
    "for_page",
    "forbidden_in",
    "forbidden_spans",
    "page",
    "page_control",
    "page_of",
]


@dataclass(frozen=True)
class Message:
    """One condition: its command-line text, its page text (``str.format`` fields, see the module
    docstring), the id of the page control that resolves it (``""`` when the page needs no choice),
    the words that control is labelled with on the page (the page text quotes them) and the
    template of that page (tests/base/test_messages.py checks that the control and its label exist)."""

    cli: str
    page: str
    control: str = ""
    label: str = ""
    template: str = "registers.html"


def _catalogue() -> dict[str, Message]:
    data = json.loads(resources.files("hepinggis.base").joinpath("messages.json").read_text(encoding="utf-8"))
    controls: dict[str, dict[str, str]] = data["page_controls"]
    out: dict[str, Message] = {}
    for subject in data["messages"].values():
        for key, entry in subject["entries"].items():
            fields = {k: v for k, v in entry.items() if k != "on"}
            out[key] = Message(**fields, **(controls[entry["on"]] if "on" in entry else {}))
    return out


#: Coordinate systems as a page names them: the Chinese name, the code in brackets.
CRS_PAGE: dict[str, str] = {
    "wgs84": "GPS 经纬度（WGS 84）",
    "gcj02": "高德/腾讯坐标（GCJ-02）",
    "bd09": "百度坐标（BD-09）",
    "cgcs2000": "国家 2000 经纬度（CGCS2000）",
    "EPSG:4550": "国家 2000 高斯投影 3 度带，中央经线 123°（EPSG:4550）",
    "EPSG:4529": "国家 2000 高斯投影 3 度带，带号 41（EPSG:4529）",
    "EPSG:3857": "网络墨卡托（EPSG:3857）",
    "EPSG:4326": "GPS 经纬度（WGS 84）",
    "EPSG:4490": "国家 2000 经纬度（CGCS2000）",
}

#: Coordinate systems as the command line names them (beside the flag's value).
CRS_CLI: dict[str, str] = {
    "wgs84": "WGS 84（GPS、天地图）",
    "gcj02": "GCJ-02（高德、腾讯）",
    "bd09": "BD-09（百度）",
    "cgcs2000": "CGCS2000 经纬度",
    "EPSG:4550": "CGCS2000 3度带投影（EPSG:4550，米）",
    "EPSG:4529": "CGCS2000 3度带投影带带号（EPSG:4529，米）",
    "EPSG:3857": "Web 墨卡托（EPSG:3857，米）",
}

#: Each command-line flag → the control on the page that makes the same choice (a phrase to follow
#: "请在"/"请用"). A flag with no control on the page says what to do instead.
CONTROLS: dict[str, str] = {
    "--crs": "“坐标系”一栏",
    "--col": "预览表“角色”一行的下拉框",
    "--header-row": "“表头在第几行”一栏",
    "--sheet": "“工作表”选择框",
    "--skip-hidden": "“跳过 Excel 中隐藏或筛选掉的行”复选框",
    "--unit": "“投资单位”一栏",
    "--encoding": "Excel 中“另存为 CSV UTF-8 或 xlsx”后重新上传",
    "--table": "边界页的「图层」选择框",
    "--name-col": "边界页的「名称列」选择框",
    "--as": "边界页的「作为」选择框",
    "--accuracy-m": "边界页的「容差（米）」一栏",
    "--out": "另一个文件夹",
}

#: Every condition (key → `Message`), kept as data in ``messages.json`` beside this module, by
#: subject (reading a register, coordinate systems, coordinates, rows outside, columns and
#: encodings, monitoring figures), as xyzservices keeps its providers; a message's ``on`` names one
#: of the page's controls listed there (``page_controls``).
CATALOGUE: dict[str, Message] = _catalogue()


#: Request parameters of the API as a page names them (for `invalid_value` / `missing_value`).
PARAM_LABELS: dict[str, str] = {
    "header_row": "表头在第几行",
    "sheet": "工作表",
    "crs": "坐标系",
    "unit": "投资单位",
    "columns": "各列角色",
    "file": "文件",
    "as": "用作",
    "id": "编号",
    "page": "页码",
    "format": "格式",
    "skip_hidden": "跳过隐藏的行",
}


def cli(key: str, /, **values: object) -> str:
    """The command-line text of condition ``key``."""
    return _render(CATALOGUE[key].cli, values, page=False)


def page(key: str, /, **values: object) -> str:
    """The page text of condition ``key``."""
    return _render(CATALOGUE[key].page, values, page=True)


class Said(str):
    """A condition of the catalogue as it was met: its ``key`` and ``values`` (and the file it is
    about, ``path``). The string itself is the command-line wording (``path: text``), so a stage's
    message reads as before wherever it is printed or joined; `page` is the page's wording of the
    same condition (the file by its name only). A value may itself be a `Said`: each audience
    renders it in its own words.

    Examples
    --------
    >>> s = Said("crs_file_missing", path="/data/files/清单.geojson")
    >>> s
    '/data/files/清单.geojson: 文件没有坐标系信息：请用 --crs 指定（hepinggis 不猜测坐标系）'
    >>> s.page
    '清单.geojson：文件没有坐标系信息：请在“坐标系”一栏点选（本工具不猜测坐标系）'
    """

    key: str
    values: dict[str, Any]
    path: str | None

    def __new__(cls, key: str, /, *, path: object = None, **values: Any) -> Said:
        text = _render(CATALOGUE[key].cli, values, page=False)
        where = None if path is None else str(path)
        self = super().__new__(cls, text if where is None else f"{where}: {text}")
        self.key, self.values, self.path = key, dict(values), where
        return self

    @property
    def page(self) -> str:
        """The page's wording (the file named by its name, never its folder)."""
        text = _render(CATALOGUE[self.key].page, self.values, page=True)
        return text if self.path is None else f"{PurePath(self.path).name}：{text}"

    def at(self, path: object) -> Said:
        """The same condition, said of the file ``path``."""
        return Said(self.key, path=path, **self.values)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (a worker's exception) as the condition
        return (_said, (self.key, self.path, self.values))


def _said(key: str, path: str | None, values: dict[str, Any]) -> Said:
    return Said(key, path=path, **values)


def page_of(text: object) -> str:
    """The page's words of ``text``: a `Said`'s page wording; any other text as it is (text that is
    the same for both audiences, or what a user typed)."""
    return text.page if isinstance(text, Said) else "" if text is None else str(text)


def _plain(value: Any) -> str:
    """A number in plain digits (``41534200``, ``0.5``), never in float notation."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "—"
    if abs(number) >= 1000 or number.is_integer():
        return f"{number:.0f}"
    return f"{number:.6f}".rstrip("0").rstrip(".")


def _counts(value: Mapping[str, int], named: bool) -> str:
    return "，".join(f"{crs_name(c) if named else c} {k} 行" for c, k in value.items() if k)


#: The format specs of the catalogue's templates beyond `str.format`'s own.
_SPECS: dict[str, Callable[[Any], str]] = {
    "zh": lambda v: CRS_CLI.get(str(v), str(v)),
    "zhs": lambda v: "、".join(CRS_CLI.get(str(c), str(c)) for c in v),
    "name": lambda v: crs_name(str(v)),
    "codes": lambda v: "、".join(str(c) for c in v),
    "names": lambda v: "、".join(crs_name(str(c)) for c in v),
    "counts": lambda v: _counts(v, False),
    "named_counts": lambda v: _counts(v, True),
    "num": _plain,
}


class _Words(string.Formatter):
    """`str.format` with `_SPECS`, rendering a `Said` value in the audience's words."""

    def __init__(self, *, page: bool) -> None:
        super().__init__()
        self.page = page

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Said):
            return value.page if self.page else str.__str__(value)
        if format_spec in _SPECS:
            return _SPECS[format_spec](value)
        return str(super().format_field(value, format_spec))


_CLI_WORDS, _PAGE_WORDS = _Words(page=False), _Words(page=True)


def _render(template: str, values: Mapping[str, Any], *, page: bool) -> str:
    return (_PAGE_WORDS if page else _CLI_WORDS).vformat(template, (), dict(values))


def crs_name(code: str | None) -> str:
    """A coordinate system as a page names it: ``高德/腾讯坐标（GCJ-02）``; an unknown code stays."""
    if code is None:
        return "未定"
    key = code if code in CRS_PAGE else code.lower() if code.lower() in CRS_PAGE else code.upper()
    return CRS_PAGE.get(key, code)


#: What a page or a page's message must never show: a pattern and the word a test reports.
FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("--flag", re.compile(r"(?<![\w-])--[a-z][a-z-]+")),
    ("path", re.compile(r"(?:(?<![\w:/.])/(?:tmp|home|work|var|usr|srv|opt|root)/|[A-Za-z]:\\\\)")),
    ("hash", re.compile(r"\b[0-9a-f]{32,64}\b")),
    ("+00:00", re.compile(r"[+-]00:00|\d{2}T\d{2}:\d{2}|（UTC）")),
    ("e+0", re.compile(r"\d(?:\.\d+)?e[+-]\d", re.IGNORECASE)),
    ("code", re.compile(r"\b(?:bd09|gcj02|wgs84|cgcs2000|bd09ll)\b")),  # lower case: a flag's value
    ("geometry", re.compile(r"\bgeometry\b|\bNaN\b|\bNone\b|\bnull\b|Traceback")),
    ("param", re.compile(r"参数\s*[a-z_]+")),
)


def forbidden_in(text: str) -> list[str]:
    """The names of the `FORBIDDEN` patterns found in ``text`` (empty when clean)."""
    return [name for name, pattern in FORBIDDEN if pattern.search(text)]


def forbidden_spans(text: str, *, context: int = 30) -> list[str]:
    """Each `FORBIDDEN` match in ``text`` with the words around it (for a test to say where)."""
    return [
        f"{name}: …{text[max(0, m.start() - context) : m.end() + context]}…"
        for name, pattern in FORBIDDEN
        for m in pattern.finditer(text)
    ]


_CODE = re.compile(r"(?i)\b(bd09|gcj02|wgs84|cgcs2000)\b")
_EPSG = re.compile(r"(?<!（)\bEPSG:(\d{4,5})\b")
_PAREN = r"（[^（）]*(?:（[^（）]*）[^（）]*)*）"
#: Whole command-line phrases and their page wording, applied before single flags.
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:按)?指定的 --crs ([A-Za-z0-9:]+)" + _PAREN), r"按所选坐标系 \1 "),
    (re.compile(r"请用 --crs 指定(?:坐标系)?(?:" + _PAREN + ")?"), "请在“坐标系”一栏点选"),
    (re.compile(r"(?:请|或)用 --encoding[^；。]*"), "请在 Excel 中“另存为”CSV UTF-8 或 xlsx 后重新上传"),
    (re.compile(r"或用 --skip-hidden 跳过"), "，或在导入前勾选“跳过 Excel 中隐藏或筛选掉的行”"),
    (re.compile(r"已按 --skip-hidden 跳过"), "已按所选“跳过 Excel 中隐藏或筛选掉的行”跳过"),
    (re.compile(r"请用 --header-row 行号 指明表头所在行"), "请在“表头在第几行”一栏填表头所在行，再点“按此重新读取”"),
    (re.compile(r"（或 \w+='[^']*'）"), ""),
)
_COLS = re.compile(r"(?:--col\s+\w+=\S+\s*)+")
_SHEETS = re.compile(r"(?:--sheet\s+[^\s（]+\s*(?:或\s*)?)+(?:（从 1 起）)?\s*(?:指定)?")
_FLAG_ARG = re.compile(
    r"--([a-z][a-z-]+)(?:\s+([A-Za-z0-9:_.-]+|万元|亿元|元|行号|列名|名称|序号|编码)(?![A-Za-z0-9]))?"
)
_FLOAT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")
_PATH = re.compile(r"(?:(?<=[\s（(：:'\"])|^)(?:/[^\s/:：，,；;）)'\"]+)+/([^\s/:：，,；;）)'\"]+)")


def _plain_number(match: re.Match[str]) -> str:
    value = float(match.group(0))
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:g}"


def for_page(line: str) -> str:
    """A line written for the command line in the page's words, by pattern — the fallback for text
    outside the catalogue (a report stored before it held the message, a library's own error); a
    `Said` is worded for the page by its own template (`Said.page`) instead.

    A flag with its value becomes the control (``--crs gcj02`` → “坐标系”一栏选 高德/腾讯坐标（GCJ-02））,
    ``--col …`` the role drop-downs, a coordinate-system code its Chinese name, ``4.2e+07`` plain
    digits, a server path its last part (the file name), ``hepinggis`` 本工具.
    """
    text = _PATH.sub(lambda m: m.group(1), line)
    for pattern, words in PHRASES:
        text = pattern.sub(words, text)
    text = _COLS.sub(CONTROLS["--col"] + " ", text)
    text = _SHEETS.sub(CONTROLS["--sheet"] + "中选择", text)

    def flag(m: re.Match[str]) -> str:
        name, arg = "--" + m.group(1), m.group(2)
        control = CONTROLS.get(name)
        if control is None:
            return "相应选项"
        if name == "--crs" and arg:
            return f"{control}选 {crs_name(arg)}"
        if name == "--unit" and arg in ("元", "万元", "亿元"):
            return f"{control}选“{arg}”"
        return control

    text = _FLAG_ARG.sub(flag, text)
    text = re.sub(r"(请|可|或)用\s*(?=“|预览表|Excel|只含|含“|另一个|相应)", r"\1在", text)
    text = _CODE.sub(lambda m: crs_name(m.group(1)), text)
    text = _EPSG.sub(lambda m: crs_name("EPSG:" + m.group(1)), text)
    text = _FLOAT.sub(_plain_number, text)
    text = text.replace("hepinggis ", "本工具").replace("hepinggis", "本工具")
    return re.sub(r"\s+(?=[，。；：、）])|(?<=[（“，；])\s+", "", text).replace("，，", "，").replace("；，", "；")


# -- the boundary adoption (边界 page and `hepinggis adopt`) ----------------------------------------
# A message is made by a function of ``o`` (the option's name as the reader sees it), called once for
# the page and once for the command line (`both`), so the two never drift apart.
#: option → (the control on the 边界 page, the command-line flag).
BOUNDARY_CONTROLS: dict[str, tuple[str, str]] = {
    "file": ("「选择文件」", "FILE"),
    "as": ("「作为」", "--as"),
    "table": ("「图层」", "--table"),
    "name_col": ("「名称列」", "--name-col"),
    "crs": ("「坐标系」", "--crs"),
    "encoding": ("「编码」", "--encoding"),
    "accuracy": ("「容差（米）」", "--accuracy-m"),
    "match": ("「对应」", "--match"),
    "history": ("「版本记录」", "--history"),
    "rollback": ("「回退到此版本」", "--rollback"),
}

#: ``o(option, value="")``: the clause asking for an option (and the value to give it).
Namer = Callable[..., str]


#: Values the page shows in words (the command line takes the id).
BOUNDARY_VALUES: dict[str, str] = {"zones": "功能区（六区）", "jiedao": "街道", "district": "区界"}


def page_control(option: str, value: str = "") -> str:
    """``请在「坐标系」中指明`` or ``请在「坐标系」中选 EPSG:4550``."""
    control = BOUNDARY_CONTROLS[option][0]
    return f"请在{control}中选 {BOUNDARY_VALUES.get(value, value)}" if value else f"请在{control}中指明"


def cli_option(option: str, value: str = "") -> str:
    """``请用 --crs 指明`` or ``请用 --crs EPSG:4550``."""
    flag = BOUNDARY_CONTROLS[option][1]
    return f"请用 {flag} {value}" if value else f"请用 {flag} 指明"


def both(make: Callable[..., str]) -> tuple[str, str]:
    """``(command-line text, page text)`` of the message ``make(o)``."""
    return make(cli_option), make(page_control)
