"""Alembic revisions of the SQL tracking store (append-only: never edit a released one)."""
