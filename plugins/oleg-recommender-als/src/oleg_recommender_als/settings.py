"""The ``[recommender]`` settings of ``als``."""

from __future__ import annotations

from enum import StrEnum

from oleg import PluginSettings
from pydantic import Field


class Confidence(StrEnum):
    """How a positive value becomes a confidence: by its sign (oleg's 👍 = 1) or by its
    size (counts: plays, clicks), as in Hu, Koren & Volinsky and implicit's docs."""

    SIGN = "sign"
    """``alpha * like_weight`` for every positive, whatever its size."""
    LINEAR = "linear"
    """``1 + alpha * value``."""
    LOG = "log"
    """``1 + alpha * log(1 + value / epsilon)``: a thousand plays are not a thousand likes."""


class AlsSettings(PluginSettings):
    """Hyperparameters of implicit's ALS and how feedback becomes confidence.

    The entry of the user×post matrix for a 👍 is ``alpha * like_weight`` (with
    ``confidence = "sign"``; from the value itself with ``"linear"`` or ``"log"``, for
    counts), for a 👎 ``-alpha * dislike_weight``; implicit reads a positive entry ``c`` as
    "preference 1 with confidence c" and a negative one ``-c`` as "preference 0 with
    confidence c". Every pair without feedback is "preference 0 with confidence 1", so a 👎
    only says more than silence when its confidence is above 1.
    """

    factors: int = Field(
        default=64, gt=0, description="Latent factors per subscriber and per post."
    )
    regularization: float = Field(
        default=0.01, ge=0, description="L2 regularization of the factors."
    )
    iterations: int = Field(
        default=15, ge=1, description="ALS sweeps (users then items) of a full fit."
    )
    alpha: float = Field(
        default=1.0,
        gt=0,
        description="Multiplies every confidence (implicit's alpha, folded into the matrix).",
    )
    like_weight: float = Field(
        default=20.0, gt=0, description="Confidence of a 👍 (preference 1), with confidence = sign."
    )
    confidence: Confidence = Field(
        default=Confidence.SIGN,
        description="A positive value's confidence: sign (alpha * like_weight), linear "
        "(1 + alpha * value) or log (1 + alpha * log(1 + value / epsilon)): counts as values.",
    )
    epsilon: float = Field(
        default=1.0,
        gt=0,
        description="The unit of a count in confidence = log (Hu et al.'s epsilon).",
    )
    dislike_weight: float = Field(
        default=10.0,
        ge=0,
        description="Confidence of a 👎 (preference 0); 0 leaves dislikes out of the matrix.",
    )
    update_items: bool = Field(
        default=True,
        description="partial_fit also re-solves the vectors of the posts that got new feedback.",
    )
    use_gpu: bool | None = Field(
        default=None,
        description="Fit on the GPU; None: when implicit finds CUDA (implicit.gpu.HAS_CUDA).",
    )
    calculate_training_loss: bool = Field(
        default=False, description="Compute the training loss at each iteration."
    )
    num_threads: int = Field(
        default=0, ge=0, description="Threads of implicit's CPU solver; 0: all cores."
    )
