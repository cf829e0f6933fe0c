from typing import Any, ClassVar

from oleg.testing import RecommenderContract


class TestAls(RecommenderContract):
    name = "als"
    # The synthetic data is tiny (60 users, 300 posts, 3200 ratings): the defaults (64
    # factors, regularization 0.01) are meant for real feeds and memorize it instead.
    settings: ClassVar[dict[str, Any]] = {"factors": 16, "regularization": 20.0, "num_threads": 1}
