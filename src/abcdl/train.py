"""The training loop: ``fit``, ``evaluate``, ``predict`` and ``History`` (L36, L37).

One epoch is one pass over the training data in a fresh random order (L36:
100,000 examples with batch 100 -> 1000 iterations), never sampling with
replacement; the last, smaller batch is used too.  Each step is the lecture's
loop: forward, J = J0 + penalty, backward, parameter update::

    history = abcdl.train.fit(model, loss_fn, opt, (X, t), epochs=10, batch_size=100,
                              validation_split=0.1)     # L37: tune on validation, never on test
    test_loss, test_acc = abcdl.train.evaluate(model, loss_fn, (X_test, t_test))

Ctrl-C stops after the current batch and returns the history so far
(``history.interrupted``); a second Ctrl-C aborts at once.  A loss that turns
NaN or Inf raises :class:`TrainingDiverged`.
"""

from __future__ import annotations

import functools
import inspect
import math
import signal
import sys
import threading
import time

import numpy as np

from ._config import get_default_dtype, get_rng
from ._types import Array, Rng
from .callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from .history import History, TrainingDiverged
from .losses import MSELoss, SigmoidBCELoss
from .metrics import _metric_kind, _n_correct, accuracy
from .module import Module

__all__ = ["fit", "evaluate", "predict", "accuracy", "History", "TrainingDiverged",
           "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler"]


# -- data ----------------------------------------------------------------------
def _check_data(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a pair (X, t), got {type(data).__name__}")
    X, t = np.asarray(data[0]), np.asarray(data[1])
    for arr, what in ((X, "X"), (t, "t")):
        if arr.ndim == 0 or not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
            raise TypeError(f"{name}: {what} must be a numeric array with a batch axis, "
                            f"got dtype {arr.dtype} and shape {arr.shape}")
    if len(X) != len(t):
        raise ValueError(f"{name}: X has {len(X)} examples but t has {len(t)}")
    if len(X) == 0:
        raise ValueError(f"{name} is empty")
    return X, t


def _model_dtype(model: Module) -> np.dtype:
    params = model.parameters()
    return params[0].dtype if params else np.dtype(get_default_dtype())


def _cast(X: np.ndarray, t: np.ndarray, loss_fn, dtype) -> tuple[np.ndarray, np.ndarray]:
    """X (and float targets) in the model's dtype: one conversion up front, none per batch."""
    if X.dtype != dtype:
        X = X.astype(dtype)
    if t.dtype != dtype and (np.issubdtype(t.dtype, np.floating)
                             or isinstance(loss_fn, (MSELoss, SigmoidBCELoss))):
        t = t.astype(dtype)
    return X, t


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# -- Ctrl-C --------------------------------------------------------------------
class _SigintGuard:
    """First Ctrl-C: finish the current batch, then stop.  Second: raise KeyboardInterrupt now.

    Installed only in the main thread (Python delivers signals there); the previous
    handler is restored on exit.  An ignored SIGINT stays ignored.
    """

    def __init__(self, verbose: int) -> None:
        self.verbose = verbose
        self.requested = False
        self.forced = False
        self._prev = None

    def __enter__(self) -> _SigintGuard:
        if threading.current_thread() is threading.main_thread():
            prev = signal.getsignal(signal.SIGINT)
            if prev is not None and prev is not signal.SIG_IGN:   # None: set outside Python
                self._prev = prev
                signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            self.forced = True
            raise KeyboardInterrupt
        self.requested = True
        if self.verbose:
            print("\nInterrupted: stopping after this batch (Ctrl-C again to abort now)",
                  file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self._prev is not None:
            signal.signal(signal.SIGINT, self._prev)
            self._prev = None


def _format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}" for k, v in logs.items())


# -- fit -----------------------------------------------------------------------
def fit(model: Module, loss_fn, optimizer, train_data, epochs: int = 1, batch_size: int = 100,
        validation=None, validation_split: float | None = None, callbacks=(), verbose: int = 1,
        rng: Rng | int | None = None, regularizer=None, metrics: str | None = "auto",
        shuffle: bool = True) -> History:
    """Train ``model`` with mini-batch gradient descent (L36) and return a :class:`History`.

    Parameters
    ----------
    model : Module
        Put in ``train()`` mode for the updates and ``eval()`` for validation; its
        mode on entry is restored on return.
    loss_fn : a loss of :mod:`abcdl.losses`
        ``forward(pred, t) -> float`` (mean over the batch), ``backward() -> dpred``.
    optimizer : an optimizer of :mod:`abcdl.optim`
        ``step()`` after each backward pass; its ``lr`` is recorded each epoch.
    train_data : (X, t)
        X: (m, ...) converted once to the model's dtype (pass float32 data to a float32
        model to avoid that copy); t: (m,) class indices, (m, K) one-hot, or targets.
    epochs, batch_size : int
        Passes over the data and examples per step; ceil(m / batch_size) steps per epoch.
    validation : (Xv, tv), optional
        Evaluated (eval mode, data loss only) after every epoch: ``val_loss``, ``val_accuracy``.
    validation_split : float in (0, 1), optional
        Hold out the *last* ``round(f m)`` examples of ``train_data``, before any shuffling
        (as Keras does): deterministic and no copy.  Shuffle ordered data (e.g. sorted by
        class) once before calling.  Never pass a test set here (L37).
    callbacks : iterable of :class:`abcdl.callbacks.Callback`
    verbose : 0, 1 or 2
        0 silent, 1 a progress bar per epoch (running loss / accuracy), 2 one line per epoch.
    rng : np.random.Generator or int, optional
        Shuffling order; default the library generator, so ``abcdl.seed(n)`` before
        building the model makes the whole run bit-for-bit repeatable.  Better not pass
        the same int ``n`` as well: a fresh ``default_rng(n)`` replays the random numbers
        that drew the initial weights as the first epochs' order.
    regularizer : optional
        ``penalty(model, m) -> float`` added to the reported loss (m = batch size) and
        ``backward(model, m)`` adding its gradient to the weights' ``grad`` (L31, L32).
    metrics : "auto", "accuracy" or None
        "auto": accuracy for the cross-entropy losses (argmax for softmax, z > 0 for
        sigmoid), none for MSELoss; "accuracy" forces it; None turns it off.
    shuffle : bool
        False keeps the data order (for demonstrations; training needs shuffling).

    Returns
    -------
    History
        ``history.history["loss" | "accuracy" | "val_loss" | "val_accuracy" | "lr"]``.

    Raises
    ------
    TrainingDiverged
        The loss became NaN or Inf; the message names the epoch and step.

    Formula
    -------
    per step, on a batch B of m examples:  J = J0(B) + penalty;  W <- optimizer(W, dJ/dW)
    """
    X, t = _check_data(train_data, "train_data")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    batch_size = _positive_int(batch_size, "batch_size")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if not (hasattr(loss_fn, "forward") and hasattr(loss_fn, "backward")):
        raise TypeError(f"loss_fn must be a loss (forward/backward), got {type(loss_fn).__name__}")
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer must have step(), got {type(optimizer).__name__}")
    cbs = list(callbacks)
    for cb in cbs:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be abcdl.callbacks.Callback objects, got {type(cb).__name__}")
    dtype = _model_dtype(model)
    X, t = _cast(X, t, loss_fn, dtype)
    val = None
    if validation is not None and validation_split is not None:
        raise ValueError("pass either validation or validation_split, not both")
    if validation_split is not None:
        f = float(validation_split)
        n_val = int(round(len(X) * f))
        if not 0 < f < 1 or n_val < 1 or n_val >= len(X):
            raise ValueError(f"validation_split={validation_split!r} leaves {n_val} of {len(X)} "
                             f"examples for validation; it must be in (0, 1) and keep both sides non-empty")
        val = (X[-n_val:], t[-n_val:])                # the last f of the data (views)
        X, t = X[:-n_val], t[:-n_val]
    elif validation is not None:
        val = _cast(*_check_data(validation, "validation"), loss_fn, dtype)
    kind = _metric_kind(metrics, loss_fn)
    # Validation in larger batches is faster for flat inputs; image batches stay at the training
    # size, since a convolution's im2col matrix grows with the batch (450 MB at 1,000 MNIST images).
    val_batch = batch_size if X.ndim > 2 else max(batch_size, 1000)
    gen = get_rng(rng)
    m = len(X)
    steps = -(-m // batch_size)                       # ceil(m / batch_size); the last batch may be smaller
    history = History({"epochs": epochs, "batch_size": batch_size, "steps": steps, "samples": m})
    params = model.parameters()
    backward = model.backward
    if "input_grad" in inspect.signature(backward).parameters:   # Sequential: skip the unused dL/dX GEMM
        backward = functools.partial(backward, input_grad=False)
    was_training = model.training
    for cb in cbs:
        cb.set_context(model, optimizer, history)
    guard = _SigintGuard(verbose)
    epoch, step = 0, -1
    logs: dict = {}
    try:
        with guard:
            for cb in cbs:
                cb.on_train_begin()
            for epoch in range(epochs):
                model.train()
                for cb in cbs:
                    cb.on_epoch_begin(epoch)
                lr = getattr(optimizer, "lr", None)
                bar = _progress(verbose, steps, epoch, epochs)
                t0 = time.perf_counter()
                next_post = t0
                perm = gen.permutation(m) if shuffle else np.arange(m)   # a fresh order each epoch
                loss_sum, seen, correct, counted = 0.0, 0, 0, 0
                stop = False
                try:
                    for step in range(steps):
                        idx = perm[step * batch_size:(step + 1) * batch_size]
                        xb, tb = X.take(idx, axis=0), t.take(idx, axis=0)   # gather B (no full copy)
                        mb = len(idx)
                        for p in params:
                            p.grad.fill(0)
                        out = model.forward(xb)
                        loss = math.nan
                        try:
                            loss = loss_fn.forward(out, tb)               # J0 = (1/m) sum L
                            if regularizer is not None:
                                loss += regularizer.penalty(model, mb)    # J = J0 + (lambda/2m) sum ||W||^2
                            if not math.isfinite(loss):
                                raise FloatingPointError(f"the loss is {loss}")
                        except FloatingPointError as e:
                            raise _diverged(e, loss, loss_fn, optimizer, epoch, epochs, step, steps,
                                            history) from e
                        backward(loss_fn.backward())                      # dJ0/dW for every W
                        if regularizer is not None:
                            regularizer.backward(model, mb)               # + (lambda/m) W
                        optimizer.step()                                  # W <- W - lr * dJ/dW (or Adam...)
                        loss_sum += loss * mb
                        seen += mb
                        if kind is not None:
                            c, n = _n_correct(out, tb, kind)
                            correct += c
                            counted += n
                        if bar is not None:
                            bar.update(1)
                            now = time.perf_counter()
                            if now >= next_post:                          # the postfix costs ~10 us: 5 Hz
                                bar.set_postfix_str(_running(loss_sum, seen, correct, counted, kind),
                                                    refresh=False)
                                next_post = now + 0.2
                        if cbs:
                            blogs = {"loss": loss, "size": mb}
                            for cb in cbs:
                                cb.on_batch_end(step, blogs)
                            stop = any(cb.stop_training for cb in cbs)
                        if guard.requested:
                            raise KeyboardInterrupt
                        if stop:
                            break
                    logs = {"loss": loss_sum / seen}
                    if kind is not None:
                        logs["accuracy"] = correct / counted
                    if val is not None:
                        model.eval()
                        try:
                            vl, va = _evaluate(model, loss_fn, val[0], val[1], val_batch, kind)
                        except FloatingPointError as e:
                            raise _diverged(e, math.nan, loss_fn, optimizer, epoch, epochs, steps - 1, steps,
                                            history, what="validation loss") from e
                        model.train()
                        logs["val_loss"] = vl
                        if kind is not None:
                            logs["val_accuracy"] = va
                    if lr is not None:
                        logs["lr"] = float(lr)
                    history._append(epoch, logs)
                    if bar is not None:
                        bar.set_postfix_str(_format_logs(logs), refresh=True)
                finally:
                    if bar is not None:
                        bar.close()
                if verbose == 2:
                    print(f"Epoch {epoch + 1}/{epochs} - {_format_logs(logs)} - "
                          f"{time.perf_counter() - t0:.1f}s", flush=True)
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if guard.requested:                           # Ctrl-C during validation or a callback
                    raise KeyboardInterrupt
                if stop or any(cb.stop_training for cb in cbs):
                    break
    except KeyboardInterrupt:
        if guard.forced:
            model.train(was_training)
            raise
        history.interrupted = True
        history.stopped_at = (epoch, step)
        if verbose:
            print(f"Training interrupted at epoch {epoch + 1}, step {step + 1}: returning the history "
                  f"of {len(history)} completed epoch(s)", file=sys.stderr, flush=True)
    finally:
        model.train(was_training)
    for cb in cbs:
        cb.on_train_end(logs)
    return history


def _progress(verbose: int, steps: int, epoch: int, epochs: int):
    if verbose != 1:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch", leave=True,
                dynamic_ncols=True)


def _running(loss_sum: float, seen: int, correct: int, counted: int, kind) -> str:
    text = f"loss={loss_sum / seen:.4f}"
    return text + (f", acc={correct / counted:.4f}" if kind is not None else "")


def _diverged(err, loss, loss_fn, optimizer, epoch, epochs, step, steps, history,
              what="loss") -> TrainingDiverged:
    lr = getattr(optimizer, "lr", None)
    hint = f"the learning rate lr={lr:g} is probably too large; " if lr is not None else ""
    return TrainingDiverged(
        f"training diverged at epoch {epoch + 1}/{epochs}, step {step + 1}/{steps}: the {what} "
        f"({type(loss_fn).__name__}) is not finite ({err}). {hint}try a smaller learning rate, "
        f"gradient clipping or standardised inputs.", epoch + 1, step + 1, float(loss), history)


# -- evaluate / predict --------------------------------------------------------
def _evaluate(model, loss_fn, X, t, batch_size, kind) -> tuple[float, float | None]:
    """Mean data loss and accuracy over (X, t), in batches; the caller sets eval mode."""
    dtype = _model_dtype(model)
    loss_sum, correct, counted, m = 0.0, 0, 0, len(X)
    for s in range(0, m, batch_size):
        xb, tb = X[s:s + batch_size].astype(dtype, copy=False), t[s:s + batch_size]
        out = model.forward(xb)
        loss_sum += loss_fn.forward(out, tb) * len(xb)   # batch means, weighted by size
        if kind is not None:
            c, n = _n_correct(out, tb, kind)
            correct += c
            counted += n
    return loss_sum / m, (correct / counted if kind is not None else None)


def evaluate(model: Module, loss_fn, data, batch_size: int = 1000,
             metrics: str | None = "auto") -> tuple[float, float | None]:
    """``(loss, accuracy)`` of ``model`` on ``data = (X, t)`` in eval mode (mode restored).

    The loss is the data loss J0 (no penalty), averaged over all examples; accuracy is
    None when ``metrics`` turns it off (the default for MSELoss).
    """
    X, t = _check_data(data, "data")
    batch_size = _positive_int(batch_size, "batch_size")
    t = _cast(X[:0], t, loss_fn, _model_dtype(model))[1]
    kind = _metric_kind(metrics, loss_fn)
    was_training = model.training
    model.eval()
    try:
        return _evaluate(model, loss_fn, X, t, batch_size, kind)
    finally:
        model.train(was_training)


def predict(model: Module, X, batch_size: int = 1000) -> Array:
    """The model's outputs (logits for the classifiers) for every row of ``X``, in eval mode.

    Shapes
    ------
    X: (m, ...) -> outputs: (m, ...) as the model's forward gives them.
    """
    X = np.asarray(X)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"predict: X must hold at least one example, got shape {X.shape}")
    batch_size = _positive_int(batch_size, "batch_size")
    dtype = _model_dtype(model)
    was_training = model.training
    model.eval()
    try:
        result = None
        for s in range(0, len(X), batch_size):
            out = model.forward(X[s:s + batch_size].astype(dtype, copy=False))
            if result is None:
                result = np.empty((len(X), *out.shape[1:]), dtype=out.dtype)
            result[s:s + len(out)] = out
        return result
    finally:
        model.train(was_training)
