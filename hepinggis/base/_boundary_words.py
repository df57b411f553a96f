"""The words of the boundary adoption's messages, in one place: every option is named as the
control of the 边界 page that sets it, or as the command-line flag, from the same sentence.

A message is made by a function of ``o`` (the option's name as the reader sees it), called once
for the page and once for the command line (`both`), so the two never drift apart. Kept here,
beside nothing else, for the shared message catalogue to fold in.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CONTROLS", "PAGE_VALUES", "Namer", "both", "cli_option", "page_control"]

#: option → (the control on the 边界 page, the command-line flag).
CONTROLS: dict[str, tuple[str, str]] = {
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
PAGE_VALUES: dict[str, str] = {"zones": "功能区（六区）", "jiedao": "街道", "district": "区界"}


def page_control(option: str, value: str = "") -> str:
    """``请在「坐标系」中指明`` or ``请在「坐标系」中选 EPSG:4550``."""
    control = CONTROLS[option][0]
    return f"请在{control}中选 {PAGE_VALUES.get(value, value)}" if value else f"请在{control}中指明"


def cli_option(option: str, value: str = "") -> str:
    """``请用 --crs 指明`` or ``请用 --crs EPSG:4550``."""
    flag = CONTROLS[option][1]
    return f"请用 {flag} {value}" if value else f"请用 {flag} 指明"


def both(make: Callable[..., str]) -> tuple[str, str]:
    """``(command-line text, page text)`` of the message ``make(o)``."""
    return make(cli_option), make(page_control)
