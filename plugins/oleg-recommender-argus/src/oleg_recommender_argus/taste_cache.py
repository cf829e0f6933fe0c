"""The taste's inputs over a subscriber's whole history, not only the transformer's window:
per kind of feedback, the sum of the unit content vectors of the posts with that feedback.

Serving keeps them per subscriber and brings them up to date from the history: a new step
adds its vector, a relabelled one (a rating of a post shown earlier) moves its vector from
one kind to the other; only those steps' posts are encoded. Training adds, to each window's
own running sums, the sums of the steps before the window (no gradient: they are context).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import Tensor

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.features import Col
from oleg_recommender_argus.histories import Histories, Window
from oleg_recommender_argus.net import ArgusNet
from oleg_recommender_argus.taste import KINDS

CHUNK = 4096


def unit_vectors(net: ArgusNet, codes: Codes, rows: np.ndarray, device: torch.device) -> Tensor:
    """Unit content vectors of history rows, (len(rows), d)."""
    enc = torch.from_numpy(codes.item_codes_of_rows(rows)).to(device)
    content = net.items.content
    if len(enc) <= CHUNK:
        return content(enc)
    return torch.cat([content(enc[i : i + CHUNK]) for i in range(0, len(enc), CHUNK)])


def sums_before(
    net: ArgusNet,
    codes: Codes,
    histories: Histories,
    windows: Sequence[Window],
    device: torch.device,
) -> tuple[Tensor, Tensor]:
    """Per window: the sums and counts of the steps before it, (B, KINDS, d), (B, KINDS),
    without gradient."""
    d = net.start.shape[0]
    sums = torch.zeros((len(windows), KINDS, d), device=device)
    counts = torch.zeros((len(windows), KINDS), device=device)
    parts = [histories.of(w.user)[: w.start] for w in windows]
    lengths = np.array([len(p) for p in parts])
    if lengths.sum() == 0:
        return sums, counts
    rows = np.concatenate(parts)
    owner = torch.from_numpy(np.repeat(np.arange(len(windows)), lengths)).to(device)
    slot = owner * KINDS + torch.from_numpy(rows[:, Col.FEEDBACK]).to(device)
    with torch.no_grad():
        vec = unit_vectors(net, codes, rows, device)
    sums.view(-1, d).index_add_(0, slot, vec)
    counts.view(-1).index_add_(0, slot, torch.ones(len(rows), device=device))
    return sums, counts


class RecentCache:
    """Subscriber -> the recent taste's sums and counts for their next step (their newest
    ``steps`` steps), kept until their history changes; those missing are read in one
    batch."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, Tensor, Tensor]] = {}

    def clear(self) -> None:
        self.memo.clear()

    def forget(self, users: Iterable[int]) -> None:
        for u in users:
            self.memo.pop(u, None)

    def inputs(
        self, net: ArgusNet, codes: Codes, histories: Histories, keys: list[int], steps: int
    ) -> tuple[Tensor, Tensor]:
        """(len(keys), KINDS, d) sums and (len(keys), KINDS) counts (key -1: no history)."""
        d = int(net.start.shape[0])
        zero_s, zero_c = torch.zeros((KINDS, d)), torch.zeros(KINDS)
        need = [
            k
            for k in dict.fromkeys(keys)
            if k >= 0 and steps and (k not in self.memo or self.memo[k][0] != len(histories.of(k)))
        ]
        if need:
            parts = [histories.of(k)[-steps:] for k in need]
            lengths = np.array([len(p) for p in parts])
            sums = torch.zeros((len(need), KINDS, d))
            counts = torch.zeros((len(need), KINDS))
            if lengths.sum():
                rows = np.concatenate(parts)
                owner = torch.from_numpy(np.repeat(np.arange(len(need)), lengths))
                slot = owner * KINDS + torch.from_numpy(rows[:, Col.FEEDBACK])
                with torch.no_grad():
                    vec = unit_vectors(net, codes, rows, torch.device("cpu"))
                sums.view(-1, d).index_add_(0, slot, vec)
                counts.view(-1).index_add_(0, slot, torch.ones(len(rows)))
            for i, k in enumerate(need):
                self.memo[k] = (len(histories.of(k)), sums[i], counts[i])
            if need == keys:  # a round of subscribers, all read now: no gathering
                return sums, counts
        got = [self.memo[k][1:] if k in self.memo and steps else (zero_s, zero_c) for k in keys]
        return torch.stack([s for s, _ in got]), torch.stack([c for _, c in got])


class TasteCache:
    """Subscriber -> their taste's sums and counts over every step of their history, rows
    of two tensors (so a call's subscribers are gathered in one indexing, and the steps of
    a round are added in one ``index_add_``), and the feedback each step was counted with."""

    def __init__(self) -> None:
        self.row: dict[int, int] = {}
        self.feedback: dict[int, np.ndarray] = {}
        self.sums = torch.zeros((0, KINDS, 0))
        self.counts = torch.zeros((0, KINDS))
        self.dirty: dict[int, int] = {}
        """Subscriber -> the first step relabelled since it was last brought up to date."""

    def clear(self) -> None:
        """The weights changed: every vector is encoded again."""
        self.row.clear()
        self.feedback.clear()
        self.dirty.clear()

    def mark(self, changes: dict[int, int]) -> None:
        """Steps changed (``Histories.take_changes``): from each one's first on, the
        feedback is compared with what was counted."""
        for user, first in changes.items():
            if user in self.row:
                self.dirty[user] = min(first, self.dirty.get(user, first))

    def _row_of(self, user: int, d: int) -> int:
        at = self.row.get(user)
        if at is None:
            at = self.row[user] = len(self.row)
            self.feedback[user] = np.zeros(0, np.int8)
            if at >= len(self.sums) or self.sums.shape[-1] != d:
                grow = max(16, 2 * len(self.sums)) if self.sums.shape[-1] == d else 16
                sums, counts = torch.zeros((grow, KINDS, d)), torch.zeros((grow, KINDS))
                if self.sums.shape[-1] == d:
                    sums[: len(self.sums)] = self.sums
                    counts[: len(self.counts)] = self.counts
                self.sums, self.counts = sums, counts
            self.sums[at] = 0
            self.counts[at] = 0
        return at

    def inputs(
        self, net: ArgusNet, codes: Codes, histories: Histories, keys: list[int]
    ) -> tuple[Tensor, Tensor]:
        """(len(keys), KINDS, d) sums and (len(keys), KINDS) counts (key -1: no history)."""
        d = int(net.start.shape[0])
        if self.sums.shape[-1] != d:
            self.clear()
        todo: list[tuple[int, np.ndarray, np.ndarray]] = []  # user, steps to encode, old kind
        for k in dict.fromkeys(keys):
            rows = histories.of(k) if k >= 0 else histories.of(None)
            if k not in self.row:
                self._row_of(k, d)
            fb = self.feedback[k]
            first = self.dirty.pop(k, None)
            if first is None and len(fb) == len(rows):
                continue
            seen = len(fb)
            lo = min(first if first is not None else seen, seen)
            moved = lo + np.flatnonzero(fb[lo:] != rows[lo:seen, Col.FEEDBACK])
            if len(moved) or seen < len(rows):
                steps = np.concatenate([moved, np.arange(seen, len(rows))])
                old = np.concatenate([fb[moved], np.full(len(rows) - seen, -1)])
                todo.append((k, steps, old.astype(np.int64)))
        if todo:
            self._update(net, codes, histories, todo, d)
        at = torch.tensor([self.row[k] for k in keys])
        return self.sums[at], self.counts[at]

    def _update(
        self,
        net: ArgusNet,
        codes: Codes,
        histories: Histories,
        todo: list[tuple[int, np.ndarray, np.ndarray]],
        d: int,
    ) -> None:
        rows = np.concatenate([histories.of(k)[steps] for k, steps, _ in todo])
        with torch.no_grad():
            vec = unit_vectors(net, codes, rows, torch.device("cpu"))
        owner = np.concatenate([np.full(len(steps), self.row[k]) for k, steps, _ in todo])
        old = np.concatenate([o for _, _, o in todo])
        new = rows[:, Col.FEEDBACK]
        was = old >= 0
        slots = np.concatenate([owner * KINDS + new, owner[was] * KINDS + old[was]])
        signs = np.concatenate([np.ones(len(new)), -np.ones(int(was.sum()))])
        moved = torch.cat([vec, vec[torch.from_numpy(was)]])
        at, sign = torch.from_numpy(slots), torch.from_numpy(signs).float()
        self.sums.view(-1, d).index_add_(0, at, moved * sign[:, None])
        self.counts.view(-1).index_add_(0, at, sign)
        for k, steps, _ in todo:
            fb = np.empty(len(histories.of(k)), dtype=np.int8)
            fb[: len(self.feedback[k])] = self.feedback[k]
            fb[steps] = histories.of(k)[steps, Col.FEEDBACK]
            self.feedback[k] = fb
