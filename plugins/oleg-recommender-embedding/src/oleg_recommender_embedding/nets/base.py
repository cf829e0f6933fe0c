"""What :class:`~oleg_recommender_embedding.model.Model` asks of a network: :class:`Net`.

A network owns the dense parameters (a global bias, layers) and says how rows of the
embedding tables become a prediction. The tables themselves, the id maps, the row
optimisers and the training loop live in the model, so a network never sees store ids,
never allocates a row, and trains only through :meth:`Net.train_step`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

ENTITIES = ("user", "channel", "post")  # every network's; embedding-nn may add "category"


@dataclass
class Pool:
    """What a candidate pool contributes to every user's score, computed once per pool."""

    post: np.ndarray
    channel: np.ndarray
    version: int
    item: Tensor  # dot: (n, K+1) = [channel+post vector | channel+post bias + global]; nn: (H, n)
    bias: Tensor  # (n,) part of the output logit that depends on the candidate only
    channel_dot: Tensor | None = None  # nn: (distinct channels, kc) channel side of user · channel
    post_dot: Tensor | None = None  # nn: (n, kp) post side of user · post
    inverse: Tensor | None = None  # nn: each candidate's index into the distinct channels
    category: np.ndarray | None = None  # nn with categories: each candidate's category code
    category_dot: Tensor | None = None  # nn: (distinct categories, kk) category side of u·k
    category_inverse: Tensor | None = None  # nn: each candidate's index into the categories


class Net(nn.Module, ABC):
    """A network over embedding rows, as the model uses it.

    ``entities`` names the tables the network reads, in the order :meth:`raw` takes their
    rows (user, channel, post, then category if any); ``dims[entity]`` is the width of a
    row of that table. The model keeps one table per entity and hands the network rows of
    them: at training time the rows a batch gathered, at scoring time a pool's.
    """

    entities: tuple[str, ...]
    dims: dict[str, int]

    @abstractmethod
    def reset(self, mean: float, gen: torch.Generator) -> None:
        """Re-initialise the dense parameters from ``gen``; ``mean`` is the data's mean rating."""

    @abstractmethod
    def init_rows(self, entity: str, rows: Tensor, std: float, gen: torch.Generator) -> None:
        """Fill new rows of ``entity``'s table in place."""

    @abstractmethod
    def raw(self, u: Tensor, c: Tensor, p: Tensor, k: Tensor | None = None) -> Tensor:
        """The output logit (before :meth:`link`) of each row of the given rows, in eval mode."""

    @abstractmethod
    def link(self, x: Tensor) -> Tensor:
        """Logits to ratings on 0..1."""

    @abstractmethod
    def train_step(
        self,
        rows: dict[str, Tensor],
        y: Tensor,
        denom: int,
        reg: float,
        loss: str,
        noise: torch.Generator,
        weight: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """One step's loss sum and gradients on the gathered ``rows`` (one tensor per entity).

        Leaves the dense parameters' gradients in their ``.grad`` (divided by ``denom``, with
        ``reg`` times the rows' squared norm added to the loss); returns the summed loss and
        the gradient of every gathered row, which the model's row optimiser applies.
        ``weight``: each rating's weight in the loss (``None``: all 1)."""

    @abstractmethod
    def pool(
        self,
        channels: Tensor,
        inverse: Tensor,
        p: Tensor,
        categories: Tensor | None = None,
        category_inverse: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """The candidate side of the score, once per pool: the :class:`Pool` fields it sets.

        ``channels``: rows of the distinct channels, ``inverse``: each candidate's index into
        them, ``p``: each candidate's post row; likewise for categories."""

    @abstractmethod
    def score(self, users: Tensor, pool: Pool) -> Tensor:
        """(users, candidates) ratings on 0..1 for the given user rows."""

    def bias(self, rows: Callable[[str], Tensor]) -> Tensor | None:
        """The candidate-only prediction (cold start's learned post bias), from the rows of
        each candidate's entities (``rows("channel")``, fetched only when asked); ``None``
        for a net that has none: the model then scores an average user instead."""
        return None


def logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))
