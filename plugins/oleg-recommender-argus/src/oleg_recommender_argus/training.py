"""Training passes: pretraining (next post + feedback), pairwise fine-tuning, and the few
steps of an incremental round; data-parallel when a process group is up.

Every rank shuffles the same windows the same way (same seed) and takes its share of each
batch; the gradients are averaged with one ``all_reduce`` per step, so the replicas apply
the same update and stay equal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

import numpy as np
import torch
from torch import Tensor

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.catalog import Catalog
from oleg_recommender_argus.features import Col
from oleg_recommender_argus.histories import Histories, Window
from oleg_recommender_argus.losses import (
    Negatives,
    answered_bce,
    feedback_loss,
    full_softmax_loss,
    log_expected_count,
    next_item_loss,
    pair_loss,
)
from oleg_recommender_argus.net import ArgusNet, Batch
from oleg_recommender_argus.personal import N_PERSONAL, earlier_balances
from oleg_recommender_argus.post_stats import N_QUALITY
from oleg_recommender_argus.settings import ArgusSettings, recent_steps
from oleg_recommender_argus.taste import TasteInputs, recent_before, taste_before
from oleg_recommender_argus.taste_cache import sums_before


class Phase(StrEnum):
    PRETRAIN = "pretrain"
    FINETUNE = "finetune"
    PARTIAL = "partial"


@dataclass
class Pass:
    """What one pass reports."""

    phase: Phase
    epoch: int
    loss: float
    seconds: float
    events: int


def rank_and_world() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _densify(params: list[torch.nn.Parameter]) -> None:
    """The optimiser (fused AdamW) and the all-reduce take dense gradients; a sparse one
    (the post table's) is made dense once a step rather than once per lookup."""
    for p in params:
        if p.grad is not None and p.grad.is_sparse:
            p.grad = p.grad.to_dense()


def _average_gradients(params: list[torch.nn.Parameter], world: int) -> None:
    import torch.distributed as dist

    flat = torch.cat(
        [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params]
    )
    dist.all_reduce(flat)
    flat /= world
    at = 0
    for p in params:
        n = p.numel()
        p.grad = flat[at : at + n].view_as(p).clone()
        at += n


class Trainer:
    def __init__(
        self,
        net: ArgusNet,
        codes: Codes,
        settings: ArgusSettings,
        device: torch.device,
        generator: torch.Generator,
    ) -> None:
        self.net = net
        self.codes = codes
        self.s = settings
        self.device = device
        self.gen = generator
        self.recent_steps = recent_steps(settings)
        self._personal: dict[int, np.ndarray] = {}
        self.mixed_feedback = True
        """Whether the histories hold more than one kind of feedback: without, the served
        score's losses are left out of every phase (its BCE would only learn that all were
        liked, and there are no pairs; the served score is then the next-post logit)."""

    # -- losses of one batch -----------------------------------------------------------

    def _share(self, catalog: Catalog, posts: np.ndarray) -> Tensor:
        return torch.from_numpy(catalog.share(posts)).float().to(self.device)

    def _next_post_loss(
        self, users: Tensor, positives: Tensor, posts: np.ndarray, catalog: Catalog, t: Tensor
    ) -> Tensor:
        """The next-post softmax of the target steps (``users``, ``positives``: their unit
        vectors; ``posts``: their ids) over sampled negatives, or over every known post."""
        s, net = self.s, self.net
        if s.full_softmax and len(catalog):
            at = torch.from_numpy(np.searchsorted(catalog.posts, posts)).to(self.device)
            codes = torch.from_numpy(catalog.codes).to(self.device)
            return full_softmax_loss(users, net.item_vectors(codes), at, t)
        n_batch = len(posts) if s.in_batch_negatives else 0
        n_uniform = s.uniform_negatives if len(catalog) else 0
        mixed = s.negative_correction == "mixture"
        log_q = partial(log_expected_count, catalog=len(catalog))
        negatives = []
        if n_batch:
            p_log_q = log_q(
                self._share(catalog, posts), batch_steps=n_batch, uniform_draws=n_uniform * mixed
            )
            negatives.append(Negatives(positives, p_log_q, self._own(posts, posts)))
        if n_uniform:
            pick = torch.randint(len(catalog), (n_uniform,), generator=self.gen)
            drawn = catalog.posts[pick.numpy()]
            u_log_q = log_q(
                self._share(catalog, drawn), batch_steps=n_batch * mixed, uniform_draws=n_uniform
            )
            # only the drawn rows travel to the device (not the whole catalog's, each step)
            vectors = net.item_vectors(
                torch.from_numpy(catalog.codes[pick.numpy()]).to(self.device)
            )
            negatives.append(Negatives(vectors, u_log_q, self._own(posts, drawn)))
        return next_item_loss(users, positives, negatives, t)

    def _own(self, posts: np.ndarray, negatives: np.ndarray) -> Tensor:
        return torch.from_numpy(posts[:, None] == negatives[None, :]).to(self.device)

    def _losses(
        self,
        batch: Batch,
        catalog: Catalog,
        posts: np.ndarray,
        phase: Phase,
        context: tuple[Histories, Sequence[Window]],
        features: tuple[Tensor, Tensor],
    ) -> Tensor:
        """``context``: the histories and the batch's windows (the taste reads the steps
        before each window); ``features``: each step's post quality features, (B, L,
        N_QUALITY), without the step's own answer, and the subscriber's personal balances
        for its category and channel, (B, L, N_PERSONAL), of the steps before it."""
        quality, personal = features
        net, s = self.net, self.s
        item_raw = net.items(batch.items)
        lag = 1 if net.three_tokens else s.lag
        head_in, fb_in = net.step_inputs(batch, item_raw, lag=1)
        users = net.user_vectors(head_in)
        items = torch.nn.functional.normalize(item_raw, dim=-1)
        t = net.temperature()
        valid, target = batch.valid, batch.target
        total = items.sum() * 0.0
        if phase is not Phase.FINETUNE and s.next_weight > 0:
            p = posts[target.cpu().numpy()]
            loss = self._next_post_loss(users[target], items[target], p, catalog, t)
            total = total + s.next_weight * loss
        if phase is not Phase.FINETUNE and s.feedback_weight > 0:
            logits = net.feedback_logits(fb_in, item_raw)
            total = total + s.feedback_weight * feedback_loss(
                logits[target], batch.feedback[target]
            )
        if self.mixed_feedback:  # one kind of feedback: no P(like) to learn (nor pairs)
            if lag != 1:
                head_in, _ = net.step_inputs(batch, item_raw, lag=lag)
            content = net.items.content(batch.items)
            sums, counts = taste_before(content, batch.feedback, valid, lag)
            base_sums, base_counts = sums_before(net, self.codes, *context, self.device)
            sums, counts = sums + base_sums[:, None], counts + base_counts[:, None]
            recent = recent_before(content, batch.feedback, valid, lag, self.recent_steps)
            taste = TasteInputs(sums, counts, *recent)
            scores = (
                (net.ranking_vectors(head_in) * items).sum(-1)
                + (net.taste_vectors(taste) * content).sum(-1)
                + (net.quality_weights(counts) * quality).sum(-1)
                + (net.personal * personal).sum(-1)
                + net.offset
            )
            total = total + s.bce_weight * answered_bce(scores, batch.feedback, target)
            if phase is not Phase.PRETRAIN:
                pl, _ = pair_loss(scores, batch.feedback, valid, target)
                total = total + s.pair_weight * pl
        return total

    # -- passes --------------------------------------------------------------------------

    def run(
        self,
        histories: Histories,
        windows: Sequence[Window],
        catalog: Catalog,
        *,
        phase: Phase,
        epochs: int,
        lr: float,
        max_steps: int | None = None,
        after_epoch: Callable[[Pass], bool] | None = None,
    ) -> list[Pass]:
        """``after_epoch`` is told of each pass and says whether to stop (early stopping)."""
        rank, world = rank_and_world()
        self._personal.clear()
        params = [p for p in self.net.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(
            params,
            lr=lr,
            weight_decay=self.s.weight_decay,
            # one kernel over every tensor: on one CPU thread the medium preset's post table
            # (65,536 x 64) took 19 ms a step with the default (foreach) update, 5 ms fused
            fused=self.device.type in ("cpu", "cuda"),
        )
        self.net.train()
        out: list[Pass] = []
        steps = 0
        bs = self.s.batch_size
        for epoch in range(1, epochs + 1):
            began = time.perf_counter()
            order = torch.randperm(len(windows), generator=self.gen).tolist()
            loss_sum, n_batches, events = 0.0, 0, 0
            for lo in range(0, len(order), bs):
                mine = [windows[i] for i in order[lo : lo + bs]][rank::world]
                opt.zero_grad(set_to_none=False)
                if mine:
                    batch, _ = self.codes.batch(histories, mine, self.device)
                    posts, quality, personal = self._posts(histories, mine, batch)
                    loss = self._losses(
                        batch,
                        catalog,
                        posts,
                        phase,
                        (histories, mine),
                        (quality.to(self.device), personal.to(self.device)),
                    )
                    loss.backward()
                    loss_sum += float(loss.detach())
                    events += int(batch.target.sum())
                _densify(params)
                if world > 1:
                    _average_gradients(params, world)
                opt.step()
                n_batches += 1
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            out.append(
                Pass(
                    phase, epoch, loss_sum / max(1, n_batches), time.perf_counter() - began, events
                )
            )
            if max_steps is not None and steps >= max_steps:
                break
            if after_epoch is not None:
                self.net.eval()
                stop = after_epoch(out[-1])
                self.net.train()
                if stop:
                    break
        self.net.eval()
        return out

    def _posts(
        self, histories: Histories, windows: Sequence[Window], batch: Batch
    ) -> tuple[np.ndarray, Tensor, Tensor]:
        """Each step's post id (B, L), quality features (B, L, N_QUALITY), counted without
        the step's own answer, and personal balances (B, L, N_PERSONAL), of the steps
        before it; zero where padded."""
        b, n = tuple(batch.feedback.shape)
        out = np.zeros((b, n), dtype=np.int64)
        quality = np.zeros((b, n, N_QUALITY), dtype=np.float32)
        personal = np.zeros((b, n, N_PERSONAL), dtype=np.float32)
        parts = [histories.of(w.user)[w.start : w.end] for w in windows]
        for i, (w, rows) in enumerate(zip(windows, parts, strict=True)):
            out[i, : len(rows)] = rows[:, Col.POST]
            mine = self._personal.get(w.user)
            if mine is None:  # the histories do not change during a pass
                mine = self._personal[w.user] = earlier_balances(histories.of(w.user))
            personal[i, : len(rows)] = mine[w.start : w.end]
        lengths = [len(p) for p in parts]
        if sum(lengths):
            rows = np.concatenate(parts)
            at = np.repeat(np.arange(b), lengths)
            step = np.concatenate([np.arange(k) for k in lengths])
            quality[at, step] = histories.stats.features(
                rows[:, Col.POST], rows[:, Col.CHANNEL], rows[:, Col.FEEDBACK]
            )
        return out, torch.from_numpy(quality), torch.from_numpy(personal)
