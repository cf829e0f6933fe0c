"""Data-parallel full retrain with ``torch.distributed`` (gloo on CPUs).

Launched by torchrun, one process per worker::

    torchrun --nproc-per-node 2 -m oleg_recommender_embedding.ddp \\
        --deploy deploy.toml --out model.pt            # the deployment's store and settings
    torchrun --nproc-per-node 2 -m oleg_recommender_embedding.ddp \\
        --model embedding-nn --data ratings.npz --out model.pt --settings '{"epochs": 10}'

Every process reads the same ratings and builds the same id maps and initial weights (same
seed); each takes its share of every global batch, and one ``all_gather`` per step hands
every process all the (row, gradient) pairs and dense gradients, so the replicas stay equal
(see :mod:`oleg_recommender_embedding.distributed`). Rank 0 writes the model; the engine loads it
with ``Recommender.load``. Across machines, give torchrun ``--nnodes`` and a rendezvous
endpoint as usual.

:func:`spawn_fit` does the same from Python without torchrun (``torch.multiprocessing``
and a file store): the tests use it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from oleg import Interactions

from oleg_recommender_embedding.models import _BY_NAME, EmbeddingRecommender


def read_ratings(path: Path) -> Interactions:
    """Ratings from ``.npz`` (arrays user, post, channel, value[, time]) or ``.csv`` (a header
    naming those columns)."""
    path = Path(path)
    if path.suffix == ".npz":
        return Interactions.load_npz(path)
    if path.suffix == ".csv":
        table = np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64)
        names = table.dtype.names or ()
        missing = {"user", "post", "channel", "value"} - set(names)
        if missing:
            raise SystemExit(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; the header has "
                f"{', '.join(names)}"
            )
        return Interactions.from_arrays(
            table["user"],
            table["post"],
            table["channel"],
            table["value"],
            table["time"] if "time" in names else None,
        )
    raise SystemExit(f"{path}: expected a .npz or .csv file of ratings")


def _worker(
    rank: int,
    world: int,
    init: str,
    jobs: list[tuple[str, dict[str, Any], int]],
    data_path: str,
    out: str,
) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        data = read_ratings(Path(data_path))
        for n, (name, settings, seed) in enumerate(jobs):
            cls = _BY_NAME[name]
            model = cls(cls.Settings.model_validate(settings), seed=seed)
            model.fit(data)
            model.save(Path(out) / f"job{n}-rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def spawn_fit(
    jobs: list[tuple[str, dict[str, Any], int]],
    data: Interactions,
    *,
    world_size: int = 2,
    workdir: Path | None = None,
) -> list[list[EmbeddingRecommender]]:
    """Fit each ``(name, settings, seed)`` job on ``data`` with ``world_size`` processes
    (gloo, a file store), one job after the other in the same processes; returns, per job,
    the model each rank ended with (they should be equal)."""
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        data_path = Path(tmp) / "ratings.npz"
        data.save_npz(data_path)
        init = f"file://{Path(tmp) / 'store'}"
        mp.spawn(
            _worker,
            args=(world_size, init, jobs, str(data_path), tmp),
            nprocs=world_size,
            join=True,
        )
        return [
            [EmbeddingRecommender.load(Path(tmp) / f"job{n}-rank{r}.pt") for r in range(world_size)]
            for n in range(len(jobs))
        ]


def _from_deployment(path: Path) -> tuple[str, dict[str, Any], int, Interactions, Path]:
    from oleg.config.loader import load_deployment
    from oleg.store import Store

    deployment = load_deployment(path)
    comp = deployment.components["recommender"]
    if comp.plugin not in _BY_NAME:
        raise SystemExit(
            f"{path}: [recommender] plugin is {comp.plugin!r}; this trains dot or embedding-nn"
        )
    store = Store.open(deployment.deployment.database)
    try:
        data, _ = store.feedback(after_id=0)
    finally:
        store.close()
    settings = comp.settings.model_dump(mode="json")
    out = Path(deployment.deployment.data_dir) / f"{comp.plugin}-ddp.pt"
    return comp.plugin, settings, deployment.deployment.seed, data, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m oleg_recommender_embedding.ddp",
        description="Full retrain of dot / embedding-nn, data-parallel over torchrun's processes "
        "(gloo).",
    )
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--deploy",
        type=Path,
        help="deployment TOML: its store's feedback and [recommender] settings",
    )
    src.add_argument(
        "--data", type=Path, help="ratings as .npz or .csv (user, post, channel, value[, time])"
    )
    parser.add_argument(
        "--model", choices=sorted(_BY_NAME), default="embedding-nn", help="with --data"
    )
    parser.add_argument("--settings", default="{}", help="with --data: settings as JSON")
    parser.add_argument("--seed", type=int, default=0, help="with --data")
    parser.add_argument("--out", type=Path, help="model file written by rank 0")
    parser.add_argument(
        "--backend", default="gloo", help="gloo (CPU) or nccl (GPU; not used by these models yet)"
    )
    args = parser.parse_args(argv)

    import torch
    import torch.distributed as dist

    if args.deploy is not None:
        name, settings, seed, data, out = _from_deployment(args.deploy)
    else:
        name, settings, seed, data = (
            args.model,
            json.loads(args.settings),
            args.seed,
            read_ratings(args.data),
        )
        out = Path(f"{name}-ddp.pt")
    out = args.out or out
    if "RANK" in os.environ:
        torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
        dist.init_process_group(args.backend)
    rank = dist.get_rank() if dist.is_initialized() else 0
    world = dist.get_world_size() if dist.is_initialized() else 1
    cls = _BY_NAME[name]
    model = cls(cls.Settings.model_validate(settings), seed=seed)
    began = time.perf_counter()
    model.fit(data)
    seconds = time.perf_counter() - began
    if rank == 0:
        out.parent.mkdir(parents=True, exist_ok=True)
        model.save(out)
        last = [h for h in model.history if "val_loss" in h]
        summary = {
            "model": name,
            "processes": world,
            "ratings": len(data),
            "seconds": round(seconds, 3),
            "epochs": len(model.history),
            "best_val_loss": min((h["val_loss"] for h in last), default=None),
            "out": str(out),
        }
        print(json.dumps(summary), flush=True)
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
