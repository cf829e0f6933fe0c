"""The engine and its parts: fresh pool, exploration, training rounds."""

from oleg.engine.engine import Engine
from oleg.engine.exploration import choose
from oleg.engine.pool import FreshPool
from oleg.engine.training import Trainer
from oleg.scoring import evaluate, score_pairs

__all__ = ["Engine", "FreshPool", "Trainer", "choose", "evaluate", "score_pairs"]
