"""PostGIS only: the plan's zones and 街道, a geometry column on the store's projects (EPSG:4326, GiST
index), and the SQL functions ``hepinggis_projects_by_zone`` / ``hepinggis_projects_by_jiedao``.

Revision ID: s0002
Revises: s0001
"""

from __future__ import annotations

from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None

_TABLES = """
CREATE TABLE zones (
  id text PRIMARY KEY,
  ord integer NOT NULL UNIQUE,
  name text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX zones_geom_gist ON zones USING gist (geom);
CREATE TABLE jiedao (
  id text PRIMARY KEY,
  ord integer NOT NULL UNIQUE,
  name text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX jiedao_geom_gist ON jiedao USING gist (geom);
-- the store's projects table (revision s0000) gets its PostGIS geometry, filled from geom_wkt by a
-- trigger so that every writer of the table (server, workers, restore) keeps the two in step
ALTER TABLE projects ADD COLUMN geom geometry(Geometry, 4326);
CREATE INDEX projects_geom_gist ON projects USING gist (geom);
CREATE OR REPLACE FUNCTION hepinggis_projects_geom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.geom := CASE WHEN NEW.geom_wkt IS NULL OR NEW.geom_wkt = '' THEN NULL
                   ELSE ST_GeomFromText(NEW.geom_wkt, 4326) END;
  RETURN NEW;
END $$;
CREATE TRIGGER projects_geom_from_wkt BEFORE INSERT OR UPDATE OF geom_wkt ON projects
  FOR EACH ROW EXECUTE FUNCTION hepinggis_projects_geom();
"""

# The shares follow hepinggis.analysis.assign.zone_shares exactly:
# * a Point belongs wholly to the first polygon (layer order) containing it; a point on an edge
#   (no polygon contains it) to the first polygon it touches;
# * a MultiPoint is shared by the share of its points, each point placed by the Point rule;
# * a line is shared by length, a polygon by area, both on the WGS 84 ellipsoid (geography);
#   the denominator is max(whole length or area, sum of the pieces) so shares never exceed 1, and
#   shares below 1e-4 (numerical slivers) are dropped.
_SHARES = r"""
CREATE OR REPLACE FUNCTION hepinggis_shares(p_register text, p_layer text)
RETURNS TABLE (project_pk bigint, area_id text, share double precision)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  IF p_layer NOT IN ('zones', 'jiedao') THEN
    RAISE EXCEPTION 'layer must be zones or jiedao, got %', p_layer;
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH p AS (
      SELECT g.pk::bigint AS row_no, g.geom, GeometryType(g.geom) AS kind
      FROM projects g WHERE g.register_id = $1 AND g.geom IS NOT NULL
    ),
    pts AS (  -- every point of a Point or MultiPoint, with the number of points of its project
      SELECT p.row_no, d.geom, count(*) OVER (PARTITION BY p.row_no) AS n
      FROM p, LATERAL ST_Dump(p.geom) d WHERE p.kind IN ('POINT', 'MULTIPOINT')
    ),
    placed AS (
      SELECT pts.row_no, pts.n, (
        SELECT a.id FROM %1$I a WHERE ST_Intersects(a.geom, pts.geom)
        ORDER BY ST_Contains(a.geom, pts.geom) DESC, a.ord LIMIT 1) AS area_id
      FROM pts
    ),
    point_shares AS (
      SELECT placed.row_no, placed.area_id, count(*)::double precision / max(placed.n) AS share
      FROM placed WHERE placed.area_id IS NOT NULL GROUP BY placed.row_no, placed.area_id
    ),
    pieces AS (
      SELECT p.row_no, a.id AS area_id,
        CASE WHEN p.kind IN ('LINESTRING', 'MULTILINESTRING')
             THEN ST_Length(ST_Intersection(p.geom, a.geom)::geography)
             ELSE ST_Area(ST_Intersection(p.geom, a.geom)::geography) END AS size,
        CASE WHEN p.kind IN ('LINESTRING', 'MULTILINESTRING')
             THEN ST_Length(p.geom::geography) ELSE ST_Area(p.geom::geography) END AS total
      FROM p JOIN %1$I a ON ST_Intersects(a.geom, p.geom)
      WHERE p.kind NOT IN ('POINT', 'MULTIPOINT')
    ),
    sized AS (
      SELECT pieces.row_no, pieces.area_id, pieces.size,
        greatest(max(pieces.total) OVER w, sum(pieces.size) OVER w) AS denom
      FROM pieces WINDOW w AS (PARTITION BY pieces.row_no)
    )
    SELECT point_shares.row_no, point_shares.area_id, point_shares.share FROM point_shares
    UNION ALL
    SELECT sized.row_no, sized.area_id, sized.size / sized.denom FROM sized
    WHERE sized.denom > 0 AND sized.size / sized.denom > 1e-4
  $q$, p_layer) USING p_register;
END
$fn$;

CREATE OR REPLACE FUNCTION hepinggis_projects_by_area(p_register text, p_layer text)
RETURNS TABLE (area_id text, area_name text, projects double precision, projects_any_share bigint,
               investment_cny_stated double precision, n_with_investment bigint)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  IF p_layer NOT IN ('zones', 'jiedao') THEN
    RAISE EXCEPTION 'layer must be zones or jiedao, got %', p_layer;
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH s AS (
      SELECT s.project_pk, s.area_id, s.share, g.investment_cny
      FROM hepinggis_shares($1, %1$L) s
      JOIN projects g ON g.register_id = $1 AND g.pk = s.project_pk
    )
    SELECT a.id, a.name,
      coalesce(sum(s.share), 0)::double precision,
      count(DISTINCT s.project_pk),
      coalesce(sum(s.investment_cny * s.share) FILTER (WHERE s.investment_cny IS NOT NULL), 0)::double precision,
      count(DISTINCT s.project_pk) FILTER (WHERE s.investment_cny IS NOT NULL)
    FROM %1$I a LEFT JOIN s ON s.area_id = a.id
    GROUP BY a.id, a.name, a.ord ORDER BY a.ord
  $q$, p_layer) USING p_register;
END
$fn$;

CREATE OR REPLACE FUNCTION hepinggis_projects_by_zone(p_register text)
RETURNS TABLE (zone_id text, zone_name text, projects double precision, projects_any_share bigint,
               investment_cny_stated double precision, n_with_investment bigint)
LANGUAGE sql STABLE AS $fn$ SELECT * FROM hepinggis_projects_by_area(p_register, 'zones') $fn$;

CREATE OR REPLACE FUNCTION hepinggis_projects_by_jiedao(p_register text)
RETURNS TABLE (jiedao_id text, jiedao_name text, projects double precision, projects_any_share bigint,
               investment_cny_stated double precision, n_with_investment bigint)
LANGUAGE sql STABLE AS $fn$ SELECT * FROM hepinggis_projects_by_area(p_register, 'jiedao') $fn$;

CREATE OR REPLACE VIEW hepinggis_project_zone AS
  SELECT g.register_id, s.project_pk, s.area_id AS zone_id, s.share
  FROM (SELECT id AS register_id FROM registers) g,
       LATERAL hepinggis_shares(g.register_id, 'zones') s;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded store answers these in Python
    op.execute(_TABLES)
    op.execute(_SHARES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP VIEW IF EXISTS hepinggis_project_zone")
    for fn in ("hepinggis_projects_by_zone(text)", "hepinggis_projects_by_jiedao(text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP FUNCTION IF EXISTS hepinggis_projects_by_area(text, text)")
    op.execute("DROP FUNCTION IF EXISTS hepinggis_shares(text, text)")
    op.execute("DROP TRIGGER IF EXISTS projects_geom_from_wkt ON projects")
    op.execute("DROP FUNCTION IF EXISTS hepinggis_projects_geom()")
    op.execute("ALTER TABLE projects DROP COLUMN IF EXISTS geom")
    op.execute("DROP TABLE IF EXISTS jiedao, zones")
