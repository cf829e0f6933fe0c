"""Data-parallel fit of ``argus`` with ``torch.distributed`` (gloo on CPUs, NCCL on GPUs).

Launched by torchrun, one process per worker::

    torchrun --nproc-per-node 2 -m oleg_recommender_argus.ddp \\
        --data ratings.npz --out argus.pt --settings '{"preset": "medium"}'

Every process reads the same ratings, builds the same histories and initial weights (same
seed) and shuffles the windows the same way; each takes its share of every batch and the
gradients are averaged once per step (:mod:`oleg_recommender_argus.training`), so the
replicas stay equal. Rank 0 writes the model; a deployment loads it with
``Recommender.load``. With ``device = "auto"`` each process trains on CUDA when present
(give torchrun one process per GPU and ``--backend nccl``).

:func:`spawn_fit` does the same from Python without torchrun (the tests use it).
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

from oleg import Interactions

from oleg_recommender_argus.recommender import ArgusRecommender
from oleg_recommender_argus.settings import ArgusSettings


def read_ratings(path: Path) -> Interactions:
    """Ratings from ``.npz`` (:meth:`Interactions.save_npz`'s arrays)."""
    if Path(path).suffix != ".npz":
        raise SystemExit(
            f"{path}: expected a .npz file of ratings (user, post, channel, value[, time])"
        )
    return Interactions.load_npz(path)


def _worker(
    rank: int, world: int, init: str, settings: dict[str, Any], seed: int, data_path: str, out: str
) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    try:
        model = ArgusRecommender(ArgusSettings.model_validate(settings), seed=seed)
        model.fit(read_ratings(Path(data_path)))
        model.save(Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def spawn_fit(
    settings: dict[str, Any],
    seed: int,
    data: Interactions,
    *,
    world_size: int = 2,
    workdir: Path | None = None,
) -> list[ArgusRecommender]:
    """Fit on ``data`` with ``world_size`` processes (gloo, a file store); the model each
    rank ended with (they should be equal)."""
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        data_path = Path(tmp) / "ratings.npz"
        data.save_npz(data_path)
        init = f"file://{Path(tmp) / 'store'}"
        mp.spawn(
            _worker,
            args=(world_size, init, settings, seed, str(data_path), tmp),
            nprocs=world_size,
            join=True,
        )
        return [ArgusRecommender.load(Path(tmp) / f"rank{r}.pt") for r in range(world_size)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m oleg_recommender_argus.ddp",
        description="Fit argus, data-parallel over torchrun's processes.",
    )
    parser.add_argument("--data", type=Path, required=True, help="ratings as .npz")
    parser.add_argument("--settings", default="{}", help="argus settings as JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=Path("argus-ddp.pt"), help="model file written by rank 0"
    )
    parser.add_argument("--backend", default="gloo", help="gloo (CPU) or nccl (GPU)")
    args = parser.parse_args(argv)
    import torch
    import torch.distributed as dist

    try:
        settings = ArgusSettings.model_validate(json.loads(args.settings))
    except ValueError as exc:
        print(f"--settings: {exc}", file=sys.stderr)
        return 2
    if "RANK" in os.environ:
        torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
        dist.init_process_group(args.backend)
        if args.backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    rank = dist.get_rank() if dist.is_initialized() else 0
    model = ArgusRecommender(settings, seed=args.seed)
    data = read_ratings(args.data)
    began = time.perf_counter()
    model.fit(data)
    if rank == 0:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        model.save(args.out)
        print(
            json.dumps(
                {
                    "processes": dist.get_world_size() if dist.is_initialized() else 1,
                    "ratings": len(data),
                    "seconds": round(time.perf_counter() - began, 3),
                    "out": str(args.out),
                }
            ),
            flush=True,
        )
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
