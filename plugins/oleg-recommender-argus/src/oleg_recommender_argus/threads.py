"""torch's intra-op thread count, pinned before every fit and score (``threads`` setting)."""

from __future__ import annotations

import os

import torch


def set_threads(setting: int | None) -> None:
    n = setting or max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
