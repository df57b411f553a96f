"""The store: the database engine (SQLite or PostgreSQL/PostGIS), its tables, the Alembic
migrations (``migrations/``, found by `_migrate`) and the PostgreSQL roles, the data folder's
temporary folders, and whole-store dumps and restores (`_backup`)."""
