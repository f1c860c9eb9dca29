"""Images in, class probabilities out: what ``abcdl predict`` and ``abcdl serve`` share (L35).

An image becomes what the model saw in training: grey levels, white ink on a black
background (a dark-on-light image is inverted, detected by its mean brightness > 0.5),
values in [0, 1], resized to the model's input.  For MNIST digit models a larger image
is normalised the way MNIST itself was made: the ink's bounding box is scaled to fit
20x20 and centred by its centre of mass in the 28x28 frame.  Arrays of pixels are
checked (shape, finite, range) and used as they are.

:class:`ImageModel` is a loaded model with what it takes (flat rows or images, the
(C, H, W) shape), its dataset and class names; ``probabilities`` runs the softmax
y_k = exp(z_k) / sum_i exp(z_i) on its outputs.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._read import open_regular
from . import CLIError
from ._common import guess_dataset, input_spec, load_model, num_outputs, run_info, softmax, squash
from ._datasets import DATASETS

__all__ = ["ImageModel", "ImageTooLargeError", "MAX_PIXELS", "MAX_NPY_BYTES", "resize", "pad_square",
           "mnist_normalize", "read_image", "prepare", "load_image", "check_pixels", "load_npy"]


class ImageTooLargeError(CLIError):
    """An image with more pixels than allowed (``read_image``'s ``max_pixels``)."""


# Pillow refuses only above 2 x 89.5 million pixels; a digit needs far fewer.  A 4096 x 4096 image
# costs about 300 MB on its way to grey levels (float32, alpha); a 12000 x 12000 one took 1.9 GB.
MAX_PIXELS = 4096 * 4096
MAX_NPY_BYTES = 2**28    # 256 MiB of pixels: 342,000 uint8 or 42,800 float64 28x28 images


# ----------------------------------------------------------------------------- preprocessing

def resize(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resize a float image in [0, 1] to (H, W) with Lanczos filtering (Pillow, mode "F")."""
    from PIL import Image

    if img.shape == hw:
        return img
    out = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32), mode="F").resize(
        (hw[1], hw[0]), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def pad_square(img: np.ndarray) -> np.ndarray:
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
        return resize(pad_square(img), (size, size))
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    digit = resize(crop, (nh, nw))
    mass = digit.sum()
    yy, xx = np.indices(digit.shape)
    cy, cx = (yy * digit).sum() / mass, (xx * digit).sum() / mass      # centre of mass
    top = int(np.clip(round(size / 2 - cy - 0.5), 0, size - nh))      # put it at the frame's centre
    left = int(np.clip(round(size / 2 - cx - 0.5), 0, size - nw))
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + nh, left:left + nw] = digit
    return out


def read_image(source, name: str, max_pixels: int | None = MAX_PIXELS,
               formats: tuple[str, ...] | None = None) -> tuple[np.ndarray, list[str]]:
    """An image as an (H, W) float32 array of grey levels in [0, 1], as drawn; and notes on what was done.

    ``source``: a path (a regular file: a FIFO or a device is refused) or a binary file object
    (``io.BytesIO``); ``name`` starts the error messages.  ``max_pixels``: refuse larger images
    before decoding them (default :data:`MAX_PIXELS`, 4096 x 4096; None: Pillow's own limit);
    ``formats``: the Pillow formats accepted (default: any Pillow reads).

    Raises
    ------
    CLIError
        The file is missing or not an image Pillow can read (:class:`ImageTooLargeError` when too large).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    notes: list[str] = []
    fh = _open_regular_image(source, name)
    try:
        with _quiet_bomb_warning(max_pixels), Image.open(fh, formats=formats) as im:
            if max_pixels is not None and im.size[0] * im.size[1] > max_pixels:
                raise ImageTooLargeError(f"{name}: {im.size[0]}x{im.size[1]} pixels, more than the "
                                         f"{max_pixels:,} allowed; scale it down (a digit needs 28x28)")
            im = ImageOps.exif_transpose(im)
            im.load()
            notes.append(f"{im.size[0]}x{im.size[1]}")
            img = np.asarray(im.convert("L"), dtype=np.float32) / 255         # grey levels in [0, 1]
            if "A" in im.getbands() or "transparency" in im.info:
                alpha = np.asarray(im.convert("RGBA").getchannel("A"), dtype=np.float32) / 255
                if alpha.min() < 1:
                    # transparent background: put the strokes on the background that contrasts with them
                    opaque = alpha > 0.5
                    bg = 1.0 if opaque.any() and img[opaque].mean() < 0.5 else 0.0
                    img = alpha * img + (1 - alpha) * bg
                    notes.append(f"transparent background shown as {'white' if bg else 'black'}")
    except FileNotFoundError:
        raise CLIError(f"{name}: file not found") from None
    except Image.DecompressionBombError as exc:             # above twice Pillow's own limit, before ours
        raise ImageTooLargeError(f"{name}: too many pixels ({squash(exc)})") from exc
    except UnidentifiedImageError as exc:
        detail = f" ({squash(exc)})" if isinstance(source, (str, Path)) else ""   # no object reprs
        raise CLIError(f"{name}: not an image that Pillow can read{detail}") from exc
    except (OSError, ValueError, SyntaxError) as exc:       # truncated or damaged image data
        raise CLIError(f"{name}: cannot read the image ({squash(exc)})") from exc
    finally:
        if fh is not source:
            fh.close()
    return img, notes


@contextlib.contextmanager
def _quiet_bomb_warning(max_pixels: int | None):
    """Silence Pillow's DecompressionBombWarning when our own, lower cap refuses such images anyway."""
    from PIL import Image

    if max_pixels is None or max_pixels > (Image.MAX_IMAGE_PIXELS or 0):
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _open_regular_image(source, name: str):
    """``source`` itself when it is a file object, else the path opened if it is a regular file."""
    if not isinstance(source, (str, os.PathLike)):
        return source
    try:
        return open_regular(source)                        # a FIFO would block, a device never end
    except FileNotFoundError:
        raise CLIError(f"{name}: file not found") from None
    except OSError as exc:
        raise CLIError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc


def prepare(img: np.ndarray, hw: tuple[int, int], invert: str = "auto", center: bool = False
            ) -> tuple[np.ndarray, list[str]]:
    """Grey levels in [0, 1] as the model saw them: white on black, (H, W); and notes on what was done.

    ``invert``: "auto" inverts when the mean brightness is above 0.5, "yes" always, "no" never;
    ``center``: fit the ink in 20x20 and centre it in 28x28 (MNIST's own preprocessing).
    """
    notes = []
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
            img = resize(pad_square(img), hw)
            notes.append(f"resized to {hw[0]}x{hw[1]}")
    return img.astype(np.float32), notes


def load_image(path: Path, hw: tuple[int, int], invert: str = "auto", center: bool = False
               ) -> tuple[np.ndarray, list[str]]:
    """An image file as an (H, W) float32 array in [0, 1], white on black; and notes on what was done.

    Raises
    ------
    CLIError
        The file is missing or not an image Pillow can read.
    """
    img, notes = read_image(path, str(path))
    img, done = prepare(img, hw, invert, center)
    return img, notes + done


def check_pixels(arr: np.ndarray, name: str, hw: tuple[int, int], scale_max: float = 255.0
                 ) -> tuple[np.ndarray, list[str]]:
    """Pixels in MNIST's convention (white on black) as (N, H, W) float32 images in [0, 1]; and notes.

    Shapes
    ------
    arr: (H*W,), (H, W), (1, H, W), or a batch (N, H*W), (N, H, W), (N, 1, H, W)
        -> images: (N, H, W).  Values in [0, 1], or 0..``scale_max``, which are scaled.

    Raises
    ------
    CLIError
        Not numeric, another shape, no images, NaN or infinite values, or values out of range.
    """
    if not isinstance(arr, np.ndarray) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise CLIError(f"{name}: expected a numeric array, got dtype {getattr(arr, 'dtype', type(arr))}")
    if np.issubdtype(arr.dtype, np.complexfloating):        # grey levels are real: never drop a part
        raise CLIError(f"{name}: complex values (dtype {arr.dtype}); pixels are real grey levels")
    h, w = hw
    n_feat = h * w
    shape = arr.shape
    if shape[-2:] == (h, w) and arr.ndim in (2, 3, 4) and (arr.ndim < 4 or shape[1] == 1):
        images = arr.reshape(-1, h, w)                       # (H,W), (N,H,W), (1,H,W), (N,1,H,W)
    elif arr.ndim in (1, 2) and shape[-1] == n_feat:
        images = arr.reshape(-1, h, w)                       # (H*W,), (N, H*W)
    else:
        raise CLIError(f"{name}: array of shape {shape}; the model takes {h}x{w} images: "
                       f"({n_feat},), ({h}, {w}), (1, {h}, {w}) or a batch (N, {n_feat}), (N, {h}, {w}), "
                       f"(N, 1, {h}, {w})")
    if images.shape[0] == 0:
        raise CLIError(f"{name}: the array holds no images (shape {shape})")
    images = images.astype(np.float32)
    if not np.isfinite(images).all():
        raise CLIError(f"{name}: the array holds NaN or infinite values")
    notes = [f"array {shape}"]
    lo, hi = float(images.min()), float(images.max())
    if lo < 0:
        raise CLIError(f"{name}: negative pixel values (min {lo:g}); expected [0, 1] or 0..{scale_max:g}")
    if hi > 1:
        if hi > scale_max:
            raise CLIError(f"{name}: pixel values up to {hi:g}; expected [0, 1] or 0..{scale_max:g}")
        images /= scale_max                                   # pixel / max in [0, 1]
        notes.append(f"values 0..{scale_max:g} scaled to [0, 1]")
    return images, notes


_IMAGE_MAGIC = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
                b"BM": "a BMP image", b"PK\x03\x04": "a zip file (.npz?)"}


def _check_npy_magic(path: Path) -> None:
    """Refuse a file that does not start like a ``.npy`` array, saying what it looks like instead."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):          # a FIFO or a device would block or never end
            raise CLIError(f"{path}: not a regular file")
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise CLIError(f"{path}: file not found") from None
    except OSError as exc:
        raise CLIError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if head.startswith(b"\x93NUMPY"):
        return
    looks = next((what for magic, what in _IMAGE_MAGIC.items() if head.startswith(magic)), None)
    hint = f"it is {looks}; give it its own extension" if looks else "it does not start with \\x93NUMPY"
    raise CLIError(f"{path}: not a .npy array ({hint})")


def _npy_header(fh, path: Path) -> tuple[tuple, np.dtype]:
    """(shape, dtype) from the header of the open ``.npy`` file ``fh``, checked against the bytes after it.

    Nothing is allocated on the header's word: a header claiming shape (1e11, 784) in a
    small file, or more than :data:`MAX_NPY_BYTES`, is refused before any array exists.
    """
    version = np.lib.format.read_magic(fh)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f".npy format version {version[0]}.{version[1]}, expected 1.0 or 2.0")
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(fh)
    if dtype.hasobject:
        raise CLIError(f"{path}: an array of Python objects; it is refused because loading it would unpickle")
    need = math.prod(shape) * dtype.itemsize                   # bytes = prod(shape) * itemsize
    have = os.fstat(fh.fileno()).st_size - fh.tell()
    if need > MAX_NPY_BYTES:
        raise CLIError(f"{path}: the header declares shape {shape} of {dtype} ({need:,} bytes), more than "
                       f"the {MAX_NPY_BYTES:,} allowed")
    if need != have:
        raise CLIError(f"{path}: the header declares shape {shape} of {dtype} ({need:,} bytes) but the "
                       f"file holds {have:,} bytes after it (truncated or damaged)")
    return shape, dtype


def load_npy(path: Path, hw: tuple[int, int], scale_max: float = 255.0) -> tuple[np.ndarray, list[str]]:
    """A ``.npy`` file as (N, H, W) float32 images; no pickle is ever loaded, and the header's
    shape is checked against the file's size before anything is allocated."""
    _check_npy_magic(path)
    try:
        with open_regular(path) as fh:
            _npy_header(fh, path)
            fh.seek(0)
            arr = np.lib.format.read_array(fh, allow_pickle=False)
    except FileNotFoundError:
        raise CLIError(f"{path}: file not found") from None
    except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as exc:   # a mangled header
        raise CLIError(f"{path}: not a readable .npy array ({squash(exc)}); object arrays are refused "
                       f"because loading them would unpickle") from exc
    return check_pixels(arr, str(path), hw, scale_max)


# ----------------------------------------------------------------------------- the model

@dataclass
class ImageModel:
    """A saved classifier with what it takes: flat rows or (C, H, W) images, its dataset, class names.

    ``info`` is :func:`~abcdl.cli._common.run_info` of the file (None when nothing is known).
    """

    path: Path
    model: object
    info: dict | None
    dataset: str
    flat: bool
    shape: tuple[int, int, int]
    class_names: list[str]

    @classmethod
    def load(cls, path: Path, dataset: str | None = None) -> ImageModel:
        """The model at ``path``; ``dataset``: the class names to use (default: as recorded, else guessed).

        Raises
        ------
        CLIError
            The file is missing or unreadable, or its input cannot be told.
        """
        model = load_model(path)
        info = run_info(path)
        dataset = guess_dataset(model, info, dataset)
        flat, shape = input_spec(model, dataset, info)
        k = num_outputs(model, flat, shape)
        names = DATASETS[dataset].class_names
        return cls(Path(path), model, info, dataset, flat, shape,
                   list(names) if k == len(names) else [str(i) for i in range(k)])

    @property
    def hw(self) -> tuple[int, int]:
        """The (H, W) of one grey image."""
        return self.shape[1:]

    @property
    def center(self) -> bool:
        """Whether images are fitted in 20x20 and centred by mass (MNIST digit models)."""
        return self.dataset == "mnist"

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """The softmax of the model's outputs: y_k = exp(z_k) / sum_i exp(z_i), one row per image.

        Shapes
        ------
        images: (N, H, W), white on black in [0, 1] -> probabilities: (N, K), float64.

        Not thread-safe (``predict`` switches the model to eval mode and back): hold a lock.
        """
        from ..train import predict

        X = images.reshape(len(images), -1) if self.flat \
            else images.reshape(len(images), 1, *self.hw).repeat(self.shape[0], axis=1)
        try:
            logits = predict(self.model, X)
        except ValueError as exc:
            raise CLIError(f"the model cannot read these inputs: {squash(exc)}") from exc
        return softmax(logits)                                    # y_k = exp(z_k) / sum_i exp(z_i)
