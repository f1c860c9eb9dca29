"""What ``abcdl train`` builds from its options: the model, the optimizer and the schedule."""

from __future__ import annotations

from . import CLIError
from ._common import squash

# The default run, chosen by validation accuracy among MLPs that train in about a minute on 2 CPU
# cores (bench/RESULTS.md): 784-512-512-10, dropout 0.2, Adam 1e-3 with cosine decay, 15 epochs of
# batch 100 reached 98.4% validation accuracy, against 97.97% for 256-256 with 10 epochs, 98.20% for
# 256-256 with 30 and 98.35% for 512-512 with 20; about 2 s per epoch.
DEFAULT_HIDDEN = (512, 512)
DEFAULT_DROPOUT = 0.2
DEFAULT_EPOCHS = 15
DEFAULT_BATCH = 100
DEFAULT_SCHEDULE = "cosine"
# optimizer name -> (default learning rate, whether it takes --momentum)
OPTIMIZERS = {
    "sgd": (0.1, True), "momentum": (0.01, True), "nesterov": (0.01, True), "adagrad": (0.01, False),
    "rmsprop": (0.001, False), "adam": (0.001, False), "adamw": (0.001, False),
}


def _import_builder(name: str):
    """``abcdl.models.convnet`` / ``deep_convnet``."""
    from .. import models

    return getattr(models, name)


def build_model(args, input_shape: tuple[int, int, int], num_classes: int):
    """The network that ``args`` describe, for (C, H, W) images; returns (model, description)."""
    from ..models import mlp

    c, h, w = input_shape
    try:
        if args.model == "mlp":
            hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
            dropout = DEFAULT_DROPOUT if args.dropout is None else args.dropout
            model = mlp(c * h * w, hidden, num_classes, activation=args.activation, dropout=dropout,
                        batch_norm=args.batch_norm)
            extras = [args.activation] + (["batch norm"] if args.batch_norm else []) + \
                     ([f"dropout {dropout:g}"] if dropout else [])
            desc = f"mlp {'-'.join(map(str, (c * h * w, *hidden, num_classes)))} ({', '.join(extras)})"
            return model, desc, {"hidden": list(hidden), "dropout": dropout}
        kwargs = {"input_shape": (c, h, w), "num_classes": num_classes}
        if args.hidden is not None:
            kwargs["hidden"] = args.hidden[0]
        if args.model == "convnet":
            model = _import_builder("convnet")(**kwargs)
        else:
            if args.dropout is not None:
                kwargs["dropout"] = args.dropout
            model = _import_builder("deep_convnet")(**kwargs)
    except ValueError as exc:
        raise CLIError(f"cannot build --model {args.model} for {h}x{w} images: {squash(exc)}") from exc
    return model, _conv_description(args.model, model, num_classes), \
        {"hidden": kwargs.get("hidden"), "dropout": kwargs.get("dropout")}


def _conv_description(name: str, model, num_classes: int) -> str:
    """E.g. "convnet conv5x5x30-pool-100-10" from the layers of a convolutional model."""
    from ..layers import Conv2d, Linear, MaxPool2d

    parts = []
    for layer in model:
        if isinstance(layer, Conv2d):
            kh, kw = layer.kernel_size if isinstance(layer.kernel_size, tuple) else (layer.kernel_size,) * 2
            parts.append(f"conv{kh}x{kw}x{layer.out_channels}")
        elif isinstance(layer, MaxPool2d):
            parts.append("pool")
        elif isinstance(layer, Linear):
            parts.append(str(layer.out_features))
    return f"{name} {'-'.join(parts)} (relu)"


def build_optimizer(args, model):
    """(optimizer, regularizer or None, lr) from --optimizer/--lr/--momentum/--weight-decay."""
    from ..optim import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSProp
    from ..regularizers import WeightDecay

    default_lr = OPTIMIZERS[args.optimizer][0]
    lr = default_lr if args.lr is None else args.lr
    params = model.parameters()
    name = args.optimizer
    if name == "sgd":
        opt = SGD(params, lr, momentum=args.momentum or 0.0)
    elif name in ("momentum", "nesterov"):
        cls = Momentum if name == "momentum" else Nesterov
        opt = cls(params, lr, momentum=0.9 if args.momentum is None else args.momentum)
    elif name == "adagrad":
        opt = AdaGrad(params, lr)
    elif name == "rmsprop":
        opt = RMSProp(params, lr)
    elif name == "adam":
        opt = Adam(params, lr)
    else:
        opt = AdamW(params, lr, weight_decay=args.weight_decay)      # x <- x - lr*wd*x, then Adam
    reg = None
    if args.weight_decay and name != "adamw":
        # L31 with lambda = wd*m for each batch of m: J gains (wd/2) sum ||W||^2, dW gains wd*W
        reg = WeightDecay(args.weight_decay)
    return opt, reg, lr


def schedule_callback(args, opt):
    """(LearningRateScheduler callback or None, description) from --schedule/--step-size/--gamma."""
    from ..callbacks import LearningRateScheduler
    from ..optim import CosineAnnealingLR, StepLR

    if args.schedule == "cosine":
        return LearningRateScheduler(CosineAnnealingLR(opt, T_max=args.epochs)), "cosine decay"
    if args.schedule == "step":
        step = args.step_size or max(1, args.epochs // 3)
        return LearningRateScheduler(StepLR(opt, step_size=step, gamma=args.gamma)), \
            f"x{args.gamma:g} every {step} epochs"
    return None, "constant"
