"""A fit streamed into VW's command line in a child process learns the model the
in-process driver learns, updates go on alike, and a failing child says why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oleg.types import Interactions
from oleg_recommender_vw import training
from oleg_recommender_vw.model import workspace
from oleg_recommender_vw.settings import VwSettings


@pytest.mark.skipif(not training.can_stream(), reason="no /dev/stdin on this platform")
@pytest.mark.parametrize("passes", [1, 3])
def test_streamed_fit_equals_the_in_process_fit(
    monkeypatch: pytest.MonkeyPatch, random_model, passes: int
) -> None:
    monkeypatch.setattr("oleg_recommender_vw.examples.CHUNK_ROWS", 500)  # several chunks
    settings = VwSettings(interactions=["uc", "uk", "um", "uw", "hc"], passes=passes, l2=1e-6)
    models = {}
    for stream_from in (10**9, 0):
        monkeypatch.setattr(training, "STREAM_FROM", stream_from)
        model, cands, now = random_model(settings, 6)  # fit(), then partial_fit()
        assert model.fit_info["streamed"] is (stream_from == 0)
        models[stream_from] = model
    in_process, streamed = models[10**9], models[0]
    ratings = Interactions.from_arrays(
        [3, 5, 8] * 40,
        cands.post[:120],
        cands.channel[:120],
        [1.0, 0.0] * 60,
        [now] * 120,
        cands.category[:120],
    )
    for user in (None, 3, 41):
        np.testing.assert_allclose(
            streamed.margins(user, cands, now=now),
            in_process.margins(user, cands, now=now),
            atol=1e-9,
        )
    for model in (in_process, streamed):  # and they learn on alike
        model.partial_fit(ratings)
    np.testing.assert_allclose(
        streamed.margins(3, cands, now=now), in_process.margins(3, cands, now=now), atol=1e-9
    )
    assert np.abs(streamed.score(3, cands) - streamed.vw_predict(3, cands)).max() < 1e-6


@pytest.mark.skipif(not training.can_stream(), reason="no /dev/stdin on this platform")
def test_a_failing_child_says_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="exit status"):
        training.learn_in_child(
            workspace, ["--no_such_flag"], [], iter([b"1 |u 1\n"] * 10), tmp_path
        )


@pytest.mark.skipif(not training.can_stream(), reason="no /dev/stdin on this platform")
def test_a_failing_build_stops_the_child(tmp_path: Path) -> None:
    def chunks():
        yield b"1 |u 1\n" * 1000
        raise ValueError("the store went away")

    with pytest.raises(ValueError, match="store went away"):
        training.learn_in_child(workspace, ["--quiet"], ["--quiet"], chunks(), tmp_path)
    assert not (tmp_path / "model.vw").exists()
