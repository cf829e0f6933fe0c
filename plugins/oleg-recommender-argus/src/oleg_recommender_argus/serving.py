"""Two-tower serving: item vectors cached per post, each subscriber's keys and values cached
(:mod:`oleg_recommender_argus.kv_cache`) so a new step costs one token's attention, and
scoring a pool is one matrix product over the pool's cached (transposed) item vectors and
quality features (:mod:`oleg_recommender_argus.post_stats`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from oleg.types import Candidates
from torch import Tensor

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.histories import Histories, Window, window_start
from oleg_recommender_argus.kv_cache import Extension, KVCache, extend
from oleg_recommender_argus.net import ArgusNet
from oleg_recommender_argus.post_stats import N_QUALITY, PostStats
from oleg_recommender_argus.taste import TasteInputs
from oleg_recommender_argus.taste_cache import RecentCache, TasteCache

ENCODE_CHUNK = 4096


@dataclass
class Pool:
    """The last pool scored: its item tower matrix and the counts its quality rows read."""

    cands: Candidates
    ages: np.ndarray
    matrix: Tensor
    version: int

    def same(self, cands: Candidates, ages: np.ndarray) -> bool:
        return self.cands is cands or (
            np.array_equal(self.cands.post, cands.post) and np.array_equal(self.ages, ages)
        )


class ItemCache:
    """Post id -> its item tower vector (:meth:`ArgusNet.served_items`, ``width`` floats)
    and the age bucket it was encoded with."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.index: dict[int, int] = {}
        self.vectors = torch.zeros((0, width))
        self.ages = np.zeros(0, dtype=np.int64)
        self._last: Pool | None = None

    def clear(self) -> None:
        self.index.clear()
        self.vectors = self.vectors[:0]
        self.ages = self.ages[:0]
        self._last = None

    def matrix(
        self,
        net: ArgusNet,
        codes: Codes,
        cands: Candidates,
        media_of: Callable[[np.ndarray], np.ndarray],
        ages: np.ndarray,
        stats: PostStats,
    ) -> Tensor:
        """(width + N_QUALITY, len(cands)), contiguous: the candidates' vectors and quality
        features as columns, so one subscriber's scores are a vector-matrix product that
        streams the pool once. A pool scored again (the same object, or the same posts at
        the same ages) is not looked up again; only its quality rows are, if answers came
        since."""
        last = self._last
        if last is not None and last.same(cands, ages):
            if last.version != stats.version:
                last.matrix[self.width :] = self._quality(cands, stats)
                last.version = stats.version
            return last.matrix
        rows = np.fromiter(
            (self.index.get(p, -1) for p in cands.post.tolist()), dtype=np.int64, count=len(cands)
        )
        stale = rows < 0
        stale[~stale] = self.ages[rows[~stale]] != ages[~stale]
        if stale.any():
            idx = np.flatnonzero(stale)
            enc = codes.items(
                cands.post[idx],
                cands.channel[idx],
                cands.category[idx],
                media_of(cands.post[idx]),
                ages[idx],
            )
            with torch.no_grad():
                vec = torch.cat(
                    [
                        net.served_items(torch.from_numpy(enc[i : i + ENCODE_CHUNK]))
                        for i in range(0, len(enc), ENCODE_CHUNK)
                    ]
                )
            new = rows[idx] < 0
            fresh_posts = cands.post[idx[new]].tolist()
            base = len(self.vectors)
            self.vectors = torch.cat([self.vectors, vec[new]])
            self.ages = np.concatenate([self.ages, ages[idx[new]]])
            for k, p in enumerate(fresh_posts):
                self.index[p] = base + k
            old = rows[idx[~new]]
            self.vectors[old] = vec[~new]
            self.ages[old] = ages[idx[~new]]
            rows[idx[new]] = np.arange(base, base + len(fresh_posts))
        out = torch.empty((self.width + N_QUALITY, len(cands)))
        out[: self.width] = self.vectors[torch.from_numpy(rows)].T
        out[self.width :] = self._quality(cands, stats)
        self._last = Pool(cands, np.array(ages, copy=True), out, stats.version)
        return out

    @staticmethod
    def _quality(cands: Candidates, stats: PostStats) -> Tensor:
        return torch.from_numpy(stats.features(cands.post, cands.channel).T.copy())


@dataclass
class Cached:
    """What the cache holds of one subscriber: their window's first step and how many of
    its steps are cached; ``state``: the output at the last token (one-token variant)."""

    start: int
    steps: int
    state: Tensor | None = None
    query: tuple[tuple[int, ...], Tensor] | None = None
    """Three-token: the user heads' input for a serving context."""


class UserCache:
    """Subscriber -> their cached keys and values and the state they lead to; only the steps
    added or relabelled since (``Histories.take_changes``) go through the transformer."""

    def __init__(self, budget_mb: float = 1024.0) -> None:
        self.budget_mb = budget_mb
        self.kv: KVCache | None = None
        self.users: dict[int, Cached] = {}
        self.tastes = TasteCache()
        self.recent = RecentCache()

    def clear(self) -> None:
        """The weights changed: nothing cached holds."""
        self.users.clear()
        self.tastes.clear()
        self.recent.clear()
        self.kv = None

    def _forget_changes(self, histories: Histories) -> None:
        changes = histories.take_changes()
        self.tastes.mark(changes)
        self.recent.forget(changes)
        for user, first in changes.items():
            got = self.users.get(user)
            if got is not None and first - got.start < got.steps:
                got.steps = max(0, first - got.start)
                got.state = None
                got.query = None

    def vectors(
        self,
        net: ArgusNet,
        codes: Codes,
        histories: Histories,
        users: list[int | None],
        now_context: np.ndarray,
        max_len: int,
        recent: int = 0,
    ) -> Tensor:
        """(len(users), d): the user tower for the next step, contexts (len(users), 3);
        ``recent``: the recent taste's steps."""
        if self.kv is None:
            self.kv = KVCache(net, net.tokens_per_step * max_len + 2, self.budget_mb)
        self._forget_changes(histories)
        keys = [-1 if u is None or u not in histories.rows else int(u) for u in users]
        self._catch_up(net, codes, histories, sorted(set(keys)), max_len)
        with torch.no_grad():
            if net.three_tokens:
                heads_in = self._queries(net, keys, now_context)
            else:
                states = torch.stack([self.users[k].state for k in keys])  # type: ignore[misc]
                heads_in = torch.cat([states, net.context(torch.from_numpy(now_context))], -1)
            sums, counts = self.tastes.inputs(net, codes, histories, keys)
            recent = self.recent.inputs(net, codes, histories, keys, recent)
            return net.serving_vectors(heads_in, TasteInputs(sums, counts, *recent))

    def _catch_up(
        self, net: ArgusNet, codes: Codes, histories: Histories, keys: list[int], max_len: int
    ) -> None:
        """Run every step not cached yet of these subscribers, all in one batch."""
        assert self.kv is not None
        kv = self.kv
        per = net.tokens_per_step
        todo: list[tuple[int, int, int, bool]] = []  # user, first step to run, last, fresh
        for k in keys:
            n = len(histories.of(k)) if k >= 0 else 0
            start = window_start(n, max_len)
            got = self.users.get(k)
            fresh = (
                got is None or got.start != start or got.steps > n - start or kv.slot_of(k) is None
            )
            if fresh:
                todo.append((k, start, n, True))
            elif got is not None and got.steps < n - start:
                todo.append((k, start + got.steps, n, False))
            if k in kv.slots:
                kv.touch(k)
        if not todo:
            return
        new = sum(1 for k, *_, f in todo if f and k not in kv.slots)
        kv.reserve(new, sum(1 for k in keys if k in kv.slots))
        slots = []
        for k, first, _, fresh in todo:
            if fresh:
                slot, evicted = kv.claim(k)
                if evicted is not None:
                    self.users.pop(evicted, None)
                self.users[k] = Cached(start=first, steps=0)
            else:
                slot = kv.slot_of(k)
            slots.append(slot)
        windows = [Window(k, first, n) for k, first, n, _ in todo]
        with torch.no_grad():
            batch, lengths = codes.batch(histories, windows, torch.device("cpu"))
            steps = (
                net.tokens(batch, net.items(batch.items))
                if batch.feedback.shape[1]
                else torch.zeros((len(todo), 0, kv.d))
            )
            fresh = torch.tensor([f for *_, f in todo])
            b = len(todo)
            tokens = steps
            if fresh.any():  # those read from scratch begin with the start token
                start_tok = net.start.expand(b, 1, -1)
                pad = torch.zeros((b, 1, kv.d))
                tokens = torch.where(
                    fresh[:, None, None],
                    torch.cat([start_tok, steps], 1),
                    torch.cat([steps, pad], 1),
                )
            prefix = torch.tensor(
                [0 if f else 1 + per * self.users[k].steps for k, _, _, f in todo]
            )
            counts = lengths * per + fresh.long()
            out = extend(net, kv, torch.tensor(slots), Extension(tokens, counts, prefix))
            last = out[torch.arange(b), (counts - 1).clamp(min=0)]
        for i, (k, _, n, _) in enumerate(todo):
            got = self.users[k]
            got.steps = n - got.start
            got.query = None
            if counts[i] > 0:
                got.state = last[i].clone()

    def _queries(self, net: ArgusNet, keys: list[int], now_context: np.ndarray) -> Tensor:
        """Three-token: a context token after each history, read over the cache (not kept)."""
        assert self.kv is not None
        ctx_keys = [tuple(c) for c in now_context.tolist()]
        got: dict[tuple[int, tuple[int, ...]], Tensor] = {}
        for k, c in zip(keys, ctx_keys, strict=True):
            memo = self.users[k].query
            if memo is not None and memo[0] == c:
                got[(k, c)] = memo[1]
        need = sorted({(k, c) for k, c in zip(keys, ctx_keys, strict=True)} - set(got))
        if need:
            tokens = net.query_tokens(torch.tensor([c for _, c in need]))[:, None]
            slots = torch.tensor([self.kv.slot_of(k) for k, _ in need])
            prefix = torch.tensor([1 + 3 * self.users[k].steps for k, _ in need])
            out = extend(
                net,
                self.kv,
                slots,
                Extension(tokens, torch.ones(len(need), dtype=torch.long), prefix),
                commit=False,
            )
            for (k, c), row in zip(need, out[:, 0], strict=True):
                got[(k, c)] = row.clone()
                self.users[k].query = (c, got[(k, c)])
        return torch.stack([got[(k, c)] for k, c in zip(keys, ctx_keys, strict=True)])
