import numpy as np
import pytest
from oleg.idmap import IdMap, first_positions


@pytest.mark.parametrize("layout", ["direct", "hash"])
def test_rows_in_arrival_order_and_lookups(layout: str) -> None:
    rng = np.random.default_rng(0)
    m = IdMap()
    ref: dict[int, int] = {}
    for batch in range(50):
        if layout == "direct":
            ids = rng.permutation(np.arange(batch * 100 + 1, batch * 100 + 101))[:70]
        else:
            ids = -1_001_000_000_000 - rng.integers(0, 10**9, 100)
        ids = np.concatenate([ids, ids[:5]])  # repeats inside a batch
        rows = m.add(ids)
        for i, r in zip(ids.tolist(), rows.tolist(), strict=True):
            assert ref.setdefault(i, len(ref)) == r
    assert m.layout == layout and len(m) == len(ref)
    keys = np.array(list(ref))
    np.testing.assert_array_equal(m.get(keys), np.arange(len(ref)))
    np.testing.assert_array_equal(m.ids(), keys)
    assert (m.get([123_456_789_012, -5]) == -1).all()
    np.testing.assert_array_equal(IdMap.from_ids(m.ids()).get(keys), m.get(keys))


def test_switches_to_hash_when_ids_are_sparse_and_keeps_rows() -> None:
    m = IdMap()
    m.add([1, 2, 3])
    assert m.layout == "direct"
    m.add([10**12, -7])
    assert m.layout == "hash"
    np.testing.assert_array_equal(m.get([1, 2, 3, 10**12, -7, 4]), [0, 1, 2, 3, 4, -1])


def test_empty_map() -> None:
    m = IdMap()
    assert m.get([1, 2]).tolist() == [-1, -1] and len(m.ids()) == 0


def test_first_positions_name_where_each_new_id_first_appeared() -> None:
    m = IdMap()
    m.add([7, 8])
    start = len(m)
    ids = np.array([8, 30, 7, 20, 30, 20, 40])
    rows = m.add(ids)
    assert rows.tolist() == [1, 2, 0, 3, 2, 3, 4]  # 30, 20, 40 numbered as they first appear
    first = first_positions(rows, start)
    assert first.tolist() == [1, 3, 6] and ids[first].tolist() == [30, 20, 40]
    assert len(first_positions(m.add(ids), len(m))) == 0  # nothing new the second time


def test_from_ids_rejects_repeats() -> None:
    with pytest.raises(ValueError, match="repeated ids"):
        IdMap.from_ids([3, 4, 3])
