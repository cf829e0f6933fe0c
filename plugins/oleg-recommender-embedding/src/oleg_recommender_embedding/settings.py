"""Settings of the two recommenders (the TOML section of a deployment is validated here).

Plain pydantic, no torch: ``oleg check deploy.toml`` validates a section without importing
torch.
"""

from __future__ import annotations

from typing import Literal

from oleg import PluginSettings
from pydantic import Field, model_validator

Optimizer = Literal["adam", "adamw", "sgd", "adagrad", "rmsprop"]
Activation = Literal["relu", "leaky_relu", "gelu", "silu", "tanh", "sigmoid"]


def tune(low: float, high: float, *, log: bool = True) -> dict[str, object]:
    """``oleg tune``'s range of a field (``json_schema_extra``): once a field declares one,
    only the declared fields are searched, so these are what moves a model's error; the
    ranges hold every value that won on one of the data sets of docs/defaults.md."""
    return {"tune": {"low": low, "high": high, "log": log}}


class EmbeddingSettings(PluginSettings):
    """What both models share: optimisation, early stopping, incremental rounds, threads."""

    optimizer: Optimizer = Field(
        "adam",
        description="adam, adamw, sgd, adagrad or rmsprop. Embedding rows are updated lazily "
        "(only the rows a batch touches, with their own optimiser state); the dense layers "
        "use torch.optim's optimiser of the same name.",
    )
    lr: float = Field(
        0.005,
        gt=0,
        description="Learning rate of a full retrain.",
        json_schema_extra=tune(0.001, 0.03),
    )
    weight_decay: float = Field(
        0.0,
        ge=0,
        description="Weight decay of the dense parameters (global bias, network).",
        json_schema_extra=tune(0.0, 0.001, log=False),
    )
    embedding_reg: float = Field(
        0.02,
        ge=0,
        description="L2 penalty on the embedding rows (and biases) a rating touches, per rating.",
        json_schema_extra=tune(1e-5, 0.03),
    )
    batch_size: int = Field(
        512, ge=1, description="Ratings per optimisation step.", json_schema_extra=tune(128, 2048)
    )
    epochs: int = Field(
        30,
        ge=1,
        description="Most passes over the data in a full retrain (early stopping may stop sooner).",
    )
    validation_share: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Share of a full retrain's ratings held out (at random) for early stopping; 0 "
        "disables it.",
    )
    patience: int = Field(
        1,
        ge=1,
        description="Epochs without improvement of the held-out loss before stopping (the best "
        "epoch's weights are kept).",
    )
    min_delta: float = Field(
        1e-5,
        ge=0,
        description="Smallest decrease of the held-out loss that counts as an improvement.",
    )
    restore_best: bool = Field(
        True, description="Keep the weights of the best held-out epoch, not the last one."
    )
    fold_in_validation: bool = Field(
        True,
        description="After early stopping, train one pass on the held-out ratings (as an "
        "incremental "
        "round would), so that the newest feedback is never left out of the model.",
    )
    partial_epochs: int = Field(
        3, ge=1, description="Passes over the new ratings in an incremental round (partial_fit)."
    )
    partial_lr: float | None = Field(
        None, gt=0, description="Learning rate of incremental rounds; default: lr."
    )
    init_std: float = Field(0.1, ge=0, description="Standard deviation of new embedding rows.")
    loss: Literal["mse", "bce"] = Field(
        "mse", description="Squared error on 0..1, or binary cross-entropy."
    )
    unseen_user: Literal["mean", "zero"] = Field(
        "mean",
        description="Vector of a user never seen: the mean user (an average subscriber) or zeros.",
        json_schema_extra={"tune": {"choices": ["mean", "zero"]}},
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="Most torch intra-op threads a fit or score uses; default: every core the "
        "process may run on. Small work (a step of fewer than 2,048 ratings, a small pool) runs "
        "on one thread whatever this says. Set 1 where processes run side by side (the demo).",
    )
    max_steps_per_epoch: int | None = Field(
        128,
        ge=1,
        description="A full retrain on many ratings takes bigger steps: its batch grows past "
        "batch_size so that an epoch takes at most this many steps (up to max_batch_size), "
        "and its learning rate grows as (batch / batch_size) ** lr_batch_power. Below "
        "batch_size x this many ratings nothing changes; null: always batch_size.",
    )
    max_batch_size: int = Field(
        8192, ge=1, description="Largest batch a full retrain grows to (max_steps_per_epoch)."
    )
    negatives: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Sampled negatives: posts a user has not interacted with, trained as 👎 "
        "(value 0). auto: when every rating of a full retrain is the same 👍 (positives-only "
        "data, where a model has nothing to tell apart); always; never (a warning is logged "
        "when a model is then fitted on one class). Incremental rounds follow the last full "
        "retrain's choice. Drawn again before every epoch of a full retrain and every pass of "
        "an incremental round, with the model's seed.",
    )
    negatives_per_positive: int = Field(
        4, ge=1, description="Negatives drawn for each 👍 (a rating above 0.5) when sampling."
    )
    negative_distribution: Literal["uniform", "popularity"] = Field(
        "uniform",
        description="How negatives are drawn from the posts of the training data: uniformly "
        "(MovieLens likes only: NDCG@10 0.331 for dot, against 0.221 by popularity), or in "
        "proportion to each post's number of ratings (a popular post is then a negative as "
        "often as it is a positive: the model learns taste, not popularity).",
    )
    ips: Literal["off", "logged", "popularity"] = Field(
        "off",
        description="Inverse-propensity weighting of the training loss, against the bias of "
        "what was shown or chosen. off: each rating weighs its Interactions.weight (1 when "
        "none). logged: Interactions.weight is each rating's logged inverse propensity "
        "(`[engine] inverse_propensity`), clipped at ips_clip. popularity: the propensity of a "
        "rating is estimated from its post's popularity, (count / largest count) ** ips_power "
        "(offline data). Weights are clipped, then scaled to a mean of 1, so the learning rate "
        "keeps its meaning. Weighting helps only where the data holds every delivery, "
        "answered or not (`[engine.unanswered]`), and the policy explores: weighting the "
        "answers alone lowered the simulation's random-exposure AUC.",
    )
    ips_clip: float = Field(
        3.0,
        ge=1,
        description="Largest inverse-propensity weight (before scaling to mean 1): clipping "
        "trades a little bias for much less variance. 3: in the simulation's random-exposure "
        "test (benchmarks/bench_feedback_bias.py) clips of 2-3 gave the highest AUC, 10 less "
        "and 30 less still, at every exploration temperature tried.",
    )
    ips_power: float = Field(
        0.5,
        gt=0,
        le=1,
        description="ips = 'popularity': exponent of the popularity-based propensity estimate.",
    )
    lr_batch_power: float = Field(
        0.25,
        ge=0,
        le=1,
        description="How the learning rate follows a grown batch: lr x (batch / batch_size) ** "
        "this. 0.25: on 1M synthetic ratings, batch 7,032 reached a lower held-out loss than "
        "batch 512 with it, and overshot with Adam's square-root rule (0.5).",
    )


class DotSettings(EmbeddingSettings):
    """``dot``: user · (channel + post) + user, channel, post and global biases."""

    dim: int = Field(
        13, ge=1, description="Embedding size K (OLEG's: 13).", json_schema_extra=tune(4, 128)
    )
    lr: float = Field(
        0.01,
        gt=0,
        description="Learning rate of a full retrain.",
        json_schema_extra=tune(0.001, 0.03),
    )
    embedding_reg: float = Field(
        0.005,
        ge=0,
        description="L2 penalty on the embedding rows (and biases) a rating touches, per rating.",
        json_schema_extra=tune(1e-5, 0.03),
    )
    output: Literal["sigmoid", "clamp"] = Field(
        "sigmoid",
        description="How the dot product becomes a rating on 0..1: a sigmoid, or the raw value "
        "clamped "
        "to 0..1 at prediction time (trained unclamped, like Surprise's SVD).",
    )

    @model_validator(mode="after")
    def _bce_needs_sigmoid(self) -> DotSettings:
        if self.loss == "bce" and self.output != "sigmoid":
            raise ValueError("loss = 'bce' needs output = 'sigmoid'")
        return self


class EmbeddingNNSettings(EmbeddingSettings):
    """``embedding-nn``: user, channel and post embeddings -> one hidden layer -> P(👍)."""

    user_dim: int = Field(
        100, ge=1, description="User embedding size.", json_schema_extra=tune(16, 256)
    )
    channel_dim: int = Field(
        80, ge=1, description="Channel embedding size.", json_schema_extra=tune(8, 160)
    )
    post_dim: int = Field(
        20, ge=1, description="Post embedding size.", json_schema_extra=tune(4, 128)
    )
    category_dim: int = Field(
        256,
        ge=0,
        description="Category embedding size: a post's category (when its source knows one) goes "
        "into the hidden layer, with a bias and, with dot_term, a user·category term of this "
        "width (wide, so that a subscriber's taste for a topic is learned from a few dozen "
        "ratings: 256 beat 16, 64 and 128 in the demo). Paid for only when the training data "
        "has categories; 0 ignores them, as OLEG's network did.",
    )
    hidden: int = Field(
        70, ge=1, description="Units of the hidden layer.", json_schema_extra=tune(16, 256)
    )
    activation: Activation = Field("relu", description="Activation of the hidden layer.")
    dropout: float = Field(
        0.4,
        ge=0,
        lt=1,
        description="Dropout on the hidden layer while training. 0.4 with weight_decay 1e-4 "
        "(against 0.2 and 0 before): at most 0.35% worse on any data set of docs/defaults.md "
        "(the simulation included), RMSE 0.8497 against 0.8506 on MovieLens' 5 folds and "
        "1.0026 against 1.0104 on its temporal split, NDCG@10 13% higher on Amazon Video "
        "Games.",
        json_schema_extra=tune(0.0, 0.5, log=False),
    )
    weight_decay: float = Field(
        1e-4,
        ge=0,
        description="Weight decay of the dense parameters (the network, the global bias); "
        "with dropout, it keeps the hidden layer from fitting noise (docs/defaults.md).",
        json_schema_extra=tune(0.0, 0.001, log=False),
    )
    cold_dropout: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Share of training ratings whose post vector is zeroed, so the network learns "
        "to "
        "score a post it never saw (a zero vector) from its channel.",
        json_schema_extra=tune(0.0, 0.3, log=False),
    )
    biases: bool = Field(
        True,
        description="Add learned user, channel and post biases to the output logit (a wide part).",
    )
    dot_term: bool = Field(
        True,
        description="Add user·channel (the user's first channel_dim numbers) and user·post (its "
        "last "
        "post_dim numbers) to the output logit: a residual matrix factorisation beside the "
        "network. "
        "Off (with biases off) is exactly OLEG's network, which learns interactions far more "
        "slowly.",
    )
    lr: float = Field(
        0.005,
        gt=0,
        description="Learning rate of a full retrain.",
        json_schema_extra=tune(0.001, 0.03),
    )
    partial_lr: float | None = Field(
        0.001,
        gt=0,
        description="Learning rate of incremental rounds (a fifth of lr: best in the demo's "
        "simulation).",
    )
    unseen_user: Literal["mean", "zero"] = Field(
        "zero",
        description="Vector of a user never seen: zeros (no personal taste: the network's "
        "neutral answer, better for newcomers on MovieLens' temporal split, 1.0109 against "
        "1.0203 RMSE) or the mean user.",
        json_schema_extra={"tune": {"choices": ["mean", "zero"]}},
    )
    embedding_reg: float = Field(
        0.001,
        ge=0,
        description="L2 penalty on the embedding rows (and biases) a rating touches, per rating.",
        json_schema_extra=tune(1e-5, 0.03),
    )
