"""The message catalogue: one keyed entry per condition a user meets, worded twice — for the
command line (naming the flag, ``--crs``) and for the pages (naming the control on the page,
“坐标系”) — plus what a page may never show (`FORBIDDEN`) and how to turn a command-line line
into the page's words (`for_page`).

A stage raises with the command-line text (`cli`); the web answers with the page text (`page`),
or, for a line a stage already wrote, passes it through `for_page`, which replaces every flag by
the control (`CONTROLS`), every coordinate-system code by its Chinese name with the code in
brackets (`crs_name`), float notation by plain digits and server paths by nothing.

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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "BOUNDARY_CONTROLS",
    "BOUNDARY_VALUES",
    "CATALOGUE",
    "CONTROLS",
    "CRS_PAGE",
    "FORBIDDEN",
    "PHRASES",
    "Message",
    "Namer",
    "both",
    "cli",
    "cli_option",
    "crs_name",
    "for_page",
    "forbidden_in",
    "forbidden_spans",
    "page",
    "page_control",
]


@dataclass(frozen=True)
class Message:
    """One condition: its command-line text, its page text (``str.format`` fields) and the id of
    the page control that resolves it (``""`` when the page needs no choice)."""

    cli: str
    page: str
    control: str = ""


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
    "--layer": "边界页的「图层」选择框",
    "--name-col": "边界页的「名称列」选择框",
    "--as": "边界页的「作为」选择框",
    "--accuracy-m": "边界页的「容差（米）」一栏",
    "--out": "另一个文件夹",
}

CATALOGUE: dict[str, Message] = {
    "crs_required": Message(
        "表中未注明坐标系，请用 --crs 指定（hepinggis 不猜测坐标系）",
        "导入前请在“坐标系”一栏点选坐标系（本工具不猜测坐标系）",
        "crs-choices",
    ),
    "crs_unknown": Message(
        "不认识的坐标系 {crs}：请用 --crs {choices} 之一",
        "不认识的坐标系：请在“坐标系”一栏点选其中一个",
        "crs-choices",
    ),
    "header_not_found": Message(
        "表头{where}中找不到{missing}列（现有列：{headers}）；请用 --header-row 行号 指明表头所在行，"
        "或用 --col name=列名 --col x=列名 --col y=列名 指定",
        "表头{where}中找不到{missing}列（现有列：{headers}）：请在“表头在第几行”一栏填表头所在行后点"
        "“按此重新读取”，或在预览表“角色”一行的下拉框中指定",
        "header-row",
    ),
    "hidden_imported": Message(
        "{why}，仍已导入；如是作废项目，请删除该行或用 --skip-hidden 跳过",
        "{why}，仍已导入；如是作废项目，请删除该行，或在导入前勾选“跳过 Excel 中隐藏或筛选掉的行”",
        "skip-hidden",
    ),
    "hidden_skipped": Message(
        "{why}，已按 --skip-hidden 跳过",
        "{why}，已按所选“跳过 Excel 中隐藏或筛选掉的行”跳过",
        "skip-hidden",
    ),
    "unit_ambiguous": Message(
        "投资列未注明单位，而表中注明了几种单位（{names}）：请用 --unit 万元 指定",
        "投资列未注明单位，而表中注明了几种单位（{names}）：请在“投资单位”一栏点选",
        "unit-choices",
    ),
    "sheet_choose": Message(
        "本文件有 {n} 个工作表：{listed}；请用 --sheet 名称 指定",
        "本文件有 {n} 个工作表：{listed}；请在“工作表”选择框中选择",
        "sheet",
    ),
    "upload_missing": Message(
        "请给出一个 CSV、XLSX 或 XLS 文件",
        "请选择一个 CSV、XLSX 或 XLS 文件",
        "file",
    ),
    "invalid_value": Message(
        "参数 {name} 取值无效",
        "“{label}”的取值无效，请改正后再提交",
    ),
    "missing_value": Message(
        "缺少参数 {name}",
        "缺少“{label}”，请填写后再提交",
    ),
    "formula_no_value": Message(
        "“{col}”是公式，但文件中没有保存计算结果（在 Excel 中打开并保存一次即可）",
        "“{col}”是公式，但文件中没有保存计算结果：请在 Excel 中打开该文件、保存一次后重新上传",
    ),
}

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
    return CATALOGUE[key].cli.format(**values)


def page(key: str, /, **values: object) -> str:
    """The page text of condition ``key``."""
    return CATALOGUE[key].page.format(**values)


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
    """A line written for the command line in the page's words (see the module docstring).

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
    "layer": ("「图层」", "--layer"),
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
