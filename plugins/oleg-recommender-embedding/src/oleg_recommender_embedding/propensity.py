"""Per-rating weights of the training loss: inverse-propensity weighting (``ips``).

Feedback is biased by what was shown (a policy shows what it already scores high) and by
what people choose to rate (popular posts are rated more): a model fitted on it learns the
exposure as much as the taste. Weighting each rating's loss by 1 / its propensity undoes
that in expectation; clipping the weights at ``ips_clip`` keeps a few tiny propensities
from dominating, and scaling them to a mean of 1 keeps the learning rate's meaning.

No torch here: plain numpy on :class:`~oleg.types.Interactions`.
"""

from __future__ import annotations

import logging

import numpy as np
from oleg.types import FloatArray, Interactions

from oleg_recommender_embedding.negatives import Catalog
from oleg_recommender_embedding.settings import EmbeddingSettings

log = logging.getLogger(__name__)


def popularity_propensity(data: Interactions, catalog: Catalog, power: float) -> FloatArray:
    """Each rating's estimated propensity, ``(count / largest count) ** power`` of its post
    (counts from ``catalog``, which holds every post of ``data``): the most rated post has
    propensity 1, a post rated once ``(1 / largest) ** power``."""
    count = catalog.count[catalog.index(data.post)]
    return (count / catalog.count.max()) ** power


def loss_weights(
    s: EmbeddingSettings, data: Interactions, catalog: Catalog, model: str
) -> FloatArray | None:
    """The weight of each rating of ``data`` in the loss, or ``None`` where every rating
    weighs 1 (the unweighted loss, bit for bit)."""
    if s.ips == "off" or len(data) == 0:
        return data.weight
    if s.ips == "logged":
        if data.weight is None:
            log.warning(
                "%s: ips = 'logged' but the feedback carries no weight (inverse propensity): "
                "trained unweighted.",
                model,
            )
            return None
        inverse = data.weight
    else:
        inverse = 1.0 / popularity_propensity(data, catalog, s.ips_power)
        if data.weight is not None:
            inverse = inverse * data.weight
    return clipped(inverse, s.ips_clip)


def clipped(inverse: FloatArray, clip: float) -> FloatArray:
    """Inverse propensities clipped to at most ``clip``, then scaled to a mean of 1."""
    if (inverse < 0).any() or not np.isfinite(inverse).all():
        raise ValueError("inverse-propensity weights must be finite and non-negative")
    w = np.minimum(inverse, clip)
    mean = float(w.mean())
    return w / mean if mean > 0 else np.ones(len(w))
