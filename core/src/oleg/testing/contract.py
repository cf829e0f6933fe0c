"""The recommender contract: what every recommender plugin must do for the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from oleg.components import PluginSettings, Recommender
from oleg.engine.training import score_pairs
from oleg.metrics import auc
from oleg.plugins import Plugins
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
        reg = Plugins().component("recommender", self.name)
        settings: PluginSettings = reg.cls.Settings.model_validate(self.settings)
        return reg.cls(settings, seed=seed)  # type: ignore[call-arg]

    @pytest.fixture(scope="class")
    @classmethod
    def data(cls) -> SyntheticFeedback:
        return synthetic_feedback()

    # -- scoring ---------------------------------------------------------------------

    def test_scores_before_any_fit(self, data: SyntheticFeedback) -> None:
        scores = self.make().score(1, data.candidates)
        assert scores.shape == (len(data.candidates),)
        assert np.all(np.isfinite(scores))

    def test_scores_empty_candidates(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(data.train)
        empty = Candidates.from_arrays([], [], [])
        assert model.score(1, empty).shape == (0,)
        assert model.score_many([1, 2], empty).shape == (2, 0)

    def test_score_many_matches_score(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(data.train)
        users = [1, 2, 3]
        many = model.score_many(users, data.candidates)
        assert many.shape == (3, len(data.candidates))
        if self.learns:  # a random model draws new numbers at every call
            for row, user in enumerate(users):
                np.testing.assert_allclose(many[row], model.score(user, data.candidates), rtol=1e-5, atol=1e-6)

    def test_unseen_users_and_posts(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(data.train)
        unseen = Candidates.from_arrays([10_000_001, 10_000_002], [-1_009_999_999_999, int(data.candidates.channel[0])])
        for user in (None, 99_999_999):
            scores = model.score(user, unseen)
            assert scores.shape == (2,) and np.all(np.isfinite(scores))
        assert np.all(np.isfinite(model.bias(data.candidates)))

    # -- learning ----------------------------------------------------------------------

    def test_fit_learns_from_feedback(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(data.train)
        value = auc(data.test.value, score_pairs(model, data.test))
        if self.learns:
            assert value > self.min_auc, f"AUC {value:.3f} on held-out synthetic ratings"
        else:
            assert 0.35 < value < 0.65, f"a non-learning model scored AUC {value:.3f}"

    def test_partial_fit_updates_the_model(self, data: SyntheticFeedback) -> None:
        model = self.make()
        half = len(data.train) // 2
        model.fit(data.train.take(slice(0, half)))
        before = model.score(1, data.candidates).copy()
        model.partial_fit(data.train.take(slice(half, None)))
        after = model.score(1, data.candidates)
        assert np.all(np.isfinite(after))
        if self.learns:
            assert not np.allclose(before, after), "partial_fit on new ratings changed nothing"
            value = auc(data.test.value, score_pairs(model, data.test))
            assert value > self.min_auc

    def test_partial_fit_with_new_users_and_posts(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(data.train)
        fresh = Interactions.from_arrays(
            [5_000_001, 5_000_001], [7_000_001, 7_000_002], [-1_008_888_888_888] * 2, [1.0, 0.0], [1, 2]
        )
        model.partial_fit(fresh)
        scores = model.score(5_000_001, Candidates.from_arrays([7_000_001, 7_000_002], [-1_008_888_888_888] * 2))
        assert np.all(np.isfinite(scores))

    def test_fit_on_empty_feedback(self, data: SyntheticFeedback) -> None:
        model = self.make()
        model.fit(Interactions.empty())
        assert np.all(np.isfinite(model.score(1, data.candidates)))

    # -- persistence and determinism -----------------------------------------------------

    def test_save_load_round_trip(self, data: SyntheticFeedback, tmp_path: Path) -> None:
        model = self.make()
        model.fit(data.train)
        path = tmp_path / "model.bin"
        model.save(path)
        loaded = type(model).load(path)
        if self.learns:
            np.testing.assert_allclose(loaded.score(3, data.candidates), model.score(3, data.candidates), rtol=1e-6)
        else:  # same state: the next draws agree
            np.testing.assert_array_equal(loaded.score(3, data.candidates), model.score(3, data.candidates))

    def test_same_seed_same_result(self, data: SyntheticFeedback) -> None:
        results = []
        for _ in range(2):
            model = self.make(seed=7)
            model.fit(data.train)
            model.partial_fit(data.test)
            results.append(model.score(2, data.candidates))
        np.testing.assert_array_equal(results[0], results[1])

    def test_params_are_json(self) -> None:
        import json

        json.dumps(self.make().params())
