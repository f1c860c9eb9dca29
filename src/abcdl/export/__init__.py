"""Export: a trained abcdl network as a PyTorch module or an ONNX file (outgrowing abcdl).

``to_torch(model)`` returns a ``torch.nn.Module`` with the same weights and the
same outputs, to continue in PyTorch (``DistributedDataParallel``, GPUs, ...);
``to_onnx(model, path)`` writes an ONNX graph that ONNX Runtime runs with the
same outputs.  ``model`` is a :class:`~abcdl.models.Sequential` (``mlp``,
``convnet``, a loaded checkpoint), one layer, or a fitted ``MLPClassifier`` /
``MLPRegressor`` (its ``model_``).

Neither PyTorch nor onnx is imported by ``import abcdl``: they are optional
(``pip install "abcdl[torch]"``, ``"abcdl[onnx]"``) and imported when a function
here is called.  Weights need no transposes in either direction: abcdl's W is
PyTorch's ``weight`` (out, in), and the recurrent layers already carry
PyTorch's names (``weight_ih_l0``, ...) and gate order (see ``STYLE.md``).

A layer type that has no counterpart raises :class:`UnsupportedLayerError`
naming the layer and its position, before anything is built or written.
"""

from __future__ import annotations

from ._onnx import to_onnx
from ._torch import to_torch
from ._walk import UnsupportedLayerError, flat_layers

__all__ = ["to_torch", "to_onnx", "UnsupportedLayerError", "flat_layers"]
