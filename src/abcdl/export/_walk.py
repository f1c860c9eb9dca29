"""The layers of a model in order, as both exporters see them; the error for a layer with no counterpart."""

from __future__ import annotations

from ..module import Module

__all__ = ["UnsupportedLayerError", "flat_layers", "network_of"]


class UnsupportedLayerError(TypeError):
    """A layer that the target format has no counterpart for; the message names it and where it is."""

    def __init__(self, where: str, layer, target: str, supported) -> None:
        self.where, self.layer, self.target = where, layer, target
        super().__init__(f"{target}: cannot export layer {where} ({type(layer).__name__}): "
                         f"{type(layer).__name__} is not supported; supported layers: {', '.join(supported)}")


def network_of(model) -> Module:
    """The abcdl network behind ``model``: a Module as is, a fitted MLP estimator's ``model_``."""
    if isinstance(model, Module):
        return model
    net = getattr(model, "model_", None)
    if isinstance(net, Module):
        return net
    what = "an unfitted estimator" if hasattr(model, "get_params") else type(model).__name__
    raise TypeError(f"export: expected an abcdl Module (Sequential, a layer) or a fitted MLPClassifier/"
                    f"MLPRegressor, got {what}")


def flat_layers(model) -> list[tuple[str, Module]]:
    """``[(name, layer), ...]`` in forward order, nested Sequentials flattened ("layers.2.layers.1")."""
    net = network_of(model)
    children = getattr(net, "layers", None)
    if children is None:                        # a single layer
        return [(type(net).__name__, net)]
    out: list[tuple[str, Module]] = []
    for i, layer in enumerate(children):
        if getattr(layer, "layers", None) is not None:
            out += [(f"layers.{i}.{name}", sub) for name, sub in flat_layers(layer)]
        else:
            out.append((f"layers.{i}", layer))
    return out
