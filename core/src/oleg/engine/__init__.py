"""The engine and its parts: fresh pool, exploration, the model registry."""

from oleg.engine.engine import Engine
from oleg.engine.exploration import choose
from oleg.engine.pool import FreshPool
from oleg.engine.registry import ModelRegistry
from oleg.scoring import evaluate, score_pairs

__all__ = ["Engine", "FreshPool", "ModelRegistry", "choose", "evaluate", "score_pairs"]
