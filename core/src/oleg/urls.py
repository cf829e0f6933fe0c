"""Database URLs as people may see them: with the password masked."""

from __future__ import annotations


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for logs, messages and ``oleg check``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: there is no password field to find in it
        return url
