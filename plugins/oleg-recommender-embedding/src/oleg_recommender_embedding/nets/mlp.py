"""``embedding-nn``'s network: embeddings into one hidden layer, plus wide terms."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from oleg_recommender_embedding.nets.base import Net, Pool, logit
from oleg_recommender_embedding.settings import EmbeddingNNSettings

_SCORE_BLOCK = 1 << 20  # floats of a (users x candidates x hidden) block scored at once (4 MB)

_ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "gelu": torch.nn.functional.gelu,
    "silu": torch.nn.functional.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


class MLPNet(Net):
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
            "user": self.du + extra + self.kk,
            "channel": self.dc + extra,
            "post": self.dp + extra,
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
            self.out.bias.fill_(logit(mean))

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
        self,
        u: Tensor,
        c: Tensor,
        p: Tensor,
        k: Tensor | None = None,
        train: bool = False,
        gen: torch.Generator | None = None,
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

    def pool(
        self,
        channels: Tensor,
        inverse: Tensor,
        p: Tensor,
        categories: Tensor | None = None,
        category_inverse: Tensor | None = None,
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
        weight: Tensor | None = None,
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
        if weight is not None:
            losses = losses * weight
        loss_sum = losses.sum()
        total = loss_sum
        if reg:
            total = total + reg * sum(leaf.square().sum() for leaf in leaves.values())
        (total / denom).backward()
        return loss_sum.detach(), {e: leaf.grad for e, leaf in leaves.items()}  # type: ignore[misc]
