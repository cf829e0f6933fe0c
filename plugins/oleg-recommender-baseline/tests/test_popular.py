import numpy as np

from oleg import Candidates, Interactions
from oleg_recommender_baseline import PopularRecommender
from oleg_recommender_baseline.popular import PopularSettings


def test_smoothing_towards_channel_then_global():
    model = PopularRecommender(PopularSettings(post_prior=1, channel_prior=1, global_prior=0.5))
    # channel 10: post 1 liked twice; channel 20: post 2 disliked twice
    model.fit(Interactions.from_arrays([1, 2, 1, 2], [1, 1, 2, 2], [10, 10, 20, 20], [1, 1, 0, 0]))
    global_rate = (2 + 1 * 0.5) / (4 + 1)
    ch10 = (2 + global_rate) / 3
    scores = model.score(None, Candidates.from_arrays([1, 3, 4], [10, 10, 99]))
    np.testing.assert_allclose(scores, [(2 + ch10) / 3, ch10, (0 + global_rate) / 1])


def test_same_for_everyone_and_incremental_equals_full():
    data = Interactions.from_arrays([1, 2, 3, 1], [5, 5, 6, 7], [1, 1, 2, 2], [1, 0, 1, 1])
    full, step = PopularRecommender(), PopularRecommender()
    full.fit(data)
    step.fit(data.take(slice(0, 2)))
    step.partial_fit(data.take(slice(2, None)))
    cands = Candidates.from_arrays([5, 6, 7, 8], [1, 2, 2, 3])
    np.testing.assert_allclose(full.score(1, cands), step.score(1, cands))
    many = full.score_many([1, 2], cands)
    np.testing.assert_allclose(many[0], many[1])
