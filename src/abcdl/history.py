"""What :func:`abcdl.train.fit` gives back: a :class:`History`, or a :class:`TrainingDiverged` (L36, L37)."""

from __future__ import annotations

__all__ = ["History", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):  # noqa: N818 (the name the API promises)
    """The training loss became NaN or Inf.  ``epoch`` and ``step`` are 1-based, as printed;
    ``history`` holds the epochs completed before it happened.  Raised by ``fit`` with all
    four, and by ``train_step`` with the ``loss`` only (it knows no epoch)."""

    def __init__(self, message: str, epoch: int | None = None, step: int | None = None,
                 loss: float = float("nan"), history: History | None = None) -> None:
        super().__init__(message)
        self.epoch, self.step, self.loss, self.history = epoch, step, loss, history


class History:
    """What :func:`fit` records, one entry per completed epoch (Keras' names).

    Attributes
    ----------
    history : dict of str -> list of float
        ``"loss"`` (data loss + regularizer penalty, averaged over the epoch's batches,
        weighted by batch size), ``"accuracy"`` (running, as the weights changed),
        ``"val_loss"``, ``"val_accuracy"`` (data loss of the model after the epoch),
        ``"lr"`` (the learning rate used during the epoch).
    epoch : list of int
        0-based indices of the completed epochs.
    params : dict
        ``epochs``, ``batch_size``, ``steps`` (batches per epoch), ``samples``.
    interrupted : bool
        True when Ctrl-C (or a ``KeyboardInterrupt`` from a callback) ended training.
    stopped_at : tuple of int or None
        ``(epoch, step)``, 0-based, of the last batch run before an interruption.
    """

    def __init__(self, params: dict | None = None) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = dict(params or {})
        self.interrupted = False
        self.stopped_at: tuple[int, int] | None = None

    def _append(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    @property
    def lr(self) -> list[float]:
        """The learning rate of each epoch."""
        return self.history.get("lr", [])

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict:
        """JSON-able copy: ``{"epoch": [...], "loss": [...], ..., "interrupted": bool}``."""
        return {"epoch": list(self.epoch), **{k: list(v) for k, v in self.history.items()},
                "interrupted": self.interrupted}

    def __repr__(self) -> str:
        flag = ", interrupted" if self.interrupted else ""
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)}{flag})"
