"""The networks behind the two recommenders, each a :class:`Net`: ``dot``'s
:class:`DotNet` and ``embedding-nn``'s :class:`MLPNet`."""

from __future__ import annotations

from oleg_recommender_embedding.nets.base import ENTITIES, Net, Pool
from oleg_recommender_embedding.nets.dot import DotNet
from oleg_recommender_embedding.nets.mlp import MLPNet
from oleg_recommender_embedding.settings import DotSettings, EmbeddingNNSettings, EmbeddingSettings


def make_net(kind: str, settings: EmbeddingSettings, *, categories: bool) -> Net:
    """``dot``'s network for kind "dot", ``embedding-nn``'s otherwise (with a category
    table when ``categories``)."""
    if kind == "dot" and isinstance(settings, DotSettings):
        return DotNet(settings)
    if kind != "dot" and isinstance(settings, EmbeddingNNSettings):
        return MLPNet(settings, categories=categories)
    raise TypeError(f"a {kind!r} network cannot be built from {type(settings).__name__}")


__all__ = ["ENTITIES", "DotNet", "MLPNet", "Net", "Pool", "make_net"]
