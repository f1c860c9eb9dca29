"""``abcdl predict MODEL FILE...``: the 10 class probabilities of each image, most likely first (L35).

    abcdl predict runs/mnist-mlp-20250101-120000/model.safetensors my_digit.png
    abcdl predict runs/mnist-mlp-20250101-120000 a.png b.jpg batch.npy --top 3
    abcdl predict model.safetensors digit.png --json

As on the lecture's slide (L35), the output layer's softmax
y_k = exp(z_k) / sum_i exp(z_i) turns the 10 scores into probabilities::

    my_digit.png: 5
      5: 0.8012 ################
      3: 0.1104 ##
      ...

Images (PNG, JPEG, anything Pillow reads) are turned into what the model saw
in training: grey levels, white digit on a black background (a dark-on-light
image is inverted, detected by its mean brightness > 0.5, and the output says so),
values in [0, 1], resized to the model's input (28x28, or 8x8 for a model trained
on the digits).  For MNIST digit models a larger image is normalised the way
MNIST itself was made: the ink's bounding box is scaled to fit 20x20 and centred
by its centre of mass in the 28x28 frame (``--no-center`` just resizes).
``.npy`` arrays hold one image, (784,), (28, 28) or (1, 28, 28), or a batch
(N, 784), (N, 28, 28), (N, 1, 28, 28), in MNIST's convention, values in [0, 1]
(or 0..255, which are scaled); they are read without pickle.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from . import CLIError
from ._common import HelpFormatter, model_path_arg, positive_int
from ._datasets import DATASETS
from ._images import ImageModel, load_image, load_npy, mnist_normalize, prepare, read_image
from ._predict_text import continue_prompt, language_model_info
from ._train_options import nonneg_float, seed_int

__all__ = ["register", "run", "load_image", "load_npy", "mnist_normalize"]   # the last three: from _images

BAR = 20   # width of the probability bar


def register(sub) -> None:
    p = sub.add_parser(
        "predict",
        formatter_class=HelpFormatter,
        help="class probabilities of images (PNG/JPEG) or .npy arrays, most likely first (L35)",
        description="Load a model saved by `abcdl train` and print, for each image, the softmax probability "
                    "of every class, most likely first. Images are converted to grey, inverted when "
                    "dark-on-light (MNIST is white on black), scaled to [0, 1] and resized to the model's "
                    "input.",
        epilog="Examples: abcdl predict runs/mnist-mlp-20250101-120000 digit.png | "
               "abcdl predict model.safetensors a.png b.npy --top 3 --json",
    )
    p.add_argument("model", metavar="MODEL",
                   help="a .safetensors model file, or a run folder holding model.safetensors")
    p.add_argument("files", metavar="FILE", nargs="*", help="PNG/JPEG images or .npy arrays")
    p.add_argument("--prompt", default=None, metavar="TEXT",
                   help="a language model (abcdl train --model lstm): the text to continue (L40)")
    p.add_argument("--length", type=int, default=30, metavar="N",
                   help="with --prompt: tokens (words or characters) to write")
    p.add_argument("--temperature", type=nonneg_float, default=1.0, metavar="T",
                   help="with --prompt: sample from softmax(z / T); below 1 safer, 0 the most likely token")
    p.add_argument("--seed", type=seed_int, default=0, help="with --prompt: seed of the sampling")
    p.add_argument("--top", type=positive_int, default=None, metavar="K",
                   help="show only the K most likely classes (default: all)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--dataset", choices=list(DATASETS), default=None,
                   help="class names to use (default: the dataset in metrics.json beside MODEL, "
                        "else by input size)")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert grey levels of images: auto inverts when the mean brightness is above 0.5")
    p.add_argument("--center", action=argparse.BooleanOptionalAction, default=True,
                   help="for MNIST digit models: fit the ink in 20x20 and centre it by mass, as MNIST "
                        "was made; on by default (images already 28x28 are used as they are)")
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------- the command

BLANK_RANGE = 0.05   # max - min grey level below which an image holds no drawing
TINY = 4             # images smaller than this on a side cannot show a digit


def blank_warnings(img: np.ndarray) -> list[str]:
    """Why the prediction for this (H, W) image means little: blank (one grey level), or tiny."""
    h, w = img.shape
    out = []
    if float(img.max() - img.min()) < BLANK_RANGE:       # all black, all white, fully transparent, 1x1
        out.append(f"blank image (one grey level, {float(img.mean()):.2f}, everywhere): there is nothing to "
                   f"recognise, so the prediction below means nothing")
    elif min(h, w) < TINY:
        out.append(f"only {w}x{h} pixels: too small to show a digit; the prediction means little")
    return out


def _inputs(files: list[str], hw, args, dataset: str) -> list[tuple[str, np.ndarray, list[str], list[str]]]:
    """(name, (H, W) image, notes, warnings) for every image of every file, in order."""
    items = []
    scale_max = 16.0 if dataset == "digits" else 255.0
    center = args.center and dataset == "mnist"
    for f in files:
        path = Path(f).expanduser()
        if path.is_dir():
            raise CLIError(f"{path}: a folder, not an image or .npy file")
        if path.suffix.lower() == ".npy":
            images, notes = load_npy(path, hw, scale_max)
            names = [str(path)] if len(images) == 1 else [f"{path}[{i}]" for i in range(len(images))]
            items += [(n, img, notes, blank_warnings(img)) for n, img in zip(names, images, strict=True)]
        else:
            raw, notes = read_image(path, str(path))
            warnings = blank_warnings(raw)
            # a blank image has no ink to fit in 20x20: it is only resized
            img, done = prepare(raw, hw, args.invert, center and not warnings)
            items.append((str(path), img, notes + done, warnings))
    return items


def run(args) -> int:
    path = model_path_arg(args.model)
    info = language_model_info(path) if path.is_file() else None
    if info is not None or args.prompt is not None:
        if info is None:
            raise CLIError(f"{path}: --prompt needs a language model (abcdl train --model lstm)")
        if args.files:
            raise CLIError(f"{path} is a language model: give --prompt TEXT, not files")
        return continue_prompt(path, info, args)
    if not args.files:
        raise CLIError("give one or more image or .npy files to classify")
    im = ImageModel.load(path, args.dataset)
    dataset, names, k = im.dataset, im.class_names, len(im.class_names)
    items = _inputs(args.files, im.hw, args, dataset)
    with np.errstate(over="ignore", invalid="ignore"):    # non-finite outputs are refused just below
        P = im.probabilities(np.stack([img for _, img, _, _ in items]))  # y_k = exp(z_k) / sum_i exp(z_i)
    bad = int(np.count_nonzero(~np.isfinite(P).all(axis=1)))
    if bad:
        raise CLIError(f"the model's outputs are not finite (NaN or Inf) for {bad} of {len(P)} inputs: "
                       f"its weights are probably damaged; {path} cannot be used")
    top = min(args.top or k, k)
    results = []
    for (name, _, notes, warnings), p in zip(items, P, strict=True):
        order = np.argsort(-p, kind="stable")[:top]
        results.append({
            "file": name, "prediction": int(order[0]), "label": names[order[0]],
            "probability": float(p[order[0]]), "notes": notes, "warnings": warnings,
            "top": [{"class": int(c), "label": names[c], "probability": float(p[c])} for c in order],
            "probabilities": [float(v) for v in p],
        })
    if args.json:
        print(json.dumps({"model": str(path), "dataset": dataset, "class_names": names,
                          "results": results}, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    width = max(len(n) for n in names)
    for r in results:
        print(f"{r['file']}: {r['label']}  ({'; '.join(r['notes'])})")
        for warning in r["warnings"]:
            print(f"  warning: {warning}")
        for t in r["top"]:
            bar = "#" * int(math.floor(t["probability"] * BAR + 0.5))
            print(f"  {t['label']:>{width}}: {t['probability']:.4f} {bar}".rstrip())
    return 0
