"""The two recommenders, ``dot`` and ``embedding-nn``: oleg's side of the models.

torch is imported only when a model is first used (``oleg plugins`` imports this module):
the state lives in a :class:`oleg_recommender_embedding.model.Model`, built on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from oleg import Candidates, Interactions, Recommender
from oleg.types import FloatArray

from oleg_recommender_embedding.settings import DotSettings, EmbeddingNNSettings, EmbeddingSettings

if TYPE_CHECKING:
    from oleg_recommender_embedding.model import Model

FORMAT = "oleg-recommender-embedding/1"


class EmbeddingRecommender(Recommender):
    """What ``dot`` and ``embedding-nn`` share: training, growth, scoring, save/load."""

    kind: ClassVar[str] = ""
    Settings = EmbeddingSettings
    settings: EmbeddingSettings

    def __init__(self, settings: EmbeddingSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._model: Model | None = None
        self.history: list[dict[str, Any]] = []
        """Per-epoch record of the last full retrain: ``epoch``, ``train_loss``, ``val_loss``
        (mean squared error, or cross-entropy with ``loss = "bce"``, on 0..1)."""
        self.fit_info: dict[str, Any] = {}
        """The last full retrain in brief: epochs, best epoch and loss, whether it stopped
        early and restored the best weights, the fold-in pass's loss, seconds per epoch."""

    @property
    def model(self) -> Model:
        """The torch state, created (and torch imported) on first use."""
        if self._model is None:
            from oleg_recommender_embedding.model import Model

            self._model = Model(self.kind, self.settings, self.seed)
        return self._model

    def _report_fit(self) -> None:
        """Expose the model's record of its last retrain as the attributes the core reads."""
        self.history = self.model.history
        self.fit_info = self.model.fit_info

    @property
    def partial_history(self) -> list[dict[str, Any]]:
        """Per-pass record of the last incremental round: epoch, train_loss."""
        return self._model.partial_history if self._model is not None else []

    # -- the Recommender interface ---------------------------------------------------------

    def fit(self, feedback: Interactions) -> None:
        self.model.fit(feedback)
        self._report_fit()

    def partial_fit(self, feedback: Interactions) -> None:
        self.model.partial_fit(feedback)

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return self.model.score_many([user], candidates)[0]

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        return self.model.score_many(list(users), candidates)

    def bias(self, candidates: Candidates) -> FloatArray:
        return self.model.bias(candidates)

    def save(self, path: Path) -> None:
        """torch.save of the state dicts, the id maps and the settings (no pickled code)."""
        import torch

        torch.save(
            {
                "format": FORMAT,
                "name": self.name,
                "settings": self.settings.model_dump(mode="json"),
                "seed": self.seed,
                "state": self.model.state(),
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> EmbeddingRecommender:
        """Read a model written by :meth:`save`, on the CPU."""
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise TypeError(f"{path} is not a model saved by oleg-recommender-embedding")
        target: type[EmbeddingRecommender] = cls
        if cls.kind != _BY_NAME[blob["name"]].kind:
            if cls is not EmbeddingRecommender:
                raise TypeError(f"{path} holds a {blob['name']!r} model, not a {cls.name!r} one")
            target = _BY_NAME[blob["name"]]
        model = target(target.Settings.model_validate(blob["settings"]), seed=int(blob["seed"]))
        model.model.load_state(blob["state"])
        model._report_fit()
        return model

    def __getstate__(self) -> dict[str, Any]:  # plain pickling goes through torch's state dicts
        state = dict(self.__dict__)
        state["_model"] = self._model.state() if self._model is not None else None
        state["history"], state["fit_info"] = [], {}  # inside the model's state already
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_model")
        self.__dict__.update(state)
        self._model = None
        if saved is not None:
            self.model.load_state(saved)
            self._report_fit()

    # -- introspection -----------------------------------------------------------------

    def memory(self) -> dict[str, int]:
        """Bytes held by the model: rows in use, allocated capacity, id maps, dense part."""
        return self.model.memory()

    def n_known(self) -> dict[str, int]:
        """How many users, channels and posts the model has rows for."""
        m = self.model
        return {e: len(m.maps[e]) for e in m.maps}


class DotRecommender(EmbeddingRecommender):
    """``dot``: OLEG's first model, user · (channel + post) plus biases, K=13."""

    name = "dot"
    kind = "dot"
    Settings = DotSettings
    settings: DotSettings


class EmbeddingNNRecommender(EmbeddingRecommender):
    """``embedding-nn``: OLEG's second model, user/channel/post embeddings into one hidden layer."""

    name = "embedding-nn"
    kind = "nn"
    Settings = EmbeddingNNSettings
    settings: EmbeddingNNSettings


_BY_NAME: dict[str, type[EmbeddingRecommender]] = {
    "dot": DotRecommender,
    "embedding-nn": EmbeddingNNRecommender,
}
