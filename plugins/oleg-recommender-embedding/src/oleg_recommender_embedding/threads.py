"""torch's intra-op thread count, set before every fit and score.

One thread by default: batch-512 steps are too small to split, and on a shared machine a
second OpenMP thread made them 10-100x slower (the ``threads`` setting overrides it).
"""

from __future__ import annotations

import torch


def default_threads() -> int:
    return 1


def set_threads(n: int | None) -> None:
    want = n or default_threads()
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)
