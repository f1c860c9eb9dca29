"""``abcdl train --model rnn|lstm|gru``: a language model on the shipped Shakespeare (L40).

    abcdl train --model lstm                                # words, vocabulary 10,000, 4 epochs
    abcdl train --model gru --dataset shakespeare-chars     # characters
    abcdl predict runs/shakespeare-lstm-.../ --prompt "the king"

The corpus is split by position (90% train, 5% validation, 5% test); the model
(Embedding -> RNN/LSTM/GRU -> Linear) is trained by truncated BPTT (:func:`abcdl.lm.fit_lm`:
batch rows, windows of ``--time-steps`` in order, the state carried, the gradient norm
clipped to ``--clip``), the validation perplexity printed every epoch, and the test text
read once at the end.  The run folder holds model.safetensors (the vocabulary in its
info), metrics.json (perplexities, history, settings) and curves.png.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from .. import lm, report, seed, text
from ..losses import SoftmaxCrossEntropyLoss
from ..train import TrainingDiverged
from . import CLIError
from ._common import METRICS_FILE, MODEL_FILE, finite, peak_memory_mb, write_json
from ._run_folder import claim
from ._train_setup import build_optimizer, schedule_callback

__all__ = ["TEXT_MODELS", "TEXT_DATASETS", "run"]

TEXT_MODELS = ("rnn", "lstm", "gru")
TEXT_DATASETS = {"shakespeare": "word", "shakespeare-chars": "char"}
DEFAULTS = {"epochs": 4, "batch_size": 20, "hidden": 100, "embed": 100, "lr_adam": 0.005}
FILES = (MODEL_FILE, METRICS_FILE, "curves.png")


def check_text_options(args) -> None:
    """The image-only options are refused, the defaults of a language model filled in."""
    if args.model not in TEXT_MODELS:
        raise CLIError(f"--dataset {args.dataset} is text: use --model rnn, lstm or gru (not {args.model})")
    if args.dataset not in TEXT_DATASETS:
        raise CLIError(f"--model {args.model} is a language model: use --dataset shakespeare or "
                       f"shakespeare-chars (not {args.dataset})")
    for flag, value in (("--dropout", args.dropout), ("--batch-norm", args.batch_norm or None),
                        ("--activation", None if args.activation == "relu" else args.activation)):
        if value is not None:
            raise CLIError(f"{flag} applies to the image models, not --model {args.model}")
    if args.hidden is not None and len(args.hidden) != 1:
        raise CLIError(f"--model {args.model} takes one --hidden width, got {len(args.hidden)}")
    if args.weight_decay and args.optimizer != "adamw":
        raise CLIError("--weight-decay with a language model needs --optimizer adamw")
    if args.step_size is not None and args.schedule != "step":
        raise CLIError("--step-size applies to --schedule step")
    args.epochs = args.epochs or DEFAULTS["epochs"]
    args.batch_size = args.batch_size or DEFAULTS["batch_size"]
    if args.lr is None and args.optimizer in ("adam", "adamw"):
        args.lr = DEFAULTS["lr_adam"]


def _corpus(args):
    level = TEXT_DATASETS[args.dataset]
    try:
        return text.load_corpus("shakespeare", level, max_size=args.vocab_size if level == "word" else None,
                                n_tokens=args.subset)
    except ValueError as exc:
        raise CLIError(f"--subset {args.subset}: {exc}") from exc


def run(args) -> int:
    check_text_options(args)
    start, started = time.perf_counter(), datetime.now().astimezone().isoformat(timespec="seconds")
    corpus = _corpus(args)
    with claim(args.out, args.force, args.dataset, args.model) as rf:
        seed(args.seed)
        H = args.hidden[0] if args.hidden else DEFAULTS["hidden"]
        model = lm.language_model(len(corpus.vocab), args.embed, H, cell=args.model)
        opt, _, lr = build_optimizer(args, model)
        sched, sched_desc = schedule_callback(args, opt)
        V = len(corpus.vocab)
        desc = f"{args.model} LM: Embedding {V}x{args.embed} -> {args.model.upper()} {H} -> Linear {H}x{V}"
        if args.verbose:
            print(f"abcdl train: Tiny Shakespeare ({corpus.level}s, shipped with abcdl): "
                  f"{len(corpus.train):,} training / {len(corpus.val):,} validation / {len(corpus.test):,} "
                  f"test tokens, vocabulary {V:,}\nmodel: {desc}\n"
                  f"optimizer: {args.optimizer} lr {lr:g} ({sched_desc}), "
                  f"batch {args.batch_size} x {args.time_steps} steps, clip {args.clip:g}, "
                  f"{args.epochs} epochs, seed {args.seed}\nrun folder: {rf.path}", flush=True)
        loss_fn = SoftmaxCrossEntropyLoss()
        t0 = time.perf_counter()
        try:
            history = lm.fit_lm(model, loss_fn, opt, corpus.train, epochs=args.epochs,
                                batch_size=args.batch_size, time_size=args.time_steps, max_norm=args.clip,
                                validation=corpus.val,
                                callbacks=[sched] if sched else [], verbose=min(args.verbose, 2))
        except TrainingDiverged as exc:
            raise CLIError(f"training diverged at epoch {exc.epoch}/{args.epochs}, step {exc.step}: the loss "
                           f"became {exc.loss:g}; no model was saved and the run folder was removed\n"
                           f"try a smaller --lr (this run used {lr:g}) or a smaller --clip") from exc
        seconds = time.perf_counter() - t0
        test_loss, test_ppl = lm.evaluate_lm(model, loss_fn, corpus.test, args.batch_size, args.time_steps)
        unigram = text.unigram_perplexity(corpus.train, corpus.test, len(corpus.vocab))
        metrics = _metrics(args, corpus, desc, lr, history, test_loss, test_ppl, unigram, seconds, started)
        metrics["wall_time_s"]["total"] = round(time.perf_counter() - start, 2)
        model.save(rf.path / MODEL_FILE, info={"dataset": args.dataset, "task": "language-model",
                                               "vocabulary": corpus.vocab.to_dict()})
        write_json(rf.path / METRICS_FILE, metrics)
        rf.saved = True
        report.save_png(_curves(history.history, f"Tiny Shakespeare ({corpus.level}s), {desc}"),
                        rf.path / "curves.png")
    n = len(history)
    print(f"test perplexity: {test_ppl:.2f} (unigram baseline {unigram:.2f}), test loss {test_loss:.4f} "
          f"after {n} epoch{'s' * (n != 1)}{' (interrupted)' if history.interrupted else ''}, "
          f"{seconds:.1f} s of training", flush=True)
    print(f"wrote {rf.path}/: {', '.join(FILES)}", flush=True)
    if args.verbose:
        print(f"next: abcdl predict {rf.path / MODEL_FILE} --prompt \"the king\"", flush=True)
    return 130 if history.interrupted else 0


def _metrics(args, corpus, desc, lr, history, test_loss, test_ppl, unigram, seconds, started) -> dict:
    hist = history.to_dict()
    return {
        "model_file": MODEL_FILE, "task": "language-model",
        "dataset": {"name": args.dataset, "level": corpus.level, "train": len(corpus.train),
                    "val": len(corpus.val), "test": len(corpus.test), "vocabulary": len(corpus.vocab),
                    "subset": args.subset},
        "config": {"model": args.model, "description": desc, "embed": args.embed,
                   "hidden": args.hidden[0] if args.hidden else DEFAULTS["hidden"],
                   "optimizer": args.optimizer, "lr": lr, "schedule": args.schedule, "epochs": args.epochs,
                   "batch_size": args.batch_size, "time_steps": args.time_steps, "clip": args.clip,
                   "seed": args.seed},
        "history": {k: ([finite(v) for v in vals] if isinstance(vals, list) and k != "epoch" else vals)
                    for k, vals in hist.items()},
        "epochs_completed": len(history), "interrupted": history.interrupted,
        "val": {"loss": finite(hist["val_loss"][-1]) if hist.get("val_loss") else None,
                "perplexity": finite(hist["val_perplexity"][-1]) if hist.get("val_perplexity") else None},
        "test": {"loss": finite(test_loss), "perplexity": finite(test_ppl),
                 "unigram_perplexity": finite(unigram)},
        "wall_time_s": {"train": round(seconds, 2)}, "peak_memory_mb": peak_memory_mb(), "started": started,
        "files": list(FILES),
    }


def _curves(history: dict, title: str):
    """Loss and perplexity per epoch, training vs validation (log scale for the perplexity)."""
    import numpy as np

    with report._style():
        fig = report._figure((8.0, 3.2))
        for ax, key in zip(fig.subplots(1, 2), ("loss", "perplexity"), strict=True):
            for prefix, color, name in (("", report.TRAIN_COLOR, "training"), ("val_", report.VAL_COLOR,
                                                                               "validation")):
                values = [v for v in history.get(prefix + key) or [] if v is not None and math.isfinite(v)]
                if values:
                    ax.plot(np.arange(1, len(values) + 1), values, "o-", color=color, ms=3, label=name)
            ax.set_xlabel("epoch")
            ax.set_title(key if key == "loss" else "perplexity (log scale)")
            if key == "perplexity" and ax.get_lines():
                ax.set_yscale("log")
            if ax.get_lines():
                ax.legend(loc="best", frameon=False)
        fig.suptitle(title, fontsize=9)
    return fig

