"""What a fit trains on besides the ratings as given: each rating's loss weight (``ips``)
and the sampled negatives, drawn again before every epoch of a full retrain and every pass
of an incremental round. :class:`TrainingRows` holds that state for one
:class:`~oleg_recommender_embedding.model.Model` (whether it samples, the catalogue the
negatives come from) and saves with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from oleg.types import Interactions
from torch import Tensor

from oleg_recommender_embedding.negatives import Catalog, Redraw, sample_negatives, wants_negatives
from oleg_recommender_embedding.propensity import loss_weights
from oleg_recommender_embedding.settings import EmbeddingSettings

RowsOf = Callable[[str, np.ndarray], Tensor]
"""A model's table rows of an entity ("post", "channel", "category") for store ids."""


class TrainingRows:
    def __init__(self, settings: EmbeddingSettings, model: str, gen: torch.Generator) -> None:
        self.s = settings
        self.model = model  # "dot" or "embedding-nn", for warnings
        self.gen = gen  # the model's generator: the seed decides the negatives
        self.sampling = False
        """The last full retrain's choice, which incremental rounds follow."""
        self.catalog: Catalog | None = None
        """The posts seen in training, with their counts (negatives and popularity IPS)."""
        self.negatives = 0
        """Negatives sampled for the last fit or partial_fit (one draw)."""
        self._redraw: tuple[Redraw, int] | None = None  # and where they start in its rows

    def prepare(self, data: Interactions, *, full: bool) -> Interactions:
        """``data`` with each rating's loss weight (inverse propensities, if asked) and,
        when sampling, the sampled negatives (weight 1) appended.

        A full retrain decides whether to sample; an incremental round follows it. On
        two-class data with the default settings this returns ``data`` itself."""
        s = self.s
        if full:
            self.sampling = wants_negatives(s, data, self.model)
        self.negatives, self._redraw = 0, None
        if s.ips == "off" and not self.sampling:
            self.catalog = None
            return data
        if full or self.catalog is None:
            self.catalog = Catalog.of(data)
        else:
            self.catalog = self.catalog.merged(data)
        weight = loss_weights(s, data, self.catalog, self.model)
        out = data if weight is data.weight else replace(data, weight=weight)
        if self.sampling and len(data):
            draw = int(torch.randint(0, 2**62, (1,), generator=self.gen))
            negatives, redraw = sample_negatives(
                data,
                self.catalog,
                s.negatives_per_positive,
                s.negative_distribution,
                np.random.default_rng(draw),
            )
            self.negatives = len(negatives)
            self._redraw = (redraw, len(out)) if redraw is not None else None
            out = out.concat(negatives)
        return out

    def epoch_redraw(
        self, rows: dict[str, Tensor], train_idx: Tensor, rows_of: RowsOf
    ) -> Callable[[], None] | None:
        """What draws new posts for the sampled negatives among ``train_idx`` in place in a
        full retrain's ``rows`` (the held-out ones stay: the held-out loss compares like
        with like); ``None`` when nothing was sampled."""
        if self._redraw is None or self.catalog is None:
            return None
        redraw, start = self._redraw
        which = train_idx[train_idx >= start].numpy() - start
        catalog = self.catalog
        ids = {"post": catalog.post, "channel": catalog.channel, "category": catalog.category}
        table = {e: rows_of(e, v) for e, v in ids.items() if e in rows}

        def draw() -> None:
            got, item = redraw(which)
            at = torch.from_numpy(got + start)
            picked = torch.from_numpy(item)
            for e, r in table.items():
                rows[e][at] = r[picked]

        return draw

    def partial_passes(self, data: Interactions) -> tuple[Interactions, list[Tensor]]:
        """``data`` (from :meth:`prepare`) with a fresh draw of its sampled negatives for
        every incremental pass after the first, and the rows each pass trains on (the
        ratings and that pass's negatives), so an incremental round, like a full retrain,
        meets many more of the posts a user did not choose. Without sampled negatives:
        ``data``, every row in every pass."""
        passes = self.s.partial_epochs
        if self._redraw is None or self.catalog is None or passes == 1:
            return data, [torch.arange(len(data))] * passes
        redraw, start = self._redraw
        first = data.take(slice(start, None))
        ratings = torch.arange(start)
        out, rows = data, [torch.arange(len(data))]
        which = np.arange(len(first))
        for _ in range(passes - 1):
            got, item = redraw(which)
            columns = {
                "post": first.post.copy(),
                "channel": first.channel.copy(),
                "category": first.category.copy(),
            }
            for name, column in columns.items():
                column[got] = getattr(self.catalog, name)[item]
            rows.append(torch.cat([ratings, len(out) + torch.arange(len(first))]))
            out = out.concat(replace(first, **columns))
        return out, rows

    def state(self) -> dict[str, Any]:
        catalog = self.catalog
        return {
            "sampling": self.sampling,
            "catalog": (
                {k: torch.from_numpy(v) for k, v in catalog.state().items()}
                if catalog is not None
                else None
            ),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.sampling = bool(state.get("sampling", False))
        saved = state.get("catalog")
        self.catalog = (
            Catalog.from_state({k: v.numpy() for k, v in saved.items()}) if saved else None
        )
