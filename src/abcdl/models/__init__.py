"""Models: ``Sequential`` and builders, plus the lecture's classic models (L1-L9, L14-L18)."""

from .sequential import Sequential

__all__ = ["Sequential"]
