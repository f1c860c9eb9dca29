"""``metrics.json``: what an ``abcdl train`` run records beside its model (settings, history, test, time)."""

from __future__ import annotations

import os
import platform

import numpy as np

from .._version import __version__
from ._common import METRICS_FILE, MODEL_FILE, finite, peak_memory_mb

__all__ = ["FIGURES", "build_metrics"]

FIGURES = ("curves.png", "confusion.png", "mistakes.png")


def _cpu_count() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def _config(args, setup: dict) -> dict:
    """The settings of the run: the model, the optimizer and the schedule, as ``abcdl train`` took them."""
    return {
        "model": args.model, "description": setup["desc"], "parameters": setup["n_params"],
        **setup["model_cfg"],
        "activation": args.activation if args.model == "mlp" else "relu",
        "batch_norm": args.batch_norm, "optimizer": args.optimizer, "lr": setup["lr"],
        "momentum": args.momentum, "weight_decay": args.weight_decay,
        "weight_decay_kind": (("decoupled" if args.optimizer == "adamw" else "L2")
                              if args.weight_decay else None),
        "schedule": args.schedule, "epochs": args.epochs, "batch_size": args.batch_size,
        "val_split": args.val_split, "seed": args.seed, "workers": args.workers,
        "dtype": str(setup["model"].parameters()[0].dtype),
    }


def _dataset(args, ds, data: dict) -> dict:
    n = {part: len(data[part][0]) for part in ("train", "val", "test")}
    return {"name": ds.name, "title": ds.title, "class_names": list(ds.class_names),
            "image_shape": list(ds.image_shape), **n,
            "subset": None if args.subset is None else n["train"] + n["val"]}


def build_metrics(args, ds, setup: dict, data: dict, history, test: dict, times: dict, started: str) -> dict:
    """The content of ``metrics.json`` for a finished (or interrupted) run.

    ``setup``: the run's model and optimizer (``abcdl.cli.train._build``); ``data``: the
    train/val/test splits; ``test``: loss, accuracy, correct, n and the confusion matrix;
    ``times``: seconds of training (wall and CPU) and in all.  Non-finite numbers become null.
    """
    hist = history.to_dict()
    best = int(np.argmax(hist["val_accuracy"])) if hist.get("val_accuracy") else None
    return {
        "abcdl_version": __version__,
        "model_file": MODEL_FILE,
        "dataset": _dataset(args, ds, data),
        "config": _config(args, setup),
        "history": {k: ([finite(v) for v in vals] if isinstance(vals, list) and k != "epoch" else vals)
                    for k, vals in hist.items()},
        "epochs_completed": len(history),
        "interrupted": history.interrupted,
        "best_val_epoch": None if best is None else best + 1,
        "val": {"loss": finite(hist["val_loss"][-1]) if hist.get("val_loss") else None,
                "accuracy": finite(hist["val_accuracy"][-1]) if hist.get("val_accuracy") else None},
        "test": {"loss": finite(test["loss"]), "accuracy": test["accuracy"], "correct": test["correct"],
                 "n": test["n"], "confusion_matrix": test["confusion"].tolist()},
        "wall_time_s": {"train": round(times["train"], 2), "total": round(times["total"], 2)},
        "cpu_time_s": {"train": round(times["train_cpu"], 2)},        # all threads together
        "peak_memory_mb": peak_memory_mb(),
        "started": started,
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "platform": platform.platform(), "cpus": _cpu_count()},
        "files": [MODEL_FILE, METRICS_FILE, *FIGURES],
    }
