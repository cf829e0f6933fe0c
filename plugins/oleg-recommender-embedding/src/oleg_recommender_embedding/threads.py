"""torch's intra-op thread count, pinned before every fit, training step size and score.

``threads`` (default: every core this process may run on) is the most a call uses. Work
too small to split runs on one thread whatever the setting: a batch-512 step or a small
pool is over before a second OpenMP thread has woken, and on a busy machine a waiting
thread made such steps 10-100x slower. Big steps (a full retrain on many ratings takes
thousands of ratings per step) use them all. Scoring is a pass over memory, which one
core nearly saturates: one subscriber's pass over a 50,000-post pool took 1 ms on one
thread and 2-45 ms on two of a busy 2-core machine, so only a ``score_many`` of dozens of
subscribers at once is split.
"""

from __future__ import annotations

import os

import torch

PARALLEL_BATCH = 2048
"""Ratings per training step from which a step runs on more than one thread."""
PARALLEL_SCORE = 1 << 27
"""Floats of a score pass (users x candidates x user row) from which it is split: about 27
subscribers on a 50,000-post pool for embedding-nn."""


def default_threads() -> int:
    """The cores this process may run on (its affinity mask, not the whole machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_for(setting: int | None, work: int, threshold: int) -> int:
    """The threads a call of ``work`` units uses: one below ``threshold``, else all allowed."""
    return 1 if work < threshold else setting or default_threads()


def set_threads(n: int) -> None:
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
