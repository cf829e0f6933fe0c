"""Early stopping of pretraining on held-out next posts.

How many passes a data set needs is not known in advance (MovieLens's sequences improved
for 30 passes, the demo's short histories are done in a few), so a fit holds out the last
:data:`HELD_STEPS` steps of up to ``holdout_users`` long histories, trains on the rest,
and after each pretraining pass ranks every held-out post among all the posts the
histories hold (those already in the history left out) by the next-post logit: NDCG, the
sequential benchmark's measure (judged at 50, reported at 10). The best pass's weights are
kept; pretraining stops ``patience`` passes after it. The held-out steps stay in the
histories (serving reads them) and fine-tuning trains on them.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.catalog import Catalog
from oleg_recommender_argus.features import Col
from oleg_recommender_argus.histories import Histories, Window, window_start
from oleg_recommender_argus.net import ArgusNet
from oleg_recommender_argus.training import Pass

HELD_STEPS = 3
"""Steps held out of each chosen history, its newest: with one, the 610 of MovieLens moved
the criterion so much from pass to pass that pretraining stopped at pass 22 of a curve
still rising at 40."""
MIN_STEPS = HELD_STEPS + 4
"""Histories shorter than this keep their steps: those are a large share of what they hold."""
JUDGED_AT = 50
"""The cut-off of the NDCG that picks the pass: at 10, a few hundred held-out steps moved it
by a third from one pass to the next on MovieLens; at 50 it follows the same curve, smoother.
(The held-out log-likelihood peaked at pass 14 while the ranking kept improving to 35: it
also judges how sure the softmax is, and e^tau keeps falling.)"""
REPORTED_AT = 10
CHUNK = 256


def pick_held_out(histories: Histories, most: int, seed: int) -> set[int]:
    """Up to ``most`` subscribers with at least :data:`MIN_STEPS` steps, drawn with ``seed``."""
    long = np.array(
        sorted(u for u, r in histories.rows.items() if len(r) >= MIN_STEPS), dtype=np.int64
    )
    if most <= 0 or len(long) == 0:
        return set()
    rng = np.random.default_rng(seed)
    take = long if len(long) <= most else rng.choice(long, size=most, replace=False)
    return {int(u) for u in take}


def ndcg_of_ranks(ranks: np.ndarray, k: int) -> float:
    """Mean NDCG@k of one relevant post per history at 0-based ``ranks``."""
    gains = np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(gains.mean()) if len(gains) else math.nan


class HeldOutRanking:
    """Ranks each held-out step's post with the network as it is now."""

    def __init__(
        self,
        held: set[int],
        histories: Histories,
        codes: Codes,
        catalog: Catalog,
        max_history: int,
        device: torch.device,
    ) -> None:
        lengths = {u: len(histories.of(u)) for u in sorted(held)}
        self.windows = [  # the window that predicts each held-out step, as it is served
            Window(u, window_start(j, max_history), j + 1)
            for u, n in lengths.items()
            for j in range(n - HELD_STEPS, n)
        ]
        self.histories = histories
        self.codes = codes
        self.catalog = catalog
        self.device = device
        self.targets = np.searchsorted(
            catalog.posts, [int(histories.of(w.user)[w.end - 1, Col.POST]) for w in self.windows]
        )

    def __len__(self) -> int:
        return len(self.windows)

    @torch.no_grad()
    def ranks(self, net: ArgusNet) -> np.ndarray:
        """0-based rank of each held-out post among the catalogue's, by the next-post logit,
        the history's earlier posts left out."""
        items = net.item_vectors(torch.from_numpy(self.catalog.codes).to(self.device))
        out = []
        for lo in range(0, len(self.windows), CHUNK):
            part = self.windows[lo : lo + CHUNK]
            batch, lengths = self.codes.batch(self.histories, part, self.device)
            head_in, _ = net.step_inputs(batch, net.items(batch.items))
            rows = torch.arange(len(part), device=self.device)
            scores = net.user_vectors(head_in[rows, lengths - 1]) @ items.T
            target = torch.from_numpy(self.targets[lo : lo + CHUNK]).to(self.device)
            mine = scores[rows, target]
            self._leave_out_seen(scores, part)
            out.append((scores > mine[:, None]).sum(1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def _leave_out_seen(self, scores: Tensor, part: list[Window]) -> None:
        for i, w in enumerate(part):
            seen = self.histories.of(w.user)[: w.end - 1, Col.POST]
            at = np.searchsorted(self.catalog.posts, seen)
            scores[i, torch.from_numpy(at).to(self.device)] = -math.inf


@dataclass
class EarlyStopping:
    """Called after each pretraining pass (``Trainer.run``'s ``after_epoch``): scores the
    held-out steps, keeps the best weights, says when to stop."""

    net: ArgusNet
    ranking: HeldOutRanking
    patience: int
    best: float = -math.inf
    best_epoch: int = 0
    scores: list[float] = field(default_factory=list)
    """Each pass's NDCG@50 (what picks the pass)."""
    reported: list[float] = field(default_factory=list)
    """Each pass's NDCG@10 (what the benchmarks quote)."""
    _state: dict[str, Tensor] | None = None

    def __call__(self, done: Pass) -> bool:
        ranks = self.ranking.ranks(self.net)
        score = ndcg_of_ranks(ranks, JUDGED_AT)
        self.scores.append(score)
        self.reported.append(ndcg_of_ranks(ranks, REPORTED_AT))
        if score > self.best:
            self.best, self.best_epoch = score, done.epoch
            self._state = copy.deepcopy(self.net.state_dict())
        return done.epoch - self.best_epoch >= self.patience

    def restore(self) -> None:
        """Put the best pass's weights back."""
        if self._state is not None:
            self.net.load_state_dict(self._state)
