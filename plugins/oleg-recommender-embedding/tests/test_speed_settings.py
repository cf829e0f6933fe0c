"""How a full retrain sizes its steps and how many threads a call takes."""

import math
import os

import numpy as np
import pytest
import torch
from oleg import Interactions
from oleg_recommender_embedding import DotRecommender, DotSettings, EmbeddingNNSettings
from oleg_recommender_embedding.model import full_retrain_steps
from oleg_recommender_embedding.threads import default_threads, threads_for


def test_small_retrains_keep_batch_size_and_lr() -> None:
    s = EmbeddingNNSettings()
    assert full_retrain_steps(s, 512 * 128) == (512, s.lr)  # the demo, MovieLens folds
    assert full_retrain_steps(EmbeddingNNSettings(max_steps_per_epoch=None), 10**7) == (512, s.lr)


def test_large_retrains_grow_the_batch_and_the_learning_rate() -> None:
    s = DotSettings()
    bs, lr = full_retrain_steps(s, 900_000)
    assert bs == math.ceil(900_000 / 128) == 7032
    assert lr == pytest.approx(s.lr * (7032 / 512) ** 0.25)
    assert full_retrain_steps(s, 10**8)[0] == s.max_batch_size  # capped
    assert full_retrain_steps(DotSettings(lr_batch_power=0.0), 900_000)[1] == s.lr


def test_a_fit_reports_its_steps_and_threads() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    data = Interactions.from_arrays(
        rng.integers(1, 2000, n),
        rng.integers(1, 5000, n),
        -rng.integers(1, 50, n),
        (rng.random(n) < 0.4).astype(float),
        np.arange(n),
    )
    model = DotRecommender(DotSettings(epochs=1, max_steps_per_epoch=4), seed=0)
    model.fit(data)
    info = model.fit_info
    assert info["batch_size"] == math.ceil((n - n // 10) / 4) >= 2048
    assert info["threads"] == default_threads() == torch.get_num_threads()
    model.partial_fit(data.take(np.arange(1000)))
    assert torch.get_num_threads() == 1  # two steps of 512: not worth a second thread


def test_threads_follow_the_work() -> None:
    assert default_threads() == len(os.sched_getaffinity(0))
    assert threads_for(None, 100, 2048) == 1
    assert threads_for(None, 4096, 2048) == default_threads()
    assert threads_for(3, 4096, 2048) == 3


def test_wide_rows_cap_the_grown_batch() -> None:
    from oleg_recommender_embedding.model import STEP_BYTES

    s = EmbeddingNNSettings()
    assert full_retrain_steps(s, 900_000, 203)[0] == 7032  # no categories: as many as asked
    assert full_retrain_steps(s, 900_000, 972)[0] == STEP_BYTES // (4 * 972)  # 256-wide categories
    assert full_retrain_steps(s, 900_000, 10**6)[0] == s.batch_size  # never below batch_size
