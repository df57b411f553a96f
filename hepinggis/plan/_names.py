"""Matching the names an office writes to the bundled features: "和平区新华街道办事处",
"沈阳市和平区新华街道", "新华街道办", "新华办事处", "新華街道" and "新华" all name 新华街道;
"和平区满融国际化生态科技示范区", "满融示范区" and "满融" all name 满融.

A name is brought to one key: Unicode NFKC, no blanks, traditional characters made simplified
(OpenCC's t2s table, via opencc-python-reimplemented), then the place it is in (辽宁省, 沈阳市,
和平区) taken off the front and the kind of unit (街道办事处, 街道办, 办事处, 街道, 集聚区 …) off
the end. An unmatched name lists the closest names (difflib) so a typo is easy to see.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

__all__ = [
    "JIEDAO_SUFFIXES",
    "OTHER_DISTRICTS",
    "PREFIXES",
    "SUFFIXES",
    "ZONE_SUFFIXES",
    "closest",
    "kind_of",
    "name_keys",
    "normalize",
    "other_district",
]

#: Where a unit is: written before its name, in any combination.
PREFIXES: tuple[str, ...] = ("辽宁省", "沈阳市", "和平区")
#: The kind of unit, written after its name; longest first.
SUFFIXES: tuple[str, ...] = (
    "街道办事处",
    "民族民俗产业集聚区",
    "历史文化产业集聚区",
    "商贸金融产业集聚区",
    "科技文化融合示范区",
    "高端商务商业集聚区",
    "国际化生态科技示范区",
    "产业集聚区",
    "街道办",
    "办事处",
    "集聚区",
    "示范区",
    "功能区",
    "街道",
)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


def normalize(text: object) -> str:
    """NFKC, without blanks, simplified, lower case: ``" 新華街道 "`` → ``"新华街道"``."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    return str(_converter().convert(key)).lower()


def _strip_prefixes(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key, changed = key[len(prefix) :], True
    return key


def name_keys(text: object) -> set[str]:
    """A name and its forms without place and kind: 和平区新华街道办事处 → {…, 新华街道, 新华}."""
    full = normalize(text)
    out = {full}
    for key in (full, _strip_prefixes(full)):
        out.add(key)
        for suffix in SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                out.add(key[: -len(suffix)])
    return out


def closest(name: object, candidates: dict[str, set[str]], n: int = 3) -> list[str]:
    """The ``n`` candidate names (keys of ``candidates``, each with its forms) nearest ``name``."""
    keys = name_keys(name)
    scored = []
    for label, forms in candidates.items():
        best = max(difflib.SequenceMatcher(None, a, b).ratio() for a in keys for b in forms)
        scored.append((best, label))
    scored.sort(key=lambda t: -t[0])
    return [label for _score, label in scored[:n]]


#: The kinds of unit that name a 街道, and those that name a zone (功能区).
JIEDAO_SUFFIXES: tuple[str, ...] = ("街道办事处", "街道办", "办事处", "街道")
ZONE_SUFFIXES: tuple[str, ...] = tuple(x for x in SUFFIXES if x not in JIEDAO_SUFFIXES)
#: Shenyang's other districts and counties (东陵区: 浑南区's name until 2014), as offices prefix them.
OTHER_DISTRICTS: tuple[str, ...] = (
    "沈河区",
    "皇姑区",
    "铁西区",
    "大东区",
    "于洪区",
    "苏家屯区",
    "浑南区",
    "东陵区",
    "沈北新区",
    "辽中区",
    "新民市",
    "康平县",
    "法库县",
)


def kind_of(text: object) -> str | None:
    """``jiedao`` or ``zones`` when the name says its kind of unit (新华街道办事处 → ``jiedao``,
    三好街示范区 → ``zones``), else None (新华, 满融)."""
    key = _strip_prefixes(normalize(text))
    if any(key.endswith(x) and len(key) > len(x) for x in ZONE_SUFFIXES):
        return "zones"
    if any(key.endswith(x) and len(key) > len(x) for x in JIEDAO_SUFFIXES):
        return "jiedao"
    return None


def other_district(text: object) -> str | None:
    """The other district of Shenyang a name places itself in (沈河区大西街道 → 沈河区), else None."""
    key = normalize(text)
    for prefix in ("辽宁省", "沈阳市"):
        key = key[len(prefix) :] if key.startswith(prefix) else key
    return next((d for d in OTHER_DISTRICTS if key.startswith(d)), None)
