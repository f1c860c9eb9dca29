"""``to_torch(model)``: the same network as a ``torch.nn.Module``, same weights, same outputs.

Each abcdl layer becomes its PyTorch twin, weights copied untransposed:

    Linear(W, b)                -> nn.Linear(weight=W, bias=b)          W (out, in) in both
    Conv2d(W, b)                -> nn.Conv2d(weight=W, bias=b)          W (F, C, kh, kw) in both
    BatchNorm1d/2d(gamma, beta) -> nn.BatchNorm1d/2d(weight=gamma, bias=beta, running_mean, running_var)
    Dropout(p)                  -> nn.Dropout(p)                        p is the drop probability in both
    ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Flatten, MaxPool2d, AvgPool2d -> the nn layer of that name
    RNN, LSTM, GRU              -> nn.RNN/LSTM/GRU(batch_first=True), same parameter names
    Embedding(W)                -> nn.Embedding(weight=W)

BatchNorm keeps PyTorch's conventions in abcdl already (momentum 0.1, eps 1e-5,
unbiased running variance), so training can go on in PyTorch with the same
updates.  The module is returned in the model's mode (``eval()`` after
``abcdl.load``) and in the dtype of its weights.  torch is imported here, when
``to_torch`` is called (``pip install "abcdl[torch]"``).
"""

from __future__ import annotations

from ..layers import (
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from ._walk import UnsupportedLayerError, flat_layers, network_of

__all__ = ["to_torch", "SUPPORTED"]

SUPPORTED = ("Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "ReLU", "LeakyReLU", "Sigmoid",
             "Tanh", "Identity", "Flatten", "MaxPool2d", "AvgPool2d", "RNN", "LSTM", "GRU", "Embedding")


def _copy(torch, param, array) -> None:
    """param <- array, exactly (same dtype; no transpose: abcdl's shapes are PyTorch's)."""
    with torch.no_grad():
        param.copy_(torch.from_numpy(array.copy()))


def _linear(torch, layer: Linear):
    out = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None,
                          dtype=_dtype(torch, layer.W.data))
    _copy(torch, out.weight, layer.W.data)                     # weight = W (n[l], n[l-1])
    if layer.b is not None:
        _copy(torch, out.bias, layer.b.data)                   # bias = b (n[l],)
    return out


def _conv(torch, layer: Conv2d):
    out = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                          padding=layer.padding, bias=layer.b is not None, dtype=_dtype(torch, layer.W.data))
    _copy(torch, out.weight, layer.W.data)                     # weight = W (F, C, kh, kw)
    if layer.b is not None:
        _copy(torch, out.bias, layer.b.data)
    return out


def _batchnorm(torch, layer):
    cls = torch.nn.BatchNorm2d if isinstance(layer, BatchNorm2d) else torch.nn.BatchNorm1d
    out = cls(layer.num_features, eps=layer.eps, momentum=layer.momentum,
              dtype=_dtype(torch, layer.gamma.data))
    _copy(torch, out.weight, layer.gamma.data)                 # gamma -> weight
    _copy(torch, out.bias, layer.beta.data)                    # beta  -> bias
    _copy(torch, out.running_mean, layer.running_mean)         # mu_run
    _copy(torch, out.running_var, layer.running_var)           # sigma^2_run (unbiased, as PyTorch)
    return out


def _recurrent(torch, layer):
    if layer.stateful:
        raise UnsupportedLayerError(f"{type(layer).__name__}(stateful=True)", layer, "to_torch",
                                    ["the recurrent layers with stateful=False (carry the state by hand "
                                     "in PyTorch: pass h_n back in)"])
    from ._torch_modules import Recurrent

    cls = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}[type(layer)]
    rnn = cls(layer.input_size, layer.hidden_size, num_layers=layer.num_layers, batch_first=True,
              bidirectional=layer.bidirectional, dtype=_dtype(torch, layer.weight_hh_l0.data))
    for name, param in rnn.named_parameters():                # weight_ih_l0, ..., the same names
        _copy(torch, param, getattr(layer, name).data)
    return Recurrent(rnn, layer.return_sequences)


def _embedding(torch, layer: Embedding):
    out = torch.nn.Embedding(layer.num_embeddings, layer.embedding_dim, dtype=_dtype(torch, layer.W.data))
    _copy(torch, out.weight, layer.W.data)                     # row id of W is the vector of token id
    return out


def _pool(torch, layer):
    if isinstance(layer, MaxPool2d):
        return torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
    return torch.nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, count_include_pad=True)


def _dtype(torch, array):
    return {"float32": torch.float32, "float64": torch.float64}[str(array.dtype)]


def _converter(layer):
    """The function that builds ``layer``'s PyTorch twin, or None."""
    simple = {ReLU: lambda t, _: t.nn.ReLU(), Sigmoid: lambda t, _: t.nn.Sigmoid(),
              Tanh: lambda t, _: t.nn.Tanh(), Identity: lambda t, _: t.nn.Identity(),
              Flatten: lambda t, _: t.nn.Flatten(),
              LeakyReLU: lambda t, lay: t.nn.LeakyReLU(lay.negative_slope),
              Dropout: lambda t, lay: t.nn.Dropout(lay.p)}
    table = {Linear: _linear, Conv2d: _conv, BatchNorm1d: _batchnorm, BatchNorm2d: _batchnorm,
             MaxPool2d: _pool, AvgPool2d: _pool, RNN: _recurrent, LSTM: _recurrent, GRU: _recurrent,
             Embedding: _embedding, **simple}
    return table.get(type(layer))


def to_torch(model):
    """The network as a ``torch.nn.Sequential`` with the same weights and the same outputs.

    Parameters
    ----------
    model : Sequential, a layer, or a fitted MLPClassifier / MLPRegressor

    Returns
    -------
    torch.nn.Sequential
        In the model's mode (train or eval) and the dtype of its weights; its output
        for the same input equals abcdl's (to float64 round-off in float64).

    Raises
    ------
    UnsupportedLayerError
        A layer with no PyTorch counterpart here, named with its position ("layers.3").
    ModuleNotFoundError
        PyTorch is not installed (``pip install "abcdl[torch]"``).
    """
    net = network_of(model)
    layers = flat_layers(net)
    for where, layer in layers:                                # every layer checked before anything is built
        if _converter(layer) is None:
            raise UnsupportedLayerError(where, layer, "to_torch", SUPPORTED)
    try:
        import torch
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError('to_torch needs PyTorch: pip install "abcdl[torch]"', name="torch") from err
    out = torch.nn.Sequential(*[_converter(layer)(torch, layer) for _, layer in layers])
    return out.train(net.training)
