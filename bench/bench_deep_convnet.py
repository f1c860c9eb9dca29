"""Accuracy of the deeper ConvNet (issue 8, L38): MNIST >= 99.2% and Fashion-MNIST >= 92%.

Trains ``abcdl.models.deep_convnet`` (the book's chapter-8 network) with Adam
and a cosine schedule on 90% of the training set, watches the other 10% (never
the test set), and tests once at the end.  Prints test accuracy, wall time and
peak memory; ``--json`` writes them to a file.  ``abcdl train --model
deep-convnet`` runs the same network from the command line.

    ABCDL_DATA=../shared/data python bench/bench_deep_convnet.py --dataset fashion-mnist \\
        --epochs 15 --hidden 100 --no-final-dropout

This is a benchmark, not a test: a run takes 10-15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import abcdl
from abcdl.callbacks import LearningRateScheduler
from abcdl.data import load_fashion_mnist, load_mnist, train_val_split
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import deep_convnet
from abcdl.optim import Adam, CosineAnnealingLR
from abcdl.train import evaluate, fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--final-dropout", action=argparse.BooleanOptionalAction, default=True,
                    help="the book's dropout after the output layer (default: on)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()

    load = load_mnist if args.dataset == "mnist" else load_fashion_mnist
    (x, t), (x_test, t_test) = load(normalize=True, flatten=False)
    abcdl.seed(args.seed)
    (x_tr, t_tr), val = train_val_split(x, t, 0.1, rng=args.seed)
    model = deep_convnet((1, 28, 28), 10, hidden=args.hidden, dropout=args.dropout,
                         final_dropout=args.final_dropout)
    loss_fn = SoftmaxCrossEntropyLoss()
    opt = Adam(model.parameters(), lr=args.lr)
    schedule = LearningRateScheduler(CosineAnnealingLR(opt, T_max=args.epochs))
    t0 = time.perf_counter()
    history = fit(model, loss_fn, opt, (x_tr, t_tr), epochs=args.epochs, batch_size=100,
                  validation=val, callbacks=[schedule], verbose=2)   # shuffles from abcdl.seed's generator
    train_s = time.perf_counter() - t0
    test_loss, test_acc = evaluate(model, loss_fn, (x_test, t_test), batch_size=200)
    res = {"dataset": args.dataset, "config": vars(args), "test_accuracy": test_acc, "test_loss": test_loss,
           "best_val_accuracy": max(history.history["val_accuracy"]), "train_seconds": train_s,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
