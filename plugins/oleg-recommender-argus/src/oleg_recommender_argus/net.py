"""The network: item and context encoders, the causal transformer, the heads.

One-token variant: step t is one token, ``Linear([context_t, item_t, feedback_t])``; the
state after steps 1..t is ``s_t`` (``s_0`` reads only a learned start token). Step t's
user vector is ``head([s_(t-lag), context_t])``: it scores the next post (two towers: a
dot product with the item vector) and, with the item vector, feeds the feedback head.

Three-token variant: context, item and feedback are a token each; the user vector of step
t is read at its context token (which has seen the history and the context) and the
feedback at its item token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from oleg_recommender_argus.features import (
    CATEGORY_BUCKETS,
    CHANNEL_BUCKETS,
    MAX_POSITION,
    N_AGES,
    N_HOURS,
    N_MEDIA,
    Asked,
    Feedback,
)
from oleg_recommender_argus.personal import N_PERSONAL
from oleg_recommender_argus.post_stats import N_QUALITY
from oleg_recommender_argus.settings import Size
from oleg_recommender_argus.taste import TasteHead, TasteInputs

LOG_T_MIN, LOG_T_MAX = math.log(0.01), math.log(100.0)
COLD = 5.0
"""Answers after which a subscriber's extra (cold) weight of the post's quality is halved."""


@dataclass
class Batch:
    """Padded windows: item codes (B, L, F), context codes (B, L, 3), feedback (B, L),
    which steps are real (B, L) and which of those training predicts (B, L)."""

    items: Tensor
    context: Tensor
    feedback: Tensor
    valid: Tensor
    target: Tensor


class ItemEncoder(nn.Module):
    """A post's vector from its hashed id (summed over the hashes), channel, category, media
    kind and age: any post gets one, seen or not."""

    def __init__(self, size: Size, n_hashes: int) -> None:
        super().__init__()
        d = size.dim
        self.n_hashes = n_hashes
        # sparse: a step's gradient touches the rows of its batch, not the whole table (a
        # dense one is a zero fill of every row per call; Trainer densifies it once a step)
        self.post = nn.Embedding(size.hash_buckets, d, sparse=True)
        self.channel = nn.Embedding(CHANNEL_BUCKETS, d)
        self.category = nn.Embedding(CATEGORY_BUCKETS, d)
        self.media = nn.Embedding(N_MEDIA, d)
        self.age = nn.Embedding(N_AGES, d)
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d))
        for emb in (self.post, self.channel, self.category, self.media, self.age):
            nn.init.normal_(emb.weight, std=0.05)

    def forward(self, codes: Tensor) -> Tensor:
        h = self.n_hashes
        x = self.post(codes[..., :h]).sum(-2)
        x = x + self.channel(codes[..., h]) + self.category(codes[..., h + 1])
        x = x + self.media(codes[..., h + 2]) + self.age(codes[..., h + 3])
        return self.out(x)

    def content(self, codes: Tensor) -> Tensor:
        """A post's unit content vector: its channel's and category's rows, not its id,
        so a new post resembles the posts of its channel and topic a subscriber answered
        (the taste's space, :mod:`oleg_recommender_argus.taste`)."""
        h = self.n_hashes
        return F.normalize(self.channel(codes[..., h]) + self.category(codes[..., h + 1]), dim=-1)


class ContextEncoder(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.hour = nn.Embedding(N_HOURS, d)
        self.asked = nn.Embedding(len(Asked), d)
        self.position = nn.Embedding(MAX_POSITION + 1, d)

    def forward(self, codes: Tensor) -> Tensor:
        return self.hour(codes[..., 0]) + self.asked(codes[..., 1]) + self.position(codes[..., 2])


def mlp(d_in: int, d: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, 2 * d), nn.GELU(), nn.Linear(2 * d, d_out))


class ArgusNet(nn.Module):
    def __init__(
        self,
        size: Size,
        *,
        n_hashes: int,
        three_tokens: bool,
        dropout: float,
        temperature: float,
        taste_weight: float,
        served_next_weight: float,
        quality_weight: float = 0.0,
        cold_quality_weight: float = 0.0,
        recent_taste_weight: float = 0.0,
        personal_weight: float = 0.0,
        input_dropout: float = 0.0,
        min_temperature: float = 0.01,
    ) -> None:
        super().__init__()
        d = size.dim
        self.three_tokens = three_tokens
        self.items = ItemEncoder(size, n_hashes)
        self.context = ContextEncoder(d)
        self.feedback = nn.Embedding(len(Feedback), d)
        per_step = 3 if three_tokens else 1
        self.positions = nn.Embedding(per_step * size.max_history + 2, d)
        if three_tokens:
            self.kind = nn.Embedding(3, d)
        else:
            self.fold = nn.Linear(3 * d, d)
        self.start = nn.Parameter(torch.zeros(d))
        self.input_dropout = nn.Dropout(input_dropout)
        layer = nn.TransformerEncoderLayer(
            d, size.heads, 4 * d, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, size.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.user_head = mlp(d if three_tokens else 2 * d, d, d)
        self.feedback_head = mlp(d if three_tokens else 3 * d, d, 2)
        self.rank_head = mlp(d if three_tokens else 2 * d, d, d)
        nn.init.zeros_(self.rank_head[-1].weight)  # adds nothing until feedback teaches it
        nn.init.zeros_(self.rank_head[-1].bias)
        self.taste = TasteHead(d, taste_weight)
        self.recent_taste = TasteHead(d, recent_taste_weight)
        self.quality = nn.Parameter(torch.full((N_QUALITY,), float(quality_weight)))
        """Weights of the post's quality features (:mod:`oleg_recommender_argus.post_stats`)."""
        self.cold_quality = nn.Parameter(torch.full((N_QUALITY,), float(cold_quality_weight)))
        """Added for a subscriber who answered nothing yet, fading as answers come."""
        self.personal = nn.Parameter(torch.full((N_PERSONAL,), float(personal_weight)))
        """Weights of the subscriber's own balance for the post's category and channel
        (:mod:`oleg_recommender_argus.personal`)."""
        self.log_t = nn.Parameter(torch.tensor(math.log(temperature)))
        self.log_t_min = max(LOG_T_MIN, math.log(min_temperature))
        self.mix = nn.Parameter(torch.tensor(float(served_next_weight)))
        self.offset = nn.Parameter(torch.zeros(()))

    # -- pieces --------------------------------------------------------------------------

    def temperature(self) -> Tensor:
        return self.log_t.clamp(self.log_t_min, LOG_T_MAX).exp()

    def item_vectors(self, codes: Tensor) -> Tensor:
        """Unit item vectors (the next-post softmax's)."""
        return F.normalize(self.items(codes), dim=-1)

    def served_items(self, codes: Tensor) -> Tensor:
        """The item tower, (.., 2d): the unit item vector and the unit content vector."""
        return torch.cat([self.item_vectors(codes), self.items.content(codes)], -1)

    def _run(self, tokens: Tensor) -> Tensor:
        n = tokens.shape[1]
        x = self.input_dropout(tokens + self.positions.weight[:n])
        mask = torch.triu(torch.full((n, n), float("-inf"), device=x.device), diagonal=1)
        return self.norm(self.encoder(x, mask=mask, is_causal=True))

    def _start(self, b: int) -> Tensor:
        return self.start.expand(b, 1, -1)

    def tokens(self, batch: Batch, item_raw: Tensor) -> Tensor:
        """The steps as tokens, (B, L, d) or (B, 3L, d), before their positions are added."""
        ctx = self.context(batch.context)
        fb = self.feedback(batch.feedback)
        if self.three_tokens:
            b, n = batch.feedback.shape
            k = self.kind.weight
            return torch.stack([ctx + k[0], item_raw + k[1], fb + k[2]], dim=2).reshape(
                b, 3 * n, -1
            )
        return self.fold(torch.cat([ctx, item_raw, fb], -1))

    @property
    def tokens_per_step(self) -> int:
        return 3 if self.three_tokens else 1

    def query_tokens(self, now_context: Tensor) -> Tensor:
        """Three-token: the context token put after a history to read its user vector."""
        return self.context(now_context) + self.kind.weight[0]

    # -- the transformer pass ------------------------------------------------------------

    def step_inputs(self, batch: Batch, item_raw: Tensor, lag: int = 1) -> tuple[Tensor, Tensor]:
        """Per step t: the user head's input and the feedback head's input (without the
        item for the one-token variant, which concatenates it), both (B, L, .)."""
        ctx = self.context(batch.context)
        b, n = batch.feedback.shape
        if self.three_tokens:
            out = self._run(torch.cat([self._start(b), self.tokens(batch, item_raw)], 1))
            at_ctx = out[:, 1::3][:, :n]
            at_item = out[:, 2::3][:, :n]
            return at_ctx, at_item
        states = self._run(
            torch.cat([self._start(b), self.tokens(batch, item_raw)], 1)
        )  # s_0 .. s_L
        idx = (torch.arange(n, device=states.device) + 1 - lag).clamp(min=0)
        prior = states[:, idx]  # s_(t-lag) for step t (steps numbered from 1)
        return torch.cat([prior, ctx], -1), torch.cat([states[:, :n], ctx], -1)

    def user_vectors(self, head_in: Tensor) -> Tensor:
        return F.normalize(self.user_head(head_in), dim=-1)

    def ranking_vectors(self, head_in: Tensor) -> Tensor:
        """The user tower's item half, ``mix * u / e^tau + r``: the next-post logit,
        re-weighted, plus a ranking term (the rank head, trained on feedback) that pairs
        fine-tune."""
        return self.mix * self.user_vectors(head_in) / self.temperature() + self.rank_head(head_in)

    def quality_weights(self, counts: Tensor) -> Tensor:
        """(.., N_QUALITY): the weight of the post's quality for a subscriber whose history
        holds ``counts`` (.., KINDS) steps per kind of feedback: ``quality + cold_quality *
        COLD / (COLD + answers)``. With no taste to go by, how everyone else answered is all
        there is; with one, it is a popularity term that drowns it (bench_argus_demo)."""
        answers = counts[..., Feedback.LIKE] + counts[..., Feedback.DISLIKE]
        return self.quality + self.cold_quality * (COLD / (COLD + answers))[..., None]

    def taste_vectors(self, taste: TasteInputs) -> Tensor:
        """The whole history's taste plus the recent steps' (:mod:`.taste`)."""
        return self.taste(taste.sums, taste.counts) + self.recent_taste(
            taste.recent_sums, taste.recent_counts
        )

    def serving_vectors(self, head_in: Tensor, taste: TasteInputs) -> Tensor:
        """The user tower, (.., 2d + N_QUALITY), against :meth:`served_items` followed by
        the post's quality features: the ranking vector, the subscriber's own taste
        (:mod:`oleg_recommender_argus.taste`: sums and counts of their history's unit
        content vectors per kind of feedback) and the quality weights. The served logit is
        ``<user, item> + offset``."""
        quality = self.quality_weights(taste.counts).expand(*head_in.shape[:-1], N_QUALITY)
        return torch.cat([self.ranking_vectors(head_in), self.taste_vectors(taste), quality], -1)

    def feedback_logits(self, fb_in: Tensor, item_raw: Tensor) -> Tensor:
        """(.., 2): logits of a like and of a dislike."""
        if self.three_tokens:
            return self.feedback_head(fb_in)
        return self.feedback_head(torch.cat([fb_in, item_raw], -1))

    @torch.no_grad()
    def serve_next_post(self) -> None:
        """Serve the next-post logit alone: with one kind of feedback in every history
        (positives only, as in a sequential data set) there is no P(like) to learn, and the
        feedback terms' starting weights would only add a popularity prior over it. The
        offset puts the largest logit there can be (cos = 1) at 0: the served sigmoid stays
        below 1/2 and keeps the order (where a logit of 1/e^tau = 40 would round to 1)."""
        self.mix.fill_(1.0)
        self.offset.fill_(-float(1.0 / self.temperature()))
        for head in (self.taste, self.recent_taste):
            head.weight.zero_()
            head.mix.weight.zero_()
        self.quality.zero_()
        self.cold_quality.zero_()
        self.personal.zero_()
        self.rank_head[-1].weight.zero_()
        self.rank_head[-1].bias.zero_()

    # -- serving -------------------------------------------------------------------------

    def last_states(self, batch: Batch, lengths: Tensor) -> Tensor:
        """One-token: the state after each history's last step, s_len (B, d)."""
        b = batch.feedback.shape[0]
        if batch.feedback.shape[1] == 0:
            return self._run(self._start(b))[:, 0]
        states = self._run(
            torch.cat([self._start(b), self.tokens(batch, self.items(batch.items))], 1)
        )
        return states[torch.arange(b, device=states.device), lengths]

    def serving_inputs(self, batch: Batch, lengths: Tensor, now_context: Tensor) -> Tensor:
        """Three-token: the user heads' input for the next step, with context
        ``now_context`` (B, 3): the state at a context token put after each history."""
        ctx = self.context(now_context)
        b, n = batch.feedback.shape
        parts = [self._start(b)]
        if n:
            parts.append(self.tokens(batch, self.items(batch.items)))
        seq = torch.cat(parts, 1)
        # each history's own end: put its "now" context token right after its last step
        pos = 1 + 3 * lengths
        seq = torch.cat([seq, torch.zeros_like(seq[:, :1])], 1)
        seq[torch.arange(b, device=seq.device), pos] = ctx + self.kind.weight[0]
        out = self._run(seq)
        return out[torch.arange(b, device=out.device), pos]
