"""The recommender contract names the case that failed and what was wrong with it.

A small reference recommender passes the whole contract (the first class below); each
broken variant breaks one thing, and the check that catches it must say which call and what.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from oleg import Candidates, Interactions, Recommender
from oleg.testing import RecommenderContract, SyntheticFeedback, synthetic_feedback
from oleg.testing.score_checks import positions


class PostRate(Recommender):
    """Each post's like rate smoothed towards its channel's: learns, deterministic, picklable."""

    name = "post-rate"

    def __init__(self, settings: Any = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self.fit(Interactions.empty())

    def fit(self, feedback: Interactions) -> None:
        self.posts: dict[int, list[float]] = {}
        self.channels: dict[int, list[float]] = {}
        self.partial_fit(feedback)

    def partial_fit(self, feedback: Interactions) -> None:
        for post, channel, value in zip(
            feedback.post.tolist(), feedback.channel.tolist(), feedback.value.tolist(), strict=True
        ):
            for counts in (
                self.posts.setdefault(post, [0.0, 0.0]),
                self.channels.setdefault(channel, [0.0, 0.0]),
            ):
                counts[0] += value
                counts[1] += 1.0

    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        out = np.empty(len(candidates))
        pairs = zip(candidates.post.tolist(), candidates.channel.tolist(), strict=True)
        for i, (post, channel) in enumerate(pairs):
            c_likes, c_total = self.channels.get(channel, (0.0, 0.0))
            channel_rate = (c_likes + 2.0 * 0.25) / (c_total + 2.0)
            p_likes, p_total = self.posts.get(post, (0.0, 0.0))
            out[i] = (p_likes + 3.0 * channel_rate) / (p_total + 3.0)
        return out


class TestPostRatePassesTheContract(RecommenderContract):
    def make(self, seed: int = 0) -> Recommender:
        return PostRate(seed=seed)


# -- broken variants ---------------------------------------------------------------------


class NaNAtThreeAndSeven(PostRate):
    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        scores = super().score(user, candidates)
        if len(scores) > 7:
            scores[[3, 7]] = np.nan
        return scores


class OneScoreShort(PostRate):
    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        return super().score(user, candidates)[:-1]


class NoneUserRaises(PostRate):
    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        if user is None:
            raise TypeError("user must be an int")
        return super().score(user, candidates)


class ScoreManyDiffers(PostRate):
    def score_many(self, users: Any, candidates: Candidates) -> np.ndarray:
        return super().score_many(users, candidates) + 0.5


class LoadShifts(PostRate):
    @classmethod
    def load(cls, path: Path) -> Recommender:
        model = super().load(path)
        model.score = lambda user, candidates: PostRate.score(model, user, candidates) + 0.2  # type: ignore[method-assign]
        return model


class IgnoresSeed(PostRate):
    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        noise = np.random.default_rng().random(len(candidates)) * 1e-3  # not from self.seed
        return super().score(user, candidates) + noise


class PartialFitForgets(PostRate):
    def partial_fit(self, feedback: Interactions) -> None:
        if not hasattr(self, "_fitted"):
            self._fitted = True
            super().partial_fit(feedback)


class Constant(PostRate):
    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        return np.full(len(candidates), 0.5)


class ParamsNotJson(PostRate):
    def params(self) -> dict[str, Any]:
        return {"when": object()}


class WrongManyShape(PostRate):
    def score_many(self, users: Any, candidates: Candidates) -> np.ndarray:
        return super().score_many(users, candidates).T


def contract_for(cls: type[Recommender]) -> RecommenderContract:
    contract = RecommenderContract()
    contract.make = lambda seed=0: cls(seed=seed)  # type: ignore[method-assign]
    return contract


@pytest.fixture(scope="module")
def data() -> SyntheticFeedback:
    return synthetic_feedback()


CASES = [  # (broken recommender, contract check, what its failure must say)
    (NaNAtThreeAndSeven, "test_scores_before_any_fit",
     r"^score\(1, candidates\) before any fit returned NaN at positions \[3, 7\]$"),
    (OneScoreShort, "test_scores_before_any_fit",
     r"^score\(1, candidates\) before any fit returned 299 scores for 300 candidates$"),
    (OneScoreShort, "test_unseen_users_and_posts",
     r"^score\(None, unseen posts, one on an unseen channel\) returned 1 scores for 2 candidates$"),
    (NoneUserRaises, "test_unseen_users_and_posts",
     r"^score\(None, unseen posts, one on an unseen channel\) raised TypeError: "
     r"user must be an int$"),
    (ScoreManyDiffers, "test_score_many_matches_score",
     r"^row 0 of score_many\(\[1, 2, 3\], candidates\) differs from score\(1, candidates\): "
     r"max difference 0\.5 at position \d+ \(1\.\d+ against 0\.\d+\); "
     r"they differ at positions \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \.\.\.\] \(300 in all\)$"),
    (WrongManyShape, "test_score_many_matches_score",
     r"^score_many\(\[1, 2, 3\], candidates\) returned an array of shape \(300, 3\), "
     r"expected \(3, 300\) \(one row per user"),
    (LoadShifts, "test_save_load_round_trip",
     r"^save\(\)/load\(\) changed the scores of user 3: max difference 0\.2 at position \d+ "
     r".*\(300 in all\)$"),
    (IgnoresSeed, "test_same_seed_same_result",
     r"^same seed gave different scores \(two models built with seed=7"),
    (PartialFitForgets, "test_partial_fit_updates_the_model",
     r"^partial_fit\(second half of the training ratings\) changed nothing in "
     r"score\(1, candidates\)(?:\n|$)"),
    (Constant, "test_fit_learns_from_feedback",
     r"^after fit\(training ratings\), AUC 0\.500 on held-out synthetic ratings "
     r"is not above min_auc 0\.55(?:\n|$)"),
    (ParamsNotJson, "test_params_are_json",
     r"^params\(\) returned something json\.dumps cannot write: Object of type object"),
]


@pytest.mark.parametrize(
    ("broken", "check", "message"), CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES]
)
def test_a_broken_recommender_fails_naming_the_case(
    broken: type[Recommender], check: str, message: str, data: SyntheticFeedback, tmp_path: Path
) -> None:
    method = getattr(contract_for(broken), check)
    kwargs: dict[str, Any] = {}
    if "data" in method.__code__.co_varnames:
        kwargs["data"] = data
    if "tmp_path" in method.__code__.co_varnames:
        kwargs["tmp_path"] = tmp_path
    with pytest.raises(AssertionError, match=message):
        method(**kwargs)


def test_a_learner_scoring_nan_fails_on_the_auc_call_too(data: SyntheticFeedback) -> None:
    message = r"^score\(1, candidates\) after fit returned NaN at positions \[3, 7\]$"
    with pytest.raises(AssertionError, match=message):
        contract_for(NaNAtThreeAndSeven).test_partial_fit_updates_the_model(data)


def test_positions_lists_a_few_then_counts() -> None:
    assert positions(np.array([False, True, False, True])) == "[1, 3]"
    many = positions(np.ones(40, dtype=bool))
    assert many == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...] (40 in all)"
    assert positions(np.array([[False, True], [True, False]])) == "[(0, 1), (1, 0)]"
