"""Uploads before follow-up maps (issue 37.2): ten clerks uploading at once get their reports
first; a stored register's map drawn as its own job is claimed after every queued upload, and an
import draws the map itself only when no other upload waits or is being read."""

from __future__ import annotations

from pathlib import Path

from hepinggis.web.store._store import Store


def test_a_follow_up_map_waits_behind_uploads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    try:
        old_map = store.add_job("map", {"register_id": "r1", "rows": 10}, submitter="甲")
        upload = store.add_job("import", {"size": 10}, submitter="乙")
        later_map = store.add_job("map", {"register_id": "r2", "rows": 10}, submitter="丙")
        preview = store.add_job("preview", {"size": 10}, submitter="丁")
        claimed = [store.claim_job() for _ in range(4)]
        assert [j["id"] for j in claimed if j] == [upload, preview, old_map, later_map]
        assert store.claim_job() is None
    finally:
        store.dispose()


def test_uploads_waiting_or_read_by_another_worker_are_counted(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    try:
        mine = store.add_job("import", {"size": 10}, submitter="甲")
        assert store.claim_job()["id"] == mine
        kinds = ("import", "preview")
        assert store.queued_jobs(kinds) == 0
        assert store.queued_jobs(kinds, running_besides=mine) == 0  # alone: the import draws its map
        other = store.add_job("import", {"size": 10}, submitter="乙")
        assert store.queued_jobs(kinds, running_besides=mine) == 1  # waiting
        assert store.claim_job()["id"] == other
        assert store.queued_jobs(kinds) == 0
        assert store.queued_jobs(kinds, running_besides=mine) == 1  # being read by another worker
        assert store.queued_jobs(kinds, running_besides=other) == 1
        store.add_job("map", {"register_id": "r", "rows": 1}, submitter="甲")
        assert store.queued_jobs(kinds, running_besides=mine) == 1  # a map is not an upload
    finally:
        store.dispose()
