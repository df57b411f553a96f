"""The web application behind ``hepinggis serve`` (FastAPI on Starlette, served by uvicorn).

Modules: `app` (create_app), `_schema` (tables), `_store` (the store), `_deps` (dependencies:
the store, the current user), `_jobs` (worker processes), `_work` (what the jobs do),
`routes_api` and `routes_pages`.
"""
