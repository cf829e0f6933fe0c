"""``argus``: oleg's side of the model (torch is imported on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oleg import Candidates, Interactions, Recommender
from oleg.types import FloatArray

from oleg_recommender_argus.settings import ArgusSettings

if TYPE_CHECKING:
    from oleg.runtime import Runtime

    from oleg_recommender_argus.model import ArgusModel

FORMAT = "oleg-recommender-argus/1"


class ArgusRecommender(Recommender):
    """A causal transformer over (context, post, feedback) steps: next post and feedback
    prediction, pairwise fine-tuning, two-tower serving (see docs/configuration.md)."""

    name = "argus"
    Settings = ArgusSettings
    settings: ArgusSettings

    def __init__(self, settings: ArgusSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._model: ArgusModel | None = None

    @property
    def model(self) -> ArgusModel:
        if self._model is None:
            from oleg_recommender_argus.model import ArgusModel

            self._model = ArgusModel(self.settings, self.seed)
        return self._model

    def start(self, runtime: Runtime) -> None:
        """In a deployment the histories are the store's deliveries, rated or not."""
        self.model.attach(runtime.store, runtime.clock)

    @property
    def history(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self._model.history if self._model is not None else []

    @property
    def fit_info(self) -> dict[str, Any]:  # type: ignore[override]
        return self._model.fit_info if self._model is not None else {}

    def fit(self, feedback: Interactions) -> None:
        self.model.fit(feedback)

    def partial_fit(self, feedback: Interactions) -> None:
        self.model.partial_fit(feedback)

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return self.model.score_many([user], candidates)[0]

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        return self.model.score_many(list(users), candidates)

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.model.net.parameters())

    def save(self, path: Path) -> None:
        """torch.save of the state dict, the histories and the settings (no pickled code)."""
        import torch

        torch.save(
            {
                "format": FORMAT,
                "settings": self.settings.model_dump(mode="json"),
                "seed": self.seed,
                "state": self.model.state(),
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> ArgusRecommender:
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise TypeError(f"{path} is not a model saved by oleg-recommender-argus")
        model = cls(ArgusSettings.model_validate(blob["settings"]), seed=int(blob["seed"]))
        model.model.load_state(blob["state"])
        return model

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = self._model.state() if self._model is not None else None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_model")
        self.__dict__.update(state)
        self._model = None
        if saved is not None:
            self.model.load_state(saved)
