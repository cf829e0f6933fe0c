"""Where the registry keeps each version's model: ``<data_dir>/models/<id>-<line>.model``,
written by the recommender's own :meth:`~oleg.components.Recommender.save` and read back
by its class's ``load``, so a restart serves the recorded champion without refitting.

Paths are recorded relative to the data folder: a deployment folder can be moved."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from oleg.components import Recommender
from oleg.errors import OlegError, PluginError

log = logging.getLogger(__name__)

FOLDER = "models"


class ModelFileError(OlegError):
    """A version's model file is missing or cannot be read by its plugin."""


class ModelFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def path(self, relative: str) -> Path:
        return self.data_dir / relative

    def save(self, model: Recommender, version_id: int, lineage: str) -> str:
        """Write ``model`` as version ``version_id``; returns the path to record."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", lineage) or "model"
        relative = f"{FOLDER}/{version_id:06d}-{safe}.model"
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            model.save(partial)
        except Exception as exc:  # a plugin's bug, told as such rather than as a traceback
            partial.unlink(missing_ok=True)
            raise PluginError(
                f"recommender {lineage!r} ({type(model).__name__}) could not save its model: "
                f"{type(exc).__name__}: {exc}",
                hint="Recommender.save must write the model to the path it is given "
                "(the default pickles the instance: its class must be importable).",
            ) from exc
        partial.replace(target)  # a crash mid-write leaves no half file under the final name
        return relative

    def load(self, cls: type[Recommender], relative: str | None, *, what: str) -> Recommender:
        """Read a model written by :meth:`save` with its plugin's class."""
        if relative is None:
            raise ModelFileError(
                f"{what} has no model file (it was pruned, or saved before the registry)"
            )
        path = self.path(relative)
        if not path.exists():
            raise ModelFileError(f"{what}: its model file {path} is missing")
        try:
            model = cls.load(path)
        except Exception as exc:  # whatever the plugin's reader raises on a bad file
            raise ModelFileError(
                f"{what}: {path} cannot be read: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(model, cls):
            raise ModelFileError(
                f"{what}: {path} holds a {type(model).__name__}, not a {cls.__name__}"
            )
        return model

    def delete(self, relative: str) -> None:
        try:
            self.path(relative).unlink(missing_ok=True)
        except OSError as exc:  # a file we cannot delete costs disk, not correctness
            log.warning("could not delete the model file %s: %s", relative, exc)
