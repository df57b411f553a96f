"""Project identity across versions of a register: which row of one month is which row of the next.

A register is kept month after month; rows are reordered, added, removed, renamed and moved. A
project keeps its identity by what the clerk wrote, never by its row position:

1. **id** — the id typed in the file (项目编号/项目代码/统一项目代码/备案编号, the ``id`` column of
   `read_projects`) pairs rows with the same id. Generated ids (``p1``, ``row7``) are never read:
   only the ``id`` column as the file gave it is.
2. **confirmed** — a pair the clerk confirmed earlier (`Confirmation`, made by `confirmation` from
   the two rows). Each side is known by its identity: the file's id where its row had one (a
   later rename changes nothing), else its normalised name within `SITE_M` of its site. A plain
   ``(old name, new name)`` pair matches by names alone.
3. **name** — the same normalised name (`normalise_name`) on one row of each side. Where a name
   is on several rows, the rows pair by nearest site (``name+site``).
4. **name+site** — a renamed project: what is left is scored, pair by pair, within `SITE_M`
   metres of each other::

       score = 0.5 × (1 − distance / SITE_M) + 0.3 × name similarity + 0.2 × unit agreement

   (name similarity: difflib's ratio of the normalised names, 0–1; unit agreement: 1 for the same
   建设单位/责任单位, 0.5 when either side has none; two different units never match). A pair
   whose score is at least `THRESHOLD` and is the best of both its rows by `MARGIN` or more is
   taken; a pair above the threshold that another candidate comes within `MARGIN` of is
   *ambiguous*: it is listed for the clerk to confirm, not taken.

Everything is measured in EPSG:4550 between representative points.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis.base.measure import MEASURE_CRS

__all__ = [
    "MARGIN",
    "OWNER_COLUMNS",
    "SITE_M",
    "THRESHOLD",
    "Confirmation",
    "IdentityTable",
    "confirmation",
    "identity_table",
    "match_projects",
    "normalise_id",
    "normalise_name",
]

#: Two rows further apart than this (metres) are never paired by site (a renamed project).
SITE_M = 100.0
#: The lowest score at which a renamed project is taken without asking.
THRESHOLD = 0.6
#: A best pair must lead every other candidate of its two rows by this much, or it is ambiguous.
MARGIN = 0.1
#: Columns that hold the unit responsible (as `read_projects` keeps them, or the ``owner`` role).
OWNER_COLUMNS: tuple[str, ...] = ("owner", "建设单位", "责任单位", "业主单位", "项目单位", "实施单位", "牵头单位")
_NAME_COLUMNS: tuple[str, ...] = ("name_zh", "name", "项目名称", "名称", "项目")
_SPACE_PUNCT = re.compile(r"[\s\u3000·•．.,，、:：;；'\"“”‘’()（）\[\]【】\-—_/]+")


def normalise_name(name: object) -> str:
    """A project name for matching across versions: NFKC (full-width → half-width), lower case, no
    blanks or punctuation.

    Examples
    --------
    >>> normalise_name("和平湾（首开区） ") == normalise_name("和平湾首开区")
    True
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return _normalised(str(name))


@functools.lru_cache(maxsize=65536)
def _normalised(text: str) -> str:
    return _SPACE_PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def normalise_id(value: object) -> str:
    """An id as typed, for comparison: NFKC, blanks removed, upper case; empty for none.

    >>> normalise_id(" hp-2024-0001 ") == normalise_id("HP－2024－0001")
    True
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).upper()


@dataclass
class IdentityTable:
    """What matching reads of each row: row number, file id, names, unit and site (EPSG:4550)."""

    row: np.ndarray  # the row number Excel shows (or the position + 1)
    file_id: list[str]
    name: list[str]  # as written
    key: list[str]  # normalised name
    owner: list[str]  # normalised unit ("" when none)
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.name)


def _frame(table: Any) -> gpd.GeoDataFrame:
    """A GeoDataFrame from a frame or from `read_projects`' result."""
    frame = getattr(table, "projects", table)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError("expected a GeoDataFrame of projects or an ImportResult")
    return frame


def identity_table(table: Any) -> IdentityTable:
    """The identity fields of a project table (GeoDataFrame or `read_projects` result)."""
    frame = _frame(table)
    n = len(frame)
    name_col = next((c for c in _NAME_COLUMNS if c in frame.columns), None)
    # .tolist() first: iterating an Arrow-backed column value by value is slow
    names = ["" if pd.isna(v) else str(v) for v in frame[name_col].tolist()] if name_col else [""] * n
    ids = [normalise_id(v) for v in frame["id"].tolist()] if "id" in frame.columns else [""] * n
    owner_col = next((c for c in OWNER_COLUMNS if c in frame.columns), None)
    owners = [normalise_name(v) for v in frame[owner_col].tolist()] if owner_col else [""] * n
    if "row" in frame.columns:
        rows = pd.to_numeric(frame["row"], errors="coerce").fillna(-1).astype("int64").to_numpy()
    else:
        rows = np.arange(1, n + 1, dtype="int64")
    if n:
        geoms = frame.geometry
        if geoms.crs is None:
            raise ValueError("the project table has no CRS")
        pts = geoms.to_crs(MEASURE_CRS).representative_point()
        x, y = pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float)
    else:
        x = y = np.empty(0)
    return IdentityTable(rows, ids, names, [normalise_name(v) for v in names], owners, x, y)


@dataclass(frozen=True)
class Confirmation:
    """A pair the clerk confirmed: this project of the old version is that one of the new version.

    Each side is its project's identity: ``*_id``, the file's id (normalised, `normalise_id`) where
    the row had one; else ``*_key``, its normalised name, and ``*_site``, its site (lon, lat in
    EPSG:4326). A side with an id matches the row with that id whatever its name has become; a side
    without one matches a row of that name within `SITE_M` of the site (of that name anywhere when
    no site is known: a confirmation of names only).
    """

    old_name: str
    new_name: str
    old_id: str = ""
    new_id: str = ""
    old_key: str = ""
    new_key: str = ""
    old_site: tuple[float, float] | None = None
    new_site: tuple[float, float] | None = None

    @classmethod
    def of_names(cls, old_name: str, new_name: str) -> Confirmation:
        """A confirmation of two names only (as confirmations were made before identities)."""
        return cls(old_name, new_name, old_key=normalise_name(old_name), new_key=normalise_name(new_name))


def confirmation(old: Any, i: int, new: Any, j: int) -> Confirmation:
    """The confirmation that row position ``i`` of ``old`` is row position ``j`` of ``new`` (two
    project tables as `match_projects` takes them), keyed by each row's identity."""
    a, b = _frame(old), _frame(new)
    ta, tb = identity_table(a.iloc[[i]]), identity_table(b.iloc[[j]])

    def site(frame: gpd.GeoDataFrame, k: int) -> tuple[float, float] | None:
        geom = frame.geometry.iloc[[k]].to_crs(4326).representative_point().iloc[0]
        return None if geom is None or geom.is_empty else (round(float(geom.x), 7), round(float(geom.y), 7))

    return Confirmation(
        ta.name[0],
        tb.name[0],
        old_id=ta.file_id[0],
        new_id=tb.file_id[0],
        old_key=ta.key[0],
        new_key=tb.key[0],
        old_site=site(a, i),
        new_site=site(b, j),
    )


def _sites_4550(sites: list[tuple[float, float] | None]) -> list[tuple[float, float] | None]:
    """Confirmation sites (lon, lat) in `MEASURE_CRS`, where the tables are measured."""
    from pyproj import Transformer

    known = [(k, s) for k, s in enumerate(sites) if s is not None]
    out: list[tuple[float, float] | None] = [None] * len(sites)
    if known:
        tr = Transformer.from_crs(4326, MEASURE_CRS, always_xy=True)
        xs, ys = tr.transform([s[0] for _, s in known], [s[1] for _, s in known])
        for (k, _s), x, y in zip(known, xs, ys, strict=True):
            out[k] = (float(x), float(y))
    return out


def _side(t: IdentityTable, free: list[int], file_id: str, key: str, site: tuple[float, float] | None) -> int | None:
    """The free row of ``t`` that a confirmation's side names (the nearest to its site), or None."""
    if file_id:
        hits = [k for k in free if t.file_id[k] == file_id]
    else:
        hits = [k for k in free if key and t.key[k] == key]
        if site is not None:
            hits = [k for k in hits if np.hypot(t.x[k] - site[0], t.y[k] - site[1]) <= SITE_M]
    if not hits:
        return None
    if site is None:
        return hits[0]
    return min(hits, key=lambda k: float(np.hypot(t.x[k] - site[0], t.y[k] - site[1])))


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _unit_term(a: str, b: str) -> float | None:
    """1 for the same unit, 0.5 when either is missing, None (never a match) when they differ."""
    if not a or not b:
        return 0.5
    return 1.0 if a == b else None


def _score(a: IdentityTable, i: int, b: IdentityTable, j: int, dist: float) -> float | None:
    unit = _unit_term(a.owner[i], b.owner[j])
    if unit is None or dist > SITE_M:
        return None
    return 0.5 * (1.0 - dist / SITE_M) + 0.3 * _similarity(a.key[i], b.key[j]) + 0.2 * unit


def match_projects(
    old: Any,
    new: Any,
    *,
    confirmed: Iterable[Confirmation | tuple[str, str]] = (),
    with_unmatched: bool = False,
) -> pd.DataFrame:
    """Pair the projects of two versions of a register by identity, never by row position.

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame or ImportResult
        Two versions (``read_projects(…)`` as it comes, or its ``projects``, or any project
        GeoDataFrame with a name column and a CRS). The ``id`` column is read as the file's id;
        give frames as read, not after `prepare_projects` (whose generated ids would be read).
    confirmed : iterable of Confirmation or (str, str)
        Pairs the clerk confirmed (`confirmation`: each side by its id, else its name and site;
        or plain (old name, new name) pairs); they match before names are compared.
    with_unmatched : bool
        Also return the rows left unmatched (``how`` ``removed`` / ``added``) and the ambiguous
        candidates (``how`` ``ambiguous``, one row per candidate pair, never taken).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``old`` and ``new`` (positions in each table), ``row_old``, ``row_new``
        (row numbers), ``id_old``, ``id_new``, ``name_old``, ``name_new``, ``how`` (``id``,
        ``confirmed``, ``name``, ``name+site``), ``score`` (1 for id, confirmed and name; the
        formula's value for a renamed project) and ``distance_m``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = [Point(123.40, 41.75), Point(123.41, 41.76)]
    >>> a = gpd.GeoDataFrame({"name": ["甲楼", "乙园"]}, geometry=sites, crs=4326)
    >>> b = a.iloc[::-1].reset_index(drop=True)  # reordered
    >>> b.loc[1, "name"] = "甲楼（一期）"  # and renamed at the same site
    >>> match_projects(a, b)[["old", "new", "how"]].values.tolist()
    [[0, 1, 'name+site'], [1, 0, 'name']]
    """
    pairing = _Pairing(identity_table(old), identity_table(new))
    pairing.by_id()
    pairing.by_confirmation(
        [x if isinstance(x, Confirmation) else Confirmation.of_names(str(x[0]), str(x[1])) for x in confirmed]
    )
    pairing.by_name()
    pairing.by_site()
    return pairing.frame(with_unmatched=with_unmatched)


@dataclass
class _Pairing:
    """The pairs `match_projects` takes, step by step; a row of either side is paired once."""

    a: IdentityTable
    b: IdentityTable
    used_a: set[int] = field(default_factory=set)
    used_b: set[int] = field(default_factory=set)
    pairs: list[tuple[int, int, str, float]] = field(default_factory=list)
    ambiguous: list[tuple[int, int, float]] = field(default_factory=list)

    def take(self, i: int, j: int, how: str, score: float) -> None:
        self.pairs.append((i, j, how, score))
        self.used_a.add(i)
        self.used_b.add(j)

    def by_id(self) -> None:
        """1. ids typed in both files."""
        by_id: dict[str, int] = {}
        for j, v in enumerate(self.b.file_id):
            if v and v not in by_id:
                by_id[v] = j
        for i, v in enumerate(self.a.file_id):
            hit = by_id.get(v) if v else None
            if hit is not None and hit not in self.used_b:
                self.take(i, hit, "id", 1.0)

    def by_confirmation(self, confs: list[Confirmation]) -> None:
        """2. pairs the clerk confirmed (by each side's identity: id, else name and site; both unmatched)."""
        if not confs:
            return
        a, b = self.a, self.b
        old_sites = _sites_4550([cf.old_site for cf in confs])
        new_sites = _sites_4550([cf.new_site for cf in confs])
        for cf, site_a, site_b in zip(confs, old_sites, new_sites, strict=True):
            hit_a = _side(a, [k for k in range(len(a)) if k not in self.used_a], cf.old_id, cf.old_key, site_a)
            hit_b = _side(b, [k for k in range(len(b)) if k not in self.used_b], cf.new_id, cf.new_key, site_b)
            if hit_a is not None and hit_b is not None:
                self.take(hit_a, hit_b, "confirmed", 1.0)

    def by_name(self) -> None:
        """3. the same name: unique on both sides, or paired by nearest site within the name."""
        a, b = self.a, self.b
        groups_a: dict[str, list[int]] = {}
        groups_b: dict[str, list[int]] = {}
        for i in range(len(a)):
            if i not in self.used_a and a.key[i]:
                groups_a.setdefault(a.key[i], []).append(i)
        for j in range(len(b)):
            if j not in self.used_b and b.key[j]:
                groups_b.setdefault(b.key[j], []).append(j)
        for key, olds in groups_a.items():
            news = groups_b.get(key)
            if not news:
                continue
            if len(olds) == 1 and len(news) == 1:
                if _unit_term(a.owner[olds[0]], b.owner[news[0]]) is not None:
                    self.take(olds[0], news[0], "name", 1.0)
                continue
            cand = sorted(
                (float(np.hypot(a.x[i] - b.x[j], a.y[i] - b.y[j])), i, j)
                for i in olds
                for j in news
                if _unit_term(a.owner[i], b.owner[j]) is not None
            )
            for _dist, i, j in cand:
                if i not in self.used_a and j not in self.used_b:
                    self.take(i, j, "name+site", 1.0)

    def by_site(self) -> None:
        """4. renamed at the same site: scored, taken when unambiguous."""
        a, b = self.a, self.b
        rest_a = np.array([i for i in range(len(a)) if i not in self.used_a], dtype=int)
        rest_b = np.array([j for j in range(len(b)) if j not in self.used_b], dtype=int)
        if not len(rest_a) or not len(rest_b):
            return
        scored: list[tuple[float, int, int]] = []
        dist = np.hypot(a.x[rest_a][:, None] - b.x[rest_b][None, :], a.y[rest_a][:, None] - b.y[rest_b][None, :])
        for p, q in zip(*np.nonzero(dist <= SITE_M), strict=True):
            i, j = int(rest_a[p]), int(rest_b[q])
            s = _score(a, i, b, j, float(dist[p, q]))
            if s is not None:
                scored.append((s, i, j))
        best_a: dict[int, list[float]] = {}
        best_b: dict[int, list[float]] = {}
        for s, i, j in scored:
            best_a.setdefault(i, []).append(s)
            best_b.setdefault(j, []).append(s)
        ambiguous: list[tuple[int, int, float]] = []
        for s, i, j in sorted(scored, reverse=True):
            if s < THRESHOLD or i in self.used_a or j in self.used_b:
                continue
            rivals = sorted(best_a[i], reverse=True)[1:2] + sorted(best_b[j], reverse=True)[1:2]
            if any(s - r < MARGIN for r in rivals):
                ambiguous.append((i, j, s))
                continue
            self.take(i, j, "name+site", round(s, 3))
        self.ambiguous = [(i, j, s) for i, j, s in ambiguous if i not in self.used_a and j not in self.used_b]

    def frame(self, *, with_unmatched: bool) -> pd.DataFrame:
        """The pairs as `match_projects` returns them (and what is left, ``with_unmatched``)."""
        a, b = self.a, self.b
        taken = sorted(self.pairs, key=lambda p: (p[0], p[1]))
        rows = [_pair_row(a, b, i, j, how, score) for i, j, how, score in taken]
        if with_unmatched:
            rows += [_pair_row(a, b, i, j, "ambiguous", round(s, 3)) for i, j, s in self.ambiguous]
            rows += [_pair_row(a, b, i, None, "removed", None) for i in range(len(a)) if i not in self.used_a]
            rows += [_pair_row(a, b, None, j, "added", None) for j in range(len(b)) if j not in self.used_b]
        columns = ["old", "new", "row_old", "row_new", "id_old", "id_new", "name_old", "name_new", "how", "score"]
        out = pd.DataFrame(rows, columns=[*columns, "distance_m"])
        for c in ("old", "new", "row_old", "row_new"):
            out[c] = out[c].astype("Int64")
        out["score"] = out["score"].astype(float)
        out["distance_m"] = out["distance_m"].astype(float)
        return out


def _pair_row(a: IdentityTable, b: IdentityTable, i: int | None, j: int | None, how: str, score: float | None) -> tuple:
    dist = float(np.hypot(a.x[i] - b.x[j], a.y[i] - b.y[j])) if i is not None and j is not None else np.nan
    return (
        i,
        j,
        None if i is None else int(a.row[i]),
        None if j is None else int(b.row[j]),
        None if i is None else (a.file_id[i] or None),
        None if j is None else (b.file_id[j] or None),
        None if i is None else a.name[i],
        None if j is None else b.name[j],
        how,
        score,
        round(dist, 1) if np.isfinite(dist) else np.nan,
    )
