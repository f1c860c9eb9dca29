"""Grad mode: whether operations record the graph (L39).

This is PyTorch's ``torch.no_grad()``: inside the block, operations compute
their values and record nothing, so no graph is kept (evaluation, optimizer
steps, and the engine's own backward pass when ``create_graph=False``).  It is
the only switch in the package, and it is about *recording*, not about a
model's train/eval mode (that stays each module's ``training`` flag).
"""

from __future__ import annotations

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class GradMode:
    """Holds the switch; :class:`~abcdl.autograd.tensor.Function` reads ``GradMode.enabled``."""

    enabled: bool = True


def is_grad_enabled() -> bool:
    """True when new operations record the graph (the default)."""
    return GradMode.enabled


class GradModeSwitch:
    """Context manager: record the graph inside the block when ``mode`` is true, else not.

    The previous setting comes back on exit, even after an exception.
    """

    __slots__ = ("mode", "_prev")

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = True

    def __enter__(self) -> None:
        self._prev = GradMode.enabled
        GradMode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        GradMode.enabled = self._prev


def set_grad_enabled(mode: bool) -> GradModeSwitch:
    """``with set_grad_enabled(flag): ...`` records the graph inside the block iff ``flag``."""
    return GradModeSwitch(mode)


def no_grad() -> GradModeSwitch:
    """``with no_grad(): ...`` computes values without recording the graph (PyTorch's name)."""
    return GradModeSwitch(False)


def enable_grad() -> GradModeSwitch:
    """``with enable_grad(): ...`` records again inside a ``no_grad`` block."""
    return GradModeSwitch(True)
