"""Opening a deployment's store from a command that reads it (``oleg models``, ``oleg
train``, a plugin's ``oleg export``): one that was never run is a user error, not an empty
store made on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oleg.errors import OlegError


def open_existing_store(deployment: Path, url: str) -> Any:
    """The deployment's store; an SQLite file that does not exist yet is an error."""
    from sqlalchemy.engine import make_url

    from oleg.store import Store

    parsed = make_url(url)
    if (
        parsed.get_backend_name() == "sqlite"
        and parsed.database
        and not Path(parsed.database).exists()
    ):
        raise OlegError(
            f"{deployment}: no store at {parsed.database} yet; run the deployment first "
            f"(oleg run {deployment})."
        )
    return Store.open(url)
