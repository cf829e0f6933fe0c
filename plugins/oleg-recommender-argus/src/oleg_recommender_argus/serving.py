"""Two-tower serving: item vectors cached per post, user vectors cached per subscriber and
recomputed only for those whose history changed (or when the weights did), so scoring a
pool is one matrix product."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from oleg.types import Candidates
from torch import Tensor

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.histories import Histories, Window
from oleg_recommender_argus.net import ArgusNet

ENCODE_CHUNK = 4096


class ItemCache:
    """Post id -> its unit item vector (and the age bucket it was encoded with)."""

    def __init__(self, dim: int) -> None:
        self.index: dict[int, int] = {}
        self.vectors = torch.zeros((0, dim))
        self.ages = np.zeros(0, dtype=np.int64)
        self._last: tuple[Candidates, Tensor] | None = None

    def clear(self) -> None:
        self.index.clear()
        self.vectors = self.vectors[:0]
        self.ages = self.ages[:0]
        self._last = None

    def matrix(self, net: ArgusNet, codes: Codes, cands: Candidates, media_of: Callable[[np.ndarray], np.ndarray],
               ages: np.ndarray) -> Tensor:
        """(len(cands), d): the candidates' vectors; a pool scored again (the same object,
        as in a mailing round) is not even looked up again."""
        if self._last is not None and self._last[0] is cands:
            return self._last[1]
        rows = np.fromiter((self.index.get(p, -1) for p in cands.post.tolist()), dtype=np.int64, count=len(cands))
        stale = rows < 0
        stale[~stale] = self.ages[rows[~stale]] != ages[~stale]
        if stale.any():
            idx = np.flatnonzero(stale)
            enc = codes.items(cands.post[idx], cands.channel[idx], cands.category[idx], media_of(cands.post[idx]), ages[idx])
            with torch.no_grad():
                vec = torch.cat([
                    net.item_vectors(torch.from_numpy(enc[i : i + ENCODE_CHUNK]))
                    for i in range(0, len(enc), ENCODE_CHUNK)
                ])
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
        out = self.vectors[torch.from_numpy(rows)]
        self._last = (cands, out)
        return out


class UserCache:
    """Subscriber -> the transformer's state after their last step (one-token), or their
    user vector for one serving context (three-token)."""

    def __init__(self) -> None:
        self.states: dict[int, Tensor] = {}
        self.context: dict[int, tuple[int, ...]] = {}

    def clear(self) -> None:
        self.states.clear()
        self.context.clear()

    def forget(self, users: set[int]) -> None:
        for u in users:
            self.states.pop(u, None)
            self.context.pop(u, None)

    def vectors(self, net: ArgusNet, codes: Codes, histories: Histories, users: list[int | None],
                now_context: np.ndarray, max_len: int) -> Tensor:
        """(len(users), d): the user tower for the next step, contexts (len(users), 3)."""
        keys = [-1 if u is None or u not in histories.rows else int(u) for u in users]
        ctx_keys = [tuple(c) for c in now_context.tolist()]
        if net.three_tokens:
            need = sorted({k for k, c in zip(keys, ctx_keys, strict=True) if self.context.get(k) != c or k not in self.states})
        else:
            need = sorted({k for k in keys if k not in self.states})
        if need:
            where = {k: i for i, k in enumerate(keys)}
            windows = [self._window(histories, k, max_len) for k in need]
            batch, lengths = codes.batch(histories, windows, torch.device("cpu"))
            with torch.no_grad():
                if net.three_tokens:
                    ctx = torch.from_numpy(now_context[[where[k] for k in need]])
                    got = net.serving_inputs(batch, lengths, ctx)
                else:
                    got = net.last_states(batch, lengths)
            for k, row, c in zip(need, got, [ctx_keys[where[k]] for k in need], strict=True):
                self.states[k] = row
                self.context[k] = c
        stacked = torch.stack([self.states[k] for k in keys])
        with torch.no_grad():
            if not net.three_tokens:
                stacked = torch.cat([stacked, net.context(torch.from_numpy(now_context))], -1)
            return net.serving_vectors(stacked)

    @staticmethod
    def _window(histories: Histories, user: int, max_len: int) -> Window:
        n = len(histories.of(user)) if user >= 0 else 0
        return Window(user, max(0, n - max_len), n)
