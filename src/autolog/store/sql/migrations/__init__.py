"""Alembic revisions of the SQL tracking store (append-only: never edit a released one)."""

#: the newest revision in versions/: opening a store compares the database against this
#: constant, so the common case (schema up to date) never imports alembic. A test keeps it
#: equal to the head alembic computes; move it whenever a revision is appended.
HEAD = "0003"
