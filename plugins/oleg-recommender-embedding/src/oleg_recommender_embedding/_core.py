"""The torch side of both recommenders: growable tables, the two networks, lazy row-wise
optimisers, the training loop (single process or data-parallel), pooled scoring.

Imported lazily by :mod:`oleg_recommender_embedding.models` the first time a model is
used, so that listing plugins never imports torch.

Layout. Users, channels and posts each have an :class:`~.idmap.IdMap` (store id -> row) and
a :class:`Table` of rows ``[vector | bias]``. A table is a float32 buffer with spare capacity
that doubles when it fills (rows copied once, ``reallocations`` counted): arrivals one by one
never re-create it, and a full retrain reuses the buffer it has.

Training. A step gathers the rows a batch touches (``index_select``), makes them autograd
leaves, and after ``backward`` updates only those rows with a lazy optimiser whose state
(Adam's moments, Adagrad's sums) covers only the tables being trained and lives only for
the duration of a ``fit``/``partial_fit``; the dense parameters (global bias, the network)
use the matching ``torch.optim`` optimiser. Dense gradients over a 200,000-row table at
every step would cost 100x more. ``partial_fit`` trains compact copies of the touched rows
and writes them back.

Data parallel. When a ``torch.distributed`` process group with more than one process is
initialised, :meth:`Model.fit` splits every global batch between the ranks; each rank
back-propagates its share, then one ``all_gather`` of (row, gradient) pairs and the dense
gradients makes every rank apply the same update, so replicas stay identical and a step
equals the single-process step on the same batch (up to float summation order). This is
DistributedDataParallel's synchronous gradient averaging, done by hand because DDP's
all-reduce would ship the dense gradient of every embedding table at every step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from oleg.types import NO_CATEGORY, Candidates, FloatArray, Interactions
from torch import Tensor, nn

from oleg_recommender_embedding.idmap import IdMap
from oleg_recommender_embedding.settings import DotSettings, EmbeddingNNSettings, EmbeddingSettings

ENTITIES = ("user", "channel", "post")  # every network's; embedding-nn may add "category"
_SCORE_BLOCK = 1 << 20  # floats of a (users x candidates x hidden) block scored at once (4 MB)


def default_threads() -> int:
    return 1


def set_threads(n: int | None) -> None:
    want = n or default_threads()
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


# --------------------------------------------------------------------------------------
# growable tables
# --------------------------------------------------------------------------------------


class Table:
    """Rows of ``dim`` floats in a buffer whose capacity doubles when it fills."""

    def __init__(self, dim: int, min_capacity: int = 64) -> None:
        self.dim = dim
        self.min_capacity = min_capacity
        self.data = torch.zeros(0, dim)
        self.n = 0
        self.reallocations = 0

    @property
    def capacity(self) -> int:
        return int(self.data.shape[0])

    def view(self) -> Tensor:
        return self.data[: self.n]

    def grow(self, n: int) -> Tensor:
        """Make room for ``n`` rows; return the new rows (uninitialised) to fill in place."""
        old = self.n
        if n <= old:
            return self.data[old:old]
        if n > self.capacity:
            grown = torch.empty(max(n, 2 * self.capacity, self.min_capacity), self.dim)
            grown[:old].copy_(self.data[:old])
            self.data = grown
            self.reallocations += 1
        self.n = n
        return self.data[old:n]

    def reset(self) -> None:
        """Forget every row but keep the buffer (a full retrain refills it)."""
        self.n = 0

    def load(self, rows: Tensor) -> None:
        self.reset()
        self.grow(len(rows)).copy_(rows)


# --------------------------------------------------------------------------------------
# the networks: dense parameters and how rows become a prediction
# --------------------------------------------------------------------------------------


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
    category_dot: Tensor | None = None  # nn: (distinct categories, kk) category side of user · category
    category_inverse: Tensor | None = None  # nn: each candidate's index into the distinct categories


class DotNet(nn.Module):
    """x = g + b_u + b_c + b_p + u · (c + p); rating = sigmoid(x) or clamp(x, 0, 1)."""

    def __init__(self, s: DotSettings) -> None:
        super().__init__()
        self.k = s.dim
        self.sigmoid = s.output == "sigmoid"
        self.global_bias = nn.Parameter(torch.zeros(1))
        self.dims = {"user": s.dim + 1, "channel": s.dim + 1, "post": s.dim + 1}
        self.entities = ENTITIES

    def reset(self, mean: float, gen: torch.Generator) -> None:
        with torch.no_grad():
            self.global_bias.fill_(_logit(mean) if self.sigmoid else mean)

    def init_rows(self, entity: str, rows: Tensor, std: float, gen: torch.Generator) -> None:
        # post vectors start at zero: a post is its channel until its own ratings move it
        if entity == "post" or std == 0:
            rows.zero_()
        else:
            rows.normal_(0.0, std, generator=gen)
            rows[:, self.k].zero_()

    def raw(self, u: Tensor, c: Tensor, p: Tensor, train: bool = False, gen: Any = None) -> Tensor:
        k = self.k
        return (
            self.global_bias
            + u[:, k]
            + c[:, k]
            + p[:, k]
            + (u[:, :k] * (c[:, :k] + p[:, :k])).sum(1)
        )

    def link(self, x: Tensor) -> Tensor:
        return torch.sigmoid(x) if self.sigmoid else x.clamp(0.0, 1.0)

    @property
    def logit_output(self) -> bool:
        return self.sigmoid

    def pool(self, channels: Tensor, inverse: Tensor, p: Tensor, **_: Tensor) -> dict[str, Tensor]:
        """``channels``: rows of the distinct channels; ``inverse``: each candidate's one."""
        k = self.k
        c = channels.index_select(0, inverse)
        item = torch.cat([c[:, :k] + p[:, :k], (c[:, k] + p[:, k] + self.global_bias)[:, None]], 1)
        return {"item": item, "bias": torch.zeros(len(p))}

    def score(self, users: Tensor, pool: Pool) -> Tensor:
        k = self.k
        ones = torch.ones(len(users), 1)
        x = torch.cat([users[:, :k], ones], 1) @ pool.item.T + users[:, k : k + 1]
        return self.link(x)

    def bias(self, c: Tensor, p: Tensor) -> Tensor:
        x = self.global_bias + c[:, self.k] + p[:, self.k]
        return torch.sigmoid(x) if self.sigmoid else x

    def train_step(
        self,
        rows: dict[str, Tensor],
        y: Tensor,
        denom: int,
        reg: float,
        loss: str,
        noise: torch.Generator,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Loss sum and gradients by hand (no autograd: a third of the time of a step).

        Sets the global bias's ``.grad``; returns the gradient of each gathered row."""
        k = self.k
        u, c, p = rows["user"], rows["channel"], rows["post"]
        item = c + p
        x = (
            (u[:, :k] * item[:, :k])
            .sum(1)
            .add_(u[:, k])
            .add_(item[:, k])
            .add_(self.global_bias.detach())
        )
        if self.sigmoid:
            sig = torch.sigmoid(x)
            if loss == "bce":
                losses = nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
                dx = sig - y
            else:
                r = sig - y
                losses = r.square()
                dx = 2 * r * sig * (1 - sig)
        else:
            r = x - y
            losses = r.square()
            dx = 2 * r
        dx = dx / denom
        grad_user = torch.empty_like(u)
        torch.mul(item[:, :k], dx[:, None], out=grad_user[:, :k])
        grad_user[:, k] = dx
        grad_item = torch.empty_like(u)
        torch.mul(u[:, :k], dx[:, None], out=grad_item[:, :k])
        grad_item[:, k] = dx
        grads = {"user": grad_user, "channel": grad_item, "post": grad_item}
        if reg:
            a = 2 * reg / denom
            grads = {e: g.add(rows[e], alpha=a) for e, g in grads.items()}
        self.global_bias.grad = dx.sum().reshape(1)
        return losses.sum(), grads


_ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "gelu": torch.nn.functional.gelu,
    "silu": torch.nn.functional.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


class MLPNet(nn.Module):
    """[user | channel | post] -> Linear(hidden) -> activation -> dropout -> Linear(1)
    (+ biases, + dot terms) -> sigmoid.

    The first layer is linear in the concatenation, so it splits into a user part and a
    candidate part: a pool's candidate part is computed once and every user adds theirs.
    """

    def __init__(self, s: EmbeddingNNSettings, categories: bool = True) -> None:
        super().__init__()
        self.du, self.dc, self.dp = s.user_dim, s.channel_dim, s.post_dim
        self.biases = s.biases
        # residual dot products: user[:kc]·channel[:kc] and user[du-kp:du]·post[:kp]
        self.kc = min(self.du, self.dc) if s.dot_term else 0
        self.kp = min(self.du, self.dp) if s.dot_term else 0
        # categories: an embedding into the hidden layer, a bias, and user·category on its
        # own user numbers (a row is [vector | bias | dot part])
        self.dk = s.category_dim if categories else 0
        self.kk = self.dk if s.dot_term else 0
        self.extra = extra = 1 if s.biases else 0
        self.dims = {
            "user": self.du + extra + self.kk, "channel": self.dc + extra, "post": self.dp + extra,
        }
        if self.dk:
            self.dims["category"] = self.dk + extra + self.kk
        self.entities: tuple[str, ...] = tuple(self.dims)
        self.hidden = nn.Linear(self.du + self.dc + self.dp + self.dk, s.hidden)
        self.out = nn.Linear(s.hidden, 1)
        self.act = _ACTIVATIONS[s.activation]
        self.dropout = s.dropout
        self.cold = s.cold_dropout

    def reset(self, mean: float, gen: torch.Generator) -> None:
        with torch.no_grad():
            for layer in (self.hidden, self.out):
                bound = 1.0 / math.sqrt(layer.in_features)  # torch's default Linear init, seeded
                layer.weight.uniform_(-bound, bound, generator=gen)
                layer.bias.uniform_(-bound, bound, generator=gen)
            self.out.bias.fill_(_logit(mean))

    def init_rows(self, entity: str, rows: Tensor, std: float, gen: torch.Generator) -> None:
        rows.normal_(0.0, std, generator=gen) if std > 0 else rows.zero_()
        if self.biases:
            rows[:, -1].zero_()

    def _row_bias(self, u: Tensor, c: Tensor, p: Tensor, k: Tensor | None) -> Tensor | float:
        out: Tensor | float = 0.0
        if self.biases:
            out = u[:, self.du] + c[:, self.dc] + p[:, self.dp]
        if self.kc:
            out = out + (u[:, : self.kc] * c[:, : self.kc]).sum(1)
        if self.kp:
            out = out + (u[:, self.du - self.kp : self.du] * p[:, : self.kp]).sum(1)
        if k is not None:
            if self.biases:
                out = out + k[:, self.dk]
            if self.kk:
                at, kat = self.du + self.extra, self.dk + self.extra
                out = out + (u[:, at : at + self.kk] * k[:, kat : kat + self.kk]).sum(1)
        return out

    def raw(
        self, u: Tensor, c: Tensor, p: Tensor, k: Tensor | None = None,
        train: bool = False, gen: Any = None,
    ) -> Tensor:
        parts = [u[:, : self.du], c[:, : self.dc], p[:, : self.dp]]
        if self.dk and k is not None:
            parts.append(k[:, : self.dk])
        z = torch.cat(parts, 1)
        h = self.act(self.hidden(z))
        if train and self.dropout > 0:
            keep = torch.rand(h.shape, generator=gen).lt_(
                1.0 - self.dropout
            )  # 2x faster than bernoulli_
            h = h * keep * (1.0 / (1.0 - self.dropout))
        return self.out(h).squeeze(1) + self._row_bias(u, c, p, k if self.dk else None)

    def link(self, x: Tensor) -> Tensor:
        return torch.sigmoid(x)

    logit_output = True

    def pool(
        self, channels: Tensor, inverse: Tensor, p: Tensor,
        categories: Tensor | None = None, category_inverse: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """The candidate side of the first layer, the biases and the dot terms.

        The channel part is computed once per distinct channel (a pool of 50,000 posts
        comes from a few hundred channels) and gathered; the category part likewise."""
        w = self.hidden.weight
        du, dc, dp = self.du, self.dc, self.dp
        per_channel = (
            w[:, du : du + dc] @ channels[:, :dc].T + self.hidden.bias[:, None]
        )  # (H, channels)
        # hidden-major (H, n): adding a user's part is then a scalar per long contiguous row,
        # five times faster than broadcasting a 70-vector over (n, H)
        item = torch.addmm(
            per_channel.index_select(1, inverse), w[:, du + dc : du + dc + dp], p[:, :dp].T
        )
        bias = self.out.bias.expand(len(p)).clone()
        if self.biases:
            bias += channels[:, dc].index_select(0, inverse) + p[:, self.dp]
        out = {"item": item, "bias": bias, "inverse": inverse}
        if self.dk and categories is not None and category_inverse is not None:
            per_category = w[:, du + dc + dp :] @ categories[:, : self.dk].T  # (H, categories)
            item += per_category.index_select(1, category_inverse)
            if self.biases:
                bias += categories[:, self.dk].index_select(0, category_inverse)
            if self.kk:
                kat = self.dk + self.extra
                out["category_dot"] = categories[:, kat : kat + self.kk].contiguous()
                out["category_inverse"] = category_inverse
        if self.kc:
            out["channel_dot"] = channels[:, : self.kc].contiguous()
        if self.kp:
            out["post_dot"] = p[:, : self.kp].contiguous()
        return out

    def score(self, users: Tensor, pool: Pool) -> Tensor:
        w = self.hidden.weight
        user_part = users[:, : self.du] @ w[:, : self.du].T  # (u, H)
        n = pool.item.shape[1]
        wo = self.out.weight[0]
        relu = self.act is torch.relu
        per_user = torch.zeros(len(users))  # what each user adds to every candidate's logit
        if self.biases:
            per_user += users[:, self.du]
        if relu:  # relu(a + u)·w = max(a, -u)·w + u·w: one pass over the pool instead of two
            per_user += user_part @ wo
        out = pool.bias[None, :] + per_user[:, None]
        if pool.channel_dot is not None and pool.inverse is not None:
            per_channel = users[:, : self.kc] @ pool.channel_dot.T  # (u, distinct channels)
            out += per_channel.index_select(1, pool.inverse)
        if pool.category_dot is not None and pool.category_inverse is not None:
            at = self.du + self.extra
            per_category = users[:, at : at + self.kk] @ pool.category_dot.T
            out += per_category.index_select(1, pool.category_inverse)
        if pool.post_dot is not None:
            post_user = users[:, self.du - self.kp : self.du]
            if len(users) == 1:
                torch.addmv(out[0], pool.post_dot, post_user[0], out=out[0])
            else:
                out.addmm_(post_user, pool.post_dot.T)
        hidden = pool.item.shape[0]
        cand_step = max(1024, min(n, _SCORE_BLOCK // hidden))
        user_step = max(1, _SCORE_BLOCK // (cand_step * hidden))
        buf = torch.empty(min(user_step, len(users)), hidden, min(cand_step, n))
        for a in range(0, len(users), user_step):
            ua = user_part[a : a + user_step].unsqueeze(2)  # (u, H, 1)
            for b in range(0, n, cand_step):
                item = pool.item[:, b : b + cand_step].unsqueeze(0)  # (1, H, c)
                h = buf[: ua.shape[0], :, : item.shape[2]]
                if relu:
                    torch.maximum(item, -ua, out=h)
                else:
                    h = self.act(torch.add(item, ua, out=h))
                out[a : a + user_step, b : b + cand_step] += torch.matmul(wo, h)
        return torch.sigmoid(out)

    def train_step(
        self,
        rows: dict[str, Tensor],
        y: Tensor,
        denom: int,
        reg: float,
        loss: str,
        noise: torch.Generator,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Loss sum and gradients through autograd; the rows are the leaves."""
        leaves = {e: r.requires_grad_() for e, r in rows.items()}
        post = leaves["post"]
        if self.cold > 0:
            keep = torch.rand(len(y), 1, generator=noise).lt_(1.0 - self.cold)
            post = post * keep
        x = self.raw(
            leaves["user"], leaves["channel"], post, leaves.get("category"), train=True, gen=noise
        )
        if loss == "bce":
            losses = nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
        else:
            losses = (torch.sigmoid(x) - y).square()
        loss_sum = losses.sum()
        total = loss_sum
        if reg:
            total = total + reg * sum(leaf.square().sum() for leaf in leaves.values())
        (total / denom).backward()
        return loss_sum.detach(), {e: leaf.grad for e, leaf in leaves.items()}  # type: ignore[misc]


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


# --------------------------------------------------------------------------------------
# lazy row-wise optimisers for the tables
# --------------------------------------------------------------------------------------


class RowOptimizer:
    """Updates only the rows a batch touched; state covers the tables of one training call.

    Adam's bias correction uses the global step, as torch's SparseAdam and TF's LazyAdam do.
    Rows are regularised through ``embedding_reg`` in the loss, not by weight decay.
    """

    def __init__(self, kind: str, tables: dict[str, Tensor], lr: float) -> None:
        self.kind, self.lr, self.tables = kind, lr, tables
        self.t = 0
        self.b1, self.b2, self.eps = 0.9, 0.999, 1e-8
        self.state: dict[str, list[Tensor]] = {}
        for name, table in tables.items():
            if kind in ("adam", "adamw"):
                self.state[name] = [torch.zeros_like(table), torch.zeros_like(table)]
            elif kind in ("adagrad", "rmsprop"):
                self.state[name] = [torch.zeros_like(table)]
            else:
                self.state[name] = []
        if kind == "adagrad":
            self.eps = 1e-10

    def tick(self) -> None:
        self.t += 1

    def update(self, name: str, idx: Tensor, grad: Tensor) -> None:
        table = self.tables[name]
        if (
            self.kind == "sgd"
        ):  # index_put_ with accumulate: 3x faster than index_add_ on a big table
            table.index_put_((idx,), grad * -self.lr, accumulate=True)
            return
        uniq, inverse = torch.unique(idx, return_inverse=True)
        g = torch.zeros(len(uniq), grad.shape[1]).index_add_(0, inverse, grad)
        st = self.state[name]
        if self.kind in ("adam", "adamw"):
            m = st[0].index_select(0, uniq).mul_(self.b1).add_(g, alpha=1 - self.b1)
            v = st[1].index_select(0, uniq).mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            st[0].index_copy_(0, uniq, m)
            st[1].index_copy_(0, uniq, v)
            bc1 = 1 - self.b1**self.t
            bc2 = 1 - self.b2**self.t
            step = (m / bc1).div_((v / bc2).sqrt_().add_(self.eps))
        elif self.kind == "adagrad":
            s = st[0].index_select(0, uniq).addcmul_(g, g)
            st[0].index_copy_(0, uniq, s)
            step = g / s.sqrt().add_(self.eps)
        else:  # rmsprop
            s = st[0].index_select(0, uniq).mul_(0.99).addcmul_(g, g, value=0.01)
            st[0].index_copy_(0, uniq, s)
            step = g / s.sqrt().add_(self.eps)
        table.index_put_((uniq,), step.mul_(-self.lr), accumulate=True)


def dense_optimizer(
    kind: str, params: list[Tensor], lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    cls = {
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
    }[kind]
    try:  # one fused kernel: a third less time per step than the per-tensor loop
        return cls(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, lr=lr, weight_decay=weight_decay)


# --------------------------------------------------------------------------------------
# distributed helpers
# --------------------------------------------------------------------------------------


def _world() -> tuple[int, int]:
    """(rank, world size) of the current process group, (0, 1) without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------


@dataclass
class _Batchable:
    """Training data as local row indices: one int64 index tensor per entity, targets."""

    rows: dict[str, Tensor]
    y: Tensor

    def __len__(self) -> int:
        return len(self.y)


class Model:
    """One recommender's state: id maps, tables, the network, and how to train and score."""

    def __init__(self, kind: str, settings: EmbeddingSettings, seed: int) -> None:
        self.kind = kind
        self.s = settings
        self.seed = seed
        self.categories = False
        self._build(categories=False)
        self.gen = torch.Generator().manual_seed(seed)  # row init and shuffling (same on all ranks)
        self.noise = torch.Generator().manual_seed(seed + 1)  # dropout masks (per rank)
        self.dense_opt: torch.optim.Optimizer | None = None
        self.history: list[dict[str, float]] = []
        self.partial_history: list[dict[str, float]] = []
        self.fit_info: dict[str, Any] = {}
        self.version = 0
        self.fitted = False
        self._pool: Pool | None = None
        self._mean_user: tuple[int, Tensor] | None = None
        set_threads(settings.threads)
        self.net.reset(0.5, self.gen)

    def _build(self, *, categories: bool) -> None:
        """The network and empty tables. Categories take part only once training data has
        some (a source that knows none would pay for them for nothing)."""
        s = self.s
        self.categories = categories and self.kind != "dot" and getattr(s, "category_dim", 0) > 0
        self.net: DotNet | MLPNet = (
            DotNet(s) if self.kind == "dot" else MLPNet(s, categories=self.categories)  # type: ignore[arg-type]
        )
        self.entities: tuple[str, ...] = self.net.entities
        self.maps = {e: IdMap() for e in self.entities}
        self.tables = {e: Table(self.net.dims[e]) for e in self.entities}

    def _decide_categories(self, data: Interactions, *, full: bool) -> None:
        """Turn categories on (or, at a full retrain, off) to match the data; the network is
        rebuilt only at a full retrain or while nothing has been learned yet."""
        wanted = bool(len(data)) and bool((data.category != NO_CATEGORY).any())
        if wanted == self.categories:
            return
        if full or (wanted and not any(len(m) for m in self.maps.values())):
            self._build(categories=wanted)
            self.net.reset(float(data.value.mean()) if len(data) else 0.5, self.gen)
            self.dense_opt = None

    # -- ids and rows --------------------------------------------------------------------

    def _add(self, entity: str, ids: np.ndarray) -> np.ndarray:
        rows = self.maps[entity].add(ids)
        table = self.tables[entity]
        if len(self.maps[entity]) > table.n:
            self.net.init_rows(
                entity, table.grow(len(self.maps[entity])), self.s.init_std, self.gen
            )
        return rows

    def _data_rows(self, data: Interactions) -> dict[str, np.ndarray]:
        rows = {
            "user": self._add("user", data.user),
            "channel": self._add("channel", data.channel),
            "post": self._add("post", data.post),
        }
        if "category" in self.entities:
            rows["category"] = self._add("category", data.category)
        return rows

    def _rows_of(self, entity: str, rows: np.ndarray) -> Tensor:
        """Rows of the table for row indices, zeros where the index is -1 (unseen)."""
        table = self.tables[entity]
        idx = torch.from_numpy(rows)
        if table.n == 0:
            return torch.zeros(len(rows), table.dim)
        known = idx >= 0
        out = table.view().index_select(0, idx.clamp(min=0))
        if not bool(known.all()):
            out[~known] = 0.0
        return out

    # -- training --------------------------------------------------------------------------

    def fit(self, data: Interactions) -> None:
        s = self.s
        set_threads(s.threads)
        rank, world = _world()
        self.gen.manual_seed(self.seed)
        self.noise.manual_seed(self.seed + 1 + 7919 * rank)
        self._decide_categories(data, full=True)
        for e in self.entities:
            self.maps[e] = IdMap()
            self.tables[e].reset()
        self.history = []
        self.partial_history = []
        self.fit_info = {"ratings": len(data), "epochs": 0}
        # the held-out slice first: the seed alone decides it
        perm = torch.randperm(len(data), generator=self.gen)
        mean = float(data.value.mean()) if len(data) else 0.5
        self.net.reset(mean, self.gen)
        self.dense_opt = dense_optimizer(
            s.optimizer, list(self.net.parameters()), s.lr, s.weight_decay
        )
        self._changed()
        if len(data) == 0:
            self.fitted = True
            return
        rows = self._data_rows(data)
        batch = _Batchable(
            {e: torch.from_numpy(r) for e, r in rows.items()},
            torch.tensor(data.value, dtype=torch.float32),
        )
        n_val = int(len(data) * s.validation_share) if len(data) >= 20 else 0
        val_idx, train_idx = perm[:n_val], perm[n_val:]
        tables = {e: self.tables[e].view() for e in self.entities}
        ropt = RowOptimizer(s.optimizer, tables, s.lr)
        best, best_epoch, stale = math.inf, 0, 0
        snapshot: dict[str, Any] | None = None
        seconds: list[float] = []
        for epoch in range(1, s.epochs + 1):
            began = time.perf_counter()
            entry = {
                "epoch": epoch,
                "train_loss": self._epoch(batch, train_idx, tables, ropt, rank, world),
            }
            if n_val:
                entry["val_loss"] = self._loss(batch, val_idx, tables)
                if entry["val_loss"] < best - s.min_delta:
                    best, best_epoch, stale = entry["val_loss"], epoch, 0
                    if s.restore_best:
                        snapshot = self._snapshot(snapshot)
                else:
                    stale += 1
            seconds.append(time.perf_counter() - began)
            self.history.append(entry)
            if n_val and stale >= s.patience:
                break
        restored = snapshot is not None and stale > 0
        if restored:
            self._restore(snapshot)  # type: ignore[arg-type]
        del snapshot
        fold_in = None
        if n_val and s.fold_in_validation:
            fold_in = self._epoch(batch, val_idx, tables, ropt, rank, world)
        self.fit_info = {
            "ratings": len(data),
            "held_out": n_val,
            "epochs": len(self.history),
            "best_epoch": best_epoch or len(self.history),
            "best_val_loss": best if n_val else None,
            "stopped_early": bool(n_val) and stale >= s.patience,
            "restored_best": restored,
            "fold_in_loss": fold_in,
            "epoch_seconds": seconds,
            "processes": world,
        }
        self.fitted = True
        self._changed()

    def partial_fit(self, data: Interactions) -> None:
        if len(data) == 0:
            return
        s = self.s
        set_threads(s.threads)
        self._decide_categories(data, full=False)
        if self.dense_opt is None:
            self.dense_opt = dense_optimizer(
                s.optimizer, list(self.net.parameters()), s.lr, s.weight_decay
            )
        lr = s.partial_lr or s.lr
        for group in self.dense_opt.param_groups:
            group["lr"] = lr
        rows = self._data_rows(data)
        local: dict[str, Tensor] = {}
        touched: dict[str, Tensor] = {}
        for e in self.entities:
            uniq, inverse = torch.unique(torch.from_numpy(rows[e]), return_inverse=True)
            touched[e] = uniq
            local[e] = inverse
        tables = {e: self.tables[e].view().index_select(0, touched[e]) for e in self.entities}
        batch = _Batchable(local, torch.tensor(data.value, dtype=torch.float32))
        ropt = RowOptimizer(s.optimizer, tables, lr)
        everything = torch.arange(len(data))
        self.partial_history = []
        for epoch in range(1, s.partial_epochs + 1):
            loss = self._epoch(batch, everything, tables, ropt, 0, 1)
            self.partial_history.append({"epoch": epoch, "train_loss": loss})
        for e in self.entities:
            self.tables[e].data.index_copy_(0, touched[e], tables[e])
        for group in self.dense_opt.param_groups:
            group["lr"] = s.lr
        self.fitted = True
        self._changed()

    def _epoch(
        self,
        batch: _Batchable,
        idx: Tensor,
        tables: dict[str, Tensor],
        ropt: RowOptimizer,
        rank: int,
        world: int,
    ) -> float:
        order = idx[torch.randperm(len(idx), generator=self.gen)]
        bs = self.s.batch_size
        total = torch.zeros((), dtype=torch.float64)
        for start in range(0, len(order), bs):
            chunk = order[start : start + bs]
            denom = len(chunk)
            if world > 1:
                chunk = chunk[rank::world]
            total += self._step(batch, chunk, denom, tables, ropt, world)
        if world > 1:
            import torch.distributed as dist

            dist.all_reduce(total)
        return float(total) / max(1, len(order))

    def _step(
        self,
        batch: _Batchable,
        chunk: Tensor,
        denom: int,
        tables: dict[str, Tensor],
        ropt: RowOptimizer,
        world: int,
    ) -> Tensor:
        s = self.s
        idx = {e: batch.rows[e].index_select(0, chunk) for e in self.entities}
        rows = {e: tables[e].index_select(0, idx[e]) for e in self.entities}
        y = batch.y.index_select(0, chunk)
        loss_sum, grads = self.net.train_step(rows, y, denom, s.embedding_reg, s.loss, self.noise)
        if world > 1:
            idx, grads = self._sync(idx, grads, world)  # type: ignore[assignment]
        ropt.tick()
        for e in self.entities:
            if len(idx[e]):
                ropt.update(e, idx[e], grads[e])  # type: ignore[arg-type]
        assert self.dense_opt is not None
        self.dense_opt.step()
        self.dense_opt.zero_grad(set_to_none=True)
        return loss_sum.double()

    def _sync(
        self, idx: dict[str, Tensor], grads: dict[str, Tensor], world: int
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Every rank gets every rank's (row, gradient) pairs and the summed dense gradients,
        in one ``all_gather`` per step (the int64 rows travel as pairs of float32 words:
        all_gather copies bytes, so they arrive intact)."""
        import torch.distributed as dist

        n_local = len(idx["user"])
        width = max(1, (self.s.batch_size + world - 1) // world)
        dims = [self.tables[e].dim for e in self.entities]
        d_all = sum(dims)
        params = list(self.net.parameters())
        dense = torch.cat(
            [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params]
        )
        n_rows = width * len(self.entities) * 2  # float32 words holding the int64 rows
        flat = torch.zeros(n_rows + width * d_all + len(dense))
        rows = flat[:n_rows].view(torch.int64).view(width, len(self.entities))
        rows.fill_(-1)
        if n_local:
            rows[:n_local] = torch.stack([idx[e] for e in self.entities], 1)
            flat[n_rows : n_rows + n_local * d_all] = torch.cat(
                [grads[e] for e in self.entities], 1
            ).reshape(-1)
        flat[n_rows + width * d_all :] = dense
        gathered = torch.empty(world, len(flat))
        dist.all_gather(list(gathered.unbind(0)), flat)
        all_rows = (
            gathered[:, :n_rows]
            .contiguous()
            .view(torch.int64)
            .reshape(world * width, len(self.entities))
        )
        g = gathered[:, n_rows : n_rows + width * d_all].reshape(world * width, d_all)
        valid = all_rows[:, 0] >= 0
        all_rows, g = all_rows[valid], g[valid]
        out_idx, out_grad, at = {}, {}, 0
        for i, (e, d) in enumerate(zip(self.entities, dims, strict=True)):
            out_idx[e] = all_rows[:, i].contiguous()
            out_grad[e] = g[:, at : at + d].contiguous()
            at += d
        summed = gathered[:, n_rows + width * d_all :].sum(0)
        at = 0
        for p in params:
            n = p.numel()
            p.grad = summed[at : at + n].view_as(p).clone()
            at += n
        return out_idx, out_grad

    @torch.no_grad()
    def _loss(self, batch: _Batchable, idx: Tensor, tables: dict[str, Tensor]) -> float:
        total = 0.0
        for start in range(0, len(idx), 65536):
            chunk = idx[start : start + 65536]
            x = self.net.raw(
                *(tables[e].index_select(0, batch.rows[e].index_select(0, chunk)) for e in self.entities)
            )
            y = batch.y.index_select(0, chunk)
            if self.s.loss == "mse":
                total += float((self.net.link(x) - y).square().sum())
            else:
                total += float(
                    nn.functional.binary_cross_entropy_with_logits(x, y, reduction="sum")
                )
        return total / max(1, len(idx))

    def _snapshot(self, into: dict[str, Any] | None) -> dict[str, Any]:
        if into is None:
            into = {e: self.tables[e].view().clone() for e in self.entities}
        else:
            for e in self.entities:
                into[e].copy_(self.tables[e].view())
        into["net"] = {k: v.clone() for k, v in self.net.state_dict().items()}
        return into

    def _restore(self, snapshot: dict[str, Any]) -> None:
        for e in self.entities:
            self.tables[e].view().copy_(snapshot[e])
        self.net.load_state_dict(snapshot["net"])

    def _changed(self) -> None:
        self.version += 1
        self._pool = None
        self._mean_user = None

    # -- scoring ---------------------------------------------------------------------------

    def _user_rows(self, users: list[int | None]) -> Tensor:
        ids = np.array([-(2**63) if u is None else u for u in users], dtype=np.int64)
        rows = self.maps["user"].get(ids)
        rows[ids == -(2**63)] = -1
        out = self._rows_of("user", rows)
        unseen = rows < 0
        if unseen.any() and self.s.unseen_user == "mean" and self.tables["user"].n:
            out[torch.from_numpy(unseen)] = self._mean_user_row()
        return out

    def _mean_user_row(self) -> Tensor:
        if self._mean_user is None or self._mean_user[0] != self.version:
            self._mean_user = (self.version, self.tables["user"].view().mean(0))
        return self._mean_user[1]

    def _pool_for(self, candidates: Candidates) -> Pool:
        pool = self._pool
        if (
            pool is not None
            and pool.version == self.version
            and np.array_equal(pool.post, candidates.post)
            and np.array_equal(pool.channel, candidates.channel)
            and (pool.category is None or np.array_equal(pool.category, candidates.category))
        ):
            return pool
        channels, inverse = np.unique(candidates.channel, return_inverse=True)
        c = self._rows_of("channel", self.maps["channel"].get(channels))
        p = self._rows_of("post", self.maps["post"].get(candidates.post))
        extra: dict[str, Tensor] = {}
        if "category" in self.entities:
            cats, cat_inverse = np.unique(candidates.category, return_inverse=True)
            extra["categories"] = self._rows_of("category", self.maps["category"].get(cats))
            extra["category_inverse"] = torch.from_numpy(cat_inverse.reshape(-1).astype(np.int64))
        with torch.no_grad():
            parts = self.net.pool(c, torch.from_numpy(inverse.reshape(-1).astype(np.int64)), p, **extra)
        pool = Pool(
            candidates.post.copy(), candidates.channel.copy(), self.version,
            category=candidates.category.copy() if extra else None, **parts,
        )
        self._pool = pool
        return pool

    @torch.no_grad()
    def score_many(self, users: list[int | None], candidates: Candidates) -> FloatArray:
        set_threads(self.s.threads)
        if len(candidates) == 0 or len(users) == 0:
            return np.zeros((len(users), len(candidates)))
        pool = self._pool_for(candidates)
        return self.net.score(self._user_rows(users), pool).double().numpy()

    @torch.no_grad()
    def bias(self, candidates: Candidates) -> FloatArray:
        if len(candidates) == 0:
            return np.zeros(0)
        if isinstance(self.net, DotNet):
            c = self._rows_of("channel", self.maps["channel"].get(candidates.channel))
            p = self._rows_of("post", self.maps["post"].get(candidates.post))
            return self.net.bias(c, p).double().numpy()
        return (
            self.score_many([None], candidates)[0]
            if self.s.unseen_user == "mean"
            else self._average_user(candidates)
        )

    def _average_user(self, candidates: Candidates) -> FloatArray:
        pool = self._pool_for(candidates)
        row = (
            self._mean_user_row() if self.tables["user"].n else torch.zeros(self.tables["user"].dim)
        )
        return self.net.score(row[None], pool)[0].double().numpy()

    # -- persistence -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "ids": {e: torch.from_numpy(self.maps[e].ids()) for e in self.entities},
            "tables": {e: self.tables[e].view().clone() for e in self.entities},
            "net": self.net.state_dict(),
            "generators": {"gen": self.gen.get_state(), "noise": self.noise.get_state()},
            "dense_optimizer": self.dense_opt.state_dict() if self.dense_opt is not None else None,
            "history": self.history,
            "partial_history": self.partial_history,
            "fit_info": self.fit_info,
            "fitted": self.fitted,
            "categories": self.categories,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self._build(categories=bool(state.get("categories", False)))
        for e in self.entities:
            self.maps[e] = IdMap.from_ids(state["ids"][e].numpy())
            self.tables[e].load(state["tables"][e])
        self.net.load_state_dict(state["net"])
        self.gen.set_state(state["generators"]["gen"])
        self.noise.set_state(state["generators"]["noise"])
        self.history = list(state["history"])
        self.partial_history = list(state["partial_history"])
        self.fit_info = dict(state.get("fit_info") or {})
        self.fitted = bool(state["fitted"])
        self.dense_opt = None
        if state.get("dense_optimizer") is not None:
            self.dense_opt = dense_optimizer(
                self.s.optimizer, list(self.net.parameters()), self.s.lr, self.s.weight_decay
            )
            self.dense_opt.load_state_dict(state["dense_optimizer"])
        self._changed()

    def memory(self) -> dict[str, int]:
        """Bytes held: table rows in use, table capacity, id maps, dense parameters."""
        return {
            "rows": sum(t.n * t.dim * 4 for t in self.tables.values()),
            "capacity": sum(t.capacity * t.dim * 4 for t in self.tables.values()),
            "maps": sum(m.nbytes for m in self.maps.values()),
            "dense": sum(p.numel() * 4 for p in self.net.parameters()),
        }
