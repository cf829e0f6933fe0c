from oleg.testing import RecommenderContract


class TestRandom(RecommenderContract):
    name = "random"
    learns = False


class TestPopular(RecommenderContract):
    name = "popular"
