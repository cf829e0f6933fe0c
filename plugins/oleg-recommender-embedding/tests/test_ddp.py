"""Data-parallel full retrain: two processes on CPU (gloo, file store) reach the quality of one."""

import numpy as np
from oleg.scoring import score_pairs
from oleg.metrics import auc
from oleg_recommender_embedding import DotRecommender, EmbeddingNNRecommender
from oleg_recommender_embedding.ddp import spawn_fit


def test_two_processes_match_one(synthetic, tmp_path) -> None:
    jobs = [("dot", {}, 3), ("embedding-nn", {}, 3)]
    results = spawn_fit(jobs, synthetic.train, world_size=2, workdir=tmp_path)
    for (name, _, seed), ranks in zip(jobs, results, strict=True):
        cls = DotRecommender if name == "dot" else EmbeddingNNRecommender
        single = cls(seed=seed)
        single.fit(synthetic.train)
        # the replicas stayed identical
        np.testing.assert_array_equal(
            ranks[0].score_many([1, 2], synthetic.candidates),
            ranks[1].score_many([1, 2], synthetic.candidates),
        )
        one = auc(synthetic.test.value, score_pairs(single, synthetic.test))
        two = auc(synthetic.test.value, score_pairs(ranks[0], synthetic.test))
        assert two > 0.6 and abs(two - one) < 0.02, (name, one, two)
        if name == "dot":  # no dropout: the same steps as one process, up to float summation order
            np.testing.assert_allclose(
                ranks[0].score(1, synthetic.candidates),
                single.score(1, synthetic.candidates),
                atol=1e-4,
            )
