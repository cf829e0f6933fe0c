"""The next-post softmax: sampled negatives, logQ-corrected, estimate the exact softmax
over every known post; mixed negative sampling corrects both kinds by the mixture."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.losses import (
    Negatives,
    full_softmax_loss,
    log_expected_count,
    next_item_loss,
)

C, D = 40, 8
T = torch.tensor(0.5)


def _unit(n: int, gen: torch.Generator) -> torch.Tensor:
    return F.normalize(torch.randn(n, D, generator=gen), dim=-1)


def test_log_expected_count_adds_both_kinds_of_draw() -> None:
    share = torch.tensor([0.5, 0.01])
    got = log_expected_count(share, batch_steps=100, uniform_draws=20, catalog=40)
    assert torch.allclose(got, torch.log(torch.tensor([50.0 + 0.5, 1.0 + 0.5])))
    alone = log_expected_count(share, batch_steps=0, uniform_draws=20, catalog=40)
    assert torch.allclose(alone, torch.log(torch.tensor([0.5, 0.5])))


def test_a_batch_of_every_post_once_is_the_exact_softmax() -> None:
    """Each post the positive of one step: every other post is a negative exactly once,
    each expected once (log Q = 0), so the sampled loss is the full one."""
    gen = torch.Generator().manual_seed(0)
    users, items = _unit(C, gen), _unit(C, gen)
    same = torch.eye(C, dtype=torch.bool)
    share = torch.full((C,), 1.0 / C)
    log_q = log_expected_count(share, batch_steps=C, uniform_draws=0, catalog=C)
    sampled = next_item_loss(users, items, [Negatives(items, log_q, same)], T)
    exact = full_softmax_loss(users, items, torch.arange(C), T)
    assert torch.allclose(sampled, exact, atol=1e-5)


def _sampled(mixture: bool, users, items, draws: int, gen: torch.Generator) -> float:
    """Mean over many batches of every post once plus ``draws`` uniform ones."""
    same = torch.eye(C, dtype=torch.bool)
    share = torch.full((C,), 1.0 / C)
    losses = []
    for _ in range(400):
        pick = torch.randint(C, (draws,), generator=gen)
        p_q = log_expected_count(
            share, batch_steps=C, uniform_draws=draws if mixture else 0, catalog=C
        )
        u_q = log_expected_count(
            share[pick], batch_steps=C if mixture else 0, uniform_draws=draws, catalog=C
        )
        # a uniform draw of a step's own post is an accidental hit, not a negative of it
        hits = torch.arange(C)[:, None] == pick[None, :]
        negatives = [Negatives(items, p_q, same), Negatives(items[pick], u_q, hits)]
        losses.append(float(next_item_loss(users, items, negatives, T)))
    return float(np.mean(losses))


def test_the_mixture_correction_estimates_the_exact_softmax_where_separate_ones_do_not() -> None:
    gen = torch.Generator().manual_seed(1)
    users, items = _unit(C, gen), _unit(C, gen)
    exact = float(full_softmax_loss(users, items, torch.arange(C), T))
    mixture = _sampled(True, users, items, 20, gen)
    separate = _sampled(False, users, items, 20, gen)
    assert abs(mixture - exact) < 0.05
    # each kind estimates the denominator on its own: together they count it twice
    assert separate - exact > 0.3


@pytest.mark.parametrize(
    "settings",
    [{"full_softmax": True}, {"negative_correction": "separate"}, {"min_temperature": 0.2}],
)
def test_each_way_of_training_the_next_post_learns_a_sequence(settings: dict[str, object]) -> None:
    """Posts come in a fixed cycle: whatever the softmax, the next post in the cycle
    ranks first after training (and the temperature stays at or above its floor)."""
    cycle, users = 12, 30
    rng = np.random.default_rng(0)
    rows = []
    for u in range(users):
        start = int(rng.integers(cycle))
        rows += [(u, 1 + (start + k) % cycle) for k in range(10)]
    user, post = (np.array(c) for c in zip(*rows, strict=True))
    data = Interactions.from_arrays(
        user, post, np.zeros(len(user), np.int64), np.ones(len(user)), np.arange(len(user))
    )
    model = ArgusRecommender(
        ArgusSettings(sequence_epochs=25, batch_size=8, holdout_users=0, threads=1, **settings),
        seed=0,
    )
    model.fit(data)
    assert (
        float(model.model.net.temperature().detach())
        >= settings.get("min_temperature", 0.01) - 1e-6
    )
    pool = Candidates.from_arrays(np.arange(1, cycle + 1), np.zeros(cycle, np.int64))
    scores = model.score_many(list(range(users)), pool)
    last = {u: p for u, p in rows}
    hits = sum(int(np.argmax(scores[u])) + 1 == 1 + last[u] % cycle for u in range(users))
    assert hits >= 0.9 * users
