"""Growth: new users, channels and posts get rows without re-creating the tables each time."""

import numpy as np
import torch
from oleg import Candidates, Interactions
from oleg_recommender_embedding import DotRecommender, EmbeddingNNRecommender


def _one(user: int, post: int, channel: int, value: float = 1.0) -> Interactions:
    return Interactions.from_arrays([user], [post], [channel], [value], [0])


def test_arrivals_one_by_one_grow_geometrically(synthetic) -> None:
    model = DotRecommender(seed=1)
    model.fit(synthetic.train)
    tables = model.model.tables
    before = {e: (t.reallocations, t.capacity) for e, t in tables.items()}
    pointers = set()
    for k in range(1000):
        model.partial_fit(_one(1_000_000 + k, 2_000_000 + k, -100_000 - k % 50))
        pointers.add(tables["post"].data.data_ptr())
    known = model.n_known()
    assert known["user"] >= 1000 and known["post"] >= 1000
    for entity in ("user", "post"):
        grown = tables[entity].reallocations - before[entity][0]
        # 1000 arrivals: a handful of doublings, never one table per arrival
        assert 1 <= grown <= 6, (entity, grown)
        assert tables[entity].capacity < 4 * tables[entity].n
    assert len(pointers) <= 7


def test_growth_keeps_old_rows_identical(synthetic) -> None:
    for cls in (DotRecommender, EmbeddingNNRecommender):
        model = cls(seed=2)
        model.fit(synthetic.train)
        m = model.model
        old = {e: m.tables[e].view().clone() for e in m.tables}
        old_capacity = {e: m.tables[e].capacity for e in m.tables}
        # many new users and posts in a new channel: only new rows are touched by training
        n = 3000
        fresh = Interactions.from_arrays(
            np.arange(n) + 10_000_000,
            np.arange(n) + 20_000_000,
            np.full(n, -123),
            np.ones(n),
            np.zeros(n),
        )
        model.partial_fit(fresh)
        for e in ("user", "post"):
            assert m.tables[e].capacity > old_capacity[e]  # it did grow
            torch.testing.assert_close(m.tables[e].view()[: len(old[e])], old[e], rtol=0, atol=0)
        # the old channels were not touched either
        torch.testing.assert_close(
            m.tables["channel"].view()[: len(old["channel"])], old["channel"], rtol=0, atol=0
        )


def test_partial_fit_changes_only_the_rows_it_saw(synthetic) -> None:
    model = DotRecommender(seed=0)
    model.fit(synthetic.train)
    m = model.model
    before = m.tables["user"].view().clone()
    model.partial_fit(_one(5, 1, int(synthetic.candidates.channel[0]), 0.0))
    after = m.tables["user"].view()
    row = int(m.maps["user"].get([5])[0])
    changed = (before != after).any(1).nonzero().flatten().tolist()
    assert changed == [row]


def test_full_retrain_reuses_the_buffers(synthetic) -> None:
    model = EmbeddingNNRecommender(seed=0)
    model.fit(synthetic.train)
    pointers = {e: t.data.data_ptr() for e, t in model.model.tables.items()}
    for _ in range(3):
        model.fit(synthetic.train)
    assert {e: t.data.data_ptr() for e, t in model.model.tables.items()} == pointers


def test_memory_report_counts_rows_maps_and_capacity(synthetic) -> None:
    model = DotRecommender(DotRecommender.Settings(dim=13))
    model.fit(synthetic.train)
    mem = model.memory()
    n = model.n_known()
    assert mem["rows"] == 4 * 14 * (n["user"] + n["channel"] + n["post"])
    assert mem["capacity"] >= mem["rows"] and mem["maps"] > 0
    assert np.isfinite(model.score(None, Candidates.from_arrays([1], [1]))).all()
