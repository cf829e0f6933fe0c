import numpy as np

from oleg import Candidates, Interactions
from oleg_coldstart_topbias import TopBias, TopBiasSettings
from oleg_recommender_baseline import PopularRecommender


def test_applies_until_first_posts_ratings():
    policy = TopBias(TopBiasSettings(first_posts=30))
    assert policy.applies(n_rated=0, n_delivered=0)
    assert policy.applies(n_rated=29, n_delivered=40)
    assert not policy.applies(n_rated=30, n_delivered=30)
    assert not TopBias(TopBiasSettings(first_posts=0)).applies(0, 0)


def test_ranks_by_the_recommenders_bias():
    model = PopularRecommender()
    model.fit(Interactions.from_arrays([1] * 6, [1, 1, 1, 2, 2, 2], [7, 7, 7, 8, 8, 8], [1, 1, 1, 0, 0, 0]))
    ranking = TopBias().rank(Candidates.from_arrays([2, 1], [8, 7]), model)
    assert np.argmax(ranking) == 1
