"""The subscriber's own taste in the served score: what they liked, disliked and left
unanswered, read straight from their whole history.

A few optimiser steps (a retrain in the demo is a dozen) do not teach the transformer's
state who likes what: served from it alone, every subscriber got nearly the same ranking.
The taste term is personal from the first step: per kind of feedback, the mean of the unit
content vectors (:meth:`ItemEncoder.content`: channel and category, not the post id, which
a new post shares with none of the history) of the posts with that feedback (a
pseudo-count of ``PRIOR`` keeps a mean of one post small), weighted (+w for a like, -w for
a dislike at the start) and mixed by a learned linear map (zero at the start). Its dot
product with a candidate's content vector is then, at the start, how much more the
candidate resembles the liked posts than the disliked ones; training reshapes the weights
and the channel and category rows. It is the second half of the user tower (the item
tower's second half is the content vector), so serving stays one matrix product.

A second head reads the last ``recent_steps`` steps alone (the recent taste): tastes that
drift over the weeks are told by what was answered lately, and a run of one category by
what was shown lately. Both heads' vectors are added, against the same content vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from oleg_recommender_argus.features import Feedback

KINDS = len(Feedback)
PRIOR = 1.0
"""Pseudo-count in each mean."""
INITIAL_SIGN = {Feedback.LIKE: 1.0, Feedback.DISLIKE: -1.0, Feedback.SHOWN: 0.0}
"""The start: a like pulls a similar post up, a dislike down, a post left unanswered
nothing."""


class TasteHead(nn.Module):
    def __init__(self, d: int, weight: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(
            torch.tensor([weight * INITIAL_SIGN[Feedback(k)] for k in range(KINDS)])
        )
        self.mix = nn.Linear(KINDS * d, d, bias=False)
        nn.init.zeros_(self.mix.weight)

    def forward(self, sums: Tensor, counts: Tensor) -> Tensor:
        """``sums`` (..., KINDS, d): summed unit content vectors per kind of feedback;
        ``counts`` (..., KINDS): how many. Returns the taste vectors (..., d)."""
        means = sums / (counts[..., None] + PRIOR)
        return (self.weight[:, None] * means).sum(-2) + self.mix(means.flatten(-2))


def step_sums(unit: Tensor, feedback: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """Per step of (B, L) windows: each step's unit content vector in its feedback's row,
    (B, L, KINDS, d), and its count, (B, L, KINDS); zero where padded."""
    onehot = F.one_hot(feedback, KINDS).to(unit.dtype) * valid[..., None]
    return onehot[..., None] * unit[..., None, :], onehot


def taste_before(unit: Tensor, feedback: Tensor, valid: Tensor, lag: int) -> tuple[Tensor, Tensor]:
    """Per step t of (B, L) windows: the sums and counts of steps 1..t-lag (what was known
    when step t's post was chosen), (B, L, KINDS, d) and (B, L, KINDS)."""
    sums, counts = step_sums(unit, feedback, valid)
    sums, counts = sums.cumsum(1), counts.cumsum(1)
    b, n = feedback.shape
    zs = sums.new_zeros((b, lag, *sums.shape[2:]))
    zc = counts.new_zeros((b, lag, counts.shape[2]))
    return torch.cat([zs, sums], 1)[:, :n], torch.cat([zc, counts], 1)[:, :n]


@dataclass
class TasteInputs:
    """What the taste heads read: per kind of feedback, summed unit content vectors (...,
    KINDS, d) and counts (..., KINDS) over the whole history and over its recent steps."""

    sums: Tensor
    counts: Tensor
    recent_sums: Tensor
    recent_counts: Tensor


def recent_before(
    unit: Tensor, feedback: Tensor, valid: Tensor, lag: int, steps: int
) -> tuple[Tensor, Tensor]:
    """Per step t of (B, L) windows: the sums and counts of steps t-lag-steps+1 .. t-lag,
    the ``steps`` most recent known when step t's post was chosen (within the window: a
    target has at least ``max_history - max_history // 2`` steps before it in its window,
    and ``steps`` is capped to that)."""
    sums, counts = step_sums(unit, feedback, valid)
    sums, counts = sums.cumsum(1), counts.cumsum(1)
    b, n = feedback.shape
    pad = lag + steps
    ps = torch.cat([sums.new_zeros((b, pad, *sums.shape[2:])), sums], 1)
    pc = torch.cat([counts.new_zeros((b, pad, counts.shape[2])), counts], 1)
    return ps[:, steps : steps + n] - ps[:, :n], pc[:, steps : steps + n] - pc[:, :n]
