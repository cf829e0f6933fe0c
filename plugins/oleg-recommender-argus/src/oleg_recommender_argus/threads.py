"""torch's intra-op thread count, pinned before every fit and score.

``threads`` (default: every core this process may run on) is the most a fit uses. Work too
small to split runs on one thread whatever the setting, as embedding-nn's steps do: on 2
shared cores the small preset trained at 28,900 events/s on one thread and 5,800 on two
(a second OpenMP thread mostly waits for a core), while the medium one, four times the
work per step, gained from two (11,700 -> 14,900: ``bench_argus_speed.py``). Scoring a
pool is a pass over memory and always runs on one thread.
"""

from __future__ import annotations

import os

import torch

PARALLEL_WORK = 1 << 18
"""Floats of one layer's activations in a training step (windows x steps x width) from
which a step runs on more than one thread: the small preset's full batch (64 x 50 x 32)
is below it, the medium one's (64 x 100 x 64) above."""


def default_threads() -> int:
    """The cores this process may run on (its affinity mask, not the whole machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_for(setting: int | None, work: int) -> int:
    """The threads a training step of ``work`` floats uses: one below
    :data:`PARALLEL_WORK`, else the setting (default: all allowed)."""
    return 1 if work < PARALLEL_WORK else setting or default_threads()


def set_threads(n: int) -> None:
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
