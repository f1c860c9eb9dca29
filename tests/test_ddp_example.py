"""examples/ddp_finetune.py end to end: an abcdl checkpoint fine-tuned by DistributedDataParallel on two
processes (gloo on 127.0.0.1): the loss falls, both ranks end with identical weights, and the weights come
back into abcdl."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

import abcdl
from abcdl.data import load_mnist
from abcdl.export import to_torch
from abcdl.models import mlp

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_finetune.py"


def test_ddp_example_finetunes_on_two_processes(tmp_path, data_root):
    start = mlp(784, (32,), 10, batch_norm=True, dropout=0.1, rng=np.random.default_rng(0))
    abcdl.save(start, tmp_path / "start.safetensors")
    out = tmp_path / "ddp"
    argv = [sys.executable, str(EXAMPLE), str(tmp_path / "start.safetensors"), "--out", str(out),
            "--epochs", "3", "--subset", "1200", "--data-root", str(data_root)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    log = json.loads((out / "losses.json").read_text())
    losses = log["epoch_loss"]
    assert log["world_size"] == 2 and len(losses) == 3
    assert losses[2] < losses[1] < losses[0] and losses[2] < 0.8 * losses[0]
    rank0, rank1 = load_file(str(out / "rank0.safetensors")), load_file(str(out / "rank1.safetensors"))
    assert rank0.keys() == rank1.keys() and len(rank0) >= 6
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name              # identical, not merely close
    assert not torch.equal(rank0["0.weight"], torch.from_numpy(start.layers[0].W.data))   # it trained
    # back in abcdl: the saved model computes what the fine-tuned PyTorch network computes
    tuned = abcdl.load(out / "finetuned.safetensors").eval()
    net = to_torch(start).float().eval()
    net.load_state_dict(rank0)
    (x, _), _ = load_mnist(root=data_root, dtype=np.float32, download=False)
    with torch.no_grad():
        expected = net(torch.from_numpy(x[:200])).numpy()
    np.testing.assert_allclose(tuned.forward(x[:200]), expected, atol=1e-5)
