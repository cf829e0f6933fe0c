"""Store methods for the model registry (versions and decisions) and the engine's small
state values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from oleg.store.base import StoreBase, check_value
from oleg.store.tables import decision_t, model_t, state_t
from oleg.versions import DecisionOutcome, ModelDecision, ModelKind, ModelStatus, ModelVersion

MODEL_KINDS = frozenset(ModelKind)
MODEL_STATUSES = frozenset(ModelStatus)


def version_from_row(row: Any) -> ModelVersion:
    return ModelVersion(
        id=row.id, plugin=row.plugin, kind=ModelKind(row.kind), status=ModelStatus(row.status),
        n_feedback=row.n_feedback, created_at=row.created_at, params=dict(row.params or {}),
        metrics=dict(row.metrics or {}), lineage=row.lineage, cutoff_id=row.cutoff_id,
        weak_cutoff_id=row.weak_cutoff_id,
        trained_from=row.trained_from, trained_to=row.trained_to, file=row.file,
    )


def decision_from_row(row: Any) -> ModelDecision:
    return ModelDecision(
        id=row.id, at=row.at, version_id=row.version_id, champion_id=row.champion_id,
        outcome=DecisionOutcome(row.outcome), reason=row.reason, metric=row.metric,
        challenger_value=row.challenger_value, champion_value=row.champion_value,
        n_ratings=row.n_ratings, first_feedback_id=row.first_feedback_id,
        last_feedback_id=row.last_feedback_id, details=dict(row.details or {}),
    )


class ModelMethods(StoreBase):
    """Model versions and engine state (a mixin of :class:`oleg.store.Store`)."""

    def add_model_version(
        self, *, plugin: str, kind: ModelKind | str, params: dict[str, Any],
        metrics: dict[str, Any], n_feedback: int, status: ModelStatus | str, at: datetime,
        lineage: str | None = None, cutoff_id: int = 0, weak_cutoff_id: int = 0,
        trained_from: datetime | None = None, trained_to: datetime | None = None,
        file: str | None = None,
    ) -> ModelVersion:
        """Record a trained model; returns it with its id. Use :meth:`set_model_status` to
        make it champion, which retires the current one."""
        check_value("model kind", kind, MODEL_KINDS)
        check_value("model status", status, MODEL_STATUSES)
        with self.engine.begin() as conn:
            if status == "champion":
                self._retire_champion(conn)
            row = conn.execute(
                sa.insert(model_t).returning(*model_t.c),
                {
                    "plugin": plugin, "kind": str(kind), "params": params, "metrics": metrics,
                    "n_feedback": n_feedback, "status": str(status), "created_at": at,
                    "lineage": lineage or plugin, "cutoff_id": cutoff_id,
                    "weak_cutoff_id": weak_cutoff_id,
                    "trained_from": trained_from, "trained_to": trained_to, "file": file,
                },
            ).one()
        return version_from_row(row)

    def model_version(self, version_id: int) -> ModelVersion | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(model_t).where(model_t.c.id == version_id)).first()
        return None if row is None else version_from_row(row)

    def latest_version(self, lineage: str) -> ModelVersion | None:
        """The newest version of one line of models."""
        stmt = sa.select(model_t).where(model_t.c.lineage == lineage).order_by(model_t.c.id.desc())
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else version_from_row(row)

    def versions_with_status(self, status: ModelStatus | str) -> list[ModelVersion]:
        """Versions in one status, newest first (former champions: ``retired``)."""
        check_value("model status", status, MODEL_STATUSES)
        stmt = (
            sa.select(model_t).where(model_t.c.status == str(status)).order_by(model_t.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [version_from_row(r) for r in conn.execute(stmt)]

    def versions_with_files(self) -> list[ModelVersion]:
        """Versions whose model file is still kept, newest first."""
        stmt = sa.select(model_t).where(model_t.c.file.is_not(None)).order_by(model_t.c.id.desc())
        with self.engine.connect() as conn:
            return [version_from_row(r) for r in conn.execute(stmt)]

    def update_model_version(
        self, version_id: int, *, metrics: dict[str, Any] | None = None, file: str | None = None,
        drop_file: bool = False,
    ) -> None:
        """Merge figures into a version's metrics (its held-out figures once judged), or
        set or forget its file."""
        values: dict[str, Any] = {}
        with self.engine.begin() as conn:
            if metrics:
                current = conn.execute(
                    sa.select(model_t.c.metrics).where(model_t.c.id == version_id)
                ).scalar_one()
                values["metrics"] = {**(current or {}), **metrics}
            if file is not None:
                values["file"] = file
            if drop_file:
                values["file"] = None
            if values:
                conn.execute(sa.update(model_t).where(model_t.c.id == version_id).values(**values))

    def add_decision(
        self, *, at: datetime, version_id: int, champion_id: int | None,
        outcome: DecisionOutcome | str, reason: str, metric: str = "",
        challenger_value: float | None = None, champion_value: float | None = None,
        n_ratings: int = 0, first_feedback_id: int | None = None,
        last_feedback_id: int | None = None, details: dict[str, Any] | None = None,
        status: ModelStatus | str | None = None,
    ) -> ModelDecision:
        """Record a decision about ``version_id`` and, in the same transaction, give the
        version ``status`` (a new champion retires the old one)."""
        check_value("decision outcome", outcome, frozenset(DecisionOutcome))
        with self.engine.begin() as conn:
            if status is not None:
                self._set_status(conn, version_id, status)
            row = conn.execute(
                sa.insert(decision_t).returning(*decision_t.c),
                {
                    "at": at, "version_id": version_id, "champion_id": champion_id,
                    "outcome": str(outcome), "reason": reason, "metric": metric,
                    "challenger_value": challenger_value, "champion_value": champion_value,
                    "n_ratings": n_ratings, "first_feedback_id": first_feedback_id,
                    "last_feedback_id": last_feedback_id, "details": details or {},
                },
            ).one()
        return decision_from_row(row)

    def decisions(self, limit: int = 50, *, version_id: int | None = None) -> list[ModelDecision]:
        """The latest decisions, newest first (about one version, when given)."""
        stmt = sa.select(decision_t).order_by(decision_t.c.id.desc()).limit(limit)
        if version_id is not None:
            stmt = stmt.where(decision_t.c.version_id == version_id)
        with self.engine.connect() as conn:
            return [decision_from_row(r) for r in conn.execute(stmt)]

    @staticmethod
    def _retire_champion(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(model_t).where(model_t.c.status == "champion").values(status="retired")
        )

    def set_model_status(self, version_id: int, status: ModelStatus | str) -> None:
        """Change a version's status; a new champion retires the old one atomically, so
        there is never more than one."""
        with self.engine.begin() as conn:
            self._set_status(conn, version_id, status)

    def _set_status(self, conn: sa.Connection, version_id: int, status: ModelStatus | str) -> None:
        check_value("model status", status, MODEL_STATUSES)
        if status == "champion":
            self._retire_champion(conn)
        changed = conn.execute(
            sa.update(model_t).where(model_t.c.id == version_id).values(status=str(status))
        ).rowcount
        if not changed:
            raise KeyError(f"no model version {version_id}")

    def model_versions(self, limit: int = 50) -> list[ModelVersion]:
        """The latest versions, newest first."""
        stmt = sa.select(model_t).order_by(model_t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [version_from_row(r) for r in conn.execute(stmt)]

    def champion(self) -> ModelVersion | None:
        """The version being served, if any."""
        stmt = sa.select(model_t).where(model_t.c.status == "champion").order_by(
            model_t.c.id.desc()
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else version_from_row(row)

    def get_state(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(state_t.c.value).where(state_t.c.key == key)).first()
        return default if row is None else row.value

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON-serialisable value under ``key``, replacing any previous one."""
        stmt = self._insert(state_t).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(
            index_elements=[state_t.c.key], set_={"value": stmt.excluded.value}
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
