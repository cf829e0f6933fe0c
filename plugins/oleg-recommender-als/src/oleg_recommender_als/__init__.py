"""``als``: implicit's AlternatingLeastSquares as an oleg recommender.

Likes are positive confidences, dislikes negative ones (implicit reads a negative entry as
"preference 0 with confidence |value|"); new feedback between full fits re-solves only the
affected subscribers' vectors (and the rated posts' vectors) on their full history.
"""

from oleg_recommender_als.matrix import AlsMatrix, als_matrix
from oleg_recommender_als.model import AlsRecommender, AlsSettings

__all__ = ["AlsMatrix", "AlsRecommender", "AlsSettings", "als_matrix"]
