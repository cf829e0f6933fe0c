"""Growable embedding tables: rows ``[vector | bias | ...]`` in a float32 buffer.

The buffer keeps spare capacity and doubles when it fills (rows copied once,
``reallocations`` counted): arrivals one by one never re-create it, and a full retrain
reuses the buffer it has.
"""

from __future__ import annotations

import torch
from torch import Tensor


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
