"""Language models trained with truncated backpropagation through time (L40; DLFS2 ch. 5-6).

A language model reads one long stream of token ids w_1 .. w_N and learns to
predict each next token: at step t the input is w_t and the target w_{t+1}.
"Deep Learning from Scratch 2" (5.2, its ``RnnlmTrainer``) trains it by
**truncated BPTT**, and :func:`fit_lm` does the same:

- the stream is read by ``batch_size`` rows at once, row r starting at the evenly
  spaced offset r*L (L = (N - 1) // batch_size tokens a row), and each row in
  windows of ``time_size`` steps; window k of every row, stacked, is one
  mini-batch x, t of shape (batch_size, time_size)  (:func:`lm_windows`);
- the windows are taken in order, and the recurrent layers are ``stateful``: window
  k+1 starts from the hidden state where window k ended.  The state carries over,
  the gradient does not: backprop stops at the window's first step (truncated);
- each step is :func:`abcdl.train.train_step` with the gradient norm clipped
  (``max_norm``, DLFS2's ``max_grad``) between backward and the update;
- the measure is the **perplexity**, exp of the mean cross-entropy per token:
  a model that spreads its bets evenly over k tokens has perplexity k.

Each epoch reads every row from its start again with a fresh (zero) state.
Validation (``val_loss``, ``val_perplexity``) reads the held-out stream the same way,
in eval mode, from a zero state.  Why a sibling of :func:`abcdl.train.fit` and not
``fit`` itself: ``fit`` shuffles examples, which would cut the hidden state's thread;
here the order *is* the data.  The loop itself (callbacks, Ctrl-C, History, the NaN
guard) is ``fit``'s, reused.

    >>> from abcdl import lm, text
    >>> c = text.load_corpus("shakespeare", max_size=10000)
    >>> model = lm.language_model(len(c.vocab), 100, 100, cell="lstm")
    >>> h = lm.fit_lm(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=20), c.train,
    ...               epochs=4, batch_size=20, time_size=35, max_norm=0.25, validation=c.val)
    >>> h.history["val_perplexity"], lm.generate(model, c.vocab.encode("the king"), 20)
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_nonnegative_int, check_positive_int
from ._config import get_rng
from ._types import Rng
from .callbacks import EpochLogger, ProgressBar
from .functions import softmax
from .history import History
from .layers import GRU, LSTM, RNN, Embedding, Linear
from .layers._recurrent import Recurrent
from .models import Sequential
from .module import Module
from .train import _check_parts, _Run, train_step

__all__ = ["CELLS", "language_model", "lm_windows", "reset_states", "fit_lm", "evaluate_lm", "perplexity",
           "generate"]

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def perplexity(mean_cross_entropy: float) -> float:
    """Perplexity = exp(L), L the mean cross-entropy per token (natural log); inf when L overflows."""
    return math.exp(mean_cross_entropy) if mean_cross_entropy < 709 else math.inf


def language_model(vocab_size: int, embedding_dim: int = 100, hidden_size: int = 100, cell: str = "lstm",
                   num_layers: int = 1, rng: Rng | None = None, dtype=None) -> Sequential:
    """DLFS2's RNNLM / LSTM LM: Embedding -> RNN, LSTM or GRU (stateful) -> Linear to V scores  (L40).

    Shapes
    ------
    ids (m, T) -> embeddings (m, T, D) -> h_t (m, T, H) -> scores (m, T, V)
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    gen = get_rng(rng)
    V, D, H = vocab_size, embedding_dim, hidden_size
    return Sequential(Embedding(V, D, init=0.01, rng=gen, dtype=dtype),          # DLFS2: W ~ N(0, 0.01^2)
                      CELLS[cell](D, H, num_layers=num_layers, stateful=True, rng=gen, dtype=dtype),
                      Linear(H, V, init="xavier", rng=gen, dtype=dtype))


def _check_ids(ids, what: str, vocab_size: int | None = None) -> np.ndarray:
    """A 1-D stream of integer token ids (in [0, vocab_size) when known), or ValueError naming it."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"{what} must be a 1-D array of integer token ids, got shape {ids.shape}, "
                         f"dtype {ids.dtype}")
    if vocab_size is not None and ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{what}: token ids must lie in [0, {vocab_size}) for the model's vocabulary of "
                         f"{vocab_size}, got {ids.min()}..{ids.max()} among {ids.shape[0]} ids")
    return ids


def lm_windows(ids, batch_size: int, time_size: int, drop_last: bool = True) -> list[tuple]:
    """The (x, t) mini-batches of truncated BPTT, in order: x, t of shape (batch_size, time_size).

    Row r of every batch reads the stream from offset r*L, L = (N - 1) // batch_size
    (DLFS2: ``offsets = [i * jump for i in range(batch_size)]``), and window k holds
    steps k*T .. k*T + T - 1 of each row; t is x shifted by one token.  ``drop_last``
    (for training, as the book) keeps whole windows only; otherwise the last window
    is shorter and every token of the rows is used (for evaluation).

    Formula
    -------
    x[r, s] = w[r L + k T + s],   t[r, s] = w[r L + k T + s + 1]
    """
    ids = _check_ids(ids, "ids")
    B, T = check_positive_int(batch_size, "batch_size"), check_positive_int(time_size, "time_size")
    L = (len(ids) - 1) // B                                     # tokens per row (the jump)
    if L < (T if drop_last else 1):
        raise ValueError(f"a stream of {len(ids)} tokens is too short for batch_size={B} rows of "
                         f"time_size={T} steps (it needs at least {B * (T if drop_last else 1) + 1})")
    pos = np.arange(B)[:, None] * L + np.arange(L)              # (B, L): row r reads w[r L + j]
    X, Y = ids[pos], ids[pos + 1]                               # inputs, and the next tokens as targets
    end = L - L % T if drop_last else L
    return [(X[:, s:s + T], Y[:, s:s + T]) for s in range(0, end, T)]


def reset_states(model: Module) -> None:
    """Clear the carried state of every stateful recurrent layer in ``model`` (a new stream starts)."""
    for _, module in model.named_modules():
        if isinstance(module, Recurrent):
            module.reset_state()


def _vocab_size(model: Module) -> int | None:
    """V of the model's first Embedding (None when it has none)."""
    for _, module in model.named_modules():
        if isinstance(module, Embedding):
            return module.num_embeddings
    return None


class _LMRun(_Run):
    """:func:`fit_lm`'s loop: ``fit``'s epochs, callbacks and guards over BPTT windows in order."""

    def __init__(self, *args, windows: list, max_norm, val_batch: tuple) -> None:
        super().__init__(*args)
        self.windows, self.max_norm, self.val_batch = windows, max_norm, val_batch

    def _epochs(self, train, val, epochs, batch_size, order) -> None:
        x0 = self.windows[0][0]
        self.history.params.update(batch_size=x0.shape[0], time_size=x0.shape[1],
                                   tokens=len(self.windows) * x0.size)
        super()._epochs(train, val, epochs, batch_size, order)

    def _train_epoch(self, X, t, batch_size, perm) -> tuple[dict, bool]:
        """The windows in order from a zero state; loss and perplexity per token."""
        reset_states(self.model)                               # each epoch reads the rows from the start
        loss_sum, stopped = 0.0, False
        for step in perm:
            self.step = int(step)
            xb, tb = self.windows[step]
            J, _ = self._train_step(xb, tb)                    # the state carries into the next window
            loss_sum += J
            logs = {"loss": J, "size": xb.size, "perplexity": perplexity(J)}
            for cb in self.callbacks:
                cb.on_batch_end(self.step, logs)
            if self.guard.requested:
                raise KeyboardInterrupt
            if any(cb.stop_training for cb in self.callbacks):
                stopped = True
                break
        loss = loss_sum / (self.step + 1)                      # every window has B*T tokens
        return {"loss": loss, "perplexity": perplexity(loss)}, stopped

    def _train_step(self, xb, tb):
        try:
            return train_step(self.model, self.loss_fn, self.optimizer, xb, tb, max_norm=self.max_norm)
        except FloatingPointError as e:
            raise self._diverged(e, getattr(e, "loss", math.nan), "loss") from e

    def _validate(self, ids, _unused, batch_size) -> dict:
        try:
            loss = _mean_loss(self.model, self.loss_fn, ids, *self.val_batch)
        except FloatingPointError as e:
            raise self._diverged(e, math.nan, "validation loss") from e
        self.model.train()
        return {"val_loss": loss, "val_perplexity": perplexity(loss)}


def fit_lm(model: Module, loss_fn, optimizer, train_ids, epochs: int = 1, batch_size: int = 20,
           time_size: int = 35, max_norm: float | None = 0.25, validation=None, callbacks=(),
           verbose: int = 1) -> History:
    """Train a language model on a token stream by truncated BPTT (L40); returns a :class:`History`.

    Parameters
    ----------
    model : Module
        Token ids (m, T) -> scores (m, T, V), with ``stateful`` recurrent layers
        (:func:`language_model` builds one); put in ``train()`` mode, its mode restored.
    loss_fn : SoftmaxCrossEntropyLoss
        The mean cross-entropy per token of a window.
    optimizer : an optimizer of :mod:`abcdl.optim`
    train_ids : (N,) int
        The training stream (``abcdl.text.load_corpus(...).train``).
    epochs, batch_size, time_size : int
        Passes over the stream, rows per mini-batch, steps per window (DLFS2: 20 and 35).
    max_norm : float or None
        Clip the joint gradient norm to this before each update (DLFS2's ``max_grad = 0.25``).
    validation : (N',) int, optional
        A held-out stream: ``val_loss`` and ``val_perplexity`` after every epoch.
    callbacks, verbose
        As in :func:`abcdl.train.fit` (EarlyStopping may watch "val_perplexity").

    Returns
    -------
    History
        ``history.history["loss" | "perplexity" | "val_loss" | "val_perplexity" | "lr"]``.

    Raises
    ------
    ValueError
        Ids that are not a 1-D integer stream, ids >= the model's vocabulary size, a stream
        too short for one window.
    TrainingDiverged
        The loss became NaN or Inf (epoch and step named).

    Formula
    -------
    per window (x, t):  J = -(1/(B T)) sum_{r,s} log y[r, s, t_rs];  g <- g min(1, max_norm/||g||);  update
    perplexity = exp(J averaged over the epoch's windows)
    """
    V = _vocab_size(model)
    train_ids = _check_ids(train_ids, "train_ids", V)
    epochs = check_nonnegative_int(epochs, "epochs")
    windows = lm_windows(train_ids, batch_size, time_size)
    val = None
    if validation is not None:
        val = (_check_ids(validation, "validation", V), None)
        lm_windows(val[0], min(batch_size, len(val[0]) - 1), time_size, drop_last=False)   # long enough?
    cbs = _check_parts(loss_fn, optimizer, callbacks, verbose)
    display = {0: [], 1: [ProgressBar()], 2: [EpochLogger()]}[verbose]
    run = _LMRun(model, loss_fn, optimizer, None, None, display + cbs, verbose, windows=windows,
                 max_norm=max_norm, val_batch=(batch_size, time_size))
    n = len(windows)
    history = run.fit((np.arange(n), np.arange(n)), val, epochs, 1, lambda: np.arange(n))
    reset_states(model)
    return history


def _mean_loss(model: Module, loss_fn, ids: np.ndarray, batch_size: int, time_size: int) -> float:
    """Mean cross-entropy per token over the whole stream, read in order from a zero state (eval mode)."""
    model.eval()
    reset_states(model)
    total, count = 0.0, 0
    try:
        for x, t in lm_windows(ids, min(batch_size, len(ids) - 1), time_size, drop_last=False):
            total += loss_fn.forward(model.forward(x), t) * t.size     # window means, weighted by tokens
            count += t.size
    finally:
        reset_states(model)
    return total / count


def evaluate_lm(model: Module, loss_fn, ids, batch_size: int = 20,
                time_size: int = 35) -> tuple[float, float]:
    """``(mean cross-entropy per token, perplexity)`` of ``model`` on the stream ``ids``, in eval mode.

    Every token but the first is predicted once, reading ``batch_size`` rows in windows of
    ``time_size`` from a zero state; the carried state is cleared before and after, and the
    model's mode restored.
    """
    ids = _check_ids(ids, "ids", _vocab_size(model))
    was_training = model.training
    try:
        loss = _mean_loss(model, loss_fn, ids, check_positive_int(batch_size, "batch_size"),
                          check_positive_int(time_size, "time_size"))
    finally:
        model.train(was_training)
    return loss, perplexity(loss)


def generate(model: Module, prompt_ids, n: int, temperature: float = 1.0, skip_ids=(),
             rng: Rng | int | None = None) -> np.ndarray:
    """Continue ``prompt_ids`` by ``n`` tokens sampled one at a time (DLFS2's ``generate``)  (L40).

    The prompt is read once (its state kept), then each new token is fed back as the next
    input.  ``temperature`` divides the scores before the softmax (below 1: safer, above 1:
    wilder; 0 takes the most likely token); ``skip_ids`` (such as ``<unk>``'s 0) are never drawn.

    Formula
    -------
    p = softmax(z / temperature),  w_{t+1} ~ p   (p_k = 0 for k in skip_ids, renormalised)
    """
    V = _vocab_size(model)
    prompt = _check_ids(prompt_ids, "prompt_ids", V)
    if prompt.size == 0:
        raise ValueError("prompt_ids must hold at least one token")
    n = check_nonnegative_int(n, "n")
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    gen = get_rng(rng)
    layers = [m for _, m in model.named_modules() if isinstance(m, Recurrent)]
    saved = [(m, m.stateful) for m in layers]
    was_training = model.training
    model.eval()
    out, x = [], prompt[None, :]
    try:
        for m in layers:
            m.stateful = True                                  # carry the state from token to token
        reset_states(model)
        for _ in range(n):
            z = model.forward(x)[0, -1].astype(np.float64)     # scores of the next token
            z[list(skip_ids)] = -np.inf
            nxt = int(z.argmax()) if temperature == 0 else int(gen.choice(len(z), p=softmax(z / temperature)))
            out.append(nxt)
            x = np.array([[nxt]])
    finally:
        for m, flag in saved:
            m.stateful = flag
        reset_states(model)
        model.train(was_training)
    return np.array(out, dtype=np.int64)
