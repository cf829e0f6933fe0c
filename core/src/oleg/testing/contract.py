"""The recommender contract: what every recommender plugin must do for the engine.

Each check names the call that failed and what was wrong with its result (see
:mod:`oleg.testing.score_checks`), so a plugin author reads which case broke first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from oleg.components import Recommender, build_component
from oleg.scoring import score_pairs
from oleg.metrics import auc
from oleg.plugins import Plugins
from oleg.testing.score_checks import assert_same_scores, calling, checked_scores
from oleg.testing.synthetic import SyntheticFeedback, synthetic_feedback
from oleg.types import Candidates, Interactions


class RecommenderContract:
    """Subclass in a test module; set ``name`` (or override ``make``) and ``learns``."""

    name: ClassVar[str] = ""
    settings: ClassVar[dict[str, Any]] = {}
    learns: ClassVar[bool] = True
    """Whether the model should beat chance (AUC > 0.55) on the synthetic test split."""
    min_auc: ClassVar[float] = 0.55

    def make(self, seed: int = 0) -> Recommender:
        """Build the recommender through the installed plugin, as a deployment would."""
        cls = Plugins().recommender(self.name)
        return build_component(cls, cls.Settings.model_validate(self.settings), seed=seed)

    @pytest.fixture(scope="class")
    @classmethod
    def data(cls) -> SyntheticFeedback:
        return synthetic_feedback()

    # -- scoring ---------------------------------------------------------------------

    def test_scores_before_any_fit(self, data: SyntheticFeedback) -> None:
        call = "score(1, candidates) before any fit"
        with calling(call):
            scores = self.make().score(1, data.candidates)
        checked_scores(scores, (len(data.candidates),), call)

    def test_scores_empty_candidates(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        empty = Candidates.from_arrays([], [], [])
        for call, scores, shape in (
            ("score(1, no candidates)", lambda: model.score(1, empty), (0,)),
            ("score_many([1, 2], no candidates)", lambda: model.score_many([1, 2], empty), (2, 0)),
        ):
            with calling(call):
                checked_scores(scores(), shape, call)

    def test_score_many_matches_score(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        users = [1, 2, 3]
        call = f"score_many({users}, candidates)"
        with calling(call):
            many = checked_scores(
                model.score_many(users, data.candidates), (3, len(data.candidates)), call
            )
        if self.learns:  # a random model draws new numbers at every call
            for row, user in enumerate(users):
                one = f"score({user}, candidates)"
                with calling(one):
                    single = checked_scores(
                        model.score(user, data.candidates), (len(data.candidates),), one
                    )
                assert_same_scores(
                    many[row], single, f"row {row} of {call} differs from {one}",
                    rtol=1e-5, atol=1e-6,
                )

    def test_unseen_users_and_posts(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        unseen = Candidates.from_arrays(
            [10_000_001, 10_000_002], [-1_009_999_999_999, int(data.candidates.channel[0])]
        )
        for user, who in ((None, "None"), (99_999_999, "user=99999999 (never seen)")):
            call = f"score({who}, unseen posts, one on an unseen channel)"
            with calling(call):
                checked_scores(model.score(user, unseen), (2,), call)
        with calling("bias(candidates)"):
            checked_scores(model.bias(data.candidates), (len(data.candidates),), "bias(candidates)")

    # -- learning ----------------------------------------------------------------------

    def _auc(self, model: Recommender, data: SyntheticFeedback) -> float:
        with calling("score_many(test users, test posts)"):
            return auc(data.test.value, score_pairs(model, data.test))

    def test_fit_learns_from_feedback(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        value = self._auc(model, data)
        if self.learns:
            assert value > self.min_auc, (
                f"after fit(training ratings), AUC {value:.3f} on held-out synthetic ratings "
                f"is not above min_auc {self.min_auc}"
            )
        else:
            assert 0.35 < value < 0.65, (
                f"a non-learning model (learns = False) scored AUC {value:.3f} on held-out "
                "ratings, outside 0.35..0.65"
            )

    def test_partial_fit_updates_the_model(self, data: SyntheticFeedback) -> None:
        model = self.make()
        half = len(data.train) // 2
        with calling("fit(first half of the training ratings)"):
            model.fit(data.train.take(slice(0, half)))
        shape = (len(data.candidates),)
        call = "score(1, candidates) after fit"
        with calling(call):
            before = checked_scores(model.score(1, data.candidates), shape, call).copy()
        with calling("partial_fit(second half of the training ratings)"):
            model.partial_fit(data.train.take(slice(half, None)))
        call = "score(1, candidates) after partial_fit"
        with calling(call):
            after = checked_scores(model.score(1, data.candidates), shape, call)
        if self.learns:
            assert not np.allclose(before, after), (
                "partial_fit(second half of the training ratings) changed nothing in "
                "score(1, candidates)"
            )
            value = self._auc(model, data)
            assert value > self.min_auc, (
                f"after fit(first half) and partial_fit(second half), AUC {value:.3f} on held-out "
                f"synthetic ratings is not above min_auc {self.min_auc}"
            )

    def test_partial_fit_with_new_users_and_posts(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        fresh = Interactions.from_arrays(
            [5_000_001, 5_000_001], [7_000_001, 7_000_002], [-1_008_888_888_888] * 2,
            [1.0, 0.0], [1, 2],
        )
        with calling("partial_fit(ratings of a new user on new posts of a new channel)"):
            model.partial_fit(fresh)
        call = "score(5000001, its new posts) after partial_fit"
        with calling(call):
            new_posts = Candidates.from_arrays([7_000_001, 7_000_002], [-1_008_888_888_888] * 2)
            scores = model.score(5_000_001, new_posts)
        checked_scores(scores, (2,), call)

    def test_fit_on_empty_feedback(self, data: SyntheticFeedback) -> None:
        model = self.make()
        with calling("fit(no ratings)"):
            model.fit(Interactions.empty())
        call = "score(1, candidates) after fit(no ratings)"
        with calling(call):
            checked_scores(model.score(1, data.candidates), (len(data.candidates),), call)

    # -- persistence and determinism -----------------------------------------------------

    def test_save_load_round_trip(self, data: SyntheticFeedback, tmp_path: Path) -> None:
        model = self.make()
        with calling("fit(training ratings)"):
            model.fit(data.train)
        path = tmp_path / "model.bin"
        with calling("save(path)"):
            model.save(path)
        with calling(f"{type(model).__name__}.load(path)"):
            loaded = type(model).load(path)
        shape = (len(data.candidates),)
        call = "score(3, candidates) after load"
        with calling(call):
            restored = checked_scores(loaded.score(3, data.candidates), shape, call)
        call = "score(3, candidates) of the saved model"
        with calling(call):
            original = checked_scores(model.score(3, data.candidates), shape, call)
        if self.learns:
            assert_same_scores(
                restored, original, "save()/load() changed the scores of user 3", rtol=1e-6
            )
        else:  # same state: the next draws agree
            assert_same_scores(
                restored, original,
                "save()/load() changed the random state: the next draws for user 3 differ",
            )

    def test_same_seed_same_result(self, data: SyntheticFeedback) -> None:
        results = []
        for _ in range(2):
            model = self.make(seed=7)
            with calling("fit(training ratings), then partial_fit(test ratings)"):
                model.fit(data.train)
                model.partial_fit(data.test)
            call = "score(2, candidates)"
            with calling(call):
                scores = model.score(2, data.candidates)
            results.append(checked_scores(scores, (len(data.candidates),), call))
        assert_same_scores(
            results[1], results[0],
            "same seed gave different scores (two models built with seed=7, fitted and updated "
            "on the same ratings, scored user 2)",
        )

    def test_params_are_json(self) -> None:
        import json

        with calling("params()"):
            params = self.make().params()
        try:
            json.dumps(params)
        except (TypeError, ValueError) as exc:
            raise AssertionError(
                f"params() returned something json.dumps cannot write: {exc}"
            ) from None
