"""Offline evaluation: every recommender judged by the same protocol, side by side.

A data source becomes a :class:`Dataset` (values on oleg's 0..1 scale), a split cuts it
into train and test, :func:`evaluate` fits each recommender on the same train rows and
measures it the same way (rating metrics on the test rows, top-K metrics from full
ranking), and the :class:`Evaluation` it returns renders as a table, markdown, JSON and
plots. ``oleg evaluate`` is this module on the command line::

    from oleg_evaluation import load_ratings, temporal, evaluate, print_table

    data = load_ratings("ratings.csv", items="movies.csv")        # first genre = channel
    ev = evaluate(data, ["random", "popular", "als:factors=64"], [temporal(data)])
    print_table(ev, rich.console.Console())
"""

from oleg_evaluation.channels import ItemChannels, load_item_channels
from oleg_evaluation.dataset import Dataset
from oleg_evaluation.plots import write_plots
from oleg_evaluation.ranking import Catalog, rank_top_k, select_top_k
from oleg_evaluation.ratings import RatingsFormat, load_ratings, load_train_test
from oleg_evaluation.report import markdown, print_table, write_reports
from oleg_evaluation.results import EvalConfig, Evaluation, FoldResult
from oleg_evaluation.runner import evaluate
from oleg_evaluation.sequences import load_sequences
from oleg_evaluation.specs import RecommenderSpec
from oleg_evaluation.splits import Split, holdout, kfold, leave_last_out, make_splits, temporal
from oleg_evaluation.store_source import load_store

__all__ = [
    "Catalog",
    "Dataset",
    "EvalConfig",
    "Evaluation",
    "FoldResult",
    "ItemChannels",
    "RatingsFormat",
    "RecommenderSpec",
    "Split",
    "evaluate",
    "holdout",
    "kfold",
    "leave_last_out",
    "load_item_channels",
    "load_ratings",
    "load_sequences",
    "load_store",
    "load_train_test",
    "make_splits",
    "markdown",
    "print_table",
    "rank_top_k",
    "select_top_k",
    "temporal",
    "write_plots",
    "write_reports",
]
