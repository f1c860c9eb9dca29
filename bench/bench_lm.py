"""An LSTM language model in abcdl against the same model in PyTorch (issue 15, L40).

Data: Tiny Shakespeare as ``abcdl.text.load_corpus`` gives it (word level, split 90/5/5 by
position, a vocabulary of 10,000 from the training part: 257,733 training tokens).
Model: Embedding(10000, 100) -> LSTM(100, 100) -> Linear(100, 10000), as DLFS2 ch. 6's
``Rnnlm``; truncated BPTT with batch 20 and 35 steps (368 windows an epoch), SGD lr 20,
gradient norm clipped to 0.25 (the book's settings), float32, one thread each.

Both libraries start from the same weights (abcdl's, copied into ``torch.nn.Embedding``,
``torch.nn.LSTM``, ``torch.nn.Linear``), read the same windows in the same order (the
hidden state carried over and detached between windows in both) and are evaluated on the
same held-out windows.  Their epochs alternate within one process (who goes first
alternates too), so machine noise hits both alike; the ratio of the median epoch times of
this run is what counts.

    python bench/bench_lm.py                    # 2 epochs each
    python bench/bench_lm.py --epochs 4 --json out.json

This is a benchmark, not a test: nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import abcdl  # noqa: E402
from abcdl import lm, text  # noqa: E402
from abcdl.losses import SoftmaxCrossEntropyLoss  # noqa: E402
from abcdl.optim import SGD  # noqa: E402

BATCH, STEPS, HIDDEN, EMBED, VOCAB, LR, MAX_NORM = 20, 35, 100, 100, 10_000, 20.0, 0.25


class TorchLM(torch.nn.Module):
    """The same network in PyTorch, with abcdl's initial weights."""

    def __init__(self, model) -> None:
        super().__init__()
        emb, rnn, lin = model[0], model[1], model[2]
        self.emb = torch.nn.Embedding(emb.num_embeddings, emb.embedding_dim)
        self.lstm = torch.nn.LSTM(rnn.input_size, rnn.hidden_size, batch_first=True)
        self.lin = torch.nn.Linear(lin.in_features, lin.out_features)
        with torch.no_grad():
            self.emb.weight.copy_(torch.from_numpy(emb.W.data))
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                getattr(self.lstm, name).copy_(torch.from_numpy(getattr(rnn, name).data))
            self.lin.weight.copy_(torch.from_numpy(lin.W.data))
            self.lin.bias.copy_(torch.from_numpy(lin.b.data))

    def forward(self, x, state):
        h, state = self.lstm(self.emb(x), state)
        return self.lin(h), state


class TorchRunner:
    def __init__(self, model, windows) -> None:
        self.net, self.windows = TorchLM(model), windows
        self.opt = torch.optim.SGD(self.net.parameters(), lr=LR)
        self.loss = torch.nn.CrossEntropyLoss()

    def epoch(self) -> float:
        self.net.train()
        state, total = None, 0.0
        for x, t in self.windows:
            x, t = torch.from_numpy(x), torch.from_numpy(t)
            if state is not None:
                state = tuple(s.detach() for s in state)        # truncated BPTT: keep h, c; cut the graph
            out, state = self.net(x, state)
            J = self.loss(out.reshape(-1, out.shape[-1]), t.reshape(-1))
            self.opt.zero_grad()
            J.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), MAX_NORM)
            self.opt.step()
            total += J.item()
        return total / len(self.windows)

    def evaluate(self, ids) -> float:
        self.net.eval()
        state, total, count = None, 0.0, 0
        with torch.no_grad():
            for x, t in lm.lm_windows(ids, BATCH, STEPS, drop_last=False):
                out, state = self.net(torch.from_numpy(x), state)
                J = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]),
                                                      torch.from_numpy(t).reshape(-1))
                total, count = total + J.item() * t.size, count + t.size
        return total / count


class AbcdlRunner:
    def __init__(self, model, windows) -> None:
        self.model, self.windows = model, windows
        self.opt, self.loss = SGD(model.parameters(), lr=LR), SoftmaxCrossEntropyLoss()

    def epoch(self) -> float:
        self.model.train()
        lm.reset_states(self.model)
        total = 0.0
        for x, t in self.windows:
            J, _ = abcdl.train.train_step(self.model, self.loss, self.opt, x, t, max_norm=MAX_NORM)
            total += J
        return total / len(self.windows)

    def evaluate(self, ids) -> float:
        return lm.evaluate_lm(self.model, self.loss, ids, BATCH, STEPS)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    corpus = text.load_corpus("shakespeare", "word", max_size=VOCAB)
    windows = lm.lm_windows(corpus.train, BATCH, STEPS)
    abcdl.seed(args.seed)
    model = lm.language_model(len(corpus.vocab), EMBED, HIDDEN, cell="lstm", dtype=np.float32)
    runners = {"torch": TorchRunner(model, windows)}            # copies the initial weights first
    runners["abcdl"] = AbcdlRunner(model, windows)
    times = {k: [] for k in runners}
    losses = {k: [] for k in runners}
    print(f"load average {os.getloadavg()}; {len(windows)} windows of {BATCH}x{STEPS}, V={len(corpus.vocab)}")
    with threadpool_limits(1):
        for e in range(args.epochs):
            order = ("abcdl", "torch") if e % 2 == 0 else ("torch", "abcdl")
            for k in order:
                t0 = time.perf_counter()
                losses[k].append(runners[k].epoch())
                times[k].append(time.perf_counter() - t0)
                print(f"epoch {e + 1} {k:5s}: {times[k][-1]:6.1f} s, train perplexity "
                      f"{math.exp(losses[k][-1]):8.2f}", flush=True)
        result = {k: {"epoch_s": times[k], "train_ppl": [math.exp(v) for v in losses[k]],
                      "val_ppl": math.exp(runners[k].evaluate(corpus.val)),
                      "test_ppl": math.exp(runners[k].evaluate(corpus.test))} for k in runners}
    ratio = statistics.median(times["abcdl"]) / statistics.median(times["torch"])
    gap = result["abcdl"]["test_ppl"] / result["torch"]["test_ppl"] - 1
    result.update(ratio=ratio, test_ppl_gap=gap, load_after=os.getloadavg(), numpy=np.__version__,
                  torch_version=torch.__version__, python=platform.python_version(),
                  unigram_test_ppl=text.unigram_perplexity(corpus.train, corpus.test, len(corpus.vocab)))
    for k in runners:
        r = result[k]
        print(f"{k}: median epoch {statistics.median(r['epoch_s']):.1f} s, "
              f"val perplexity {r['val_ppl']:.2f}, test perplexity {r['test_ppl']:.2f}")
    print(f"abcdl / torch epoch time: {ratio:.2f} (target <= 1.5); test perplexity gap {gap:+.2%} "
          f"(target within 5%); unigram test perplexity {result['unigram_test_ppl']:.1f}; "
          f"load average {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
