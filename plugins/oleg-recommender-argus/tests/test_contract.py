"""The recommender contract, built through the installed plugin."""

from oleg.testing import RecommenderContract


class TestArgus(RecommenderContract):
    name = "argus"
    settings = {"pretrain_epochs": 4, "sequence_epochs": 4, "finetune_epochs": 5}


class TestArgusThreeTokens(RecommenderContract):
    name = "argus"
    settings = {
        "pretrain_epochs": 4,
        "sequence_epochs": 4,
        "finetune_epochs": 5,
        "variant": "three-token",
    }
