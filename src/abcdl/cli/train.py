"""``abcdl train``: the main job — train a network, test it once, and write a run folder (L35-L37).

    abcdl train                                   # MLP on MNIST, seed 0: >= 98% test accuracy in a minute
    abcdl train --dataset fashion-mnist
    abcdl train --dataset digits --epochs 20      # 8x8 digits shipped with abcdl: no download
    abcdl train --model convnet --epochs 3        # the SimpleConvNet of L38
    abcdl train --hidden 100,100 --dropout 0 --schedule none --epochs 10 --out runs/lecture

The training set is split (a seeded shuffle) into training and validation
parts; the validation accuracy is printed every epoch (L37: choose settings on
it), and the test set is used once, at the end.  The run folder holds::

    model.safetensors   the trained model (abcdl.load / abcdl evaluate / abcdl predict)
    metrics.json        configuration, per-epoch history, test metrics, wall time, versions
    curves.png          loss and accuracy per epoch, training vs validation
    confusion.png       the 10x10 test confusion matrix with counts
    mistakes.png        misclassified test images with predicted and true labels

Ctrl-C stops training after the current batch; the model as trained so far is
still tested and saved (exit status 130).  A second Ctrl-C aborts at once.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from .. import report, seed
from .._sigint import SigintGuard
from ..callbacks import ProgressBar
from ..checkpoint import CheckpointError
from ..data import train_val_split
from ..losses import SoftmaxCrossEntropyLoss
from ..parallel import DataParallel
from ..train import TrainingDiverged, fit
from ..train import predict as predict_logits
from . import CLIError
from ._common import (
    METRICS_FILE,
    MODEL_FILE,
    EpochTable,
    HelpFormatter,
    positive_int,
    softmax,
    squash,
    write_json,
)
from ._datasets import DATASETS, load_dataset, to_unit
from ._metrics import build_metrics
from ._run_folder import claim, rescue_folder
from ._train_options import (
    MAX_BATCH,
    MAX_EPOCHS,
    bounded_int,
    check_options,
    fraction,
    hidden_sizes,
    learning_rate,
    positive_float,
    probability,
    seed_int,
    weight_decay,
)
from ._train_setup import (
    DEFAULT_BATCH,
    DEFAULT_DROPOUT,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_SCHEDULE,
    OPTIMIZERS,
    build_model,
    build_optimizer,
    schedule_callback,
)
from ._train_text import TEXT_DATASETS, TEXT_MODELS
from ._train_text import run as run_text

MODELS = ("mlp", "convnet", "deep-convnet", *TEXT_MODELS)
_EPOCHS = bounded_int(MAX_EPOCHS, "the default MLP would need about 6 hours for that many")
_BATCH = bounded_int(MAX_BATCH, "no dataset here has more than 60,000 training images")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


# ----------------------------------------------------------------------------- options

def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a network (default: an MLP on MNIST), test it, and write a run folder",
        description="Train a network with mini-batch gradient descent (L36), watch the validation accuracy "
                    "each epoch (L37), test once at the end, and write a run folder: model.safetensors, "
                    "metrics.json, curves.png, confusion.png, mistakes.png. Ctrl-C stops early and still "
                    "tests and saves what was learned.",
        epilog="The defaults (an MLP 784-512-512-10, ReLU, He init, dropout 0.2, Adam lr 0.001 with cosine "
               "decay, batch 100, 15 epochs, seed 0) reach about 98.5% MNIST test accuracy in well under a "
               "minute of training on 2 CPU cores; see bench/RESULTS.md. Examples: abcdl train --dataset "
               "fashion-mnist | abcdl train --dataset digits --epochs 30 | abcdl train --model convnet "
               "--epochs 3 --out runs/cnn",
        formatter_class=HelpFormatter,
    )
    _data_options(p.add_argument_group("data"))
    _model_options(p.add_argument_group("model"))
    _optimization_options(p.add_argument_group("optimization"))
    _output_options(p.add_argument_group("output"))
    p.set_defaults(func=run)


def _data_options(g) -> None:
    g.add_argument("--dataset", choices=[*DATASETS, *TEXT_DATASETS], default=None,
                   help="mnist ships with abcdl; fashion-mnist is read from --data-root / ABCDL_DATA / the "
                        "user cache and downloaded when missing; digits (8x8) ships with abcdl; shakespeare "
                        "(words) and shakespeare-chars (characters) ship with abcdl, for --model "
                        "rnn/lstm/gru (L40), whose default is shakespeare (default: mnist)")
    g.add_argument("--data-root", metavar="DIR", default=None,
                   help="folder holding mnist/ or fashion-mnist/ (default: ABCDL_DATA, then the copy of "
                        "MNIST shipped with abcdl, then ~/.cache/abcdl)")
    g.add_argument("--no-download", dest="download", action="store_false",
                   help="never download missing files; fail with instructions instead")
    g.add_argument("--subset", type=positive_int, metavar="N", default=None,
                   help="train (and validate) on the first N training examples only, for quick runs "
                        "(text: the first N tokens of the corpus, split 90/5/5)")
    g.add_argument("--val-split", type=fraction, metavar="F", default=0.1,
                   help="share of the (shuffled) training set held out for validation")


def _model_options(g) -> None:
    g.add_argument("--model", choices=MODELS, default="mlp",
                   help="mlp: fully connected (L16); convnet / deep-convnet: the CNNs of L38 (slower); "
                        "rnn / lstm / gru: a language model on Shakespeare, trained by truncated BPTT (L40)")
    g.add_argument("--embed", type=bounded_int(10_000, "wider embeddings do not fit in memory"), default=100,
                   metavar="D", help="rnn/lstm/gru: width of the word (or character) vectors")
    g.add_argument("--vocab-size", type=bounded_int(100_000, "the corpus has about 12,400 distinct words"),
                   default=10_000, metavar="V",
                   help="rnn/lstm/gru on words: the V - 1 most frequent training words and <unk>")
    g.add_argument("--hidden", type=hidden_sizes, metavar="N,N,...", default=None,
                   help="hidden layer widths; mlp: default " + ",".join(map(str, DEFAULT_HIDDEN))
                        + " ('none' for softmax regression); convnet / deep-convnet: one width for the "
                          "hidden affine layer (default 100 / 50)")
    g.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                   help="hidden activation of the mlp; He init for relu/leaky_relu, Xavier otherwise (L28)")
    g.add_argument("--dropout", type=probability, metavar="P", default=None,
                   help=f"drop probability after each hidden activation (L33; keep_prob = 1 - P); "
                        f"default {DEFAULT_DROPOUT} for mlp, 0.5 for deep-convnet")
    g.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=False,
                   help="batch normalization before each hidden activation of the mlp (L34); off by default")


def _optimization_options(g) -> None:
    g.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                   help="update rule (L20-L27); adamw decays the weights decoupled from the gradient")
    g.add_argument("--lr", type=learning_rate, metavar="ALPHA", default=None,
                   help="learning rate; default per optimizer: "
                        + ", ".join(f"{k} {v[0]:g}" for k, v in OPTIMIZERS.items()))
    g.add_argument("--momentum", type=fraction, metavar="BETA", default=None,
                   help="momentum of sgd / momentum / nesterov (default 0 for sgd, 0.9 otherwise)")
    g.add_argument("--weight-decay", type=weight_decay, metavar="WD", default=0.0,
                   help="adamw: decoupled decay W <- W - lr*WD*W of every parameter. Other optimizers: the "
                        "L2 penalty of L31 on the weights (not biases), J = J0 + (WD/2) sum ||W||^2, so "
                        "dJ/dW gains WD*W at any batch size (abcdl.regularizers.WeightDecay, lambda = WD*m)")
    g.add_argument("--schedule", choices=("none", "step", "cosine"), default=DEFAULT_SCHEDULE,
                   help="learning-rate schedule per epoch (L27): cosine decays to 0 over --epochs; step "
                        "multiplies by --gamma every --step-size epochs")
    g.add_argument("--step-size", type=_EPOCHS, metavar="E", default=None,
                   help="epochs between decays of the step schedule (default: a third of --epochs)")
    g.add_argument("--gamma", type=fraction, default=0.1, help="decay factor of the step schedule")
    g.add_argument("--epochs", type=_EPOCHS, default=None,
                   help=f"passes over the training data (L36); 4 for rnn/lstm/gru "
                        f"(default: {DEFAULT_EPOCHS})")
    g.add_argument("--batch-size", type=_BATCH, metavar="M", default=None,
                   help=f"examples per mini-batch (L36); rnn/lstm/gru: rows of the token stream, 20 "
                        f"(default: {DEFAULT_BATCH})")
    g.add_argument("--time-steps", type=bounded_int(10_000, "longer windows do not fit in memory"),
                   default=35, metavar="T", help="rnn/lstm/gru: steps per window of truncated BPTT (L40)")
    g.add_argument("--clip", type=positive_float, default=0.25, metavar="NORM",
                   help="rnn/lstm/gru: clip the gradient norm to NORM before each update (DLFS2's 0.25)")
    g.add_argument("--workers", type=bounded_int(64, "more threads than cores only slows training"),
                   metavar="N", default=1,
                   help="split each batch across N threads, one BLAS thread each "
                        "(abcdl.parallel.DataParallel; needs threadpoolctl: "
                        "pip install \"abcdl[parallel]\"): on 2 cores --workers 2 trains the convnets "
                        "about 1.5x faster (README, Speed); the same gradients up to float rounding, other "
                        "dropout masks")
    g.add_argument("--seed", type=seed_int, default=0,
                   help="seed of the split, the initial weights, dropout and the shuffling: "
                        "a run is repeatable")


def _output_options(g) -> None:
    g.add_argument("--out", metavar="DIR", default=None,
                   help="run folder (default: runs/<dataset>-<model>-<date>-<time>); must be new or empty")
    g.add_argument("--force", action="store_true",
                   help="write into a non-empty --out folder, replacing the files of a previous run")
    g.add_argument("--verbose", type=int, choices=(0, 1, 2, 3), nargs="?", const=3, default=None,
                   help="0: only the result; 1: a progress bar per epoch; 2: one line per epoch, no bar "
                        "(default: 1 on a terminal, 2 when the output goes to a file or a pipe); "
                        "3 or --verbose alone: as 2, and when data is missing, every download attempt")


# ----------------------------------------------------------------------------- the run

def _say(args, *lines: str) -> None:
    if args.verbose:
        for line in lines:
            print(line, flush=True)


def run(args) -> int:
    if args.verbose is None:                        # progress bars only where they can redraw in place
        args.verbose = 1 if sys.stderr.isatty() else 2
    if args.model in TEXT_MODELS or args.dataset in TEXT_DATASETS:
        args.dataset = args.dataset or "shakespeare"
        if args.workers != 1:
            raise CLIError("--workers applies to the image models (mlp, convnet, deep-convnet); the language "
                           "models carry their state from batch to batch")
        return run_text(args)                       # a language model (L40): abcdl.cli._train_text
    args.dataset = args.dataset or "mnist"
    args.epochs = args.epochs or DEFAULT_EPOCHS
    args.batch_size = args.batch_size or DEFAULT_BATCH
    start, started = time.perf_counter(), datetime.now().astimezone().isoformat(timespec="seconds")
    check_options(args, math.prod(DATASETS[args.dataset].image_shape))
    with claim(args.out, args.force, args.dataset, args.model) as rf:   # removed again if nothing is saved
        data, where = _load_splits(args)
        seed(args.seed)                               # initial weights, dropout masks, batch order
        ds = DATASETS[args.dataset]
        setup = _build(args, ds)
        _say(args, *_header(args, ds, where, data, setup, rf.path))
        # Ctrl-C after the last epoch still tests and saves: this guard holds until the folder is complete
        with SigintGuard(args.verbose, "testing and saving the model first (Ctrl-C again to abort now)") \
                as guard:
            history, times = _train(args, setup, data)
            test = _test(setup, *data["test"], len(ds.class_names))
            times["total"] = time.perf_counter() - start
            metrics = build_metrics(args, ds, setup, data, history, test, times, started)
            _save_run(rf, args, ds, setup, metrics)
            _write_figures(rf.path, ds, setup, history, data["test"], test, metrics)
    interrupted = history.interrupted or guard.requested
    _report(args, history, test, times, rf.path, metrics)
    return 130 if interrupted else 0


def _report(args, history, test: dict, times: dict, folder: Path, metrics: dict) -> None:
    """The result line, and where the run folder is."""
    n_ep = f"{len(history)} epoch{'' if len(history) == 1 else 's'}"
    done = f"{n_ep} of {args.epochs} (interrupted)" if history.interrupted else n_ep
    print(f"test accuracy: {test['accuracy']:.2%} ({test['correct']:,}/{test['n']:,}), test loss "
          f"{test['loss']:.4f} after {done}, {times['train']:.1f} s of training", flush=True)
    # always said, even with --verbose 0: two runs never share a folder, and each tells where it wrote
    print(f"wrote {folder}{'/' if not str(folder).endswith('/') else ''}: {', '.join(metrics['files'])}",
          flush=True)
    model = folder / MODEL_FILE
    _say(args, f"next: abcdl evaluate {model}   |   abcdl predict {model} IMAGE.png")


def _load_splits(args) -> tuple[dict, str]:
    """``({"train": (x, t), "val": (x, t), "test": (x, t)}, where the data came from)``, pixels in [0, 1]."""
    # Raw uint8 pixels are split first and scaled after: a quarter of the memory of splitting floats.
    ((x_all, t_all), (x_test, t_test)), where = load_dataset(
        args.dataset, flatten=args.model == "mlp", root=args.data_root, download=args.download,
        say=lambda text: _say(args, text), normalize=False, verbose=args.verbose == 3)
    if args.subset is not None:
        x_all, t_all = x_all[:args.subset], t_all[:args.subset]
    try:   # L37: a seeded shuffle, then the validation part; the test set stays untouched until the end
        (x_train, t_train), (x_val, t_val) = train_val_split(x_all, t_all, args.val_split, rng=args.seed)
    except ValueError as exc:
        raise CLIError(f"--val-split {args.val_split:g} of {len(x_all)} examples: {squash(exc)}") from exc
    del x_all, t_all
    unit = lambda x: to_unit(x, args.dataset)          # noqa: E731
    return {"train": (unit(x_train), t_train), "val": (unit(x_val), t_val),
            "test": (unit(x_test), t_test)}, where


def _build(args, ds) -> dict:
    """The model, optimizer, regularizer, schedule and loss of the run, and how to describe them."""
    input_shape = (1, *ds.image_shape)
    model, desc, model_cfg = build_model(args, input_shape, len(ds.class_names))
    opt, reg, lr = build_optimizer(args, model)
    sched, sched_desc = schedule_callback(args, opt)
    return {"model": model, "desc": desc, "model_cfg": model_cfg, "input_shape": input_shape,
            "n_params": sum(p.data.size for p in model.parameters()), "opt": opt, "reg": reg, "lr": lr,
            "sched": sched, "sched_desc": sched_desc, "loss_fn": SoftmaxCrossEntropyLoss()}


def _header(args, ds, where: str, data: dict, setup: dict, folder: Path) -> list[str]:
    h, w = ds.image_shape
    (x_train, _), (x_val, _), (x_test, _) = data["train"], data["val"], data["test"]
    decay = ""
    if args.weight_decay:
        decay = f", weight decay {args.weight_decay:g} ({'decoupled' if args.optimizer == 'adamw' else 'L2'})"
    return [f"abcdl train: {ds.title} {where}: {len(x_train):,} training / {len(x_val):,} validation / "
            f"{len(x_test):,} test images ({h}x{w})",
            f"model: {setup['desc']}, {setup['n_params']:,} parameters",
            f"optimizer: {args.optimizer} lr {setup['lr']:g} ({setup['sched_desc']}){decay}, "
            f"batch {args.batch_size}, {args.epochs} epoch{'s' * (args.epochs != 1)}, seed {args.seed}"
            + (f", each batch split across {args.workers} workers" if args.workers > 1 else ""),
            f"run folder: {folder}"]


def _train(args, setup: dict, data: dict):
    """``fit`` with the schedule and the epoch table; ``(history, {"train": s, "train_cpu": s})``."""
    x_train, t_train = data["train"]
    t_fit, cpu_fit = time.perf_counter(), time.process_time()
    callbacks = [setup["sched"]] if setup["sched"] else []
    if args.verbose == 1:                                      # the running epoch's bar, cleared at its end
        callbacks.append(ProgressBar(leave=False))
    if args.verbose:
        callbacks.append(EpochTable(args.epochs))
    model = setup["model"]
    if args.workers > 1:                                       # the batch split across threads
        model = DataParallel(model, args.workers)
    try:
        history = fit(model, setup["loss_fn"], setup["opt"], (x_train, t_train), epochs=args.epochs,
                      batch_size=args.batch_size, validation=data["val"], callbacks=callbacks, verbose=0,
                      regularizer=setup["reg"])
    except TrainingDiverged as exc:
        raise CLIError(_diverged(args, setup, exc)) from exc
    finally:
        if model is not setup["model"]:
            model.close()
    if history.interrupted:
        print(f"interrupted: testing and saving the model after {len(history)} complete "
              f"epoch{'' if len(history) == 1 else 's'} (and part of the next)", flush=True)
    setup["model"].eval()
    return history, {"train": time.perf_counter() - t_fit, "train_cpu": time.process_time() - cpu_fit}


def _diverged(args, setup: dict, exc: TrainingDiverged) -> str:
    """What to say when the loss turned NaN or Inf: where, and which options to lower (from the run's own)."""
    where = f" at epoch {exc.epoch}/{args.epochs}, step {exc.step}" if exc.epoch else ""
    lower = f"try a smaller --lr (this run used {setup['lr']:g})"
    if args.weight_decay:
        lower += f" or a smaller --weight-decay (this run used {args.weight_decay:g})"
    return (f"training diverged{where}: the loss became {exc.loss:g}; no model was saved and the run folder "
            f"was removed\n{lower}")


def _test(setup: dict, x_test: np.ndarray, t_test: np.ndarray, k: int) -> dict:
    """The test set, once: one forward pass gives the loss, accuracy, predictions and probabilities."""
    # image batches stay small: a convolution's im2col matrix grows with m
    logits = predict_logits(setup["model"], x_test, batch_size=1000 if x_test.ndim == 2 else 100)
    loss = setup["loss_fn"].forward(logits, t_test)        # J0 = -(1/m) sum log y_t
    y_pred = logits.argmax(axis=1)                           # y = argmax_k z_k
    correct = int(np.count_nonzero(y_pred == t_test))
    return {"loss": loss, "accuracy": correct / len(t_test), "correct": correct, "n": len(t_test),
            "y_pred": y_pred, "probs": softmax(logits),
            "confusion": report.confusion_matrix(t_test, y_pred, k)}


def _why(exc: BaseException) -> str:
    """What went wrong, in a few words: ``No space left on device``."""
    return getattr(exc, "strerror", None) or squash(exc) or type(exc).__name__


def _write_model(folder: Path, args, ds, setup: dict, metrics: dict) -> None:
    """model.safetensors, then metrics.json (both before any figure)."""
    setup["model"].save(folder / MODEL_FILE, info={
        "dataset": args.dataset, "class_names": list(ds.class_names),
        "input_shape": [int(n) for n in setup["input_shape"]]})
    write_json(folder / METRICS_FILE, metrics)


def _save_run(rf, args, ds, setup: dict, metrics: dict) -> None:
    """The model and metrics.json in the run folder; if that fails (disk full, read-only), in a fresh
    folder of the user cache, and a CLIError saying where they are."""
    try:
        _write_model(rf.path, args, ds, setup, metrics)
        rf.saved = True
        return
    except (OSError, CheckpointError) as exc:
        failure = f"cannot save the model in {rf.path}: {_why(exc)}"
    for name in (MODEL_FILE, METRICS_FILE):          # nothing half-written stays (atomic writes leave none)
        with contextlib.suppress(OSError):
            (rf.path / name).unlink()
    try:
        spare = rescue_folder(rf.path.name)
        _write_model(spare, args, ds, setup, metrics)
    except (OSError, CheckpointError) as exc:
        raise CLIError(f"{failure}\nand not in the user cache either: {_why(exc)}; "
                       f"the model is lost.\nfree some space, or pass --out DIR on another disk, and run "
                       f"again") from exc
    raise CLIError(f"{failure}\nthe trained model was saved instead in {spare}/ ({MODEL_FILE}, "
                   f"{METRICS_FILE}; no figures)\nmove that folder where you keep your runs, e.g. "
                   f"mv {spare} DIR")


def _write_figures(folder: Path, ds, setup: dict, history, test_data, test: dict, metrics: dict) -> None:
    """curves.png, confusion.png, mistakes.png: one that cannot be written is a warning, not a failure
    (metrics.json is written again without it)."""
    x_test, t_test = test_data
    names = list(ds.class_names)
    title = f"{ds.title}, {setup['desc']}"
    makers = {
        "curves.png": lambda: report.curves_figure(history.history, title=title),
        "confusion.png": lambda: report.confusion_figure(test["confusion"], names),
        "mistakes.png": lambda: report.mistakes_figure(x_test, t_test, test["y_pred"], test["probs"], names,
                                                       image_shape=ds.image_shape),
    }
    missing = []
    for name, make in makers.items():
        try:
            report.save_png(make(), folder / name)
        except (OSError, MemoryError) as exc:
            missing.append(name)
            print(f"abcdl train: warning: cannot write {folder / name}: "
                  f"{_why(exc)} (the model and {METRICS_FILE} are saved)",
                  file=sys.stderr, flush=True)
    if missing:
        metrics["files"] = [f for f in metrics["files"] if f not in missing]
        with contextlib.suppress(OSError):
            write_json(folder / METRICS_FILE, metrics)
