"""Callbacks for :func:`abcdl.train.fit`: progress, early stopping, checkpoints, schedules (L27, L36, L37).

A callback is an object whose hooks ``fit`` calls at fixed points of the loop::

    on_train_begin()
    for each epoch:  on_epoch_begin(epoch)
                     for each batch: train_step(...); on_batch_end(batch, batch_logs)
                     on_epoch_end(epoch, logs)        # logs: loss, accuracy, val_loss, val_accuracy, lr
    on_train_end(logs)

``batch_logs`` holds ``"loss"`` (the batch's J), ``"size"`` (its m) and, when fit
counts accuracy, ``"accuracy"`` (the batch's).  The progress display is a callback
too: ``fit(verbose=1)`` adds a :class:`ProgressBar`, ``verbose=2`` an :class:`EpochLogger`.

Epochs and batches are 0-based, as in ``History.epoch`` (Keras' convention).
Before ``on_train_begin`` fit sets ``callback.model``, ``callback.optimizer`` and
``callback.history``; a callback sets ``self.stop_training = True`` to end training
after the current batch (from ``on_batch_end``) or epoch (from ``on_epoch_end``).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time

from tqdm.auto import tqdm

from . import checkpoint
from ._checks import check_nonnegative_int

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ProgressBar",
           "EpochLogger", "format_logs"]


class Callback:
    """Base class with empty hooks; override the ones you need.

    Attributes
    ----------
    model, optimizer, history
        Set by ``fit`` before training starts.
    stop_training : bool
        Set it to True to ask ``fit`` to stop; ``fit`` resets it to False at the start.
    """

    model = None
    optimizer = None
    history = None
    stop_training = False

    def set_context(self, model, optimizer, history) -> None:
        """Called by ``fit`` before ``on_train_begin``."""
        self.model, self.optimizer, self.history = model, optimizer, history
        self.stop_training = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass


class _Monitor(Callback):
    """Shared: which logged quantity to watch and whether smaller or larger is better."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"{type(self).__name__}: monitor must be a log name such as 'val_loss'")
        self.monitor = monitor
        # "auto": accuracies grow, losses shrink
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.min_delta = abs(float(min_delta))
        self.best = math.inf if self.mode == "min" else -math.inf

    def _value(self, logs: dict | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            hint = " (pass validation= or validation_split= to fit)" if self.monitor[:4] == "val_" else ""
            raise KeyError(f"{type(self).__name__} monitors {self.monitor!r}, but the epoch logs hold only "
                           f"{', '.join(logs) or 'nothing'}{hint}")
        return float(logs[self.monitor])

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta       # better by more than min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (L37: validation, not test).

    Parameters
    ----------
    monitor : str
        A key of the epoch logs: "val_loss" (default), "val_accuracy", "loss", ...
    patience : int
        Training stops after ``patience`` epochs in a row without improvement
        (0 and 1 both stop at the first one, as in Keras).
    min_delta : float
        Smaller changes do not count as improvements.
    mode : "auto", "min" or "max"
        "auto": "max" when the name contains "acc", else "min".
    restore_best_weights : bool
        At the end of training (stopped early, finished, or interrupted) load the
        ``state_dict`` saved at the best epoch, unless that epoch was the last one.
    verbose : int
        1 prints a line when stopping / restoring.

    Attributes
    ----------
    best, best_epoch : the best value and its (0-based) epoch
    stopped_epoch : the epoch at which it asked to stop, or None
    restored : whether the best weights were loaded back
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True, verbose: int = 0) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = check_nonnegative_int(patience, "EarlyStopping: patience")
        self.restore_best_weights = bool(restore_best_weights)
        self.verbose = verbose
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_weights: dict | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.restored = False
        self._last_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = self._value(logs)
        self._last_epoch = epoch
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()     # copies of every parameter and buffer
            return
        self.wait += 1
        if self.wait >= self.patience:                   # patience epochs in a row without improvement
            self.stopped_epoch = epoch
            self.stop_training = True
            if self.verbose:
                where = "-" if self.best_epoch is None else self.best_epoch + 1
                print(f"EarlyStopping: {self.monitor} has not improved for {self.wait} epoch(s) "
                      f"(best {self.best:.4f} at epoch {where})", file=sys.stderr)

    def on_train_end(self, logs: dict | None = None) -> None:
        if (self.restore_best_weights and self.best_weights is not None
                and self.best_epoch != self._last_epoch):
            self.model.load_state_dict(self.best_weights)
            self.restored = True
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1}", file=sys.stderr)


class ModelCheckpoint(_Monitor):
    """Save the model with ``abcdl.save(model, path)`` after every epoch (see :mod:`abcdl.checkpoint`).

    Parameters
    ----------
    path : str or PathLike
        May hold ``{epoch}`` (1-based, as printed; ``{epoch:03d}`` works) and any log
        key, e.g. ``"run/model-{epoch:02d}-{val_loss:.3f}.abcdl"``; without fields the
        file is overwritten each time.  Missing folders are created.
    monitor : str, optional
        The log key that decides "best" when ``save_best_only``; default "val_loss".
    save_best_only : bool
        Save only when ``monitor`` improved.
    mode : "auto", "min" or "max"

    Attributes
    ----------
    saved : list of str
        Every path written, in order.
    """

    def __init__(self, path, monitor: str | None = None, save_best_only: bool = False,
                 mode: str = "auto", verbose: int = 0) -> None:
        super().__init__(monitor if monitor is not None else "val_loss", mode)
        self.path = os.fspath(path)
        self.save_best_only = bool(save_best_only)
        self.verbose = verbose
        self.saved: list[str] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value):
                return
            self.best = value
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"ModelCheckpoint: cannot fill the path {self.path!r} ({e!r}); fields "
                             f"available: epoch, {', '.join(logs)}") from e
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        checkpoint.save(self.model, path)
        self.saved.append(path)
        if self.verbose:
            print(f"ModelCheckpoint: saved {path}", file=sys.stderr)


class LearningRateScheduler(Callback):
    """Change the optimizer's learning rate every epoch (L27).

    Parameters
    ----------
    schedule : a schedule of :mod:`abcdl.optim` or a function ``epoch -> lr``
        A schedule object (``StepLR(opt, ...)``, ``CosineAnnealingLR(opt, ...)``) is
        stepped once at the end of every epoch, as in PyTorch; it must drive the
        optimizer passed to ``fit``.  A function is called at the start of epoch
        ``e`` (0-based) and its value is set as ``optimizer.lr`` for that epoch.
    verbose : int
        1 prints the new rate each epoch.

    The rate used in each epoch is recorded in ``history.history["lr"]``.
    """

    def __init__(self, schedule, verbose: int = 0) -> None:
        step = getattr(schedule, "step", None)
        self._stepped = callable(step)
        if not self._stepped and not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be an abcdl.optim schedule (with step()) "
                            f"or a function epoch -> lr, got {type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not hasattr(self.optimizer, "lr"):
            raise TypeError(f"LearningRateScheduler: the optimizer {type(self.optimizer).__name__} has no lr")
        target = getattr(self.schedule, "optimizer", None)
        if self._stepped and target is not None and target is not self.optimizer:
            raise ValueError("LearningRateScheduler: the schedule was built for another optimizer than "
                             "the one passed to fit")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._stepped:
            return
        lr = self.schedule(epoch)                         # lr_e = schedule(e)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) returned {lr!r}; "
                             f"expected a finite number >= 0")
        self.optimizer.lr = float(lr)
        if self.verbose:
            print(f"LearningRateScheduler: epoch {epoch + 1}, lr = {float(lr):.6g}", file=sys.stderr)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._stepped:
            self.schedule.step()                          # once per epoch, as torch.optim.lr_scheduler
            if self.verbose:
                print(f"LearningRateScheduler: lr = {self.optimizer.lr:.6g} from epoch {epoch + 2}",
                      file=sys.stderr)


def format_logs(logs: dict) -> str:
    """``"loss: 0.1234 - accuracy: 0.9650 - lr: 0.001"``: the epoch logs on one line."""
    return " - ".join(f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}" for k, v in logs.items())


class ProgressBar(Callback):
    """A tqdm progress bar per epoch, with the epoch's running loss (and accuracy) beside it (L36).

    ``fit(verbose=1)`` adds one; pass your own to ``callbacks=`` (with ``verbose=0``)
    to change how it looks.

    Parameters
    ----------
    leave : bool
        Keep each finished epoch's bar on screen, its postfix replaced by the epoch
        logs (``loss: ... - val_loss: ...``); False clears it (for a caller that
        prints its own line per epoch).
    file : text stream, optional
        Where the bar is drawn; default ``sys.stderr``.
    refresh : float
        Seconds between updates of the running numbers (setting them costs ~10 us).

    Formula
    -------
    running loss = sum_B m_B J(B) / sum_B m_B over the batches B so far in the epoch
    """

    def __init__(self, leave: bool = True, file=None, refresh: float = 0.2) -> None:
        self.leave = bool(leave)
        self.file = file
        self.refresh = float(refresh)
        self.bar = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.close()
        params = self.history.params if self.history is not None else {}
        self.bar = tqdm(total=params.get("steps"), desc=f"Epoch {epoch + 1}/{params.get('epochs', '?')}",
                        unit="batch", leave=self.leave, dynamic_ncols=True,
                        file=self.file if self.file is not None else sys.stderr)
        self.loss_sum, self.acc_sum, self.seen = 0.0, 0.0, 0
        self.next_post = time.perf_counter()

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.bar is None:
            return
        m = logs["size"]
        self.loss_sum += logs["loss"] * m
        self.acc_sum += logs.get("accuracy", 0.0) * m
        self.seen += m
        self.bar.update(1)
        now = time.perf_counter()
        if now >= self.next_post:
            text = f"loss={self.loss_sum / self.seen:.4f}"
            if "accuracy" in logs:
                text += f", acc={self.acc_sum / self.seen:.4f}"
            self.bar.set_postfix_str(text, refresh=False)
            self.next_post = now + self.refresh

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None and self.leave:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=True)
        self.close()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.close()

    def close(self) -> None:
        """Close the running bar, if any (fit calls it when training ends by an error)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EpochLogger(Callback):
    """One line per epoch on stdout: ``Epoch 3/10 - loss: 0.2134 - accuracy: 0.9402 - 1.2s``.

    ``fit(verbose=2)`` adds one (for logs of long runs, where a bar would fill the file).
    """

    def __init__(self, file=None) -> None:
        self.file = file
        self.t0 = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        epochs = self.history.params.get("epochs", "?") if self.history is not None else "?"
        print(f"Epoch {epoch + 1}/{epochs} - {format_logs(logs or {})} - "
              f"{time.perf_counter() - self.t0:.1f}s", file=self.file or sys.stdout, flush=True)
