"""The training loop over gathered rows: shuffled epochs of steps, and the held-out loss.

A :class:`Trainer` lives for one ``fit`` or ``partial_fit``: it trains the rows of the
tables it was given (the model's own, or compact copies of the touched rows) and the
network's dense parameters, on ratings given as row indices (:class:`Ratings`). It does not
know store ids, early stopping or growth: those are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from oleg_recommender_embedding.distributed import exchange_gradients, sum_over_ranks
from oleg_recommender_embedding.nets import Net
from oleg_recommender_embedding.optimizers import RowOptimizer
from oleg_recommender_embedding.settings import EmbeddingSettings

_LOSS_CHUNK = 65536  # ratings evaluated at once by :meth:`Trainer.loss`


@dataclass
class Ratings:
    """Training data as row indices into the trained tables: one int64 index tensor per
    entity, the targets, and each rating's weight in the loss (``None``: all 1)."""

    rows: dict[str, Tensor]
    y: Tensor
    w: Tensor | None = None

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Trainer:
    """Trains ``tables`` (one tensor per entity, in the network's entity order) with a lazy
    row optimiser, and the network's parameters with ``dense_opt``.

    ``gen`` shuffles (the same on every rank), ``noise`` draws dropout masks (per rank);
    with ``world > 1`` each rank takes its share of every global batch and the gradients
    are exchanged (:mod:`~oleg_recommender_embedding.distributed`)."""

    net: Net
    tables: dict[str, Tensor]
    rows_opt: RowOptimizer
    dense_opt: torch.optim.Optimizer
    settings: EmbeddingSettings
    gen: torch.Generator
    noise: torch.Generator
    rank: int = 0
    world: int = 1

    def epoch(self, batch: Ratings, idx: Tensor, batch_size: int | None = None) -> float:
        """One shuffled pass over the ratings ``idx`` in steps of ``batch_size`` (default:
        the settings'); the mean training loss.

        The epoch's row indices and targets are gathered once, in shuffled order, so a step
        only slices them (no per-step gather of the ratings)."""
        order = idx[torch.randperm(len(idx), generator=self.gen)]
        rows = {e: batch.rows[e].index_select(0, order) for e in self.tables}
        y = batch.y.index_select(0, order)
        w = batch.w.index_select(0, order) if batch.w is not None else None
        bs = batch_size or self.settings.batch_size
        total = torch.zeros((), dtype=torch.float64)
        for start in range(0, len(order), bs):
            step = slice(start, start + bs)
            denom = len(y[step])
            if self.world > 1:
                step = slice(start + self.rank, min(start + bs, len(order)), self.world)
            weight = w[step] if w is not None else None
            total += self._step({e: r[step] for e, r in rows.items()}, y[step], denom, bs, weight)
        if self.world > 1:
            sum_over_ranks(total)
        return float(total) / max(1, len(order))

    def _step(
        self, idx: dict[str, Tensor], y: Tensor, denom: int, width: int, weight: Tensor | None
    ) -> Tensor:
        s = self.settings
        rows = {e: self.tables[e].index_select(0, idx[e]) for e in self.tables}
        loss_sum, grads = self.net.train_step(
            rows, y, denom, s.embedding_reg, s.loss, self.noise, weight
        )
        if self.world > 1:
            idx, grads = exchange_gradients(
                idx,
                grads,
                dims={e: int(t.shape[1]) for e, t in self.tables.items()},
                params=list(self.net.parameters()),
                width=max(1, (width + self.world - 1) // self.world),
                world=self.world,
            )
        self.rows_opt.tick()
        for e in self.tables:
            if len(idx[e]):
                self.rows_opt.update(e, idx[e], grads[e])
        self.dense_opt.step()
        self.dense_opt.zero_grad(set_to_none=True)
        return loss_sum.double()

    @torch.no_grad()
    def loss(self, batch: Ratings, idx: Tensor) -> float:
        """The mean loss (as trained: squared error or cross-entropy, weighted as the
        ratings are) on the ratings ``idx``."""
        total = 0.0
        for start in range(0, len(idx), _LOSS_CHUNK):
            chunk = idx[start : start + _LOSS_CHUNK]
            x = self.net.raw(
                *(
                    t.index_select(0, batch.rows[e].index_select(0, chunk))
                    for e, t in self.tables.items()
                )
            )
            y = batch.y.index_select(0, chunk)
            if self.settings.loss == "mse":
                losses = (self.net.link(x) - y).square()
            else:
                losses = nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
            if batch.w is not None:
                losses = losses * batch.w.index_select(0, chunk)
            total += float(losses.sum())  # the same sum as reduction="sum"
        return total / max(1, len(idx))
