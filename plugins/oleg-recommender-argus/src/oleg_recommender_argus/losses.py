"""The three losses: next post (sampled softmax with logQ correction), feedback (a BCE per
kind) and pairs (fine-tuning)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from oleg_recommender_argus.features import Feedback


@dataclass(frozen=True)
class Negatives:
    """One kind of negative of the next-post softmax: unit vectors (M, d), each one's log Q
    (M) and, (N, M), where it is the post of the step it would be a negative of (an
    accidental hit, left out: the post is that step's positive)."""

    vectors: Tensor
    log_q: Tensor
    own_post: Tensor


def next_item_loss(
    users: Tensor, positives: Tensor, negatives: Sequence[Negatives], temperature: Tensor
) -> Tensor:
    """``-log(e^f(h,i) / (e^f(h,i) + sum_n e^(f(h,n) - log Q(n))))``, ``f = cos / e^tau``.

    ``users``/``positives``: unit vectors (N, d) of the N steps; ``negatives``: the batch's
    other posts (in-batch) and uniform draws, log Q of each from
    :func:`log_expected_count`."""
    parts = [(users * positives).sum(-1, keepdim=True) / temperature]
    for neg in negatives:
        logits = users @ neg.vectors.T / temperature - neg.log_q[None, :]
        parts.append(logits.masked_fill(neg.own_post, float("-inf")))
    return -torch.log_softmax(torch.cat(parts, 1), 1)[:, 0].mean()


def full_softmax_loss(users: Tensor, catalog: Tensor, at: Tensor, temperature: Tensor) -> Tensor:
    """The exact softmax over every known post: ``users`` (N, d) and ``catalog`` (C, d) unit
    vectors, ``at`` (N) each step's own post's row of ``catalog``. No sampling, so no logQ;
    it costs N x C dot products a batch (sampling costs N x (N + uniform draws))."""
    return F.cross_entropy(users @ catalog.T / temperature, at)


def log_expected_count(
    share: Tensor, *, batch_steps: int, uniform_draws: int, catalog: int
) -> Tensor:
    """log Q of a negative: the log of how many times its post is expected among a step's
    negatives, ``batch_steps * share + uniform_draws / catalog``, where ``share`` is the
    post's share of the shown steps (in-batch negatives are the other steps' posts) and
    ``uniform_draws`` posts are drawn uniformly from the ``catalog`` known ones.

    Mixed negative sampling (Yang et al. 2020) corrects both kinds by the whole sum, so
    that together they estimate the softmax's denominator once; corrected each by its own
    term (the other set to 0), they estimate it twice, and a uniform negative weighs as if
    it stood for ``catalog / uniform_draws`` posts however often the batch shows it."""
    return torch.log(batch_steps * share + uniform_draws / max(1, catalog))


def feedback_loss(logits: Tensor, feedback: Tensor) -> Tensor:
    """BCE of a like and BCE of a dislike (shown-and-unanswered is neither)."""
    like = (feedback == Feedback.LIKE).float()
    dislike = (feedback == Feedback.DISLIKE).float()
    return F.binary_cross_entropy_with_logits(
        logits[:, 0], like
    ) + F.binary_cross_entropy_with_logits(logits[:, 1], dislike)


RANK = torch.tensor([0, 2, 1])
"""Order of the feedback kinds in a pair: like (2) > shown (1) > dislike (0)."""


def pair_loss(
    scores: Tensor, feedback: Tensor, valid: Tensor, target: Tensor | None = None
) -> tuple[Tensor, int]:
    """Mean ``softplus(-(s_a - s_b))`` over every pair of a window's steps where a's feedback
    ranks above b's and (with ``target``) one of the two is a target of this window: in
    windows that overlap, each pair is then counted once. (B, L) inputs. Returns the loss
    and the number of pairs."""
    rank = RANK.to(feedback.device)[feedback]
    better = (rank[:, :, None] > rank[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    if target is not None:
        better &= target[:, :, None] | target[:, None, :]
    n = int(better.sum())
    if n == 0:
        return scores.sum() * 0.0, 0
    diff = scores[:, :, None] - scores[:, None, :]
    return F.softplus(-diff[better]).mean(), n


def answered_bce(scores: Tensor, feedback: Tensor, valid: Tensor) -> Tensor:
    """BCE of a like on the served score, over the answered steps."""
    answered = valid & (feedback != Feedback.SHOWN)
    if not bool(answered.any()):
        return scores.sum() * 0.0
    return F.binary_cross_entropy_with_logits(
        scores[answered], (feedback[answered] == Feedback.LIKE).float()
    )
