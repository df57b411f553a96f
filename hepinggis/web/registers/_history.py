"""A project's history across the versions of its series (一项目一档, matched by identity), and each
version's projects with their progress warnings on its date."""

from __future__ import annotations

from typing import Any

from hepinggis.web.registers._frames import _cached, frame
from hepinggis.web.registers._versions import _jsonable, confirmations, series_info, versions
from hepinggis.web.store._store import Store

__all__ = ["history", "with_warnings"]


def with_warnings(store: Store, rid: str) -> Any:
    """The version's projects with each one's warning on the version's date."""

    def make() -> Any:
        from hepinggis.monitor.progress import progress_warnings

        info = series_info(store.engine, rid)
        assert info is not None
        f = frame(store, rid).copy()
        w = progress_warnings(f, info["as_of"])
        for c in w.columns:
            f[c] = w[c].to_numpy()
        return f

    return _cached(("warn", rid), make)


# -- a project's history ---------------------------------------------------------------------------
def history(store: Store, rid: str, row: int) -> dict[str, Any] | None:
    """The project at Excel row ``row`` of version ``rid`` in every version of its series (by
    identity: each neighbouring pair of versions is matched), oldest first."""
    from hepinggis.monitor.changes import compare_registers  # noqa: F401  (the same matching)

    vs = versions(store, rid)
    ids = [v["id"] for v in vs]
    k0 = ids.index(rid)
    here = with_warnings(store, rid)
    hit = here.index[here["row"] == row]
    if not len(hit):
        return None
    positions: dict[int, int] = {k0: int(hit[0])}
    info = series_info(store.engine, rid)
    assert info is not None
    confirmed = tuple(confirmations(store, info["series_id"]))

    def pairs(a: str, b: str) -> dict[int, int]:
        def make() -> dict[int, int]:
            from hepinggis.analysis.identity import match_projects

            m = match_projects(frame(store, a), frame(store, b), confirmed=confirmed)
            return {int(o): int(n) for o, n in zip(m["old"], m["new"], strict=True)}

        return _cached(("pairs", a, b, confirmed), make)

    # walk out from this version both ways; a version that does not list the project (refused
    # that month, say) is skipped: the next one is matched against the last that listed it
    last = k0
    for t in range(k0 + 1, len(ids)):
        nxt = pairs(ids[last], ids[t]).get(positions[last])
        if nxt is not None:
            positions[t], last = nxt, t
    last = k0
    for t in range(k0 - 1, -1, -1):
        back = {n: o for o, n in pairs(ids[t], ids[last]).items()}.get(positions[last])
        if back is not None:
            positions[t], last = back, t
    rows = []
    for kk, v in enumerate(vs):
        if kk not in positions:
            rows.append({"version": v["version"], "register_id": v["id"], "as_of": v["as_of"], "listed": False})
            continue
        f = with_warnings(store, v["id"])
        rec = f.drop(columns=[f.geometry.name]).iloc[positions[kk]].to_dict()
        rows.append({"version": v["version"], "register_id": v["id"], "as_of": v["as_of"], "listed": True, **rec})
    return {"register_id": rid, "row": row, "versions": _jsonable(rows)}
