"""The values ``abcdl train`` accepts: argparse types with ranges, and the checks across options.

Every float is finite and in a range, every count has an upper bound that says why, and
a seed is an integer >= 0 (NumPy's generators take no negative seed).  A value out of
range is one line naming the option, before any data is loaded.
"""

from __future__ import annotations

import argparse
import math

from ._errors import CLIError
from ._train_setup import DEFAULT_HIDDEN, OPTIMIZERS

__all__ = ["MAX_LR", "MAX_WEIGHT_DECAY", "MAX_EPOCHS", "MAX_BATCH", "MAX_WIDTH", "MAX_LAYERS",
           "MAX_PARAMETERS", "nonneg_float", "positive_float", "fraction", "probability", "hidden_sizes",
           "seed_int", "bounded_int", "learning_rate", "weight_decay", "check_options"]

MAX_LR = 10.0                 # larger steps only diverge for the networks abcdl train builds
MAX_WEIGHT_DECAY = 1000.0     # with lr*WD < 1 as well: a larger decay leaves no weight to learn
MAX_EPOCHS = 10_000           # the default MLP would need about 6 hours
MAX_BATCH = 100_000           # no dataset here has more than 60,000 training images
MAX_WIDTH = 100_000           # one layer of 100,000 units on MNIST is already 78 million weights
MAX_LAYERS = 100
MAX_PARAMETERS = 50_000_000   # 200 MB of float32 weights, four times that with Adam's state and gradients


def nonneg_float(text: str) -> float:
    """A finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = nonneg_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    value = nonneg_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {text!r}")
    return value


def probability(text: str) -> float:
    """A drop probability in [0, 1)."""
    value = nonneg_float(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"expected a drop probability in [0, 1), got {text!r}")
    return value


def learning_rate(text: str) -> float:
    """A learning rate in (0, MAX_LR]."""
    value = positive_float(text)
    if value > MAX_LR:
        raise argparse.ArgumentTypeError(f"expected a learning rate in (0, {MAX_LR:g}], got {text!r}: "
                                         f"larger steps only diverge")
    return value


def weight_decay(text: str) -> float:
    """A weight decay in [0, MAX_WEIGHT_DECAY]."""
    value = nonneg_float(text)
    if value > MAX_WEIGHT_DECAY:
        raise argparse.ArgumentTypeError(f"expected a weight decay in [0, {MAX_WEIGHT_DECAY:g}], "
                                         f"got {text!r}: a larger decay leaves no weight to learn")
    return value


def seed_int(text: str) -> int:
    """A seed: an integer >= 0 (``numpy.random.default_rng`` takes no negative seed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the seed must be an integer >= 0 (NumPy takes no negative seed), "
                                         f"got {text!r}")
    return value


def bounded_int(upper: int, why: str):
    """An argparse type: a positive integer at most ``upper`` (``why``: the reason for the bound)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
        if not 1 <= value <= upper:
            raise argparse.ArgumentTypeError(f"expected an integer in [1, {upper:,}], got {text!r}: {why}")
        return value
    parse.__name__ = "positive integer"                # what argparse names in "invalid ... value"
    return parse


def hidden_sizes(text: str) -> tuple[int, ...]:
    """``256,256`` -> (256, 256); ``""`` or ``none`` -> () (softmax regression)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(s) for s in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer widths such as 256,256, "
                                         f"got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    if len(sizes) > MAX_LAYERS or max(sizes) > MAX_WIDTH:
        raise argparse.ArgumentTypeError(f"at most {MAX_LAYERS} layers of at most {MAX_WIDTH:,} units, got "
                                         f"{text[:80]!r}: larger networks do not fit in memory")
    return sizes


def _mlp_parameters(n_in: int, hidden: tuple[int, ...], n_out: int) -> int:
    """Weights and biases of an MLP: sum over layers of (n_prev + 1) * n."""
    sizes = (n_in, *hidden, n_out)
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def _check_sizes(args, n_in: int) -> None:
    hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
    if args.model == "mlp":
        n = _mlp_parameters(n_in, hidden, 10)
        if n > MAX_PARAMETERS:
            raise CLIError(f"--hidden {','.join(map(str, hidden))}: {n:,} parameters, more than the "
                           f"{MAX_PARAMETERS:,} abcdl train allows (about "
                           f"{MAX_PARAMETERS * 16 // 2**20:,} MB with the optimizer's state)")
    elif args.hidden is not None and args.hidden[0] > MAX_PARAMETERS // (30 * 12 * 12):
        raise CLIError(f"--hidden {args.hidden[0]} is too wide for --model {args.model}: at most "
                       f"{MAX_PARAMETERS // (30 * 12 * 12):,} units (its input has up to 4,320 features)")


def _check_decay(args) -> None:
    """lr * WD < 1: the decay W <- W - lr*WD*W must not take away the whole weight each step."""
    lr = OPTIMIZERS[args.optimizer][0] if args.lr is None else args.lr
    if args.weight_decay and lr * args.weight_decay >= 1:
        raise CLIError(f"--weight-decay {args.weight_decay:g} with --lr {lr:g}: lr*WD = "
                       f"{lr * args.weight_decay:.3g} >= 1 would shrink every weight to 0 or past it each "
                       f"step (W <- W - lr*WD*W); use --weight-decay below {1 / lr:.3g}")


def _check_workers(args) -> None:
    """--workers N > 1 (abcdl.parallel.DataParallel): not with batch norm, and threadpoolctl installed."""
    if args.workers == 1:
        return
    if args.batch_norm:
        raise CLIError(f"--workers {args.workers} cannot be used with --batch-norm: batch normalisation "
                       f"needs the statistics of the whole batch, and each worker sees only its part")
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        raise CLIError(f"--workers {args.workers} needs threadpoolctl (to run NumPy's BLAS one thread per "
                       f"worker): pip install \"abcdl[parallel]\", or leave out --workers") from None


def check_options(args, n_in: int = 784) -> None:
    """Combinations argparse cannot check, refused before any data is loaded (``n_in``: input features)."""
    if args.momentum is not None and not OPTIMIZERS[args.optimizer][1]:
        raise CLIError(f"--momentum applies to sgd, momentum and nesterov, not {args.optimizer}")
    if args.model != "mlp":
        if args.batch_norm:
            raise CLIError(f"--batch-norm applies to --model mlp only, not {args.model}")
        if args.activation != "relu":
            raise CLIError(f"--activation applies to --model mlp only; {args.model} uses relu")
        if args.hidden is not None and len(args.hidden) != 1:
            raise CLIError(f"--model {args.model} takes one --hidden width (its hidden affine layer), "
                           f"got {','.join(map(str, args.hidden)) or 'none'}")
        if args.model == "convnet" and args.dropout:
            raise CLIError("--dropout applies to --model mlp and deep-convnet, not convnet")
    if args.step_size is not None and args.schedule != "step":
        raise CLIError("--step-size applies to --schedule step")
    _check_workers(args)
    _check_decay(args)
    _check_sizes(args, n_in)
