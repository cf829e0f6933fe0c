import numpy as np
import pytest
from oleg.config import ExplorationSettings
from oleg.engine import choose


def test_greedy_takes_the_best_unseen():
    picks = choose(np.array([0.1, 0.9, -np.inf, 0.5]), 2, ExplorationSettings(kind="greedy"), np.random.default_rng(0))
    assert picks == [(1, 1.0), (3, 1.0)]


def test_nothing_available():
    assert choose(np.array([-np.inf, -np.inf]), 1, ExplorationSettings(), np.random.default_rng(0)) == []


def test_boltzmann_propensities_match_frequencies():
    scores = np.array([0.2, 0.3, 0.5])
    settings = ExplorationSettings(kind="boltzmann", temperature=0.1)
    rng = np.random.default_rng(1)
    counts = np.zeros(3)
    logged = {}
    for _ in range(20000):
        [(i, p)] = choose(scores, 1, settings, rng)
        counts[i] += 1
        logged[i] = p
    expected = np.exp(scores / 0.1) / np.exp(scores / 0.1).sum()
    np.testing.assert_allclose(counts / counts.sum(), expected, atol=0.01)
    np.testing.assert_allclose([logged[i] for i in range(3)], expected, rtol=1e-9)


@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_epsilon_propensity(eps):
    settings = ExplorationSettings(kind="epsilon", epsilon=eps)
    rng = np.random.default_rng(2)
    scores = np.array([0.1, 0.9, 0.3, -np.inf])
    seen = {}
    for _ in range(3000):
        [(i, p)] = choose(scores, 1, settings, rng)
        seen[i] = p
        assert i != 3
    assert seen[1] == pytest.approx(1 - eps + eps / 3)
    if eps:
        assert seen[0] == pytest.approx(eps / 3)
