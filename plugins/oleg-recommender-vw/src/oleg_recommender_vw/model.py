"""``vw-logistic``: Vowpal Wabbit's logistic regression behind oleg's Recommender interface.

- ``fit`` writes every rating as a VW text example (:mod:`oleg_recommender_vw.examples`)
  and lets VW's own driver learn them (``passes`` passes over VW's cache): from a file in
  this process for a small fit, streamed into VW's command line in a child process while
  the lines are built for a large one (:mod:`oleg_recommender_vw.training`).
- ``partial_fit`` learns the new ratings online, one ``learn`` each (VW's own mode).
- ``score`` is P(👍), computed over the whole pool in numpy from VW's weights
  (:mod:`oleg_recommender_vw.scoring`); :meth:`vw_predict` asks VW example by example, the
  reference the tests hold the fast path to.
- ``save`` keeps VW's model file (``-f``) with the settings and the subscribers' past.

vowpalwabbit is imported when a model is built, never when the plugin is listed.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from oleg import Candidates, Interactions, Recommender
from oleg.types import FloatArray, Post, to_epoch

from oleg_recommender_vw import training
from oleg_recommender_vw.content import ContentCache
from oleg_recommender_vw.examples import ExampleWriter
from oleg_recommender_vw.hashing import Hasher, UIntArray, WeightTable
from oleg_recommender_vw.portrait import Counts, Portrait
from oleg_recommender_vw.scoring import PoolScorer, probabilities
from oleg_recommender_vw.settings import VwSettings

if TYPE_CHECKING:
    from oleg.runtime import Runtime

FORMAT = "oleg-recommender-vw/1"


def workspace(flags: list[str]) -> Any:
    from vowpalwabbit import Workspace

    return Workspace(arg_list=[*flags, "--quiet"])


class VwLogisticRecommender(Recommender):
    """A hashed logistic regression over namespaces (see :class:`~.settings.Namespace`).

    Public state: ``portrait`` (the subscribers' past), ``content`` (posts' media and words
    from the store), ``examples_learned`` (ratings learned since the last full fit).
    """

    name: ClassVar[str] = "vw-logistic"
    Settings = VwSettings
    settings: VwSettings

    def __init__(self, settings: VwSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self.content = ContentCache(self.settings.max_words)
        self._clock: Callable[[], datetime] | None = None
        self._reset(workspace(self.flags()))

    def flags(self, *, passes: int | None = 1) -> list[str]:
        """VW's command line for this model (``passes`` of a full fit when ``None``)."""
        return [*self.settings.vw_flags(passes=passes), "--random_seed", str(self.seed)]

    def _reset(self, vw: Any) -> None:
        self._vw = vw
        self.portrait = Portrait(self.settings.prior_weight)
        self.writer = ExampleWriter(self.settings, self.content)
        self.hasher = Hasher(vw, self.settings.bits)
        self.scorer = PoolScorer(self.settings, self.hasher, self.content)
        self._generation = 0
        self._weights: WeightTable | None = None
        self._touched: list[UIntArray] = []
        """Weight indices updates touched since the table was last read."""
        self.examples_learned = 0

    def start(self, runtime: Runtime) -> None:
        """Media kinds and texts come from the store from now on; the context is the clock's."""
        self.content.attach(runtime.store.posts_by_id)
        self._clock = runtime.clock

    def add_posts(self, posts: Sequence[Post]) -> None:
        """Tell the model stored posts' media and text directly (tests, a store export)."""
        self.content.add_posts(posts)

    # -- training ---------------------------------------------------------------------

    def fit(self, feedback: Interactions) -> None:
        """From scratch: VW's driver over all ratings as text, ``passes`` times; a large
        fit streams into VW's command line while its lines are built (:mod:`.training`)."""
        if len(feedback) == 0:
            self._reset(workspace(self.flags()))
            self.fit_info = {"examples": 0}
            return
        portrait = Portrait(self.settings.prior_weight)
        chunks = self.writer.chunks(feedback, portrait)
        stream = len(feedback) >= training.STREAM_FROM and training.can_stream()
        with tempfile.TemporaryDirectory(prefix="oleg-vw-") as name:
            folder = Path(name)
            if stream:
                vw = training.learn_in_child(
                    workspace, self.flags(passes=None), self.flags(), chunks, folder
                )
            else:
                vw = training.learn_in_process(workspace, self.flags(passes=None), chunks, folder)
        self._reset(vw)
        self.portrait = portrait
        self._generation = 1
        self.fit_info = {
            "examples": len(feedback),
            "passes": self.settings.passes,
            "streamed": stream,
        }

    def partial_fit(self, feedback: Interactions) -> None:
        lines = self.writer.lines(feedback, self.portrait)
        learn = self._vw.learn
        for line in lines:
            learn(line)
        if lines:
            self.examples_learned += len(lines)
            self._generation += 1
            if self._weights is not None:  # read again only what these examples can change
                self._touched.append(self.scorer.touched(feedback))

    # -- scoring ----------------------------------------------------------------------

    def _now(self, candidates: Candidates) -> int:
        if self._clock is not None:
            return to_epoch(self._clock())
        return int(candidates.time.max()) if len(candidates) else 0

    def weights(self) -> WeightTable:
        """VW's weights as they are now: read whole once, then where updates touched them."""
        if self._weights is None:
            self._weights = WeightTable(
                self._vw, self.hasher, regularized=bool(self.settings.l1 or self.settings.l2)
            )
        elif self._touched:
            self._weights.update(np.concatenate(self._touched))
        self._touched = []
        return self._weights

    def margins(
        self, user: int | None, candidates: Candidates, *, now: int | None = None
    ) -> FloatArray:
        return self.scorer.margins(
            user,
            candidates,
            now=self._now(candidates) if now is None else now,
            portrait=self.portrait,
            weights=self.weights(),
            generation=self._generation,
        )

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return probabilities(self.margins(user, candidates))

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        if len(users) == 0 or len(candidates) == 0:
            return np.zeros((len(users), len(candidates)))
        now = self._now(candidates)
        return np.vstack([probabilities(self.margins(u, candidates, now=now)) for u in users])

    def vw_predict(
        self, user: int | None, candidates: Candidates, *, now: int | None = None
    ) -> FloatArray:
        """VW's own ``predict`` on each candidate's example: slow, the reference."""
        moment = self._now(candidates) if now is None else now
        lines = self.writer.scoring_lines(user, candidates, moment, self.portrait)
        predict = self._vw.predict
        return np.fromiter((predict(line) for line in lines), dtype=np.float64, count=len(lines))

    # -- persistence ------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        return {**self.settings.model_dump(mode="json"), "vw_flags": " ".join(self.flags())}

    def save(self, path: Path) -> None:
        """An ``.npz`` of VW's own model file (``-f``), the settings and the subscribers'
        past; no pickle."""
        vw_bytes = self.vw_model_bytes()
        arrays: dict[str, Any] = {
            "format": np.array(FORMAT),
            "settings": np.array(self.settings.model_dump_json()),
            "seed": np.array(self.seed, dtype=np.int64),
            "vw_model": np.frombuffer(vw_bytes, dtype=np.uint8),
            "examples_learned": np.array(self.examples_learned, dtype=np.int64),
            "fit_info": np.array(json.dumps(self.fit_info)),
        }
        for kind, counts in (
            ("channel", self.portrait.channel),
            ("category", self.portrait.category),
        ):
            arrays.update({f"{kind}_{k}": v for k, v in counts.arrays().items()})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        Path(path).write_bytes(buffer.getvalue())

    def vw_model_bytes(self) -> bytes:
        """VW's model file as ``vw -f`` writes it (readable by ``vw -i``)."""
        with tempfile.TemporaryDirectory(prefix="oleg-vw-") as folder:
            model_file = Path(folder) / "model.vw"
            self._vw.save(str(model_file))
            return model_file.read_bytes()

    @classmethod
    def load(cls, path: Path) -> VwLogisticRecommender:
        with np.load(io.BytesIO(Path(path).read_bytes()), allow_pickle=False) as z:
            if "format" not in z or str(z["format"]) != FORMAT:
                raise ValueError(f"{path} is not a model written by {cls.__name__}.save")
            settings = VwSettings.model_validate(json.loads(str(z["settings"])))
            model = cls(settings, seed=int(z["seed"]))
            with tempfile.TemporaryDirectory(prefix="oleg-vw-") as folder:
                model_file = Path(folder) / "model.vw"
                model_file.write_bytes(z["vw_model"].tobytes())
                vw = workspace([*model.flags(), "-i", str(model_file)])
            model._reset(vw)
            for kind in ("channel", "category"):
                counts = Counts.from_arrays(z[f"{kind}_keys"], z[f"{kind}_likes"], z[f"{kind}_n"])
                setattr(model.portrait, kind, counts)
            model.examples_learned = int(z["examples_learned"])
            model.fit_info = json.loads(str(z["fit_info"]))
            model._generation = 1
        return model
