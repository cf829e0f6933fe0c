"""RecTools' SASRec with gSASRec's loss (gBCE, 256 sampled negatives) on one split, run in
an environment of its own (RecTools pins numpy < 2 and pulls pytorch-lightning; oleg's
keeps numpy 2): reads the train rows from an .npz (user, item, time), writes each asked
user's top ``--k`` items, seen ones left out. Its full-softmax loss scores every item at
every position (128 x 50 x 23k logits a batch on Amazon Video Games): over 10 minutes an
epoch on one shared core, so the sampled loss is the one run here.

Usage (bench_sequential.py runs it): PYTHON peers/rectools_sasrec.py IN.npz OUT.npz
       [--k 100] [--epochs 5] [--factors 64] [--max-len 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from rectools import Columns
from rectools.dataset import Dataset
from rectools.models import SASRecModel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inp")
    parser.add_argument("out")
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = np.load(args.inp)
    frame = pd.DataFrame(
        {
            Columns.User: data["user"],
            Columns.Item: data["item"],
            Columns.Weight: 1.0,
            Columns.Datetime: pd.to_datetime(data["time"], unit="s"),
        }
    )
    dataset = Dataset.construct(frame)
    model = SASRecModel(
        n_blocks=2,
        n_heads=2,
        n_factors=args.factors,
        session_max_len=args.max_len,
        epochs=args.epochs,
        loss="gBCE",  # gSASRec: a full softmax over every item costs ~10 min an epoch here
        n_negatives=256,
        batch_size=128,
        deterministic=True,
        verbose=0,
        # a user needs two train items to give SASRec a target (with 1, a one-item session
        # broke its batching on Amazon Video Games); those with one are misses, as said below
        train_min_user_interactions=2,
    )
    began = time.perf_counter()
    model.fit(dataset)
    fit_s = time.perf_counter() - began
    users = data["rank_users"]
    known = np.isin(users, data["user"])
    reco = model.recommend(
        users=users[known], dataset=dataset, k=args.k, filter_viewed=True,
        on_unsupported_targets="warn",  # a user it cannot rank counts as a miss, and is said
    )
    reco = reco.sort_values([Columns.User, Columns.Rank])
    np.savez(
        args.out,
        user=reco[Columns.User].to_numpy(np.int64),
        item=reco[Columns.Item].to_numpy(np.int64),
        rank=reco[Columns.Rank].to_numpy(np.int64),
        fit_s=fit_s,
        seconds=time.perf_counter() - began,
    )


if __name__ == "__main__":
    main()
