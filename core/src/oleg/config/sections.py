"""The core's own sections of a deployment file: ``[deployment]``, ``[engine]`` and ``[metrics]``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oleg.fields import Duration, RelativePath


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeploymentSection(_Section):
    name: str = Field(description="A name for this deployment, shown in logs and reports.")
    database: str = Field(
        "sqlite:///oleg.db",
        description="SQLAlchemy URL of the store; a relative SQLite path is taken from the "
        "deployment file's folder. PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    seed: int = Field(
        0, ge=0, lt=2**32, description="Seed for every random choice: exploration, models, simulation."
    )
    data_dir: RelativePath = Field(
        Path(".oleg"),
        validate_default=True,
        description="Folder for model files and plugin state (TDLib sessions...).",
    )


    plugins: list[str] = Field(
        default_factory=list,
        description="Extra plugins to load by name, for their lifecycle hooks (observers, metrics "
        "exporters): the components a deployment names are loaded anyway.",
    )

    @field_validator("database")
    @classmethod
    def _is_a_database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "expected a database URL such as \"sqlite:///feed.db\" or "
                "\"postgresql+psycopg://user:password@host/db\""
            ) from None
        if url.drivername in ("postgres", "postgresql"):  # the form most hosts give
            url = url.set(drivername="postgresql+psycopg")
        try:
            backend = url.get_backend_name()
            dialect = url.get_dialect()
        except Exception:  # an unknown scheme
            raise ValueError(f"expected a SQLite or PostgreSQL URL, got a {url.drivername!r} one") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"expected a SQLite or PostgreSQL URL, got a {backend!r} one")
        try:
            dialect.import_dbapi()
        except ImportError:
            driver = url.get_driver_name()
            raise ValueError(
                f"the database driver {driver!r} is not installed: pip install "
                + ("'psycopg[binary]'" if driver == "psycopg" else driver)
            ) from None
        return url.render_as_string(hide_password=False)


class ExplorationSettings(_Section):
    """How a subscriber's next post is drawn from the recommender's scores."""

    kind: Literal["greedy", "epsilon", "boltzmann"] = Field(
        "boltzmann",
        description="greedy: the best score; epsilon: a random post with probability epsilon; "
        "boltzmann: sample with probability proportional to exp(score / temperature).",
    )
    temperature: float = Field(0.05, gt=0, description="Boltzmann temperature, in score units.")
    epsilon: float = Field(0.1, ge=0, le=1, description="Share of random picks for 'epsilon'.")


class UnansweredSettings(_Section):
    """Posts shown and never answered as weak negatives (``[engine.unanswered]``): Lamoda's
    impressions without a click. Off unless ``after`` is set."""

    after: Duration | None = Field(
        None,
        description="A delivery sent this long ago without a 👍/👎 is handed to the recommenders "
        "as a 👎 of weight `weight` (off when unset).",
    )
    weight: float = Field(
        0.3, gt=0, le=1, description="The weight of such a weak 👎 (a real rating weighs 1)."
    )


class EngineSection(_Section):
    pool_window: Duration = Field(
        timedelta(days=2), description="Posts younger than this are candidates."
    )
    pool_size: int = Field(
        5000, gt=0, le=10_000_000, description="At most this many (the newest) posts in the pool."
    )
    posts_per_round: int = Field(
        1, gt=0, le=1000, description="Posts each subscriber gets per mailing round."
    )
    exploration: ExplorationSettings = Field(default_factory=ExplorationSettings)
    unanswered: UnansweredSettings = Field(default_factory=UnansweredSettings)
    inverse_propensity: bool = Field(
        False,
        description="Hand each rating to the recommenders with weight 1 / the propensity its "
        "delivery was chosen with (logged by the exploration), for models that correct the "
        "bias of what the feed chose to show (e.g. embedding-nn's ips = \"logged\").",
    )
    lease_ttl: Duration = Field(
        timedelta(seconds=30),
        description="A running engine renews its lease on the store every third of this; a "
        "second engine on the same store is refused, and one whose holder stopped renewing "
        "for this long is taken over.",
    )


class MetricsSection(_Section):
    """Prometheus metrics of a running ``oleg run`` (:mod:`oleg.builtin.metrics`)."""

    port: int | None = Field(
        None, ge=1, le=65535,
        description="Serve Prometheus metrics on http://ADDRESS:PORT/metrics while running; "
        "off when unset.",
    )
    address: str = Field(
        "127.0.0.1", description="The address to bind (0.0.0.0 for every interface)."
    )


class PromotionSection(_Section):
    """How the model registry judges a challenger against the champion (``[promotion]``).

    Modelled on MLflow's ``MetricThreshold``: a challenger is promoted when its figure on the
    held-out ratings beats the champion's by at least ``min_absolute_change`` and by at least
    ``min_relative_change`` of the champion's figure, stands above chance beyond noise, and
    (a challenger from another line than the champion's) beats the champion beyond noise,
    at ``confidence``. One worse than chance, or worse than the champion by more than
    ``max_drop``, has collapsed: it is never served, and the deployer is told.
    """

    metric: Literal["auc", "logloss", "rmse"] = Field(
        "auc", description="The figure compared: auc (higher is better), logloss or rmse (lower)."
    )
    min_ratings: int = Field(
        100, gt=0, le=10_000_000,
        description="Held-out ratings (arrived after the challenger's training cutoff) needed to "
        "judge it; until then the champion serves and the challenger's line waits.",
    )
    min_absolute_change: float | None = Field(
        None, ge=-1, le=1,
        description="Improvement over the champion needed, in the metric's units (negative: a "
        "drop tolerated for a fresher model). Unset, like min_relative_change: at least as good.",
    )
    min_relative_change: float | None = Field(
        None, ge=-1, le=1,
        description="Improvement needed as a share of the champion's figure (0.01: 1% better). "
        "When both are set, both must be met.",
    )
    max_drop: float = Field(
        0.1, gt=0, le=1,
        description="A challenger worse than the champion by more than this (metric units) has "
        "collapsed, as has one worse than chance (AUC 0.5; the base rate's log loss or RMSE).",
    )
    confidence: float = Field(
        0.95, ge=0.5, lt=1,
        description="How sure the registry must be (one-sided) that a challenger is above "
        "chance, and that one from another line beats the champion, beyond the noise of the "
        "held-out ratings (DeLong's test for AUC).",
    )
    keep_champions: int = Field(
        5, ge=1, le=1000,
        description="Former champions whose model files are kept for `oleg models rollback`; "
        "files of rejected versions are deleted once judged.",
    )
