"""Data-parallel fit: two processes on CPU (gloo, file store) stay equal and learn as one does."""

import numpy as np
from oleg.metrics import auc
from oleg.scoring import score_pairs
from oleg.testing.synthetic import synthetic_feedback
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.ddp import spawn_fit

SETTINGS = {"pretrain_epochs": 4, "sequence_epochs": 4, "finetune_epochs": 5, "threads": 1}


def test_two_processes_match_one(tmp_path) -> None:
    data = synthetic_feedback()
    ranks = spawn_fit(SETTINGS, 3, data.train, world_size=2, workdir=tmp_path)
    np.testing.assert_array_equal(
        ranks[0].score_many([1, 2], data.candidates), ranks[1].score_many([1, 2], data.candidates)
    )
    single = ArgusRecommender(ArgusSettings(**SETTINGS), seed=3)
    single.fit(data.train)
    one = auc(data.test.value, score_pairs(single, data.test))
    two = auc(data.test.value, score_pairs(ranks[0], data.test))
    assert two > 0.55 and abs(two - one) < 0.05, (one, two)
