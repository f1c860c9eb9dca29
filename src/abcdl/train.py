"""The training loop: ``train_step``, ``fit``, ``evaluate``, ``predict`` and ``History`` (L36, L37).

One step is the lecture's slide, :func:`train_step`::

    zero the gradients;  forward;  J = J0 + penalty;  backward;  update

One epoch is one pass over the training data in a fresh random order (L36:
100,000 examples with batch 100 -> 1000 iterations), never sampling with
replacement; the last, smaller batch is used too.  :func:`fit` runs the epochs,
calls the callbacks (:mod:`abcdl.callbacks`; the progress bar is one of them)
and records a :class:`History`::

    history = abcdl.train.fit(model, loss_fn, opt, (X, t), epochs=10, batch_size=100,
                              validation_split=0.1)     # L37: tune on validation, never on test
    test_loss, test_acc = abcdl.train.evaluate(model, loss_fn, (X_test, t_test))

Ctrl-C stops after the current batch and returns the history so far
(``history.interrupted``); a second Ctrl-C aborts at once.  A loss that turns
NaN or Inf raises :class:`TrainingDiverged`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

from ._checks import check_nonnegative_int, check_positive_int
from ._config import get_default_dtype, get_rng
from ._sigint import SigintGuard
from ._types import Array, Rng
from .callbacks import (
    Callback,
    EarlyStopping,
    EpochLogger,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
)
from .history import History, TrainingDiverged
from .losses import MSELoss, SigmoidBCELoss
from .metrics import _metric_kind, _n_correct, accuracy
from .module import Module
from .optim import clip_grad_norm

__all__ = ["train_step", "fit", "evaluate", "predict", "accuracy", "History", "TrainingDiverged",
           "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ProgressBar",
           "EpochLogger"]


# -- one step: the slide -------------------------------------------------------
def train_step(model: Module, loss_fn, optimizer, X: Array, t, regularizer=None,
               max_norm: float | None = None) -> tuple[float, Array]:
    """One step of mini-batch gradient descent on the batch ``(X, t)`` (L16, L31, L36; clipping L29, L40).

    Parameters
    ----------
    model : Module
        In the mode the caller chose (``fit`` puts it in ``train()``).
    loss_fn : a loss of :mod:`abcdl.losses`
    optimizer : an optimizer of :mod:`abcdl.optim`
    X, t : the batch, m examples
    regularizer : optional
        ``penalty(model, m) -> float`` and ``backward(model, m)`` (:mod:`abcdl.regularizers`).
    max_norm : float, optional
        Clip the joint gradient norm to ``max_norm`` before the update
        (:func:`abcdl.optim.clip_grad_norm`; the recurrent networks' remedy, DLFS2 ch. 5).

    Returns
    -------
    (J, Y) : the batch's loss (data loss plus penalty) and the model's outputs.

    Raises
    ------
    TrainingDiverged
        J is NaN or Inf; raised before the backward pass, so the weights are unchanged.

    Formula
    -------
    dJ/dW <- 0;  Y = f(X; W);  J = J0(Y, t) + penalty(W);  dJ/dW by backprop;
    [g <- g min(1, max_norm / ||g||)];  W <- update(W, dJ/dW)
    """
    m = len(X)
    model.zero_grad()                                      # dJ/dW <- 0 (backward accumulates)
    Y = model.forward(X)                                   # forward:  Y = f(X; W)
    J = loss_fn.forward(Y, t)                              # J0 = (1/m) sum_k L(y_k, t_k)
    if regularizer is not None:
        J += regularizer.penalty(model, m)                 # J = J0 + (lambda/2m) sum_l ||W[l]||^2
    if not math.isfinite(J):
        raise TrainingDiverged(f"the loss is {J}", loss=J)
    model.backward(loss_fn.backward(), input_grad=False)   # backward: dJ0/dW (dJ/dX is not needed)
    if regularizer is not None:
        regularizer.backward(model, m)                     # dJ/dW = dJ0/dW + (lambda/m) W
    if max_norm is not None:
        clip_grad_norm(model.parameters(), max_norm)       # g <- g min(1, max_norm / ||g||)
    optimizer.step()                                       # update: W <- W - alpha dJ/dW (or Adam, ...)
    return J, Y


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


def _split(X, t, validation, validation_split, loss_fn, dtype):
    """``((X, t), val)``: the training data and the validation pair (or None)."""
    if validation is not None and validation_split is not None:
        raise ValueError("pass either validation or validation_split, not both")
    if validation is not None:
        return (X, t), _cast(*_check_data(validation, "validation"), loss_fn, dtype)
    if validation_split is None:
        return (X, t), None
    f = float(validation_split)
    n_val = int(round(len(X) * f))
    if not 0 < f < 1 or n_val < 1 or n_val >= len(X):
        raise ValueError(f"validation_split={validation_split!r} leaves {n_val} of {len(X)} "
                         f"examples for validation; it must be in (0, 1) and keep both sides non-empty")
    return (X[:-n_val], t[:-n_val]), (X[-n_val:], t[-n_val:])   # the last f of the data (views)


def _check_parts(loss_fn, optimizer, callbacks, verbose) -> list[Callback]:
    """The callbacks as a list, after checking the other arguments of fit."""
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
    return cbs


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
        0 silent, 1 a progress bar per epoch (:class:`~abcdl.callbacks.ProgressBar`),
        2 one line per epoch (:class:`~abcdl.callbacks.EpochLogger`); either runs
        before the callbacks you pass.
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
    epochs = check_nonnegative_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    cbs = _check_parts(loss_fn, optimizer, callbacks, verbose)
    display = {0: [], 1: [ProgressBar()], 2: [EpochLogger()]}[verbose]
    dtype = _model_dtype(model)
    train, val = _split(*_cast(X, t, loss_fn, dtype), validation, validation_split, loss_fn, dtype)
    gen, m = get_rng(rng), len(train[0])

    def order() -> np.ndarray:                    # a fresh order each epoch, never with replacement
        return gen.permutation(m) if shuffle else np.arange(m)

    run = _Run(model, loss_fn, optimizer, regularizer, _metric_kind(metrics, loss_fn), display + cbs, verbose)
    return run.fit(train, val, epochs, batch_size, order)


class _Run:
    """One call of :func:`fit`: the parts of the step, the callbacks, and where the loop is."""

    def __init__(self, model, loss_fn, optimizer, regularizer, kind, callbacks, verbose) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.regularizer, self.kind, self.callbacks, self.verbose = regularizer, kind, callbacks, verbose
        self.guard = SigintGuard(verbose)
        self.epoch, self.step, self.logs = 0, -1, {}

    def fit(self, train, val, epochs: int, batch_size: int, order: Callable[[], np.ndarray]) -> History:
        """The epochs inside the Ctrl-C guard; the model's mode is restored whatever happens."""
        m = len(train[0])
        self.history = History({"epochs": epochs, "batch_size": batch_size,
                                "steps": -(-m // batch_size), "samples": m})   # ceil(m / batch_size)
        for cb in self.callbacks:
            cb.set_context(self.model, self.optimizer, self.history)
        was_training = self.model.training
        try:
            with self.guard:
                self._epochs(train, val, epochs, batch_size, order)
        except KeyboardInterrupt:
            if self.guard.forced:
                raise
            self.history.interrupted = True
            self.history.stopped_at = (self.epoch, self.step)
        finally:
            self.model.train(was_training)
            for cb in self.callbacks:
                if isinstance(cb, ProgressBar):
                    cb.close()                  # an interrupted or failed epoch leaves no bar open
        if self.history.interrupted and self.verbose:
            print(f"Training interrupted at epoch {self.epoch + 1}, step {self.step + 1}: returning the "
                  f"history of {len(self.history)} completed epoch(s)", file=sys.stderr, flush=True)
        for cb in self.callbacks:
            cb.on_train_end(self.logs)
        return self.history

    def _epochs(self, train, val, epochs: int, batch_size: int, order: Callable[[], np.ndarray]) -> None:
        for cb in self.callbacks:
            cb.on_train_begin()
        for epoch in range(epochs):
            self.epoch = epoch
            self.model.train()
            for cb in self.callbacks:
                cb.on_epoch_begin(epoch)
            lr = getattr(self.optimizer, "lr", None)              # the rate used during this epoch
            logs, stopped = self._train_epoch(*train, batch_size, order())
            if val is not None:
                logs.update(self._validate(*val, batch_size))
            if lr is not None:
                logs["lr"] = float(lr)
            self.history._append(epoch, logs)
            self.logs = logs
            for cb in self.callbacks:
                cb.on_epoch_end(epoch, logs)
            if self.guard.requested:                              # Ctrl-C during validation or a callback
                raise KeyboardInterrupt
            if stopped or any(cb.stop_training for cb in self.callbacks):
                break

    def _train_epoch(self, X, t, batch_size: int, perm: np.ndarray) -> tuple[dict, bool]:
        """One pass over (X, t) in the order ``perm``: the epoch's logs, and whether a callback stopped it."""
        loss_sum, seen, correct, counted = 0.0, 0, 0, 0
        stopped = False
        for step, start in enumerate(range(0, len(X), batch_size)):
            self.step = step
            idx = perm[start:start + batch_size]
            Xb, tb = X.take(idx, axis=0), t.take(idx, axis=0)     # the batch B (a gather, no full copy)
            J, Y = self._train_step(Xb, tb)
            loss_sum, seen = loss_sum + J * len(idx), seen + len(idx)
            batch_logs = {"loss": J, "size": len(idx)}
            if self.kind is not None:
                c, n = _n_correct(Y, tb, self.kind)
                correct, counted = correct + c, counted + n
                batch_logs["accuracy"] = c / n
            for cb in self.callbacks:
                cb.on_batch_end(step, batch_logs)
            if self.guard.requested:                              # first Ctrl-C: stop after this batch
                raise KeyboardInterrupt
            if any(cb.stop_training for cb in self.callbacks):
                stopped = True
                break
        logs = {"loss": loss_sum / seen}                          # sum_B m_B J(B) / m
        if self.kind is not None:
            logs["accuracy"] = correct / counted
        return logs, stopped

    def _train_step(self, Xb, tb) -> tuple[float, Array]:
        try:
            return train_step(self.model, self.loss_fn, self.optimizer, Xb, tb, self.regularizer)
        except FloatingPointError as e:
            raise self._diverged(e, getattr(e, "loss", math.nan), "loss") from e

    def _validate(self, Xv, tv, batch_size: int) -> dict:
        """``val_loss`` (and ``val_accuracy``) of the model after the epoch, in eval mode."""
        # Flat inputs go in larger batches (faster); image batches stay at the training size,
        # since a convolution's im2col matrix grows with the batch (450 MB at 1,000 MNIST images).
        val_batch = batch_size if Xv.ndim > 2 else max(batch_size, 1000)
        self.model.eval()
        try:
            vl, va = _evaluate(self.model, self.loss_fn, Xv, tv, val_batch, self.kind)
        except FloatingPointError as e:
            raise self._diverged(e, math.nan, "validation loss") from e
        self.model.train()
        return {"val_loss": vl} if self.kind is None else {"val_loss": vl, "val_accuracy": va}

    def _diverged(self, err, loss: float, what: str) -> TrainingDiverged:
        params = self.history.params
        lr = getattr(self.optimizer, "lr", None)
        hint = f"the learning rate lr={lr:g} is probably too large; " if lr is not None else ""
        return TrainingDiverged(
            f"training diverged at epoch {self.epoch + 1}/{params['epochs']}, step {self.step + 1}/"
            f"{params['steps']}: the {what} ({type(self.loss_fn).__name__}) is not finite ({err}). "
            f"{hint}try a smaller learning rate, gradient clipping or standardised inputs.",
            self.epoch + 1, self.step + 1, float(loss), self.history)


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
    batch_size = check_positive_int(batch_size, "batch_size")
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
    batch_size = check_positive_int(batch_size, "batch_size")
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
