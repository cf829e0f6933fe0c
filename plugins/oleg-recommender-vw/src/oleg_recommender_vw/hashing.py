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
        return np.fromiter(
            (self.name(namespace, f) for f in features), dtype=np.uint64, count=len(features)
        )

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


PROBE_NAMESPACE = "~"
PROBE_FEATURE = "oleg-weight-probe"


def regularization(vw: Any, hasher: Hasher) -> tuple[float, float]:
    """VW's pending L2 contraction and L1 gravity: ``(1.0, 0.0)`` without them.

    With ``--l1``/``--l2`` VW keeps the weights as learned and predicts with
    ``contraction * Σ trunc(w, gravity) * x`` (``trunc`` shrinks each weight towards 0 by
    ``gravity``), carrying both numbers in its model file. The Python API shows neither, so
    they are measured: with the bias weight at 0, one probe feature's weight is set to two
    values and VW's margin read for each (then both weights are put back). A second round
    just above the first estimate of the gravity keeps the margins small, so float32
    rounding leaves both numbers good to about 1e-9.
    """
    feature = PROBE_FEATURE
    while hasher.name(PROBE_NAMESPACE, feature) == hasher.constant:  # never the bias's slot
        feature += "+"
    probe, bias = hasher.name(PROBE_NAMESPACE, feature), hasher.constant
    saved_probe, saved_bias = vw.get_weight(probe), vw.get_weight(bias)

    def margin(value: float) -> tuple[float, float]:
        vw.set_weight(probe, 0, value)
        example = vw.example(f"|{PROBE_NAMESPACE} {feature}")
        vw.predict(example)
        return float(vw.get_weight(probe)), float(example.get_partial_prediction())

    try:
        vw.set_weight(bias, 0, 0.0)
        contraction, gravity = 1.0, 0.0
        for step in (1.0, 0.01):
            (a, ma), (b, mb) = margin(gravity + step), margin(gravity + 2 * step)
            contraction = (mb - ma) / (b - a)
            gravity = max(a - ma / contraction, 0.0)
    finally:
        vw.set_weight(probe, 0, saved_probe)
        vw.set_weight(bias, 0, saved_bias)
    return contraction, gravity


def json_weights(vw: Any) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """VW's non-zero weights as (index, value) arrays, from ``json_weights``.

    The text is a flat list of ``{"index":i,"value":v}``; it is read as numbers in numpy
    (``json.loads`` builds a dict per weight: twice as slow). Anything else falls back to
    ``json.loads``."""
    text = vw.json_weights()
    body = text[text.find("[") + 1 : text.rfind("]")]
    flat = body.replace('{"index":', " ").replace(',"value":', " ").replace("},", " ")
    numbers = np.fromstring(flat.rstrip("}"), sep=" ") if body else np.zeros(0)
    if len(numbers) != 2 * body.count('"index"') or body.count("{") != body.count('"value"'):
        entries = json.loads(text)["weights"]
        numbers = np.array([(e["index"], e["value"]) for e in entries], np.float64).reshape(-1)
    return numbers[0::2].astype(np.int64), numbers[1::2]


class WeightTable:
    """VW's weights as ``predict`` applies them (after L1/L2, see :func:`regularization`),
    looked up by index: read whole through ``json_weights``, then only where an update
    touched them (:meth:`update`).

    Dense for tables up to 2**24 weights, else the non-zero weights sorted by index (read
    whole again after each update).
    """

    DENSE_BITS = 24

    def __init__(self, vw: Any, hasher: Hasher, *, regularized: bool) -> None:
        self._vw = vw
        self._hasher = hasher
        self.regularized = regularized
        self.reads = 0
        """Whole reads so far (the first, and any an update could not avoid)."""
        self._read_all()

    def _regularization(self) -> tuple[float, float]:
        return regularization(self._vw, self._hasher) if self.regularized else (1.0, 0.0)

    def _read_all(self) -> None:
        bits = int(self._hasher.mask).bit_length()
        index, value = json_weights(self._vw)
        self.contraction, self.gravity = self._regularization()
        self._dense: npt.NDArray[np.float64] | None = None
        if bits <= self.DENSE_BITS:
            self._dense = np.zeros(1 << bits)
            self._dense[index] = value
        else:
            order = np.argsort(index)
            self._index, self._value = index[order], value[order]
        self.reads += 1

    def update(self, touched: UIntArray) -> None:
        """Read again the weights at ``touched``: every index the examples learned since
        the last read can have changed. Reads everything where that is not enough: a
        sparse table, or VW having folded its pending L1/L2 into all weights (its
        contraction only falls and its gravity only grows until it does)."""
        contraction, gravity = self._regularization()
        indices = np.unique(touched & self._hasher.mask).astype(np.int64)
        if (
            self._dense is None
            or contraction > self.contraction
            or gravity < self.gravity
            or len(indices) > len(self._dense) // 8
        ):
            self._read_all()
            return
        get = self._vw.get_weight
        self._dense[indices] = np.fromiter(
            (get(i, 0) for i in indices.tolist()), dtype=np.float64, count=len(indices)
        )
        self.contraction, self.gravity = contraction, gravity

    def _raw(self, wanted: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        if self._dense is not None:
            return self._dense[wanted]
        if len(self._index) == 0:
            return np.zeros(len(wanted))
        at = np.minimum(np.searchsorted(self._index, wanted), len(self._index) - 1)
        return np.where(self._index[at] == wanted, self._value[at], 0.0)

    def __getitem__(self, index: UIntArray) -> npt.NDArray[np.float64]:
        value = self._raw(index.astype(np.int64))
        if self.gravity:
            value = np.sign(value) * np.maximum(np.abs(value) - self.gravity, 0.0)
        if self.contraction != 1.0:
            value = value * self.contraction
        return value
