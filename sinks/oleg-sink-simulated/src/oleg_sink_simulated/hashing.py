"""Counter-based randomness: a random number that is a pure function of its keys.

The simulation must give the same reaction to the same post shown to the same subscriber,
whatever else happened before (which recommender ran, in which order posts arrived). A
stateful generator cannot promise that; hashing the keys (seed, purpose, subscriber,
channel, message) with SplitMix64 can, and it vectorises over numpy arrays.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def stream(name: str) -> int:
    """A 64-bit constant naming one use of randomness ("like", "delay"), so uses differ."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def _as_u64(values: npt.ArrayLike) -> U64:
    arr = np.asarray(values)
    if arr.dtype == np.uint64:
        return arr
    # Negative channel ids (-100...) wrap to distinct unsigned values.
    return np.asarray(arr, dtype=np.int64).view(np.uint64)


def _splitmix(x: U64) -> U64:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def hash_keys(seed: int, purpose: int, *keys: npt.ArrayLike) -> U64:
    """A well-mixed 64-bit hash of the keys; array keys broadcast against each other."""
    h = _splitmix(np.array([(seed & _MASK) ^ purpose], dtype=np.uint64))
    for key in keys:
        h = _splitmix(h ^ _as_u64(key))
    return h


def uniform(seed: int, purpose: int, *keys: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Uniform on [0, 1), a pure function of (seed, purpose, keys)."""
    return (hash_keys(seed, purpose, *keys) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def normal(seed: int, purpose: int, *keys: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Standard normal (Box-Muller on two hashed uniforms), a pure function of the keys."""
    h = hash_keys(seed, purpose, *keys)
    u1 = 1.0 - (h >> np.uint64(11)).astype(np.float64) * 2.0**-53  # (0, 1]
    u2 = (_splitmix(h) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
