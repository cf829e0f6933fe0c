"""The floors bench_embedding_speed measures its figures against, in the same run.

- Training: a bare PyTorch loop of the same network (the same tables, layers, dropout,
  loss and L2 penalty), the same batch size, optimiser and data: ``nn.Embedding(sparse=True)``
  tables under ``torch.optim.SparseAdam``, the dense layers under ``torch.optim.Adam``,
  ratings pre-shuffled into index tensors, the same passes as the fit it is compared with
  (its epochs, a held-out loss after each, one fold-in pass). No early stopping, snapshots,
  id maps or growth: the least any framework can cost.
- Scoring: one pass over the bytes a subscriber's pass must read (a numpy reduction over an
  array of that size): the memory-bandwidth floor.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from oleg import Interactions
from oleg.idmap import IdMap
from torch import Tensor, nn


@dataclass(frozen=True)
class Passes:
    """What the fit being matched did: epochs over the training share, a held-out loss after
    each, and whether a fold-in pass over the held-out share followed."""

    epochs: int
    batch_size: int
    lr: float
    validation_share: float
    fold_in: bool
    threads: int


class BareNet(nn.Module):
    """The recommender's network over plain ``nn.Embedding`` tables (sparse gradients)."""

    def __init__(self, kind: str, s: Any, sizes: dict[str, int]) -> None:
        super().__init__()
        self.kind = kind
        if kind == "dot":
            dims = {e: s.dim + 1 for e in sizes}
        else:
            self.du, self.dc, self.dp = s.user_dim, s.channel_dim, s.post_dim
            self.kc, self.kp = min(self.du, self.dc), min(self.du, self.dp)
            dims = {"user": self.du + 1, "channel": self.dc + 1, "post": self.dp + 1}
            self.hidden = nn.Linear(self.du + self.dc + self.dp, s.hidden)
            self.out = nn.Linear(s.hidden, 1)
            self.dropout, self.cold = s.dropout, s.cold_dropout
        self.tables = nn.ModuleDict(
            {e: nn.Embedding(n, dims[e], sparse=True) for e, n in sizes.items()}
        )
        for t in self.tables.values():
            nn.init.normal_(t.weight, 0.0, s.init_std)
        self.global_bias = nn.Parameter(torch.zeros(1))

    def forward(self, u: Tensor, c: Tensor, p: Tensor, train: bool) -> tuple[Tensor, Tensor]:
        """(logits, the rows' squared norm) of a batch of index tensors."""
        ru, rc, rp = self.tables["user"](u), self.tables["channel"](c), self.tables["post"](p)
        norm = ru.square().sum() + rc.square().sum() + rp.square().sum()
        if self.kind == "dot":
            k = ru.shape[1] - 1
            item = rc + rp
            x = self.global_bias + ru[:, k] + item[:, k] + (ru[:, :k] * item[:, :k]).sum(1)
            return x, norm
        if train and self.cold > 0:
            rp = rp * (torch.rand(len(p), 1) >= self.cold)
        z = torch.cat([ru[:, : self.du], rc[:, : self.dc], rp[:, : self.dp]], 1)
        h = torch.relu(self.hidden(z))
        if train and self.dropout > 0:
            h = nn.functional.dropout(h, self.dropout)
        x = (
            self.out(h).squeeze(1)
            + ru[:, self.du]
            + rc[:, self.dc]
            + rp[:, self.dp]
            + (ru[:, : self.kc] * rc[:, : self.kc]).sum(1)
            + (ru[:, self.du - self.kp : self.du] * rp[:, : self.kp]).sum(1)
        )
        return x, norm


def bare_training(kind: str, settings: Any, data: Interactions, passes: Passes) -> float:
    """Wall seconds of the bare loop doing what the matched fit did."""
    torch.set_num_threads(passes.threads)
    idx = {e: IdMap() for e in ("user", "channel", "post")}
    cols = {e: torch.from_numpy(m.add(getattr(data, e))) for e, m in idx.items()}
    y = torch.tensor(data.value, dtype=torch.float32)
    torch.manual_seed(0)
    net = BareNet(kind, settings, {e: len(m) for e, m in idx.items()})
    sparse = [t.weight for t in net.tables.values()]
    dense = [p for n, p in net.named_parameters() if not n.startswith("tables.")]
    opts = [
        torch.optim.SparseAdam(sparse, lr=passes.lr),
        torch.optim.Adam(dense, lr=passes.lr, fused=True),
    ]
    reg, bs = settings.embedding_reg, passes.batch_size
    perm = torch.randperm(len(y))
    n_val = int(len(y) * passes.validation_share)
    val, train = perm[:n_val], perm[n_val:]

    def epoch(part: Tensor) -> None:
        order = part[torch.randperm(len(part))]
        u, c, p, t = (cols["user"][order], cols["channel"][order], cols["post"][order], y[order])
        for a in range(0, len(order), bs):
            x, norm = net(u[a : a + bs], c[a : a + bs], p[a : a + bs], train=True)
            loss = ((torch.sigmoid(x) - t[a : a + bs]).square().sum() + reg * norm) / len(x)
            for o in opts:
                o.zero_grad(set_to_none=True)
            loss.backward()
            for o in opts:
                o.step()

    @torch.no_grad()
    def held_out() -> float:
        total = 0.0
        for a in range(0, len(val), 65536):
            v = val[a : a + 65536]
            x, _ = net(cols["user"][v], cols["channel"][v], cols["post"][v], train=False)
            total += float((torch.sigmoid(x) - y[v]).square().sum())
        return total / max(1, len(val))

    began = time.perf_counter()
    for _ in range(passes.epochs):
        epoch(train)
        if n_val:
            held_out()
    if n_val and passes.fold_in:
        epoch(val)
    return time.perf_counter() - began


def bandwidth_floor(nbytes: int, repeats: int = 50) -> float:
    """Median seconds of one numpy reduction over ``nbytes`` of float32 (fresh array, warm)."""
    a = np.ones(max(1, nbytes // 4), dtype=np.float32)
    a.sum()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a.sum()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pool_bytes(pool: Any) -> int:
    """Bytes of a cached pool that a subscriber's pass reads: every tensor it holds."""
    return sum(
        int(v.numel() * v.element_size()) for v in vars(pool).values() if isinstance(v, Tensor)
    )
