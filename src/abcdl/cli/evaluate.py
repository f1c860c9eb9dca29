"""``abcdl evaluate MODEL``: the test loss and accuracy of a saved model (L35, L37).

    abcdl evaluate runs/mnist-mlp-20250101-120000/model.safetensors
    abcdl evaluate runs/mnist-mlp-20250101-120000          # the run folder works too
    abcdl evaluate model.safetensors --dataset fashion-mnist --json

The dataset is ``--dataset``, else the one recorded in the ``metrics.json`` that
``abcdl train`` wrote beside the model, else guessed from the input size
(64 features: the 8x8 digits; 784: MNIST).
"""

from __future__ import annotations

import json

import numpy as np

from ..losses import SoftmaxCrossEntropyLoss
from ..report import confusion_matrix
from ..train import predict
from . import CLIError
from ._common import (
    HelpFormatter,
    finite,
    guess_dataset,
    input_spec,
    load_model,
    model_path_arg,
    num_outputs,
    run_info,
    squash,
)
from ._datasets import DATASETS, load_dataset


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        formatter_class=HelpFormatter,
        help="test loss and accuracy of a saved model",
        description="Load a model saved by `abcdl train` (or model.save) and print its loss and accuracy "
                    "on the test set, with the accuracy of each class.",
        epilog="Example: abcdl evaluate runs/mnist-mlp-20250101-120000/model.safetensors --json",
    )
    p.add_argument("model", metavar="MODEL",
                   help="a .safetensors model file, or a run folder holding model.safetensors")
    p.add_argument("--dataset", choices=list(DATASETS), default=None,
                   help="test set to use (default: the one in metrics.json beside MODEL, else by input size)")
    p.add_argument("--data-root", metavar="DIR", default=None,
                   help="folder holding mnist/ or fashion-mnist/ (default: ABCDL_DATA, then the copy of "
                        "MNIST shipped with abcdl, then ~/.cache/abcdl)")
    p.add_argument("--no-download", dest="download", action="store_false",
                   help="never download missing data files")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.add_argument("--verbose", action="store_true",
                   help="when data is missing, list every download attempt and the files' SHA-256")
    p.set_defaults(func=run)


def evaluate_model(model, dataset: str, root=None, download: bool = True, verbose: bool = False,
                   info: dict | None = None) -> dict:
    """Loss, accuracy, per-class accuracy and confusion matrix of ``model`` on ``dataset``'s test set
    (``info``: what the checkpoint stores of its training, e.g. the input shape)."""

    ds = DATASETS[dataset]
    flat, shape = input_spec(model, dataset, info)
    if shape[1:] != ds.image_shape:
        raise CLIError(f"the model takes {shape[1]}x{shape[2]} images, but {ds.title} has "
                       f"{ds.image_shape[0]}x{ds.image_shape[1]}; pass the right --dataset")
    k = num_outputs(model, flat, shape)
    if k != len(ds.class_names):
        raise CLIError(f"the model has {k} outputs, but {ds.title} has {len(ds.class_names)} classes")
    (_, (x_test, t_test)), _ = load_dataset(dataset, flatten=flat, root=root, download=download,
                                            verbose=verbose)
    if not flat and x_test.shape[1] != shape[0]:
        raise CLIError(f"the model takes {shape[0]} channels, {ds.title} has {x_test.shape[1]}")
    try:
        # image batches stay small: a convolution's im2col matrix grows with m
        with np.errstate(over="ignore", invalid="ignore"):   # non-finite outputs are refused below
            logits = predict(model, x_test, batch_size=1000 if x_test.ndim == 2 else 100)
    except ValueError as exc:
        raise CLIError(f"the model cannot read {ds.title}: {squash(exc)}") from exc
    if not np.isfinite(logits).all():
        raise CLIError(f"the model's outputs are not finite (NaN or Inf) on {ds.title}: its weights are "
                       f"probably damaged")
    loss = SoftmaxCrossEntropyLoss().forward(logits, t_test)   # J0 = -(1/m) sum log y_t
    y = logits.argmax(axis=1)                                   # y = argmax_k z_k
    C = confusion_matrix(t_test, y, k)
    per_class = np.diag(C) / np.maximum(C.sum(axis=1), 1)
    return {"dataset": dataset, "n": int(len(t_test)), "loss": finite(loss),
            "accuracy": float(np.trace(C) / C.sum()), "correct": int(np.trace(C)),
            "per_class_accuracy": {name: float(a) for name, a in zip(ds.class_names, per_class, strict=True)},
            "confusion_matrix": C.tolist()}


def run(args) -> int:
    path = model_path_arg(args.model)
    model = load_model(path)
    info = run_info(path)
    dataset = guess_dataset(model, info, args.dataset)
    result = {"model": str(path),
              **evaluate_model(model, dataset, args.data_root, args.download, args.verbose, info)}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    ds = DATASETS[dataset]
    print(f"{path}: {ds.title} test set, {result['n']:,} images")
    print(f"  accuracy {result['accuracy']:.2%} ({result['correct']:,}/{result['n']:,}), "
          f"loss {'inf' if result['loss'] is None else format(result['loss'], '.4f')}")
    width = max(len(name) for name in ds.class_names)
    cells = [f"{name:>{width}} {acc:6.2%}" for name, acc in result["per_class_accuracy"].items()]
    per_row = 5 if width <= 2 else 2
    print("  per class:")
    for i in range(0, len(cells), per_row):
        print("    " + "   ".join(cells[i:i + per_row]))
    return 0
