"""Alembic revisions of the store, oldest first (a package so that they ship with the wheel)."""
