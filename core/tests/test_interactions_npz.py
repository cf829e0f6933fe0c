"""``Interactions.save_npz`` / ``load_npz``: what a worker process reads is what was written,
categories and weights included (embedding-nn's data-parallel retrain once lost categories)."""

import numpy as np
from oleg.types import Interactions


def test_every_column_survives_the_file(tmp_path) -> None:
    data = Interactions.from_arrays(
        [3, 1, 2],
        [10, 11, 12],
        [-1_001, -1_002, -1_001],
        [1.0, 0.0, 1.0],
        [5, 6, 7],
        [0, 2**60, 42],
        weight=[1.0, 0.3, 2.5],
    )
    path = tmp_path / "ratings.npz"
    data.save_npz(path)
    back = Interactions.load_npz(path)
    for name in ("user", "post", "channel", "value", "time", "category", "weight"):
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
    unweighted = Interactions.from_arrays([1], [2], [3], [1.0])
    unweighted.save_npz(path)
    assert Interactions.load_npz(path).weight is None
