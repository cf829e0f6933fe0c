"""Test helpers for plugin authors.

``RecommenderContract`` is a pytest test class: subclass it in your plugin's tests, say how
to build your recommender, and it checks what the engine relies on::

    from oleg.testing import RecommenderContract

    class TestMyRecommender(RecommenderContract):
        name = "my-recommender"          # built through the installed plugin, by name
        learns = True                    # it should beat chance on the synthetic data
"""

from oleg.testing.contract import RecommenderContract
from oleg.testing.synthetic import SyntheticFeedback, synthetic_feedback

__all__ = ["RecommenderContract", "SyntheticFeedback", "synthetic_feedback"]
