"""PostGIS push/pull against a real PostgreSQL + PostGIS (started by .ci/run; $HEPINGGIS_TEST_DSN)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import shapely

import hepinggis
from hepinggis.base._catalogue import catalogue
from hepinggis.io.postgis import pull, push

DSN = os.environ.get("HEPINGGIS_TEST_DSN")
# one schema per pytest-xdist worker: tests of this module may run at once in several workers
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
SCHEMA, CLI_SCHEMA = f"hg_test_{_WORKER}", f"hg_cli_{_WORKER}"


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    if not DSN:
        if os.environ.get("CI"):
            pytest.fail("CI must provide a PostGIS server in HEPINGGIS_TEST_DSN (.ci/postgis-up)")
        pytest.skip("no PostGIS server: run `export HEPINGGIS_TEST_DSN=$(bash .ci/postgis-up | tail -1)`")
    yield DSN


def _sql(dsn: str, query: str) -> list[tuple]:  # type: ignore[type-arg]
    from sqlalchemy import text

    from hepinggis.io.postgis import _engine

    engine = _engine(dsn)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(query))]
    engine.dispose()
    return rows


def test_push_pull_round_trip_is_lossless(dsn: str) -> None:
    counts = push(dsn, schema=SCHEMA)
    frames = pull(dsn, schema=SCHEMA)
    for name in catalogue():
        original = hepinggis.load(name)
        back = frames[name].set_index("id").loc[list(original["id"])]
        assert counts[name] == len(original) == len(back)
        for field in catalogue()[name].field_names:
            if field != "id":
                assert [str(v) for v in original[field]] == [str(v) for v in back[field]], (name, field)
        for a, b in zip(original.geometry, back.geometry, strict=True):
            assert shapely.equals_exact(a, b, tolerance=1e-9)


def test_srid_and_spatial_index(dsn: str) -> None:
    push(dsn, schema=SCHEMA, names=["zones"])
    assert _sql(dsn, f"SELECT Find_SRID('{SCHEMA}', 'zones', 'geom')") == [(4326,)]
    indexes = [
        r[0] for r in _sql(dsn, f"SELECT indexdef FROM pg_indexes WHERE schemaname='{SCHEMA}' AND tablename='zones'")
    ]
    assert any("gist" in i.lower() for i in indexes)


def test_repush_is_idempotent(dsn: str) -> None:
    push(dsn, schema=SCHEMA, names=["projects"])
    push(dsn, schema=SCHEMA, names=["projects"])
    n = len(hepinggis.load("projects"))
    assert _sql(dsn, f'SELECT count(*), count(DISTINCT id) FROM "{SCHEMA}"."projects"') == [(n, n)]


def test_failed_push_rolls_back(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    push(dsn, schema=SCHEMA, names=["zones", "jiedao"])
    zones = hepinggis.load("zones")
    zones.loc[0, "name_zh"] = "改过的名字"
    calls = {"n": 0}
    real = type(zones).to_postgis

    def flaky(self, name, con, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("connection lost")
        return real(self, name, con, **kw)

    monkeypatch.setattr(type(zones), "to_postgis", flaky)
    with pytest.raises(RuntimeError, match="connection lost"):
        push(dsn, schema=SCHEMA, names=["zones", "jiedao"], frames={"zones": zones})
    names = [r[0] for r in _sql(dsn, f'SELECT name_zh FROM "{SCHEMA}"."zones" WHERE id = \'beishichang\'')]
    assert names == ["北市场民族民俗产业集聚区"]  # the first table's replacement was rolled back


def test_cli_db(dsn: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from hepinggis.cli import main

    assert main(["db", "push", dsn, "--schema", CLI_SCHEMA, "--layer", "zones"]) == 0
    assert main(["db", "pull", dsn, "--schema", CLI_SCHEMA, "--layer", "zones", "--out", str(tmp_path / "z.gpkg")]) == 0
    assert f"{CLI_SCHEMA}.zones: 6 rows" in capsys.readouterr().out
