"""A small simulated store to look at: the demo's deployment (real posts replayed to
simulated subscribers on the virtual clock) for a few days. The browser tests and the
screenshot script use it; it needs the demo's plugins (replay, simulated, popular,
top-bias), which the workspace installs."""

from __future__ import annotations

from typing import Any


def sample_deployment(
    database: str, *, subscribers: int = 60, days: int = 3, seed: int = 7,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """``data_dir`` (model files) defaults to a folder beside a SQLite database, else a
    temporary one."""
    if data_dir is None:
        from sqlalchemy.engine import make_url

        url = make_url(database)
        if url.get_backend_name() == "sqlite" and url.database:
            data_dir = f"{url.database}.data"
        else:
            import tempfile

            data_dir = tempfile.mkdtemp(prefix="oleg-sample-")
    return {
        "deployment": {"name": "sample", "database": database, "seed": seed, "data_dir": data_dir},
        "engine": {"pool_window": "2d"},
        "source": {
            "plugin": "replay",
            "path": "builtin:telegram-news-ru",
            "start": "2024-11-08T00:00:00Z",
        },
        "sink": {"plugin": "simulated", "subscribers": subscribers},
        "recommender": {"plugin": "popular"},
        "cold_start": {"plugin": "top-bias", "first_posts": 10},
        "scheduler": {
            "plugin": "virtual",
            "start": "2024-11-10T00:00:00Z",
            "run_for": f"{days}d",
            "mailing_every": "2h",
            "train_every": "1h",
            "full_retrain_every": 6,
            "ingest_every": "20m",
            "feedback_every": "20m",
        },
    }


def simulate(database: str, **options: Any) -> None:
    """Run the sample deployment into ``database`` (a SQLite or PostgreSQL URL)."""
    from oleg.config import load_deployment_dict
    from oleg.engine import Engine
    from oleg.plugins import Plugins

    plugins = Plugins()
    engine = Engine(
        load_deployment_dict(sample_deployment(database, **options), plugins=plugins), plugins
    )
    engine.run()
