"""Store methods for model versions and the engine's small state values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from oleg.store.base import StoreBase, check_value
from oleg.store.tables import model_t, state_t
from oleg.versions import ModelKind, ModelStatus, ModelVersion

MODEL_KINDS = frozenset(ModelKind)
MODEL_STATUSES = frozenset(ModelStatus)


def version_from_row(row: Any) -> ModelVersion:
    return ModelVersion(
        id=row.id, plugin=row.plugin, kind=ModelKind(row.kind), status=ModelStatus(row.status),
        n_feedback=row.n_feedback, created_at=row.created_at, params=dict(row.params or {}),
        metrics=dict(row.metrics or {}),
    )


class ModelMethods(StoreBase):
    """Model versions and engine state (a mixin of :class:`oleg.store.Store`)."""

    def add_model_version(
        self, *, plugin: str, kind: ModelKind | str, params: dict[str, Any],
        metrics: dict[str, Any], n_feedback: int, status: ModelStatus | str, at: datetime,
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
                },
            ).one()
        return version_from_row(row)

    @staticmethod
    def _retire_champion(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(model_t).where(model_t.c.status == "champion").values(status="retired")
        )

    def set_model_status(self, version_id: int, status: ModelStatus | str) -> None:
        """Change a version's status; a new champion retires the old one atomically, so
        there is never more than one."""
        check_value("model status", status, MODEL_STATUSES)
        with self.engine.begin() as conn:
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
