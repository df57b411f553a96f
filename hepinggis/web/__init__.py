"""The web application behind ``hepinggis serve`` (FastAPI on Starlette, served by uvicorn).

Rooms: `app` (create_app) and `serve` at the top with `_deps` (the store and the current user for
every router); ``pages/`` the pages, ``api/`` the JSON API, ``ogc/`` the OGC API services,
``auth/`` accounts, logins, the security middleware and the audit trail, ``registers/`` registers
as versions, ``jobs/`` uploads, jobs and builds, ``store/`` the database and its migrations.
docs/architecture.md names every module.
"""
