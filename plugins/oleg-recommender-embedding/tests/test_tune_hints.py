"""The search space `oleg tune` reads from the settings (``json_schema_extra={"tune": ...}``):
what it covers, and that every default lies inside its range, so that the tuner can start
from the defaults (it tells them to the sampler as a trial already run only then)."""

import pytest
from oleg_recommender_embedding import DotSettings, EmbeddingNNSettings

SHARED = {"lr", "embedding_reg", "weight_decay", "batch_size", "unseen_user"}


def _declared(settings: type) -> dict[str, dict]:
    return {
        name: field.json_schema_extra["tune"]
        for name, field in settings.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and "tune" in field.json_schema_extra
    }


@pytest.mark.parametrize(
    ("settings", "own"),
    [
        (DotSettings, {"dim"}),
        (
            EmbeddingNNSettings,
            {"user_dim", "channel_dim", "post_dim", "hidden", "dropout", "cold_dropout"},
        ),
    ],
)
def test_the_declared_space_holds_the_defaults(settings: type, own: set[str]) -> None:
    declared = _declared(settings)
    assert set(declared) == SHARED | own
    defaults = settings()
    for name, mark in declared.items():
        value = getattr(defaults, name)
        if "choices" in mark:
            assert value in mark["choices"], name
        else:
            assert mark["low"] <= value <= mark["high"], name
            assert not mark["log"] or mark["low"] > 0, name
