"""The taste's inputs over a subscriber's whole history, not only the transformer's window:
per kind of feedback, the sum of the unit content vectors of the posts with that feedback.

Serving keeps them per subscriber and brings them up to date from the history: a new step
adds its vector, a relabelled one (a rating of a post shown earlier) moves its vector from
one kind to the other; only those steps' posts are encoded. Training adds, to each window's
own running sums, the sums of the steps before the window (no gradient: they are context).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass
class _Taste:
    sums: Tensor
    """(KINDS, d)"""
    feedback: np.ndarray
    """The feedback each counted step was counted with."""


class TasteCache:
    """Subscriber -> their taste's sums over every step of their history."""

    def __init__(self) -> None:
        self.users: dict[int, _Taste] = {}

    def clear(self) -> None:
        """The weights changed: every vector is encoded again."""
        self.users.clear()

    def inputs(
        self, net: ArgusNet, codes: Codes, histories: Histories, keys: list[int]
    ) -> tuple[Tensor, Tensor]:
        """(len(keys), KINDS, d) sums and (len(keys), KINDS) counts (key -1: no history)."""
        d = net.start.shape[0]
        todo: list[tuple[int, np.ndarray, np.ndarray]] = []  # user, steps to encode, old kind
        for k in sorted(set(keys)):
            rows = histories.of(k) if k >= 0 else histories.of(None)
            got = self.users.get(k)
            if got is None or len(got.feedback) > len(rows):
                got = self.users[k] = _Taste(torch.zeros((KINDS, d)), np.zeros(0, np.int8))
            seen = len(got.feedback)
            moved = np.flatnonzero(got.feedback != rows[:seen, Col.FEEDBACK])
            if len(moved) or seen < len(rows):
                steps = np.concatenate([moved, np.arange(seen, len(rows))])
                old = np.concatenate([got.feedback[moved], np.full(len(rows) - seen, -1)])
                todo.append((k, steps, old.astype(np.int64)))
        if todo:
            self._update(net, codes, histories, todo, d)
        tastes = [self.users[k] for k in keys]
        counts = [np.bincount(t.feedback.astype(np.int64), minlength=KINDS) for t in tastes]
        return (
            torch.stack([t.sums for t in tastes]),
            torch.from_numpy(np.stack(counts)).float(),
        )

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
        at = 0
        for k, steps, old in todo:
            got = self.users[k]
            new = histories.of(k)[steps, Col.FEEDBACK]
            v = vec[at : at + len(steps)]
            at += len(steps)
            was = old >= 0
            if was.any():
                got.sums.index_add_(0, torch.from_numpy(old[was]), -v[torch.from_numpy(was)])
            got.sums.index_add_(0, torch.from_numpy(new), v)
            fb = np.empty(len(histories.of(k)), dtype=np.int8)
            fb[: len(got.feedback)] = got.feedback
            fb[steps] = new
            got.feedback = fb
