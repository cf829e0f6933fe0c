"""``als``: implicit's AlternatingLeastSquares behind oleg's Recommender interface.

- ``fit`` builds the confidence matrix (:func:`oleg_recommender_als.als_matrix`) and
  factorizes it from scratch with ``random_state=seed``, on the GPU when implicit finds CUDA
  (or as ``use_gpu`` says), with BLAS limited to one thread as implicit advises.
- ``partial_fit`` merges the new ratings into the kept matrix, then re-solves the vectors of
  the subscribers who rated (on their full history, with implicit's ``partial_fit_users``)
  and of the posts they rated (``partial_fit_items``); every other vector stays as it was.
- ``score`` is ``user_vector · post_vector``; a subscriber never seen gets the mean user
  vector, a post never seen the mean vector of its channel's posts (or of all posts).

implicit, scipy and threadpoolctl are imported inside the methods that need them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from oleg import Candidates, Interactions, Recommender
from oleg.idmap import IdMap, first_positions
from oleg.types import FloatArray

from oleg_recommender_als.matrix import (
    build_csr,
    confidences,
    merge_csr,
    numbered_matrix,
    usable,
)
from oleg_recommender_als.settings import AlsSettings

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

FORMAT = "oleg-recommender-als/1"
DTYPE = np.float32  # implicit's factor dtype


class _Scoring:
    """Float64 copies of the factors and the fallbacks for unseen users and posts."""

    def __init__(self, model: AlsRecommender) -> None:
        f = model.settings.factors
        self.users = model.user_factors.astype(np.float64)
        self.items = model.item_factors.astype(np.float64)
        self.mean_user = self.users.mean(axis=0) if len(self.users) else np.zeros(f)
        mean_item = self.items.mean(axis=0) if len(self.items) else np.zeros(f)
        self.channels = IdMap()
        channel_of_item = self.channels.add(model.post_channel)
        sums = np.zeros((len(self.channels), f))
        np.add.at(sums, channel_of_item, self.items)
        counts = np.bincount(channel_of_item, minlength=len(self.channels)).astype(np.float64)
        # the last row is the global fallback, for posts of channels never seen
        self.fallback = np.vstack([sums / np.maximum(counts, 1.0)[:, None], mean_item[None, :]])


class AlsRecommender(Recommender):
    """Implicit-feedback matrix factorization: 👍 and 👎 are confidences, not targets.

    Scores are predicted preferences (roughly 0..1, not probabilities). Public state after a
    fit: ``users``/``posts`` (:class:`oleg.idmap.IdMap`: store id -> row/column), ``post_channel``,
    ``user_factors``/``item_factors`` (float32, rows in index order), ``matrix`` (the
    accumulated user×post confidences) and ``loss_history`` (training loss per iteration of
    the last full fit, when ``calculate_training_loss``).
    """

    name: ClassVar[str] = "als"
    Settings = AlsSettings
    settings: AlsSettings

    def __init__(self, settings: AlsSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._reset()

    # -- state ------------------------------------------------------------------------

    def _reset(self) -> None:
        f = self.settings.factors
        self.users = IdMap()
        self.posts = IdMap()
        self.post_channel = np.zeros(0, dtype=np.int64)
        self.user_factors = np.zeros((0, f), dtype=DTYPE)
        self.item_factors = np.zeros((0, f), dtype=DTYPE)
        self._matrix: csr_matrix | None = None
        self.factorized = False
        """Whether a factorization ran (a fit on no ratings leaves nothing to factorize)."""
        self.loss_history: list[float | None] = []
        self._scoring: _Scoring | None = None

    @property
    def matrix(self) -> csr_matrix:
        """The accumulated user×post confidence matrix (rows: ``users``, columns: ``posts``)."""
        if self._matrix is None:
            self._matrix = build_csr([], [], [], (len(self.users), len(self.posts)))
        return self._matrix

    def use_gpu(self) -> bool:
        """Whether full fits run on the GPU: ``use_gpu``, or implicit's CUDA check when unset."""
        import implicit.gpu

        if self.settings.use_gpu is None:
            return bool(implicit.gpu.HAS_CUDA)
        if self.settings.use_gpu and not implicit.gpu.HAS_CUDA:
            raise RuntimeError(
                "als: use_gpu = true, but implicit found no CUDA (implicit.gpu.HAS_CUDA is False). "
                "Install a CUDA build of implicit, or set use_gpu = false (or leave it unset)."
            )
        return self.settings.use_gpu

    # -- training ---------------------------------------------------------------------

    def fit(self, feedback: Interactions) -> None:
        self._reset()
        numbered = numbered_matrix(feedback, self.settings)  # built once, maps included
        m = numbered.matrix
        self.users, self.posts = numbered.users, numbered.posts
        self.post_channel = m.post_channel
        self._matrix = m.matrix
        self._factorize()

    def _factorize(self) -> None:
        """Full fit of the current matrix from a fresh random start (``random_state=seed``)."""
        from threadpoolctl import threadpool_limits

        matrix = self.matrix
        f = self.settings.factors
        self._scoring = None
        self.loss_history = []
        if matrix.nnz == 0:
            self.user_factors = np.zeros((matrix.shape[0], f), dtype=DTYPE)
            self.item_factors = np.zeros((matrix.shape[1], f), dtype=DTYPE)
            self.factorized = False
            return

        def record(iteration: int, seconds: float, loss: float | None) -> None:
            self.loss_history.append(None if loss is None else float(loss))

        gpu = self.use_gpu()
        # implicit's advice: BLAS's own thread pool fights its solver's threads.
        with threadpool_limits(1, "blas"):
            model = self._implicit(gpu=gpu)
            model.fit(matrix, show_progress=False, callback=record)
            if gpu:
                model = model.to_cpu()
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=DTYPE)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=DTYPE)
        self.factorized = True

    def _implicit(self, *, gpu: bool) -> Any:
        """A fresh implicit model with these settings; alpha is already in the matrix."""
        s = self.settings
        shared = {
            "factors": s.factors,
            "regularization": s.regularization,
            "alpha": 1.0,
            "dtype": DTYPE,
            "iterations": s.iterations,
            "calculate_training_loss": s.calculate_training_loss,
            "random_state": self.seed,
        }
        if gpu:
            from implicit.gpu.als import AlternatingLeastSquares as GpuAls

            return GpuAls(**shared)
        from implicit.cpu.als import AlternatingLeastSquares as CpuAls

        return CpuAls(num_threads=s.num_threads, **shared)

    def partial_fit(self, feedback: Interactions) -> None:
        """Merge ``feedback`` into the matrix and re-solve only the vectors it touches.

        Each subscriber in ``feedback`` gets the exact least-squares solution for their whole
        row (all their ratings so far) given the current post vectors; then, with
        ``update_items``, each rated post the same for its whole column given the user
        vectors. New posts start from their channel's mean vector. Before any factorization
        this is a full fit of everything accumulated.
        """
        from threadpoolctl import threadpool_limits

        feedback = usable(feedback, self.settings)
        if len(feedback) == 0:
            return
        old_users, old_posts = len(self.users), len(self.posts)
        rows = self.users.add(feedback.user)
        cols = self.posts.add(feedback.post)
        first = first_positions(cols, old_posts)
        self._matrix = merge_csr(
            self.matrix,
            rows,
            cols,
            confidences(feedback.value, self.settings),
            (len(self.users), len(self.posts)),
        )
        new_channels = feedback.channel[first]
        if not self.factorized:
            self.post_channel = np.concatenate([self.post_channel, new_channels])
            self._factorize()
            return

        # Grow the factors: new subscribers are solved below, new posts start from their
        # channel's mean vector (the vector a post never seen is scored with).
        if len(first):
            fallback = self._scores()  # still the state before this batch
            channel = fallback.channels.get(new_channels)
            start = fallback.fallback[np.where(channel >= 0, channel, len(fallback.fallback) - 1)]
            self.item_factors = np.vstack([self.item_factors, start.astype(DTYPE)])
        self.post_channel = np.concatenate([self.post_channel, new_channels])
        if len(self.users) > old_users:
            grow = np.zeros((len(self.users) - old_users, self.settings.factors), dtype=DTYPE)
            self.user_factors = np.vstack([self.user_factors, grow])
        assert len(self.item_factors) == len(self.posts) > 0 and old_posts <= len(self.posts)
        self._scoring = None

        matrix = self.matrix
        with threadpool_limits(1, "blas"):
            model = self._implicit(gpu=False)  # a few rows: the CPU's exact solve is enough
            model.user_factors = self.user_factors
            model.item_factors = self.item_factors
            touched_users = np.unique(rows)
            model.partial_fit_users(touched_users, matrix[touched_users])
            if self.settings.update_items:
                touched_posts = np.unique(cols)
                model.partial_fit_items(touched_posts, matrix[:, touched_posts].T.tocsr())
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=DTYPE)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=DTYPE)

    # -- scoring ----------------------------------------------------------------------

    def _scores(self) -> _Scoring:
        if self._scoring is None:
            self._scoring = _Scoring(self)
        return self._scoring

    def _item_vectors(self, candidates: Candidates) -> FloatArray:
        s = self._scores()
        index = self.posts.get(candidates.post)
        known = index >= 0
        out = np.empty((len(candidates), self.settings.factors))
        out[known] = s.items[index[known]]
        if not known.all():
            channel = s.channels.get(candidates.channel[~known])
            out[~known] = s.fallback[np.where(channel >= 0, channel, len(s.fallback) - 1)]
        return out

    def _user_vectors(self, users: Sequence[int | None]) -> FloatArray:
        s = self._scores()
        ids = np.array([-1 if u is None else u for u in users], dtype=np.int64)
        index = self.users.get(ids)
        index[np.array([u is None for u in users], dtype=bool)] = -1
        out = np.broadcast_to(s.mean_user, (len(users), self.settings.factors)).copy()
        known = index >= 0
        out[known] = s.users[index[known]]
        return out

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        if len(candidates) == 0:
            return np.zeros(0)
        return self._item_vectors(candidates) @ self._user_vectors([user])[0]

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        if len(users) == 0 or len(candidates) == 0:
            return np.zeros((len(users), len(candidates)))
        return self._user_vectors(list(users)) @ self._item_vectors(candidates).T

    def bias(self, candidates: Candidates) -> FloatArray:
        """Each post's score for the mean subscriber: what cold start ranks by."""
        if len(candidates) == 0:
            return np.zeros(0)
        return self._item_vectors(candidates) @ self._scores().mean_user

    # -- persistence ------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_scoring"] = None
        return state

    def save(self, path: Path) -> None:
        """An ``.npz`` archive of plain arrays (factors, id maps, the matrix) and the
        settings as JSON: no pickle, loadable without implicit's GPU support."""
        m = self.matrix
        arrays = {
            "format": np.array(FORMAT),
            "settings": np.array(self.settings.model_dump_json()),
            "seed": np.array(self.seed, dtype=np.int64),
            "factorized": np.array(self.factorized),
            "user_ids": self.users.ids(),
            "post_ids": self.posts.ids(),
            "post_channel": self.post_channel,
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "matrix_indptr": m.indptr,
            "matrix_indices": m.indices,
            "matrix_data": m.data,
            "matrix_shape": np.array(m.shape, dtype=np.int64),
            "loss_history": np.array(
                [np.nan if x is None else x for x in self.loss_history], dtype=np.float64
            ),
        }
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # a file object: np.savez would append .npz to a path
        Path(path).write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> AlsRecommender:
        from scipy.sparse import csr_matrix

        with np.load(io.BytesIO(Path(path).read_bytes()), allow_pickle=False) as z:
            if "format" not in z or str(z["format"]) != FORMAT:
                raise ValueError(f"{path} is not a model written by {cls.__name__}.save")
            settings = cls.Settings.model_validate(json.loads(str(z["settings"])))
            model = cls(settings, seed=int(z["seed"]))  # type: ignore[arg-type]
            model.users = IdMap.from_ids(z["user_ids"])
            model.posts = IdMap.from_ids(z["post_ids"])
            model.post_channel = z["post_channel"].copy()
            model.user_factors = z["user_factors"].astype(DTYPE)
            model.item_factors = z["item_factors"].astype(DTYPE)
            shape = tuple(int(x) for x in z["matrix_shape"])
            model._matrix = csr_matrix(
                (z["matrix_data"].copy(), z["matrix_indices"].copy(), z["matrix_indptr"].copy()),
                shape=shape,
            )
            model.factorized = bool(z["factorized"])
            model.loss_history = [
                None if np.isnan(x) else float(x) for x in z["loss_history"].tolist()
            ]
        return model
