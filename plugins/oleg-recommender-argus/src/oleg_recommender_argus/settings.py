"""Settings of ``argus`` (a deployment's TOML section is validated here).

Plain pydantic, no torch: ``oleg check deploy.toml`` validates a section without importing
torch. The network's size comes from a preset (``small`` / ``medium`` / ``large``); any of
its numbers set by hand overrides the preset's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from oleg import PluginSettings
from pydantic import Field, model_validator

Variant = Literal["one-token", "three-token"]
Device = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class Size:
    """The numbers a preset fixes."""

    dim: int
    layers: int
    heads: int
    hash_buckets: int
    max_history: int


PRESETS: dict[str, Size] = {
    "small": Size(dim=32, layers=1, heads=2, hash_buckets=1 << 14, max_history=50),
    "medium": Size(dim=64, layers=2, heads=4, hash_buckets=1 << 16, max_history=100),
    "large": Size(dim=128, layers=4, heads=4, hash_buckets=1 << 17, max_history=200),
}


class ArgusSettings(PluginSettings):
    """``argus``: sizes, what is learned and how, and where it runs."""

    preset: Literal["small", "medium", "large"] = Field(
        "small",
        description="Network size: small (32 wide, 1 layer, ~0.7M parameters), medium (64, 2 "
        "layers, ~4.7M), large (128, 4 layers, ~18.6M). The fields below override it.",
    )
    dim: int | None = Field(None, ge=8, description="Width of every token and vector.")
    layers: int | None = Field(None, ge=1, description="Transformer layers.")
    heads: int | None = Field(None, ge=1, description="Attention heads (must divide dim).")
    hash_buckets: int | None = Field(
        None, ge=64, description="Rows of the hashed post-id table (shared by all post hashes)."
    )
    max_history: int | None = Field(
        None, ge=2, description="Most steps of a history the transformer reads (the newest)."
    )
    post_hashes: int = Field(
        2,
        ge=1,
        le=8,
        description="Hashes of a post id (their rows are summed): collisions of "
        "one hash are told apart by another.",
    )
    variant: Variant = Field(
        "one-token",
        description="one-token: each (context, post, feedback) step is one token (ARGUS's "
        "simplified variant, three times shorter sequences); three-token: a token each.",
    )
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout inside the transformer.")
    input_dropout: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Dropout of the tokens as they enter the transformer (SASRec's "
        "embedding dropout). Off by default: 0.3 lowered Amazon Video Games' NDCG@10.",
    )
    lr: float = Field(0.002, gt=0, description="Adam's learning rate (pretraining).")
    finetune_lr: float = Field(0.002, gt=0, description="Learning rate of pairwise fine-tuning.")
    partial_lr: float = Field(0.0005, gt=0, description="Learning rate of an incremental round.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW's weight decay.")
    batch_size: int = Field(64, ge=1, description="Histories (windows) per step.")
    pretrain_epochs: int = Field(
        5,
        ge=0,
        description="Passes of next-post and feedback prediction in a fit of histories "
        "with feedback (likes and dislikes): there the next post is an auxiliary task, and "
        "more passes lowered MovieLens's PairAccuracy (bench_argus_feedback.py).",
    )
    sequence_epochs: int = Field(
        40,
        ge=0,
        description="Most passes of a fit of histories with one kind of feedback "
        "(positives only, a sequential data set): the next post is then what is served, "
        "trained until early stopping ends it (``patience``).",
    )
    patience: int = Field(
        8,
        ge=0,
        description="Early stopping: pretraining stops after this many passes without a "
        "better NDCG@10 of the held-out next posts, and keeps its best pass; 0 runs every "
        "pass (docs/configuration.md, argus).",
    )
    holdout_users: int = Field(
        1000,
        ge=0,
        description="Early stopping: histories (of at least 7 steps) whose last 3 steps "
        "are held out of pretraining to judge its passes; 0 holds out none (no early stopping).",
    )
    finetune_epochs: int = Field(
        2,
        ge=0,
        description="Passes of pairwise fine-tuning after pretraining (skipped when "
        "no history holds two shown posts with different feedback).",
    )
    partial_steps: int = Field(
        3,
        ge=0,
        description="Optimisation steps of an incremental round on the histories "
        "that got new events; 0 only updates those subscribers' vectors.",
    )
    uniform_negatives: int = Field(
        256,
        ge=0,
        description="Posts drawn uniformly from the known ones as negatives of the "
        "next-post softmax, besides the batch's own posts.",
    )
    in_batch_negatives: bool = Field(
        True, description="Use the other posts of the batch as negatives (logQ-corrected)."
    )
    full_softmax: bool = Field(
        False,
        description="Score every known post as a negative of the next-post softmax (the "
        "exact softmax, no sampling): steps x known posts dot products a batch, for "
        "catalogs of tens of thousands.",
    )
    negative_correction: Literal["mixture", "separate"] = Field(
        "mixture",
        description="logQ of the next-post softmax's negatives: mixture corrects each, "
        "in-batch or uniform, by how often it is expected among all of a step's negatives "
        "(mixed negative sampling); separate corrects each kind by its own draws alone.",
    )
    temperature: float = Field(
        0.05,
        ge=0.01,
        le=100,
        description="Initial e^tau of f(h, i) = cos(h, i) / e^tau; tau "
        "is learned, e^tau clipped to [min_temperature, 100].",
    )
    min_temperature: float = Field(
        0.01,
        ge=0.01,
        le=100,
        description="Least e^tau can learn (ARGUS clips it at 0.01).",
    )
    next_weight: float = Field(1.0, ge=0, description="Weight of the next-post loss.")
    feedback_weight: float = Field(1.0, ge=0, description="Weight of the feedback losses.")
    pair_weight: float = Field(1.0, ge=0, description="Weight of the pairwise loss.")
    bce_weight: float = Field(
        0.5,
        ge=0,
        description="Weight of a like's BCE on the served score while fine-tuning "
        "(keeps it a probability).",
    )
    taste_weight: float = Field(
        24.0,
        description="Initial weight of the subscriber's own taste in the served score: "
        "the mean unit vector of the posts they liked counts +w, of those they disliked -w "
        "(learned from there; 0 starts without it).",
    )
    recent_steps: int = Field(
        20,
        ge=0,
        description="Steps the recent taste reads: the newest of the history (at most half "
        "of max_history; 0: no recent taste).",
    )
    recent_taste_weight: float = Field(
        8.0,
        description="Initial weight of the recent taste, as taste_weight's (learned from "
        "there): tastes that drift are told by what was answered lately.",
    )
    personal_weight: float = Field(
        4.0,
        description="Initial weight of the subscriber's own balance, (likes - dislikes) / "
        "(shown + 2), for the post's category and for its channel (learned from there; 0 "
        "starts without it).",
    )
    quality_weight: float = Field(
        4.0,
        description="Initial weight of the post's quality in the served score: how the "
        "other subscribers answered it, (likes - dislikes) / shown, smoothed towards its "
        "channel's (learned from there; 0 starts without it).",
    )
    cold_quality_weight: float = Field(
        40.0,
        description="Initial extra weight of the post's quality for a subscriber who "
        "answered nothing yet (it has no taste to go by), halved after 5 answers, a "
        "quarter after 15 (learned from there).",
    )
    served_next_weight: float = Field(
        0.0,
        description="Initial weight of the next-post logit cos/e^tau in the served score "
        "(learned from there): 0 serves the feedback terms alone, P(like), as ARGUS ranks.",
    )
    lag: int = Field(
        1,
        ge=1,
        description="Delivery lag of fine-tuning: a post shown at step t is scored "
        "with the state after step t - lag (one-token variant; three-token reads step t's "
        "context token).",
    )
    like_at: float = Field(
        0.75, ge=0, le=1, description="A rating (0..1) at or above this is a like."
    )
    dislike_at: float = Field(
        0.25,
        ge=0,
        le=1,
        description="A rating at or below this is a dislike; between the two "
        "it is 'shown, not answered'.",
    )
    device: Device = Field(
        "auto",
        description="Where it trains: auto (CUDA when present), cpu or cuda. Serving "
        "runs on the CPU.",
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="Most torch intra-op threads a fit uses; default: every core the "
        "process may run on. Small steps (the small preset's) run on one thread whatever "
        "it says; scoring always does. Set 1 where processes run side by side (the demo).",
    )

    kv_cache_mb: float = Field(
        1024,
        gt=0,
        description="Memory for the subscribers' cached keys and values (serving); "
        "past it, those updated longest ago are read again from their history when next scored.",
    )

    @model_validator(mode="after")
    def _heads_divide_dim(self) -> ArgusSettings:
        self.size()
        return self

    def size(self) -> Size:
        """The preset with the fields set by hand."""
        base = PRESETS[self.preset]
        size = Size(
            dim=self.dim or base.dim,
            layers=self.layers or base.layers,
            heads=self.heads or base.heads,
            hash_buckets=self.hash_buckets or base.hash_buckets,
            max_history=self.max_history or base.max_history,
        )
        if size.dim % size.heads:
            raise ValueError(f"heads ({size.heads}) must divide dim ({size.dim})")
        return size


def recent_steps(settings: ArgusSettings) -> int:
    """The recent taste's steps: capped so that every training target has that many steps
    before it in its own window (:func:`oleg_recommender_argus.histories.window_start`)."""
    n = settings.size().max_history
    return min(settings.recent_steps, n - n // 2)
