"""Fine-tune an abcdl model in PyTorch with DistributedDataParallel on two processes (outgrowing abcdl).

    python examples/ddp_finetune.py runs/mnist-mlp-20250101-120000/model.safetensors --out ddp-run

What happens, step by step (docs/outgrow.md explains when to do this):

1. ``abcdl.load`` reads the checkpoint; ``abcdl.export.to_torch`` turns it into a
   ``torch.nn.Sequential`` with the same weights (no transposes: abcdl's W is
   PyTorch's ``weight``).
2. ``torch.multiprocessing.spawn`` starts ``--world-size`` processes (default 2).
   They meet through the gloo backend on the loopback interface (127.0.0.1, a
   free port), so the example runs on one CPU machine with no other network.
3. Each process wraps its copy in ``DistributedDataParallel`` and trains on its
   own shard of MNIST (``DistributedSampler``); after every backward pass DDP
   all-reduces (averages) the gradients, so every rank takes the same SGD step
   and the copies stay identical: mini-batch SGD (L36) with the batch split over
   the processes.
4. Rank 0 writes the loss of each epoch (averaged over the ranks) to
   ``losses.json``, every rank writes its final weights (``rank<r>.safetensors``,
   no pickle) so they can be compared, and rank 0 copies the weights back into
   the abcdl model and saves ``finetuned.safetensors``, which ``abcdl.load``,
   ``abcdl evaluate`` and ``abcdl export`` read.

On a real cluster, start one process per GPU with ``torchrun`` and the ``nccl``
backend instead of ``spawn`` and gloo; the training function stays the same.
Needs PyTorch: ``pip install "abcdl[torch]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import abcdl
from abcdl.data import load_mnist
from abcdl.export import flat_layers, to_torch

# abcdl parameter name -> PyTorch's, for the way back (recurrent layers use PyTorch's names already)
TORCH_NAME = {"W": "weight", "b": "bias", "gamma": "weight", "beta": "bias"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_data(subset: int, root=None) -> TensorDataset:
    """The first ``subset`` MNIST training images as float32 rows (or images for a ConvNet) and labels."""
    (x, t), _ = load_mnist(root=root, dtype=np.float32, download=False)
    return TensorDataset(torch.from_numpy(x[:subset]), torch.from_numpy(t[:subset].astype(np.int64)))


def train(rank: int, world: int, port: int, args) -> None:
    """One process: join the group, wrap the model in DDP, train on this rank's shard, save."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    torch.manual_seed(args.seed)                              # the same dropout stream layout on every rank
    model = abcdl.load(args.model)
    net = DistributedDataParallel(to_torch(model).float().train())   # broadcasts rank 0's weights
    data = load_data(args.subset, args.data_root)
    if isinstance(net.module[0], torch.nn.Conv2d):
        data = TensorDataset(data.tensors[0].reshape(-1, 1, 28, 28), data.tensors[1])
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()                     # softmax + cross-entropy on logits (L35)
    losses = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)                              # a new shuffle each epoch, same on all ranks
        total = torch.zeros(2, dtype=torch.float64)
        for x, t in loader:
            opt.zero_grad()
            loss = loss_fn(net(x), t)
            loss.backward()                                   # DDP: gradients all-reduced (averaged) here
            opt.step()
            total += torch.tensor([loss.item() * len(t), len(t)], dtype=torch.float64)
        dist.all_reduce(total)                                # sum over the ranks
        losses.append(float(total[0] / total[1]))
    for buffer in net.module.buffers():                       # BN running statistics: rank 0's everywhere
        dist.broadcast(buffer, src=0)                         # (DDP broadcasts them before each forward)
    out = Path(args.out)
    save_file({k: v.detach().contiguous() for k, v in net.module.state_dict().items()},
              str(out / f"rank{rank}.safetensors"))
    if rank == 0:
        (out / "losses.json").write_text(json.dumps({"epoch_loss": losses, "world_size": world}))
        back_to_abcdl(model, net.module)
        abcdl.save(model, out / "finetuned.safetensors")
    dist.barrier()                        # leave together: a rank that tears down gloo while the other
    dist.destroy_process_group()          # still holds the connection can abort (seen once in CI)


def back_to_abcdl(model, net: torch.nn.Sequential) -> None:
    """Copy the fine-tuned weights (and BatchNorm's running statistics) into the abcdl model."""
    for (_, layer), module in zip(flat_layers(model), net, strict=True):
        inner = getattr(module, "rnn", module)                # the recurrent wrapper holds nn.LSTM/...
        for name, param in layer.named_parameters():
            value = getattr(inner, TORCH_NAME.get(name, name)).detach().numpy()
            param.data[...] = value.astype(param.data.dtype)
        for name in ("running_mean", "running_var"):
            if hasattr(layer, name):
                getattr(layer, name)[...] = getattr(inner, name).numpy()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="an abcdl checkpoint (.safetensors) of an MNIST MLP or ConvNet")
    p.add_argument("--out", required=True,
                   help="folder for losses.json, rank*.safetensors, finetuned.safetensors")
    p.add_argument("--world-size", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=50, help="per process")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--subset", type=int, default=6000, help="first N training images")
    p.add_argument("--data-root", default=None,
                   help="folder holding mnist/ (default: ABCDL_DATA, then the copy shipped with abcdl)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")    # gloo talks over the loopback interface only
    torch.set_num_threads(1)
    torch.multiprocessing.spawn(train, args=(args.world_size, free_port(), args), nprocs=args.world_size)
    print(json.loads((Path(args.out) / "losses.json").read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
