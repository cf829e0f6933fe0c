from typing import Any, ClassVar

from oleg.testing import RecommenderContract


class TestVwLogistic(RecommenderContract):
    name = "vw-logistic"


class TestVwLogisticOnePassNoPast(RecommenderContract):
    """A single pass, without the subscriber's past and with an interaction of two post
    namespaces: the contract holds for other choices too."""

    name = "vw-logistic"
    settings: ClassVar[dict[str, Any]] = {
        "passes": 1,
        "namespaces": ["u", "c", "p", "k"],
        "interactions": ["uc", "ck"],
    }
