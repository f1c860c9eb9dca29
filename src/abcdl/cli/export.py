"""``abcdl export MODEL --format onnx|torch --out PATH``: a saved model for ONNX Runtime or PyTorch.

    abcdl export runs/mnist-mlp-20250101-120000 --format onnx --out mnist.onnx
    abcdl export runs/mnist-mlp-20250101-120000/model.safetensors --format torch --out mnist.pt2

``onnx`` writes an ONNX graph (opset 17 or ``--opset``, float32, checked with
``onnx.checker``) that ``onnxruntime.InferenceSession(PATH)`` runs; ``torch``
writes a ``torch.export`` program (``torch.export.load(PATH).module()`` is the
network, no abcdl needed), with the batch size left free.  Both files are
written atomically.  See docs/outgrow.md.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._io import atomic_write
from ..export import UnsupportedLayerError, to_onnx, to_torch
from . import CLIError
from ._common import HelpFormatter, input_spec, load_model, model_path_arg, run_info

__all__ = ["register", "run"]

SUFFIX = {"onnx": ".onnx", "torch": ".pt2"}


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        formatter_class=HelpFormatter,
        help="write a saved model as ONNX (for ONNX Runtime) or a PyTorch program",
        description="Load a model saved by `abcdl train` (or model.save) and write it for ONNX Runtime "
                    "(--format onnx) or PyTorch (--format torch: a torch.export program).",
        epilog="Example: abcdl export runs/mnist-mlp-20250101-120000 --format onnx --out mnist.onnx",
    )
    p.add_argument("model", metavar="MODEL",
                   help="a .safetensors model file, or a run folder holding model.safetensors")
    p.add_argument("--format", choices=list(SUFFIX), default="onnx",
                   help="onnx: an ONNX graph; torch: a torch.export program (.pt2)")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="file to write (default: MODEL with the suffix .onnx or .pt2)")
    p.add_argument("--opset", type=int, default=17, help="ONNX operator set, at least 17")
    p.set_defaults(func=run)


def _target(args, model_path: Path) -> Path:
    out = Path(args.out).expanduser() if args.out else model_path.with_suffix(SUFFIX[args.format])
    if out.is_dir():
        name = out / ("model" + SUFFIX[args.format])
        raise CLIError(f"--out {out} is a folder; give a file name such as {name}")
    if not out.parent.is_dir():
        raise CLIError(f"--out: the folder {out.parent} does not exist")
    if args.opset < 17:
        raise CLIError(f"--opset must be at least 17, got {args.opset}")
    return out


def _example(model, model_path: Path) -> np.ndarray:
    """A batch of two zero inputs of the shape the model takes (for torch.export's trace)."""
    flat, (C, H, W) = input_spec(model, info=run_info(model_path))
    shape = (2, C * H * W) if flat else (2, C, H, W)
    return np.zeros(shape, dtype=model.parameters()[0].dtype)


def _torch_program(model, example: np.ndarray) -> bytes:
    """``torch.export`` of the PyTorch twin, batch size free, as the bytes of a .pt2 archive."""
    import torch

    module = to_torch(model).eval()
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(module, (torch.from_numpy(example),), dynamic_shapes=({0: batch},))
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def run(args) -> int:
    path = model_path_arg(args.model)
    model = load_model(path)
    out = _target(args, path)
    try:
        if args.format == "onnx":
            to_onnx(model, out, opset=args.opset)
            how = f"ONNX opset {args.opset}, float32; run it with onnxruntime.InferenceSession('{out}')"
        else:
            atomic_write(out, _torch_program(model, _example(model, path)))
            how = f"torch.export program; in PyTorch: torch.export.load('{out}').module()"
    except UnsupportedLayerError as exc:
        raise CLIError(str(exc)) from exc
    except ModuleNotFoundError as exc:
        extra = "onnx" if args.format == "onnx" else "torch"
        raise CLIError(f"abcdl export --format {args.format} needs the {exc.name} package: "
                       f'pip install "abcdl[{extra}]"') from exc
    print(f"wrote {out} ({how})")
    return 0
