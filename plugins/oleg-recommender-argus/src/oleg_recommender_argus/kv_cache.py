"""Every subscriber's keys and values, layer by layer: a new step is one token's attention
over what is cached, not a rerun of the transformer over the whole window.

The encoder is causal, so a token's keys and values at every layer depend only on the
tokens before it: caching them is exact. :func:`extend` is the encoder of
:class:`oleg_recommender_argus.net.ArgusNet` written out (pre-norm layers, as
``nn.TransformerEncoderLayer(norm_first=True)`` computes them in eval mode) for a batch of
subscribers each with their own cached prefix and their own number of new tokens.

The cache lives in one preallocated arena (slot, layer, key/value, token, width), grown by
doubling up to ``budget_mb``; past that the subscribers updated longest ago lose their
slot and are read again from their history the next time they are scored.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class Extension:
    """New tokens for a batch of subscribers: ``tokens`` (B, N, d), position embeddings
    not yet added, padded on the right; ``counts`` (B,) how many are real; ``prefix`` (B,)
    how many tokens each already has cached (their positions start there)."""

    tokens: Tensor
    counts: Tensor
    prefix: Tensor


class KVCache:
    def __init__(self, net: nn.Module, max_tokens: int, budget_mb: float) -> None:
        layers = list(net.encoder.layers)  # type: ignore[union-attr]
        self.d = int(net.start.shape[0])  # type: ignore[union-attr]
        self.n_layers = len(layers)
        self.max_tokens = max_tokens
        per_slot = self.n_layers * 2 * max_tokens * self.d * 4
        self.max_slots = max(1, int(budget_mb * 2**20 // per_slot))
        self.kv = torch.zeros((0, self.n_layers, 2, max_tokens, self.d))
        self.slots: OrderedDict[int, int] = OrderedDict()
        """Subscriber -> slot, the least recently updated first."""
        self.free: list[int] = []

    def clear(self) -> None:
        self.slots.clear()
        self.free = list(range(len(self.kv)))[::-1]

    def slot_of(self, user: int) -> int | None:
        return self.slots.get(user)

    def reserve(self, fresh: int, keep: int) -> None:
        """Make room for ``fresh`` new subscribers besides ``keep`` cached ones that the call
        under way reads (they are never evicted: past the budget the arena grows instead)."""
        evictable = len(self.slots) - keep
        short = fresh - len(self.free) - max(0, evictable)
        if short <= 0:
            return
        base = len(self.kv)
        target = max(min(self.max_slots, max(16, 2 * base)), base + short)
        self.kv = torch.cat([self.kv, torch.zeros((target - base, *self.kv.shape[1:]))])
        self.free = list(range(target - 1, base - 1, -1)) + self.free

    def claim(self, user: int) -> tuple[int, int | None]:
        """A slot for ``user`` after :meth:`reserve`: (slot, the subscriber evicted for it,
        the one updated longest ago)."""
        if user in self.slots:
            self.slots.move_to_end(user)
            return self.slots[user], None
        evicted = None
        if not self.free:
            evicted, slot = self.slots.popitem(last=False)
            self.free.append(slot)
        slot = self.free.pop()
        self.slots[user] = slot
        return slot, evicted

    def touch(self, user: int) -> None:
        self.slots.move_to_end(user)


def extend(
    net: nn.Module, cache: KVCache, slots: Tensor, ext: Extension, *, commit: bool = True
) -> Tensor:
    """Run the new tokens through the encoder over each subscriber's cached prefix; return
    their outputs after the final norm (B, N, d; zeros where padded). ``commit``: write
    their keys and values into the cache (the next extension attends to them). Only the
    attention sees the padded (B, N) layout; every linear layer runs on the real tokens."""
    b, n, d = ext.tokens.shape
    j = torch.arange(n)
    at = ext.prefix[:, None] + j[None, :]  # (B, N): each new token's position
    real = j[None, :] < ext.counts[:, None]
    rows, cols = real.nonzero(as_tuple=True)
    pos = at[rows, cols]
    x = ext.tokens[rows, cols] + net.positions.weight[pos]  # type: ignore[union-attr]  # (R, d)
    p_max = int(ext.prefix.max()) if b else 0
    # query i of subscriber b sees cached tokens t < prefix_b and new tokens i' <= i
    seen_prefix = torch.arange(p_max)[None, None, :] < ext.prefix[:, None, None]
    seen_new = (j[None, :] <= j[:, None])[None] & real[:, None, :]
    mask = torch.cat([seen_prefix.expand(b, n, p_max), seen_new.expand(b, n, n)], -1)[:, None]
    where = slots[rows]

    def padded(t: Tensor) -> Tensor:
        out = t.new_zeros((b, n, d))
        out[rows, cols] = t
        return out

    for layer_no, layer in enumerate(net.encoder.layers):  # type: ignore[union-attr]
        attn = layer.self_attn
        heads = attn.num_heads

        def split(t: Tensor, heads: int = heads) -> Tensor:
            return t.view(b, t.shape[1], heads, d // heads).transpose(1, 2)

        q, k, v = F.linear(layer.norm1(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1)
        cached = cache.kv[slots, layer_no, :, :p_max]  # (B, 2, P, d)
        keys = torch.cat([cached[:, 0], padded(k)], 1)
        values = torch.cat([cached[:, 1], padded(v)], 1)
        out = F.scaled_dot_product_attention(
            split(padded(q)), split(keys), split(values), attn_mask=mask
        )
        x = x + attn.out_proj(out.transpose(1, 2)[rows, cols].reshape(len(rows), d))
        x = x + layer.linear2(layer.activation(layer.linear1(layer.norm2(x))))
        if commit and len(rows):
            cache.kv[where, layer_no, 0, pos] = k
            cache.kv[where, layer_no, 1, pos] = v
    return padded(net.norm(x))  # type: ignore[union-attr]
