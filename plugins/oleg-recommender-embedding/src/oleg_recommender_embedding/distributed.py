"""Data-parallel training by hand, over a ``torch.distributed`` process group.

When a process group with more than one process is initialised, :meth:`Model.fit
<oleg_recommender_embedding.model.Model.fit>` splits every global batch between the ranks;
each rank back-propagates its share, then one ``all_gather`` of (row, gradient) pairs and
the dense gradients (:func:`exchange_gradients`) makes every rank apply the same update, so
replicas stay identical and a step equals the single-process step on the same batch (up to
float summation order). This is DistributedDataParallel's synchronous gradient averaging,
done by hand because DDP's all-reduce would ship the dense gradient of every embedding
table at every step.

``torch.distributed`` is imported only when a process group is asked about.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the current process group, (0, 1) without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def sum_over_ranks(total: Tensor) -> None:
    """Sum ``total`` over every rank, in place (an epoch's loss)."""
    import torch.distributed as dist

    dist.all_reduce(total)


def exchange_gradients(
    idx: dict[str, Tensor],
    grads: dict[str, Tensor],
    *,
    dims: dict[str, int],
    params: list[nn.Parameter],
    width: int,
    world: int,
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Every rank gets every rank's (row, gradient) pairs and the summed dense gradients,
    in one ``all_gather`` per step (the int64 rows travel as pairs of float32 words:
    all_gather copies bytes, so they arrive intact).

    ``idx``/``grads``: this rank's gathered rows and their gradients, per entity (in the
    order of ``dims``); ``width``: the most ratings a rank's share of a batch holds. The
    summed dense gradients replace ``params``' ``.grad``; returns every rank's rows and
    gradients, per entity."""
    import torch.distributed as dist

    entities = tuple(dims)
    n_local = len(idx["user"])
    d_all = sum(dims.values())
    dense = torch.cat(
        [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params]
    )
    n_rows = width * len(entities) * 2  # float32 words holding the int64 rows
    flat = torch.zeros(n_rows + width * d_all + len(dense))
    rows = flat[:n_rows].view(torch.int64).view(width, len(entities))
    rows.fill_(-1)
    if n_local:
        rows[:n_local] = torch.stack([idx[e] for e in entities], 1)
        flat[n_rows : n_rows + n_local * d_all] = torch.cat(
            [grads[e] for e in entities], 1
        ).reshape(-1)
    flat[n_rows + width * d_all :] = dense
    gathered = torch.empty(world, len(flat))
    dist.all_gather(list(gathered.unbind(0)), flat)
    all_rows = (
        gathered[:, :n_rows].contiguous().view(torch.int64).reshape(world * width, len(entities))
    )
    g = gathered[:, n_rows : n_rows + width * d_all].reshape(world * width, d_all)
    valid = all_rows[:, 0] >= 0
    all_rows, g = all_rows[valid], g[valid]
    out_idx, out_grad, at = {}, {}, 0
    for i, e in enumerate(entities):
        d = dims[e]
        out_idx[e] = all_rows[:, i].contiguous()
        out_grad[e] = g[:, at : at + d].contiguous()
        at += d
    summed = gathered[:, n_rows + width * d_all :].sum(0)
    at = 0
    for p in params:
        n = p.numel()
        p.grad = summed[at : at + n].view_as(p).clone()
        at += n
    return out_idx, out_grad
