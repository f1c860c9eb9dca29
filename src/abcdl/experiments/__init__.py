"""The lecture's experiments: one module each, one command each, one figure each.

Run one from the shell, from Python, or as a module::

    abcdl demo list                                  # every experiment, its SPEC ids, one line each
    abcdl demo mle                                   # key numbers on stdout, ./abcdl-demo/mle.png
    abcdl demo mle --n 10 --k 3 --json --out figs    # parameters, JSON, another folder
    abcdl demo weight-init --lang ko                 # Korean labels (NanumGothic ships with abcdl)
    python -m abcdl.experiments.mle --json           # the same as `abcdl demo mle --json`

    >>> from abcdl import experiments
    >>> res = experiments.get("mle").run(n=5, k=2)
    >>> res.numbers["argmax_grid"], res.summary(), res.save("mle.png")

or in its two halves, the numbers without any plotting, then the figure::

    >>> from abcdl.experiments import mle
    >>> from abcdl.experiments._base import figure_style
    >>> data = mle.compute(n=5, k=2)                 # no matplotlib imported
    >>> data["numbers"]["closed_form"], data["w"].shape
    >>> fig = mle.draw(data, figure_style("en"))    # a matplotlib Figure

Conventions (every experiment module follows them; ``tests/test_experiments_framework.py``
and ``tests/test_experiments_layout.py`` check the mechanical ones for every registered experiment)
---------------------------------------------------------------------------------------------------
Module
    ``abcdl/experiments/<name with _ for ->.py``, registered in ``_REGISTRY`` below
    (CLI name -> module name).  Its docstring starts with the lecture section and
    its SPEC ids, says what the slide claims and what the experiment shows, and
    how to run it (``abcdl demo NAME`` and ``python -m abcdl.experiments.MODULE``).
    Top-level imports are NumPy, ``._base`` and ``._training`` only: heavy parts
    of abcdl (data loaders, models, optimizers) are imported inside ``compute``,
    matplotlib only inside ``draw`` (and its helpers), so listing the experiments
    imports no matplotlib and ``compute`` never does.  For the return annotation
    ``-> Figure``, ``from matplotlib.figure import Figure`` sits under
    ``if TYPE_CHECKING:``.
Module attributes
    ``NAME`` (the CLI name, e.g. ``"curse-of-dimensionality"``), ``SPEC`` (tuple of
    lecture ids, e.g. ``("L2",)``), ``DESCRIPTION`` (one line, no final period
    needed), and ``compute``, ``draw`` and ``run``.  Helpers that compute a lecture
    formula are public functions of the module (``hoeffding.hoeffding_bound``,
    ``relu_approximation.lecture_z``) so tests and users can call them directly.
Every experiment is two halves and a short ``run`` that joins them
    ``compute`` finds the numbers, ``draw`` only draws them, ``run`` calls both.
    No function in the package is longer than 60 lines (docstring aside) or
    nested deeper than 4 (``tests/test_experiments_layout.py`` checks both): a
    long ``compute`` hands its parameter checks to ``_check(...)`` and its
    summary lines to ``_highlights(numbers, ...)``; a long ``draw`` hands a panel
    to ``_draw_<panel>(ax, ...)``.
``compute(*, <params>) -> dict``
    The same keyword-only parameters and defaults as ``run`` without ``lang``
    (documented here, in numpydoc: Parameters and Returns).  It checks them,
    runs the experiment (sampling, training, data loading) and returns a dict:
    ``"numbers"`` (what becomes ``Result.numbers``), ``"highlights"`` (the lines
    ``summary()`` prints) and whatever else the figure needs that is not a
    number worth reporting (NumPy arrays, curves per step, a grid of a model's
    outputs), each key named in the Returns section.  It imports no matplotlib.
``draw(data, style) -> Figure``
    Draws the figure from ``compute``'s dict and a
    :class:`~abcdl.experiments._base.FigureStyle` (its labels ``t =
    style.labels(_TEXT)`` are looked up inside).  It runs nothing: no sampling,
    no training, no model; evaluating one of the module's own formulas on a
    plotting grid (the curve f(x) of the slide) is drawing.  Axis limits, bins
    and colours are decided here.
``run(*, lang="en", <params>) -> Result``
    The entry point of the CLI and the gallery; its body is always::

        params = dict(locals())
        data = compute(<every param but lang>=...)      # ``out`` where a param is named ``data``
        style = figure_style(lang)
        return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                      highlights=data["highlights"], style=style)

    Its docstring's first paragraph is the CLI's ``--help`` line.
    Keyword-only parameters whose defaults are the lecture's values.  Every
    default is an ``int``, ``float``, ``bool``, ``str`` or a tuple of those (never
    None): the CLI derives ``--param value`` parsing from the default's type
    (tuples are comma lists: ``--dims 2,10,100``).  Randomness comes from a
    ``seed: int`` parameter through ``np.random.default_rng(seed)`` (never the
    global ``np.random``), so a run is repeatable.  Bad values raise
    ``ParamError`` (``_base.check_param(ok, "name", "message")``, raised by
    ``compute``), which the CLI prints as one line (so does
    ``abcdl.data.DataError``, e.g. MNIST missing); any other exception is a bug
    and shows its traceback.  The first line of ``run`` is ``params =
    dict(locals())`` so the Result records exactly what was run.  A learning run
    that blows up (``FloatingPointError`` from a loss) is a ``ParamError`` naming
    the learning rate, not a crash.
Result
    ``Result(NAME, SPEC, numbers, fig, params=params, highlights=[...], style=style)``
    (see :class:`~abcdl.experiments._base.Result`).  ``numbers`` is a dict of
    JSON-able key results (NumPy values are converted; non-finite -> None); the
    lecture's printed numbers, where it has any, are keys of their own so tests
    assert them through ``res.numbers``.  ``highlights`` are the few lines
    ``summary()`` prints.
Figure (in ``draw``)
    ``t = style.labels(_TEXT)`` where ``_TEXT =
    {"en": {...}, "ko": {...}}`` holds every label (same keys in both; Korean uses
    the lecture's own terms); build inside ``with style.context():`` with
    ``fig = style.figure(figsize=(w, h))`` and ``fig.add_subplot``/``fig.subplots``.
    Never pyplot.  Keep figures readable at dpi 100 and PNGs well under 200 KB
    (``Result.save`` writes 256-colour PNGs; subsample big scatter plots).
    Math text ``$...$`` works in both languages (write minus signs inside math).
    For Korean: no ``weight="bold"`` (NanumGothic has no matching bold entry and
    matplotlib logs a warning) and no two-line titles (the Hangul font's line
    metrics make the lines overlap): put a second line in ``ax.text`` instead.
    Tick labels are drawn in DejaVu Sans automatically (``FigureStyle.tick_font``).
``if __name__ == "__main__": raise SystemExit(main(NAME))``
    at the end of the module (``main`` from ``._base``).
Speed and tests
    Defaults reproduce the slide in seconds on a laptop; tests call ``run`` with
    smaller parameters (a few seconds at most per experiment).  Each experiment's
    test file renders it in "en" and "ko" with small parameters and checks the PNG
    signature, the size (< 200 KB), finite numbers and that matplotlib reported no
    missing glyph: ``test_experiments_run_small_and_render`` in
    ``tests/test_experiments_core.py`` is the pattern (its ``SMALL`` dict lists
    the experiments it covers).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from types import ModuleType

from ._base import ParamError, Result

__all__ = ["Result", "ParamError", "ExperimentInfo", "list_experiments", "names", "get", "run",
           "parameters"]

# CLI name -> module (inside abcdl.experiments), in lecture order.
_REGISTRY: dict[str, str] = {
    "curse-of-dimensionality": "curse_of_dimensionality",
    "hoeffding": "hoeffding",
    "pca-mnist": "pca_mnist",
    "perceptron": "perceptron",
    "logic-gates": "logic_gates",
    "xor": "xor",
    "relu-approximation": "relu_approximation",
    "bayes-sigmoid": "bayes_sigmoid",
    "mle": "mle",
    "numerical-diff": "numerical_diff",
    "gd-1d": "gd_1d",
    "steepest-descent": "steepest_descent",
    "optimizers-2d": "optimizers_2d",
    "weight-init": "weight_init",
    "exploding-gradients": "exploding_gradients",
    "polynomial-overfit": "polynomial_overfit",
    "regularization": "regularization",
    "batch-norm": "batch_norm",
    "hyperparameter-search": "hyperparameter_search",
    "conv": "conv",
    "autograd-functions": "autograd_functions",
    "autograd-newton": "autograd_newton",
    "autograd-tanh": "autograd_tanh",
    "autograd-graph": "autograd_graph",
    "autograd-mnist": "autograd_mnist",
    "rnn-sine": "rnn_sine",
    "rnn-vanishing": "rnn_vanishing",
    "language-model": "language_model",
    "char-rnn": "char_rnn",
    "word-vectors": "word_vectors",
    "seq2seq-addition": "seq2seq_addition",
    "attention-dates": "attention_dates",
    "transformer-dates": "transformer_dates",
}


@dataclass(frozen=True)
class ExperimentInfo:
    """One registered experiment: its CLI name, SPEC ids, one-line description and module name."""

    name: str
    spec: tuple[str, ...]
    description: str
    module: str


def names() -> list[str]:
    """The registered experiment names, in lecture order (imports nothing)."""
    return list(_REGISTRY)


def get(name: str) -> ModuleType:
    """The module of experiment ``name`` (imported on first use); it has ``run``, ``NAME``, ``SPEC``.

    Raises
    ------
    KeyError
        ``name`` is not registered; the message lists the registered names.
    """
    try:
        module = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown experiment {name!r}; choose from: {', '.join(_REGISTRY)}") from None
    return importlib.import_module(f".{module}", __name__)


def list_experiments() -> list[ExperimentInfo]:
    """Every registered experiment with its SPEC ids and description, in lecture order."""
    out = []
    for name, module in _REGISTRY.items():
        mod = get(name)
        out.append(ExperimentInfo(name, tuple(mod.SPEC), mod.DESCRIPTION, module))
    return out


def parameters(name: str) -> dict[str, object]:
    """``{param: default}`` of experiment ``name``'s ``run`` (without ``lang``)."""
    sig = inspect.signature(get(name).run)
    return {p.name: p.default for p in sig.parameters.values() if p.name != "lang"}


def run(name: str, **params) -> Result:
    """Run experiment ``name`` with ``params`` (``lang="ko"`` for Korean labels)."""
    return get(name).run(**params)
