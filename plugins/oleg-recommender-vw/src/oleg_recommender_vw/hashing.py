"""VW's feature hashing, reproduced over numpy arrays, and VW's weights read out as a table.

VW hashes a feature named ``f`` in namespace ``ns`` as murmurhash3(f, seed=hash(ns)), except
that a name of decimal digits hashes to ``int(f) + hash(ns)``; the index is the hash masked
to ``bits``. A quadratic interaction of features ``a`` and ``b`` is ``(a * FNV) ^ b``,
masked. Strings go through VW's own :meth:`Workspace.hash_feature` (once each, cached);
non-negative ids use the digit rule in one vectorised step. The tests check both against
VW's own ``predict``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt

FNV_PRIME = np.uint64(16777619)
"""VW's multiplier for the first feature of a quadratic interaction."""
CONSTANT_HASH = 11650396
"""The hash of VW's constant (bias) feature."""

UIntArray = npt.NDArray[np.uint64]


class Hasher:
    """Feature indices as VW computes them for one workspace's ``bits``."""

    def __init__(self, vw: Any, bits: int) -> None:
        self._vw = vw
        self.mask = np.uint64((1 << bits) - 1)
        self._spaces: dict[str, int] = {}
        self._names: dict[tuple[str, str], int] = {}

    def space(self, namespace: str) -> int:
        seed = self._spaces.get(namespace)
        if seed is None:
            seed = self._spaces[namespace] = int(self._vw.hash_space(namespace))
        return seed

    def name(self, namespace: str, feature: str) -> int:
        """The index of one named feature (cached: words, media kinds, context tokens)."""
        key = (namespace, feature)
        index = self._names.get(key)
        if index is None:
            index = self._names[key] = int(self._vw.hash_feature(feature, self.space(namespace)))
        return index

    def names(self, namespace: str, features: list[str]) -> UIntArray:
        return np.fromiter((self.name(namespace, f) for f in features), dtype=np.uint64,
                           count=len(features))

    def ids(self, namespace: str, ids: npt.NDArray[np.int64]) -> UIntArray:
        """Indices of integer features written as ``str(id)``: the digit rule for ids >= 0,
        VW's string hash (per distinct value) for negative ones (Telegram's channel ids)."""
        out = (ids.astype(np.uint64) + np.uint64(self.space(namespace))) & self.mask
        negative = ids < 0
        if negative.any():
            values, inverse = np.unique(ids[negative], return_inverse=True)
            hashed = self.names(namespace, [str(v) for v in values.tolist()])
            out[negative] = hashed[inverse]
        return out

    def cross(self, first: UIntArray, second: UIntArray) -> UIntArray:
        """Indices of the quadratic features of two aligned index arrays (first namespace first)."""
        return ((first * FNV_PRIME) ^ second) & self.mask

    @property
    def constant(self) -> int:
        return CONSTANT_HASH & int(self.mask)


class WeightTable:
    """VW's current weights (read once through ``json_weights``), looked up by index.

    Dense for tables up to 2**24 weights, else the non-zero weights sorted by index.
    """

    DENSE_BITS = 24

    def __init__(self, vw: Any, bits: int) -> None:
        entries = json.loads(vw.json_weights())["weights"]
        index = np.fromiter((e["index"] for e in entries), dtype=np.int64, count=len(entries))
        value = np.fromiter((e["value"] for e in entries), dtype=np.float64, count=len(entries))
        self._dense: npt.NDArray[np.float64] | None = None
        if bits <= self.DENSE_BITS:
            self._dense = np.zeros(1 << bits)
            self._dense[index] = value
        else:
            order = np.argsort(index)
            self._index, self._value = index[order], value[order]
        self.nonzero = len(entries)

    def __getitem__(self, index: UIntArray) -> npt.NDArray[np.float64]:
        if self._dense is not None:
            return self._dense[index.astype(np.int64)]
        wanted = index.astype(np.int64)
        at = np.searchsorted(self._index, wanted)
        at = np.minimum(at, max(len(self._index) - 1, 0))
        if len(self._index) == 0:
            return np.zeros(len(wanted))
        return np.where(self._index[at] == wanted, self._value[at], 0.0)
