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
from ._common import (
    HelpFormatter,
    guess_dataset,
    input_spec,
    load_model,
    model_path_arg,
    num_outputs,
    positive_int,
    run_info,
    softmax,
    squash,
)
from ._datasets import DATASETS

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
    p.add_argument("files", metavar="FILE", nargs="+", help="PNG/JPEG images or .npy arrays")
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


# ----------------------------------------------------------------------------- images

def _resize(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resize a float image in [0, 1] to (H, W) with Lanczos filtering (Pillow, mode "F")."""
    from PIL import Image

    if img.shape == hw:
        return img
    out = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32), mode="F").resize(
        (hw[1], hw[0]), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def _pad_square(img: np.ndarray) -> np.ndarray:
    """Pad with background (0) to a square, the content centred: resizing then keeps the aspect ratio."""
    h, w = img.shape
    n = max(h, w)
    out = np.zeros((n, n), dtype=np.float32)
    out[(n - h) // 2:(n - h) // 2 + h, (n - w) // 2:(n - w) // 2 + w] = img
    return out


def mnist_normalize(img: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """MNIST's own preprocessing: the ink's bounding box scaled to fit ``box`` x ``box`` (aspect kept),
    placed in a ``size`` x ``size`` frame with its centre of mass at the centre.

    ``img``: white ink on black, values in [0, 1].  An empty image is only resized.
    """
    ink = img > 0.2 * img.max() if img.max() > 0 else np.zeros(img.shape, bool)
    if not ink.any():
        return _resize(_pad_square(img), (size, size))
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    digit = _resize(crop, (nh, nw))
    mass = digit.sum()
    yy, xx = np.indices(digit.shape)
    cy, cx = (yy * digit).sum() / mass, (xx * digit).sum() / mass      # centre of mass
    top = int(np.clip(round(size / 2 - cy - 0.5), 0, size - nh))      # put it at the frame's centre
    left = int(np.clip(round(size / 2 - cx - 0.5), 0, size - nw))
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + nh, left:left + nw] = digit
    return out


def load_image(path: Path, hw: tuple[int, int], invert: str = "auto", center: bool = False
               ) -> tuple[np.ndarray, list[str]]:
    """An image file as an (H, W) float32 array in [0, 1], white on black; and notes on what was done.

    Raises
    ------
    CLIError
        The file is missing or not an image Pillow can read.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    notes: list[str] = []
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            im.load()
            size = im.size
            img = np.asarray(im.convert("L"), dtype=np.float32) / 255         # grey levels in [0, 1]
            if "A" in im.getbands() or "transparency" in im.info:
                alpha = np.asarray(im.convert("RGBA"), dtype=np.float32)[..., 3] / 255
                if alpha.min() < 1:
                    # transparent background: put the strokes on the background that contrasts with them
                    opaque = alpha > 0.5
                    bg = 1.0 if opaque.any() and img[opaque].mean() < 0.5 else 0.0
                    img = alpha * img + (1 - alpha) * bg
                    notes.append(f"transparent background shown as {'white' if bg else 'black'}")
    except FileNotFoundError:
        raise CLIError(f"{path}: file not found") from None
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise CLIError(f"{path}: not an image that Pillow can read ({squash(exc)})") from exc
    except (OSError, ValueError, SyntaxError) as exc:       # truncated or damaged image data
        raise CLIError(f"{path}: cannot read the image ({squash(exc)})") from exc
    notes.insert(0, f"{size[0]}x{size[1]}")
    mean = float(img.mean())
    if invert == "yes" or (invert == "auto" and mean > 0.5):
        img = 1.0 - img                                       # dark on light -> light on dark, as MNIST
        notes.append(f"dark on light (mean brightness {mean:.2f}): inverted" if invert == "auto"
                     else "inverted (--invert yes)")
    if img.shape != hw:
        if center and hw == (28, 28):
            img = mnist_normalize(img, 28, 20)
            notes.append("ink fitted in 20x20, centred in 28x28")
        else:
            img = _resize(_pad_square(img), hw)
            notes.append(f"resized to {hw[0]}x{hw[1]}")
    return img.astype(np.float32), notes


def load_npy(path: Path, hw: tuple[int, int], scale_max: float = 255.0) -> tuple[np.ndarray, list[str]]:
    """A ``.npy`` file as (N, H, W) float32 images; no pickle is ever loaded."""
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise CLIError(f"{path}: file not found") from None
    except (ValueError, OSError, EOFError) as exc:
        raise CLIError(f"{path}: not a readable .npy array ({squash(exc)}); object arrays are refused "
                       f"because loading them would unpickle") from exc
    if not isinstance(arr, np.ndarray) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise CLIError(f"{path}: expected a numeric array, got dtype {getattr(arr, 'dtype', type(arr))}")
    h, w = hw
    n_feat = h * w
    shape = arr.shape
    if shape[-2:] == (h, w) and arr.ndim in (2, 3, 4) and (arr.ndim < 4 or shape[1] == 1):
        images = arr.reshape(-1, h, w)                       # (H,W), (N,H,W), (1,H,W), (N,1,H,W)
    elif arr.ndim in (1, 2) and shape[-1] == n_feat:
        images = arr.reshape(-1, h, w)                       # (H*W,), (N, H*W)
    else:
        raise CLIError(f"{path}: array of shape {shape}; the model takes {h}x{w} images: "
                       f"({n_feat},), ({h}, {w}), (1, {h}, {w}) or a batch (N, {n_feat}), (N, {h}, {w}), "
                       f"(N, 1, {h}, {w})")
    if images.shape[0] == 0:
        raise CLIError(f"{path}: the array holds no images (shape {shape})")
    images = images.astype(np.float32)
    if not np.isfinite(images).all():
        raise CLIError(f"{path}: the array holds NaN or infinite values")
    notes = [f"array {shape}"]
    lo, hi = float(images.min()), float(images.max())
    if lo < 0:
        raise CLIError(f"{path}: negative pixel values (min {lo:g}); expected [0, 1] or 0..{scale_max:g}")
    if hi > 1:
        if hi > scale_max:
            raise CLIError(f"{path}: pixel values up to {hi:g}; expected [0, 1] or 0..{scale_max:g}")
        images /= scale_max                                   # pixel / max in [0, 1]
        notes.append(f"values 0..{scale_max:g} scaled to [0, 1]")
    return images, notes


# ----------------------------------------------------------------------------- the command

def _inputs(files: list[str], hw, args, dataset: str) -> list[tuple[str, np.ndarray, list[str]]]:
    """(name, (H, W) image, notes) for every image of every file, in order."""
    items = []
    scale_max = 16.0 if dataset == "digits" else 255.0
    center = args.center and dataset == "mnist"
    for f in files:
        path = Path(f).expanduser()
        if path.is_dir():
            raise CLIError(f"{path}: a folder, not an image or .npy file")
        if path.suffix.lower() == ".npy":
            images, notes = load_npy(path, hw, scale_max)
            if len(images) == 1:
                items.append((str(path), images[0], notes))
            else:
                items += [(f"{path}[{i}]", img, notes) for i, img in enumerate(images)]
        else:
            img, notes = load_image(path, hw, args.invert, center)
            items.append((str(path), img, notes))
    return items


def run(args) -> int:
    from ..train import predict

    path = model_path_arg(args.model)
    model = load_model(path)
    info = run_info(path)
    dataset = guess_dataset(model, info, args.dataset)
    flat, shape = input_spec(model, dataset, info)
    hw = shape[1:]
    k = num_outputs(model, flat, shape)
    names = list(DATASETS[dataset].class_names) if k == len(DATASETS[dataset].class_names) \
        else [str(i) for i in range(k)]
    items = _inputs(args.files, hw, args, dataset)
    X = np.stack([img for _, img, _ in items])
    X = X.reshape(len(X), -1) if flat else X.reshape(len(X), 1, *hw).repeat(shape[0], axis=1)
    try:
        logits = predict(model, X)
    except ValueError as exc:
        raise CLIError(f"the model cannot read these inputs: {squash(exc)}") from exc
    P = softmax(logits)                                           # y_k = exp(z_k) / sum_i exp(z_i)
    top = min(args.top or k, k)
    results = []
    for (name, _, notes), p in zip(items, P, strict=True):
        order = np.argsort(-p, kind="stable")[:top]
        results.append({
            "file": name, "prediction": int(order[0]), "label": names[order[0]],
            "probability": float(p[order[0]]), "notes": notes,
            "top": [{"class": int(c), "label": names[c], "probability": float(p[c])} for c in order],
            "probabilities": [float(v) for v in p],
        })
    if args.json:
        print(json.dumps({"model": str(path), "dataset": dataset, "class_names": names,
                          "results": results}, indent=2, ensure_ascii=False))
        return 0
    width = max(len(n) for n in names)
    for r in results:
        print(f"{r['file']}: {r['label']}  ({'; '.join(r['notes'])})")
        for t in r["top"]:
            bar = "#" * int(math.floor(t["probability"] * BAR + 0.5))
            print(f"  {t['label']:>{width}}: {t['probability']:.4f} {bar}".rstrip())
    return 0
