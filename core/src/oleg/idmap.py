"""Store ids -> dense rows 0..n-1, in order of first arrival, in numpy: :class:`IdMap`.

For plugin authors: a model that keeps a row (a vector, a factor, a count) per subscriber,
channel or post needs its store ids as dense indices. The store's ids are integers but not
dense (posts: autoincrement ints with gaps; channels: Telegram ids such as
-1001234567890); ``Interactions`` and ``Candidates`` carry them as int64 arrays::

    from oleg.idmap import IdMap

    users = IdMap()
    rows = users.add(feedback.user)          # new ids get rows n, n+1, ... as they first appear
    known = users.get(candidate_users)       # -1 for ids never added
    saved = users.ids()                      # ids()[row] == id; IdMap.from_ids(saved) restores it

Rows are handed out in order of first appearance (not id order) and never change, so the
same feedback always gives the same numbering, and a table indexed by row only ever grows at
its end. A dict of a million ids costs about 100 MB of Python objects; this map costs 4-32
bytes per id while the ids stay dense-ish, and 24-48 bytes per id otherwise, and looks up a
pool of 50,000 ids in one vectorised pass.

Two layouts, chosen by the ids themselves:

- *direct*: non-negative ids whose largest value is at most ``8 * len + 65536``: an int32
  array indexed by the id itself (the store's autoincrement ids);
- *hash*: anything else: open addressing with linear probing, vectorised over the batch.

numpy only: the core and every plugin can use it.
"""

from __future__ import annotations

import numpy as np

_EMPTY = np.iinfo(np.int64).min
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_DIRECT_SLACK = 65536


def _i64(ids: object) -> np.ndarray:
    return np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)


def first_positions(rows: object, start: int) -> np.ndarray:
    """Where each row ``>= start`` first appears in ``rows``, in row order.

    With ``start = len(m)`` taken before ``rows = m.add(ids)``: the position in ``ids`` of
    each id the call added, in the order of the rows it got (e.g. to read the channel of
    every new post from the same feedback)."""
    r = _i64(rows)
    new = np.flatnonzero(r >= start)
    _, first = np.unique(r[new], return_index=True)  # sorted by row: the order of arrival
    return new[first]


class IdMap:
    """Maps int64 ids to rows 0..n-1 in order of first arrival."""

    def __init__(self) -> None:
        self.n = 0
        self._direct: np.ndarray | None = np.full(0, -1, dtype=np.int32)
        self._keys: np.ndarray = np.zeros(0, dtype=np.int64)  # hash layout
        self._vals: np.ndarray = np.zeros(0, dtype=np.int32)
        self._bits = 0

    def __len__(self) -> int:
        return self.n

    @property
    def layout(self) -> str:
        return "direct" if self._direct is not None else "hash"

    @property
    def nbytes(self) -> int:
        if self._direct is not None:
            return int(self._direct.nbytes)
        return int(self._keys.nbytes + self._vals.nbytes)

    # -- lookups -------------------------------------------------------------------------

    def get(self, ids: object) -> np.ndarray:
        """The row of each id, -1 for ids never added (int64)."""
        q = _i64(ids)
        if len(q) == 0 or self.n == 0:
            return np.full(len(q), -1, dtype=np.int64)
        if self._direct is not None:
            inside = (q >= 0) & (q < len(self._direct))
            rows = self._direct[np.where(inside, q, 0)].astype(np.int64)
            rows[~inside] = -1
            return rows
        return self._hash_get(q)

    def add(self, ids: object) -> np.ndarray:
        """Add the ids not known yet (in order of first appearance); return every id's row."""
        q = _i64(ids)
        rows = self.get(q)
        missing = rows < 0
        if missing.any():
            new, first = np.unique(q[missing], return_index=True)
            new = new[np.argsort(first, kind="stable")]  # arrival order within the batch
            self._insert(new)
            rows[missing] = self.get(q[missing])
        return rows

    def ids(self) -> np.ndarray:
        """Every id, in row order (ids()[row] == id)."""
        out = np.empty(self.n, dtype=np.int64)
        if self._direct is not None:
            present = np.flatnonzero(self._direct >= 0)
            out[self._direct[present]] = present
        else:
            used = self._keys != _EMPTY
            out[self._vals[used]] = self._keys[used]
        return out

    @classmethod
    def from_ids(cls, ids: object) -> IdMap:
        """A map whose row i holds ids[i] (the inverse of :meth:`ids`)."""
        m = cls()
        keys = _i64(ids)
        if len(np.unique(keys)) != len(keys):
            raise ValueError("IdMap.from_ids: repeated ids")
        m._insert(keys)
        return m

    # -- insertion -----------------------------------------------------------------------

    def _insert(self, new: np.ndarray) -> None:
        """Insert ids known to be absent and distinct; rows n, n+1, ... in the given order."""
        if len(new) == 0:
            return
        rows = np.arange(self.n, self.n + len(new), dtype=np.int64)
        total = self.n + len(new)
        if self._direct is not None:
            top = int(new.max())
            if int(new.min()) >= 0 and top < 8 * total + _DIRECT_SLACK:
                if top >= len(self._direct):  # grow geometrically, keep what is there
                    size = max(top + 1, 2 * len(self._direct), 1024)
                    grown = np.full(size, -1, dtype=np.int32)
                    grown[: len(self._direct)] = self._direct
                    self._direct = grown
                self._direct[new] = rows
                self.n = total
                return
            self._to_hash(total)
        if total * 2 > (1 << self._bits):
            self._rehash(total)
        self._hash_put(new, rows)
        self.n = total

    def _to_hash(self, expected: int) -> None:
        keys = self.ids()
        self._direct = None
        self._bits = 0
        self._rehash(expected)
        self._hash_put(keys, np.arange(len(keys), dtype=np.int64))

    def _rehash(self, expected: int) -> None:
        old_keys, old_vals = self._keys, self._vals
        bits = max(4, int(np.ceil(np.log2(max(2 * expected, 16)))) + 1)  # load <= 1/2 after growth
        self._bits = bits
        self._keys = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self._vals = np.full(1 << bits, -1, dtype=np.int32)
        used = old_keys != _EMPTY
        if used.any():
            self._hash_put(old_keys[used], old_vals[used].astype(np.int64))

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        h = keys.view(np.uint64) * _GOLDEN
        return (h >> np.uint64(64 - self._bits)).astype(np.int64)

    def _hash_put(self, keys: np.ndarray, rows: np.ndarray) -> None:
        mask = (1 << self._bits) - 1
        slot = self._slot(keys)
        pending = np.arange(len(keys))
        while len(pending):
            free = self._keys[slot] == _EMPTY
            # among the pending keys that found a free slot, the first per slot takes it
            cand = np.flatnonzero(free)
            _, first = np.unique(slot[cand], return_index=True)
            win = cand[first]
            self._keys[slot[win]] = keys[pending[win]]
            self._vals[slot[win]] = rows[pending[win]]
            keep = np.ones(len(pending), dtype=bool)
            keep[win] = False
            pending = pending[keep]
            slot = (slot[keep] + 1) & mask

    def _hash_get(self, q: np.ndarray) -> np.ndarray:
        out = np.full(len(q), -1, dtype=np.int64)
        mask = (1 << self._bits) - 1
        slot = self._slot(q)
        pending = np.arange(len(q))
        keys = q
        while len(pending):
            found = self._keys[slot]
            hit = found == keys
            if hit.any():
                out[pending[hit]] = self._vals[slot[hit]]
            go_on = ~(hit | (found == _EMPTY))
            pending, keys, slot = pending[go_on], keys[go_on], (slot[go_on] + 1) & mask
        return out
