"""One recommender's state and how it trains and scores: :class:`Model`.

Imported lazily by :mod:`oleg_recommender_embedding.models` the first time a model is
used, so that listing plugins never imports torch.

Layout. Users, channels and posts (and categories, for embedding-nn on data that has them)
each have an :class:`~oleg.idmap.IdMap` (store id -> row) and a growable
:class:`~oleg_recommender_embedding.tables.Table` of rows; a
:class:`~oleg_recommender_embedding.nets.Net` holds the dense parameters and turns rows into
predictions.

Training. A step gathers the rows a batch touches (``index_select``), the network returns
their gradients, and only those rows are updated by a lazy
:class:`~oleg_recommender_embedding.optimizers.RowOptimizer` whose state (Adam's moments,
Adagrad's sums) covers only the tables being trained and lives only for the duration of a
``fit``/``partial_fit``; the dense parameters (global bias, the network) use the matching
``torch.optim`` optimiser. Dense gradients over a 200,000-row table at every step would
cost 100x more. ``partial_fit`` trains compact copies of the touched rows and writes them
back. With a process group of several ranks, ``fit`` is data-parallel
(:mod:`~oleg_recommender_embedding.distributed`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from oleg.idmap import IdMap
from oleg.types import NO_CATEGORY, Candidates, FloatArray, Interactions
from torch import Tensor

from oleg_recommender_embedding.distributed import rank_and_world
from oleg_recommender_embedding.nets import Net, Pool, make_net
from oleg_recommender_embedding.optimizers import RowOptimizer, dense_optimizer
from oleg_recommender_embedding.settings import EmbeddingSettings
from oleg_recommender_embedding.tables import Table
from oleg_recommender_embedding.threads import (
    PARALLEL_BATCH,
    PARALLEL_SCORE,
    set_threads,
    threads_for,
)
from oleg_recommender_embedding.training import Ratings, Trainer
from oleg_recommender_embedding.training_rows import TrainingRows

STEP_BYTES = 6 << 20
"""Most bytes of table rows a grown step gathers: beyond this a step's rows, gradients and
optimiser state no longer stay in cache, and a bigger batch got slower (embedding-nn with
256-wide categories: 12 s at batch 7,032 against 7 s at 512, and 2-4x slower again on two
threads). Without categories a rating's rows are 203 floats: 7,032 of them fit."""


def full_retrain_steps(
    s: EmbeddingSettings, ratings: int, row_floats: int = 0
) -> tuple[int, float]:
    """(ratings per step, learning rate) of a full retrain on ``ratings`` training ratings.

    The batch grows past ``batch_size`` so that an epoch takes at most
    ``max_steps_per_epoch`` steps (up to ``max_batch_size``): a step's fixed costs are then
    paid a few hundred times an epoch, not thousands, and its matrix products are big
    enough to split between threads. The learning rate follows as
    ``(batch / batch_size) ** lr_batch_power``. With fewer than
    ``batch_size * max_steps_per_epoch`` ratings both stay as set. ``row_floats``: the
    floats of one rating's rows (all tables); the batch grows to at most
    :data:`STEP_BYTES` of them."""
    bs = s.batch_size
    if s.max_steps_per_epoch is not None:
        most = min(s.max_batch_size, STEP_BYTES // max(1, 4 * row_floats))
        bs = max(bs, min(most, -(-ratings // s.max_steps_per_epoch)))
    return bs, s.lr * (bs / s.batch_size) ** s.lr_batch_power


class Model:
    """One recommender's state: id maps, tables, the network, and how to train and score."""

    def __init__(self, kind: str, settings: EmbeddingSettings, seed: int) -> None:
        self.kind = kind
        self.s = settings
        self.seed = seed
        self.categories = False
        self._build(categories=False)
        self.gen = torch.Generator().manual_seed(seed)  # row init and shuffling (same on all ranks)
        self.noise = torch.Generator().manual_seed(seed + 1)  # dropout masks (per rank)
        self.dense_opt: torch.optim.Optimizer | None = None
        self.history: list[dict[str, Any]] = []
        self.partial_history: list[dict[str, Any]] = []
        self.fit_info: dict[str, Any] = {}
        self.version = 0
        self.fitted = False
        self._pool: Pool | None = None
        self._pool_of: Candidates | None = None  # the Candidates object _pool was built from
        self._mean_user: tuple[int, Tensor] | None = None
        self.training_rows = TrainingRows(
            settings, "dot" if kind == "dot" else "embedding-nn", self.gen
        )
        """Loss weights and sampled negatives: what a fit trains on besides the ratings."""
        self.net.reset(0.5, self.gen)

    def _build(self, *, categories: bool) -> None:
        """The network and empty tables. Categories take part only once training data has
        some (a source that knows none would pay for them for nothing)."""
        s = self.s
        self.categories = categories and self.kind != "dot" and getattr(s, "category_dim", 0) > 0
        self.net: Net = make_net(self.kind, s, categories=self.categories)
        self.entities: tuple[str, ...] = self.net.entities
        self.maps = {e: IdMap() for e in self.entities}
        self.tables = {e: Table(self.net.dims[e]) for e in self.entities}

    def _decide_categories(self, data: Interactions, *, full: bool) -> None:
        """Turn categories on (or, at a full retrain, off) to match the data; the network is
        rebuilt only at a full retrain or while nothing has been learned yet."""
        wanted = bool(len(data)) and bool((data.category != NO_CATEGORY).any())
        if wanted == self.categories:
            return
        if full or (wanted and not any(len(m) for m in self.maps.values())):
            self._build(categories=wanted)
            self.net.reset(float(data.value.mean()) if len(data) else 0.5, self.gen)
            self.dense_opt = None

    # -- ids and rows --------------------------------------------------------------------

    def _add(self, entity: str, ids: np.ndarray) -> np.ndarray:
        rows = self.maps[entity].add(ids)
        table = self.tables[entity]
        if len(self.maps[entity]) > table.n:
            self.net.init_rows(
                entity, table.grow(len(self.maps[entity])), self.s.init_std, self.gen
            )
        return rows

    def _data_rows(self, data: Interactions) -> dict[str, np.ndarray]:
        rows = {
            "user": self._add("user", data.user),
            "channel": self._add("channel", data.channel),
            "post": self._add("post", data.post),
        }
        if "category" in self.entities:
            rows["category"] = self._add("category", data.category)
        return rows

    def _rows_of(self, entity: str, rows: np.ndarray) -> Tensor:
        """Rows of the table for row indices, zeros where the index is -1 (unseen)."""
        table = self.tables[entity]
        idx = torch.from_numpy(rows)
        if table.n == 0:
            return torch.zeros(len(rows), table.dim)
        known = idx >= 0
        out = table.view().index_select(0, idx.clamp(min=0))
        if not bool(known.all()):
            out[~known] = 0.0
        return out

    # -- training --------------------------------------------------------------------------

    def fit(self, data: Interactions) -> None:
        s = self.s
        rank, world = rank_and_world()
        self.gen.manual_seed(self.seed)
        self.noise.manual_seed(self.seed + 1 + 7919 * rank)
        self._decide_categories(data, full=True)
        data = self.training_rows.prepare(data, full=True)
        for e in self.entities:
            self.maps[e] = IdMap()
            self.tables[e].reset()
        self.history = []
        self.partial_history = []
        self.fit_info = {"ratings": len(data), "epochs": 0}
        # the held-out slice first: the seed alone decides it
        perm = torch.randperm(len(data), generator=self.gen)
        mean = float(data.value.mean()) if len(data) else 0.5
        self.net.reset(mean, self.gen)
        self.dense_opt = dense_optimizer(
            s.optimizer, list(self.net.parameters()), s.lr, s.weight_decay
        )
        self._changed()
        if len(data) == 0:
            self.fitted = True
            return
        rows = self._data_rows(data)
        batch = Ratings(
            {e: torch.from_numpy(r) for e, r in rows.items()},
            torch.tensor(data.value, dtype=torch.float32),
            _weights(data),
        )
        n_val = int(len(data) * s.validation_share) if len(data) >= 20 else 0
        val_idx, train_idx = perm[:n_val], perm[n_val:]
        bs, lr = full_retrain_steps(s, len(train_idx), sum(t.dim for t in self.tables.values()))
        set_threads(threads_for(s.threads, bs, PARALLEL_BATCH))
        for group in self.dense_opt.param_groups:
            group["lr"] = lr
        tables = {e: self.tables[e].view() for e in self.entities}
        trainer = Trainer(
            self.net,
            tables,
            RowOptimizer(s.optimizer, tables, lr),
            self.dense_opt,
            s,
            self.gen,
            self.noise,
            rank,
            world,
        )
        redraw = self.training_rows.epoch_redraw(
            batch.rows, train_idx, lambda e, ids: torch.from_numpy(self.maps[e].get(ids))
        )
        best, best_epoch, stale = math.inf, 0, 0
        snapshot: dict[str, Any] | None = None
        seconds: list[float] = []
        for epoch in range(1, s.epochs + 1):
            began = time.perf_counter()
            if epoch > 1 and redraw is not None:
                redraw()
            entry = {
                "epoch": epoch,
                "train_loss": trainer.epoch(batch, train_idx, bs),
            }
            if n_val:
                entry["val_loss"] = trainer.loss(batch, val_idx)
                if entry["val_loss"] < best - s.min_delta:
                    best, best_epoch, stale = entry["val_loss"], epoch, 0
                    if s.restore_best:
                        snapshot = self._snapshot(snapshot)
                else:
                    stale += 1
            seconds.append(time.perf_counter() - began)
            self.history.append(entry)
            if n_val and stale >= s.patience:
                break
        restored = snapshot is not None and stale > 0
        if restored:
            self._restore(snapshot)  # type: ignore[arg-type]
        del snapshot
        fold_in = None
        if n_val and s.fold_in_validation:
            fold_in = trainer.epoch(batch, val_idx, bs)
        for group in self.dense_opt.param_groups:
            group["lr"] = s.lr
        self.fit_info = {
            "ratings": len(data),
            "sampled_negatives": self.training_rows.negatives,
            "held_out": n_val,
            "epochs": len(self.history),
            "best_epoch": best_epoch or len(self.history),
            "best_val_loss": best if n_val else None,
            "stopped_early": bool(n_val) and stale >= s.patience,
            "restored_best": restored,
            "fold_in_loss": fold_in,
            "epoch_seconds": seconds,
            "processes": world,
            "batch_size": bs,
            "lr": lr,
            "threads": torch.get_num_threads(),
        }
        self.fitted = True
        self._changed()

    def partial_fit(self, data: Interactions) -> None:
        if len(data) == 0:
            return
        s = self.s
        set_threads(threads_for(s.threads, min(s.batch_size, len(data)), PARALLEL_BATCH))
        self._decide_categories(data, full=False)
        data, passes = self.training_rows.partial_passes(
            self.training_rows.prepare(data, full=False)
        )
        if self.dense_opt is None:
            self.dense_opt = dense_optimizer(
                s.optimizer, list(self.net.parameters()), s.lr, s.weight_decay
            )
        lr = s.partial_lr or s.lr
        for group in self.dense_opt.param_groups:
            group["lr"] = lr
        rows = self._data_rows(data)
        local: dict[str, Tensor] = {}
        touched: dict[str, Tensor] = {}
        for e in self.entities:
            uniq, inverse = torch.unique(torch.from_numpy(rows[e]), return_inverse=True)
            touched[e] = uniq
            local[e] = inverse
        tables = {e: self.tables[e].view().index_select(0, touched[e]) for e in self.entities}
        batch = Ratings(local, torch.tensor(data.value, dtype=torch.float32), _weights(data))
        trainer = Trainer(
            self.net,
            tables,
            RowOptimizer(s.optimizer, tables, lr),
            self.dense_opt,
            s,
            self.gen,
            self.noise,
        )
        self.partial_history = []
        for epoch, rows_of_pass in enumerate(passes, start=1):
            loss = trainer.epoch(batch, rows_of_pass)
            self.partial_history.append({"epoch": epoch, "train_loss": loss})
        for e in self.entities:
            self.tables[e].data.index_copy_(0, touched[e], tables[e])
        for group in self.dense_opt.param_groups:
            group["lr"] = s.lr
        self.fitted = True
        self._changed()

    def _snapshot(self, into: dict[str, Any] | None) -> dict[str, Any]:
        if into is None:
            into = {e: self.tables[e].view().clone() for e in self.entities}
        else:
            for e in self.entities:
                into[e].copy_(self.tables[e].view())
        into["net"] = {k: v.clone() for k, v in self.net.state_dict().items()}
        return into

    def _restore(self, snapshot: dict[str, Any]) -> None:
        for e in self.entities:
            self.tables[e].view().copy_(snapshot[e])
        self.net.load_state_dict(snapshot["net"])

    def _changed(self) -> None:
        self.version += 1
        self._pool, self._pool_of = None, None
        self._mean_user = None

    # -- scoring ---------------------------------------------------------------------------

    def _user_rows(self, users: list[int | None]) -> Tensor:
        ids = np.array([-(2**63) if u is None else u for u in users], dtype=np.int64)
        rows = self.maps["user"].get(ids)
        rows[ids == -(2**63)] = -1
        out = self._rows_of("user", rows)
        unseen = rows < 0
        if unseen.any() and self.s.unseen_user == "mean" and self.tables["user"].n:
            out[torch.from_numpy(unseen)] = self._mean_user_row()
        return out

    def _mean_user_row(self) -> Tensor:
        if self._mean_user is None or self._mean_user[0] != self.version:
            self._mean_user = (self.version, self.tables["user"].view().mean(0))
        return self._mean_user[1]

    def _pool_for(self, candidates: Candidates) -> Pool:
        pool = self._pool
        if pool is not None and pool.version == self.version and candidates is self._pool_of:
            return pool  # the same pool object, as a mailing round passes for every subscriber
        if (
            pool is not None
            and pool.version == self.version
            and np.array_equal(pool.post, candidates.post)
            and np.array_equal(pool.channel, candidates.channel)
            and (pool.category is None or np.array_equal(pool.category, candidates.category))
        ):
            return pool
        channels, inverse = np.unique(candidates.channel, return_inverse=True)
        c = self._rows_of("channel", self.maps["channel"].get(channels))
        p = self._rows_of("post", self.maps["post"].get(candidates.post))
        extra: dict[str, Tensor] = {}
        if "category" in self.entities:
            cats, cat_inverse = np.unique(candidates.category, return_inverse=True)
            extra["categories"] = self._rows_of("category", self.maps["category"].get(cats))
            extra["category_inverse"] = torch.from_numpy(cat_inverse.reshape(-1).astype(np.int64))
        with torch.no_grad():
            parts = self.net.pool(
                c, torch.from_numpy(inverse.reshape(-1).astype(np.int64)), p, **extra
            )
        pool = Pool(
            candidates.post.copy(),
            candidates.channel.copy(),
            self.version,
            category=candidates.category.copy() if extra else None,
            **parts,
        )
        self._pool, self._pool_of = pool, candidates
        return pool

    @torch.no_grad()
    def score_many(self, users: list[int | None], candidates: Candidates) -> FloatArray:
        if len(candidates) == 0 or len(users) == 0:
            return np.zeros((len(users), len(candidates)))
        work = len(users) * len(candidates) * self.tables["user"].dim
        set_threads(threads_for(self.s.threads, work, PARALLEL_SCORE))
        pool = self._pool_for(candidates)
        return self.net.score(self._user_rows(users), pool).double().numpy()

    @torch.no_grad()
    def bias(self, candidates: Candidates) -> FloatArray:
        if len(candidates) == 0:
            return np.zeros(0)
        ids = {"channel": candidates.channel, "post": candidates.post}
        learned = self.net.bias(
            lambda entity: self._rows_of(entity, self.maps[entity].get(ids[entity]))
        )
        if learned is not None:
            return learned.double().numpy()
        return (
            self.score_many([None], candidates)[0]
            if self.s.unseen_user == "mean"
            else self._average_user(candidates)
        )

    def _average_user(self, candidates: Candidates) -> FloatArray:
        pool = self._pool_for(candidates)
        row = (
            self._mean_user_row() if self.tables["user"].n else torch.zeros(self.tables["user"].dim)
        )
        return self.net.score(row[None], pool)[0].double().numpy()

    # -- persistence -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "ids": {e: torch.from_numpy(self.maps[e].ids()) for e in self.entities},
            "tables": {e: self.tables[e].view().clone() for e in self.entities},
            "net": self.net.state_dict(),
            "generators": {"gen": self.gen.get_state(), "noise": self.noise.get_state()},
            "dense_optimizer": self.dense_opt.state_dict() if self.dense_opt is not None else None,
            "history": self.history,
            "partial_history": self.partial_history,
            "fit_info": self.fit_info,
            "fitted": self.fitted,
            "categories": self.categories,
            **self.training_rows.state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self._build(categories=bool(state.get("categories", False)))
        for e in self.entities:
            self.maps[e] = IdMap.from_ids(state["ids"][e].numpy())
            self.tables[e].load(state["tables"][e])
        self.net.load_state_dict(state["net"])
        self.gen.set_state(state["generators"]["gen"])
        self.noise.set_state(state["generators"]["noise"])
        self.history = list(state["history"])
        self.partial_history = list(state["partial_history"])
        self.fit_info = dict(state.get("fit_info") or {})
        self.fitted = bool(state["fitted"])
        self.training_rows.load_state(state)
        self.dense_opt = None
        if state.get("dense_optimizer") is not None:
            self.dense_opt = dense_optimizer(
                self.s.optimizer, list(self.net.parameters()), self.s.lr, self.s.weight_decay
            )
            self.dense_opt.load_state_dict(state["dense_optimizer"])
        self._changed()

    def memory(self) -> dict[str, int]:
        """Bytes held: table rows in use, table capacity, id maps, dense parameters."""
        return {
            "rows": sum(t.n * t.dim * 4 for t in self.tables.values()),
            "capacity": sum(t.capacity * t.dim * 4 for t in self.tables.values()),
            "maps": sum(m.nbytes for m in self.maps.values()),
            "dense": sum(p.numel() * 4 for p in self.net.parameters()),
        }


def _weights(data: Interactions) -> Tensor | None:
    return None if data.weight is None else torch.tensor(data.weight, dtype=torch.float32)
