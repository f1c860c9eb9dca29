"""Weight initialisation and vanishing gradients: activation histograms (lecture: 기울기 손실 문제, L28).

The slides feed random data (1000 examples, 100 features) through a 5-layer
network of 100 units each and draw every layer's activations:

- ``w = np.random.randn * 1`` with sigmoid: activations pile up at 0 and 1,
  where sigmoid's derivative is ~0, so gradients vanish (기울기 손실);
- ``w = np.random.randn * 0.01``: activations collapse onto one value (0.5), so
  the 100 units all act as one (노드를 늘린 효과가 없어짐);
- Xavier, std = 1/sqrt(n) (n inputs per unit), with sigmoid or tanh: activations
  stay spread over the layers;
- He, std = sqrt(2/n) = 1/sqrt(n/2), with ReLU: the same for ReLU.

Each network is built from ``abcdl.layers.Linear(init=...)`` (a float init is
the std of N(0, std^2)) and activation layers.  Besides the histograms, the
experiment reports each layer's activation std, the fraction of saturated
units (sigmoid < 0.01 or > 0.99, |tanh| > 0.99) or of zero ReLU outputs, and the
std of each layer's weight gradient dW[l] when a random upstream gradient (of a
mean loss: N(0, 1)/m) is propagated back.  With randn * 0.01 the first layer's
dW is about a million times smaller than the last one's (its weights hardly
learn); sigmoid shrinks it even with Xavier (sigma' <= 1/4 per layer), while
tanh with Xavier and ReLU with He keep it level across the layers.

Run::

    abcdl demo weight-init [--configs 1.0:sigmoid,0.01:sigmoid,xavier:sigmoid,xavier:tanh,he:relu]
                           [--n-layers 5] [--n-units 100] [--n-examples 1000] [--seed 0]
    python -m abcdl.experiments.weight_init
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "weight-init"
SPEC = ("L28",)
DESCRIPTION = "activation histograms of a 5-layer, 100-unit net for randn*1, randn*0.01, Xavier and He"

_ACTIVATIONS = ("sigmoid", "tanh", "relu")

_TEXT = {
    "en": {"layer": "layer {l}", "std": "std {s:.3f}", "sat": "saturated {f:.0%}", "zero": "zero {f:.0%}",
           "title": "activations of a {L}-layer, {n}-unit network fed random data",
           "w": "$W \\sim$ randn $\\times$ {s}", "xavier": "Xavier ($1/\\sqrt{{n}}$)",
           "he": "He ($\\sqrt{{2/n}}$)"},
    "ko": {"layer": "{l}층", "std": "표준편차 {s:.3f}", "sat": "포화 {f:.0%}", "zero": "0 인 노드 {f:.0%}",
           "title": "무작위 입력을 넣은 {L}층, {n}노드 신경망의 활성화 값 분포",
           "w": "$W \\sim$ randn $\\times$ {s}", "xavier": "Xavier 초기값 ($1/\\sqrt{{n}}$)",
           "he": "He 초기값 ($\\sqrt{{2/n}}$)"},
}


def parse_config(config: str) -> tuple[str | float, str]:
    """"init:activation" -> (init, activation); init is a float std ("0.01") or a name ("xavier", "he")."""
    init, sep, act = config.partition(":")
    if not sep or act not in _ACTIVATIONS or not init:
        raise ValueError(f"config {config!r} must be 'init:activation' with activation in {_ACTIVATIONS}")
    try:
        return float(init), act
    except ValueError:
        return init, act


def forward_backward(init, activation: str, n_layers: int, n_units: int, x: np.ndarray,
                     rng: np.random.Generator):
    """Run x through n_layers x (Linear(init) -> activation) and back with a random upstream gradient.

    Returns (activations A[l] per layer, std of the weight gradient dW[l] per layer).
    """
    from ..layers import Linear, ReLU, Sigmoid, Tanh

    act_cls = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}[activation]
    layers, n_in = [], x.shape[1]
    for _ in range(n_layers):
        layers += [Linear(n_in, n_units, init=init, rng=rng, dtype=np.float64), act_cls()]
        n_in = n_units
    acts = []
    a = x
    for lin, g in zip(layers[::2], layers[1::2], strict=True):
        a = g.forward(lin.forward(a))                         # A[l] = g(W[l] A[l-1] + b[l])
        acts.append(a)
    grad = rng.standard_normal(a.shape) / a.shape[0]          # random upstream dJ/dA[L] of a mean loss
    for i in range(n_layers - 1, -1, -1):
        grad = layers[2 * i].backward(layers[2 * i + 1].backward(grad))   # dW[l] += dZ[l]^T A[l-1]
    return acts, [float(lin.W.grad.std()) for lin in layers[::2]]


def _label(init, activation: str, t: dict) -> str:
    if isinstance(init, float):
        return f"{t['w'].format(s=f'{init:g}')}, {activation}"
    return f"{t.get(init, init)}, {activation}"


def compute(*, configs: tuple = ("1.0:sigmoid", "0.01:sigmoid", "xavier:sigmoid", "xavier:tanh", "he:relu"),
            n_layers: int = 5, n_units: int = 100, n_examples: int = 1000, seed: int = 0) -> dict:
    """Activation statistics of deep networks under different weight initialisations.

    Parameters
    ----------
    configs : tuple of str
        "init:activation" pairs; init is a std (randn * std) or a name of ``abcdl.init``
        ("xavier", "he", ...), activation one of sigmoid, tanh, relu.
    n_layers, n_units : int
        Depth and width (the slide: 5 and 100).
    n_examples : int
        Random input rows x ~ N(0, 1) of n_units features (the slide: 1000).
    seed : int

    Returns
    -------
    dict
        ``numbers``: ``configs`` ({config: {std, mean, saturated (or zero for relu),
        grad_w_std}}, each a list over layers 1..n_layers; grad_w_std is the std of dW[l]);
        ``highlights``; for the figure ``configs``, ``parsed`` ([(init, activation)]) and ``acts``
        ({config: [A[1], ..., A[L]]}, the activations the histograms count).
    """
    check_param(len(configs) > 0, "configs", "need at least one init:activation pair")
    parsed = []
    for c in configs:
        try:
            parsed.append(parse_config(c))
        except ValueError as exc:
            check_param(False, "configs", str(exc))
    check_param(n_layers >= 1, "n_layers", f"must be >= 1, got {n_layers}")
    check_param(n_units >= 1, "n_units", f"must be >= 1, got {n_units}")
    check_param(n_examples >= 2, "n_examples", f"must be >= 2, got {n_examples}")
    check_seed(seed)
    check_count(n_layers, "n_layers", 1, 100, "every layer's activations are kept for the histograms")
    check_count(n_units, "n_units", 1, 10_000, "memory")
    check_count(n_examples, "n_examples", 2, 100_000, "memory")
    cells = len(configs) * n_layers * n_units * n_examples
    check_param(cells <= 50_000_000, "n_examples", f"configs x n_layers x n_units x n_examples = {cells:,} "
                                                   f"activations kept, more than 50,000,000 (memory)")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_examples, n_units))            # the slide: np.random.randn(1000, 100)

    results, all_acts = {}, {}
    for config, (init, act) in zip(configs, parsed, strict=True):
        try:
            acts, grad_std = forward_backward(init, act, n_layers, n_units, x,
                                              np.random.default_rng(seed + 1))
        except (ValueError, TypeError) as exc:             # unknown init name
            check_param(False, "configs", f"{config}: {exc}")
        all_acts[config] = acts
        if act == "sigmoid":
            extreme = [float(np.mean((a < 0.01) | (a > 0.99))) for a in acts]
        elif act == "tanh":
            extreme = [float(np.mean(np.abs(a) > 0.99)) for a in acts]
        else:
            extreme = [float(np.mean(a == 0)) for a in acts]
        results[config] = {
            "std": [float(a.std()) for a in acts],
            "mean": [float(a.mean()) for a in acts],
            ("zero" if act == "relu" else "saturated"): extreme,
            "grad_w_std": grad_std,
        }
    numbers = {"n_layers": n_layers, "n_units": n_units, "n_examples": n_examples, "configs": results}
    highlights = []
    for config, r in results.items():
        key = "zero" if "zero" in r else "saturated"
        highlights.append(f"{config:<16} activation std per layer " + " ".join(f"{s:.3f}" for s in r["std"])
                          + f"; {key} {r[key][-1]:.0%} at layer {n_layers}; "
                          f"std of dW, layer {n_layers} -> 1: "
                          f"{r['grad_w_std'][-1]:.1e} -> {r['grad_w_std'][0]:.1e}")
    return {"numbers": numbers, "highlights": highlights, "configs": configs, "parsed": parsed,
            "acts": all_acts}


def draw(data: dict, style: FigureStyle) -> Figure:
    """A histogram of every layer's activations (columns) for every configuration (rows)."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    n_layers, configs = nb["n_layers"], data["configs"]
    with style.context():
        fig = style.figure(figsize=(2.3 * n_layers + 1, 1.9 * len(configs) + 0.6))
        axes = np.atleast_2d(fig.subplots(len(configs), n_layers, squeeze=False))
        for row, (config, (init, act)) in enumerate(zip(configs, data["parsed"], strict=True)):
            for col, a in enumerate(data["acts"][config]):
                _draw_histogram(axes[row, col], a, act, nb["configs"][config], row, col, t)
            axes[row, 0].set_ylabel(_label(init, act, t), fontsize=8)
        fig.suptitle(t["title"].format(L=n_layers, n=nb["n_units"]))
    return fig


def _draw_histogram(ax, a: np.ndarray, act: str, r: dict, row: int, col: int, t: dict) -> None:
    """Layer ``col + 1``'s activations ``a``, with their std and the saturated (or zero) fraction."""
    v = a.ravel()
    if act == "relu":
        pos = v[v > 0]
        top = float(np.quantile(pos, 0.995)) if pos.size else 1.0
        ax.hist(pos, bins=30, range=(0, top), color=f"C{row}")
        extra = t["zero"].format(f=r["zero"][col])
    else:
        lo = 0.0 if act == "sigmoid" else -1.0
        ax.hist(v, bins=30, range=(lo, 1.0), color=f"C{row}")
        extra = t["sat"].format(f=r["saturated"][col])
    ax.set_yticks([])
    ax.set_ylim(0, ax.get_ylim()[1] * 1.15)           # room for the note at the top
    ax.set_title(f"{t['layer'].format(l=col + 1)}: {t['std'].format(s=r['std'][col])}", fontsize=8)
    ax.text(0.5, 0.97, extra, transform=ax.transAxes, ha="center", va="top", fontsize=7,
            bbox={"fc": "white", "ec": "none", "alpha": 0.7, "pad": 1})
    ax.tick_params(labelsize=7)


def run(*, lang: str = "en",
        configs: tuple = ("1.0:sigmoid", "0.01:sigmoid", "xavier:sigmoid", "xavier:tanh", "he:relu"),
        n_layers: int = 5, n_units: int = 100, n_examples: int = 1000, seed: int = 0) -> Result:
    """Activation statistics and histograms of deep networks under different weight initialisations.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(configs=configs, n_layers=n_layers, n_units=n_units, n_examples=n_examples, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
